"""Benchmark: this bot next to a bare python-telegram-bot bot, per kind of update (prints
figures, asserts nothing; not a test).

    python -m tests.bench.updates [--rounds 2] [--users 200] [--database-url URL]

Both bots run as processes of their own (`python -m bot run`, `python -m tests.bench.bare_bot`)
against sandboxes served by this process, with the outgoing rate limit raised so that
Telegram's 30 messages a second is not what is measured. For each scenario the two take turns
(bare, bot, then bot, bare, ...), each turn a batch of fresh work:

- /start: a new user's first /start;
- /help: a started user's /help;
- claim answer: the claim form's first four typed answers (order number, order date, product,
  quantity) of users who sent /new (the bare bot answers any text);
- proposal press: a buyer presses Accept on the supplier's counter-proposal (the bot answers
  the press and asks "Yes, accept?" privately; the bare bot answers and sends a message).

Users act at once and each waits for the bot's answer (every message it sends for that update)
before their next update. Throughput is updates per second of the batch, CPU per update the
bot process's user+system time (/proc) over the batch and what it did after the last answer,
latency from the update's emission to the bot's last answering message. Then /help at a fixed
50 updates a second (open loop) for the p99 target, and each process's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.demo import SCRIPTS, dates, file_claim
from bot.demo_dispute import (
    counter_propose_partial_refund,
    invite_supplier,
    showing,
    supplier_accepts_invitation,
)
from bot.sandbox import SandboxUser
from flows.clock import SystemClock
from locales.i18n import Catalogs
from tests.bench.harness import (
    Action,
    Batch,
    Side,
    bot_count,
    closed_loop,
    open_loop,
    replies,
    rss_mb,
)

TOKEN = "123456:BENCH-BOT"
BARE_TOKEN = "654321:BENCH-BARE"
LANGUAGES = ("en", "zh-hans")


def sides(
    workdir: Path, database_url: str | None, profile: str | None = None, mode: str = "cprofile"
) -> tuple[Side, Side]:
    bot_env = {
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.db'}",
        "EVIDENCE_DIR": str(workdir / "evidence"),
        "SWEEP_INTERVAL_SECONDS": "0",
        "RATE_LIMIT_PER_SECOND": "100000",
        "RATE_LIMIT_PRIVATE_PER_SECOND": "100000",
        "RATE_LIMIT_GROUP_PER_MINUTE": "100000",
    }
    bare = Side("bare", BARE_TOKEN, ["-m", "tests.bench.bare_bot"], {}, workdir)
    command = ["-m", "bot", "run"]
    if profile:  # `disputebot run` under cProfile, on during each measured batch
        command = ["-m", "tests.bench.profiled_bot", str(Path(profile).resolve()), mode]
    bot = Side("bot", TOKEN, command, bot_env, workdir)
    return bare, bot


def say(user: SandboxUser, text: str, count: int) -> Action:
    """`user` sends `text` and waits for the bot's `count` messages."""

    async def act() -> None:
        before = bot_count(user)
        await user.send(text)
        await replies(user, before, count)

    return act


def tap(user: SandboxUser, label: str, message_id: int, count: int) -> Action:
    """`user` presses `label` on a message; waits for the answer and `count` messages."""

    async def act() -> None:
        before = bot_count(user)
        await user.press(label, message=message_id, timeout=60)
        await replies(user, before, count)

    return act


async def answers_to(side: Side, user: SandboxUser, text: str) -> int:
    """How many messages the bot sends for `text` (played once, unmeasured)."""
    before = bot_count(user)
    await user.send(text)
    await side.sandbox.wait_until(lambda: bot_count(user) > before, 60)
    await side.settle()
    return bot_count(user) - before


class Scenarios:
    """The four kinds of update, set up for one side (the users live in its sandbox)."""

    def __init__(self, side: Side, catalogs: Catalogs, is_bot: bool) -> None:
        self.side, self.catalogs, self.is_bot = side, catalogs, is_bot
        self.started: list[SandboxUser] = []
        self._serial = 0
        self._presses: list[tuple[SandboxUser, str, int]] = []
        self._counts: dict[str, list[int]] = {}

    def user(self, i: int) -> SandboxUser:
        self._serial += 1
        return self.side.sandbox.user(
            f"User {self._serial}", language_code=LANGUAGES[i % len(LANGUAGES)]
        )

    async def counts(self, kind: str, texts: Sequence[str]) -> list[int]:
        """How many messages the bot sends for each of `texts` from one new user, in turn."""
        if kind not in self._counts:
            user = self.user(0)
            self._counts[kind] = [await answers_to(self.side, user, text) for text in texts]
        return self._counts[kind]

    async def start(self, users: int) -> list[list[Action]]:
        [count] = await self.counts("start", ["/start"])
        fresh = [self.user(i) for i in range(users)]
        self.started += fresh
        return [[say(u, "/start", count)] for u in fresh]

    async def help(self, users: int) -> list[list[Action]]:
        [count] = await self.counts("help", ["/help"])
        return [[say(u, "/help", count)] for u in self.started[-users:]]

    def _claim_texts(self) -> list[str]:
        ordered, _ = dates(SystemClock())
        script = SCRIPTS["en"]
        return [script.order_number, ordered, script.product, script.quantity]

    async def claim_answers(self, users: int) -> list[list[Action]]:
        texts = self._claim_texts()
        counts = await self.counts("claim", ["/new", *texts])
        fresh = [self.user(i) for i in range(users)]
        await asyncio.gather(*(say(u, "/new", counts[0])() for u in fresh))
        await self.side.settle()
        return [[say(u, t, c) for t, c in zip(texts, counts[1:], strict=True)] for u in fresh]

    async def _proposal(self, i: int) -> tuple[SandboxUser, str, int]:
        """A buyer with the supplier's counter-proposal in their private chat (for the bare
        bot: a message with a button)."""
        buyer = self.side.sandbox.user(f"Buyer {i}", language_code="en")
        if not self.is_bot:
            await say(buyer, "/new", 1)()
            return buyer, "Accept", buyer.private_chat.bot_messages()[-1].message_id
        supplier = self.side.sandbox.user(f"Supplier {i}", language_code="zh-hans")
        btr, str_ = self.catalogs.translator("en"), self.catalogs.translator("zh_Hans")
        await file_claim(buyer, btr, SCRIPTS["en"], SystemClock(), timeout=60)
        invitation = await invite_supplier(buyer, btr, timeout=60)
        await supplier_accepts_invitation(supplier, str_, invitation, None, timeout=60)
        await supplier.wait_for(showing(str_.t("button.contest")), timeout=60)
        await counter_propose_partial_refund(supplier, str_, "900", timeout=60)
        accept = btr.t("button.accept")
        proposal = await buyer.wait_for(showing(accept), timeout=60)
        return buyer, accept, proposal.message_id

    async def proposal_presses(self, cases: int, presses: int) -> list[list[Action]]:
        if not self._presses:
            self._presses = list(await asyncio.gather(*(self._proposal(i) for i in range(cases))))
            await self.side.settle()
        buyer, label, message_id = self._presses[0]
        before = bot_count(buyer)
        await buyer.press(label, message=message_id, timeout=60)
        await self.side.sandbox.wait_until(lambda: bot_count(buyer) > before, 60)
        await self.side.settle()
        count = bot_count(buyer) - before
        return [[tap(b, lbl, m, count) for _ in range(presses)] for b, lbl, m in self._presses]


def row(name: str, bare: Batch, bot: Batch) -> str:
    return (
        f"| {name} | {bare.per_second:.0f} | {bot.per_second:.0f} | "
        f"{bot.per_second / bare.per_second:.2f}× | {bare.cpu_ms:.2f} | {bot.cpu_ms:.2f} | "
        f"{bot.cpu_ms / bare.cpu_ms:.2f}× | {bare.ms(0.5):.1f} / {bare.ms(0.95):.1f} / "
        f"{bare.ms(0.99):.1f} | {bot.ms(0.5):.1f} / {bot.ms(0.95):.1f} / {bot.ms(0.99):.1f} |"
    )


async def main(args: argparse.Namespace) -> None:
    catalogs = Catalogs()
    with tempfile.TemporaryDirectory() as tmp:
        bare, bot = sides(Path(tmp), args.database_url, args.profile_bot, args.profile_mode)
        await bare.start()
        await bot.start()
        try:
            plays = {
                bare.name: Scenarios(bare, catalogs, False),
                bot.name: Scenarios(bot, catalogs, True),
            }
            kinds: list[tuple[str, Callable[[Scenarios], Awaitable[list[list[Action]]]]]] = [
                ("/start", lambda s: s.start(args.users)),
                ("/help", lambda s: s.help(args.users)),
                ("claim answer", lambda s: s.claim_answers(args.users // 4)),
                ("proposal press", lambda s: s.proposal_presses(args.cases, args.presses)),
            ]
            print(
                "| update | bare upd/s | bot upd/s | throughput | bare CPU ms/upd | "
                "bot CPU ms/upd | CPU | bare p50/p95/p99 ms | bot p50/p95/p99 ms |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            for name, prepare in kinds:
                if args.only and name.strip("/").split()[0] not in args.only:
                    continue
                totals = {bare.name: Batch(), bot.name: Batch()}
                for turn in range(args.rounds):
                    for side in (bare, bot) if turn % 2 == 0 else (bot, bare):
                        actors = await prepare(plays[side.name])
                        profiled = args.profile_bot is not None and side is bot
                        if profiled:
                            os.kill(side.pid, signal.SIGUSR1)
                        totals[side.name].add(await closed_loop(side, actors))
                        if profiled:
                            os.kill(side.pid, signal.SIGUSR2)
                            print(f"  profile of {name}, turn {turn + 1} written", flush=True)
                print(row(name, totals[bare.name], totals[bot.name]), flush=True)
            if args.only and "help" not in args.only:
                return
            rate, seconds = 50.0, args.seconds
            print(f"\n/help at {rate:.0f} updates/s for {seconds} s (open loop):")
            for side in (bare, bot):
                users = plays[side.name].started
                count = (await plays[side.name].counts("help", []))[0]
                actions = [
                    say(users[i % len(users)], "/help", count) for i in range(int(rate * seconds))
                ]
                batch = await open_loop(side, actions, rate)
                print(
                    f"  {side.name}: p50 {batch.ms(0.5):.1f} ms, p95 {batch.ms(0.95):.1f} ms, "
                    f"p99 {batch.ms(0.99):.1f} ms, max {batch.ms(1.0):.1f} ms, "
                    f"CPU {batch.cpu_ms:.2f} ms/update",
                    flush=True,
                )
            print(
                f"\nresident memory after the run: bare {rss_mb(bare.pid):.0f} MB, "
                f"bot {rss_mb(bot.pid):.0f} MB"
            )
        finally:
            await bot.stop()
            await bare.stop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=2, help="turns of each bot per scenario")
    parser.add_argument("--users", type=int, default=200, help="updates per /start, /help batch")
    parser.add_argument("--cases", type=int, default=10, help="buyers pressing Accept at once")
    parser.add_argument("--presses", type=int, default=20, help="presses per buyer and batch")
    parser.add_argument("--seconds", type=int, default=10, help="length of the 50/s run")
    parser.add_argument("--database-url", help="the bot's database (default: SQLite in a temp dir)")
    parser.add_argument(
        "--profile-bot",
        metavar="FILE",
        help="run the bot under cProfile during each measured batch, each batch's profile "
        "written to FILE.<n>.prof (the figures then include the profiler's own cost)",
    )
    parser.add_argument(
        "--profile-mode",
        choices=("cprofile", "sample"),
        default="cprofile",
        help="cProfile (FILE.<n>.prof) or a stack sample every millisecond (FILE.<n>.txt)",
    )
    parser.add_argument(
        "--only", nargs="*", help="only these scenarios (start, help, claim, proposal)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
