"""The soak run itself: file the claims, play every case while a killer SIGKILLs the bot at
random moments (seeded) and starts it again, then check what was left behind.

The claims are filed before the killer starts: the claim form's prompts are direct replies
(no change of a case to tell), and its own resumption (/new) is tested elsewhere; the soak is
about the cases, from the invitation to the close.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.demo import SCRIPTS, file_claim
from bot.sandbox import Sandbox, SandboxServer, SandboxUser
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs
from storage import Database, DeadlineStatus
from storage.hashing import canonical_json
from storage.records import HistoryEvent
from storage.tables import deadlines
from tests.bot_process import BotProcess
from tests.e2e.conftest import TOKEN, translator
from tests.soak.people import Person, wait_done
from tests.soak.plays import VARIANTS, Play, Referee
from tests.soak.workers import WorkerPool


@dataclass
class Config:
    buyers: int = 3
    kills: int = 4
    seed: int = 1
    patience: float = 8.0  # how long a person waits for the bot before asking /case
    step_limit: float = 240.0  # a step not done by then: the case is stuck
    min_gap: int = 10  # Bot API requests between two kills, drawn from [min_gap, max_gap]
    max_gap: int = 60
    workers: int = 1  # more: webhook workers behind a round-robin proxy (tests/soak/workers.py)


@dataclass
class Summary:
    cases: int = 0
    closed: int = 0
    kills: int = 0
    restarts: int = 0
    seconds: float = 0.0
    variants: dict[str, int] = field(default_factory=dict)
    events: int = 0
    outbox_rows: int = 0
    resent: int = 0  # copies sent again because a process died between a send and its record
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"cases {self.cases}, closed {self.closed}, kills {self.kills}, "
            f"restarts {self.restarts}, {self.seconds:.0f} s",
            f"variants {dict(sorted(self.variants.items()))}, history events {self.events}, "
            f"outbox rows {self.outbox_rows}, re-sent after a kill in the send window "
            f"{self.resent}",
            *(f"PROBLEM: {problem}" for problem in self.problems),
        ]


async def soak(config: Config, url: str, tmp: Path) -> Summary:
    """Run the whole soak on the database at `url`; `tmp` takes the logs and evidence."""
    started = time.monotonic()
    rng = random.Random(config.seed)
    clock = FrozenClock(datetime.now(UTC).replace(second=0, microsecond=0))
    sandbox = Sandbox(
        bot_token=TOKEN,
        bot_username="DisputeTestBot",
        bot_name="Dispute Bot",
        clock=clock.timestamp,
    )
    catalogs = Catalogs()
    summary = Summary(cases=config.buyers)
    async with SandboxServer(sandbox) as server:
        process: BotProcess | WorkerPool
        if config.workers > 1:
            process = WorkerPool(sandbox, server, url, tmp, config.workers, rng)
        else:
            process = BotProcess(sandbox, server, url, tmp)
        await process.start()
        db = await Database.connect(url, migrate=False)
        try:
            plays = await _file_claims(config, rng, sandbox, catalogs, clock, db)
            summary.variants = dict(Counter(play.variant for play in plays))
            finished = asyncio.Event()
            killer = asyncio.create_task(_killer(config, rng, sandbox, process, finished, summary))
            try:
                results = await asyncio.gather(*(p.run() for p in plays), return_exceptions=True)
            finally:
                finished.set()
                await killer
            summary.problems += [repr(r) for r in results if isinstance(r, BaseException)]
            # What the last process committed is delivered by its sweeps.
            await wait_done(lambda: _drained(db), 60)
            await process.stop()
            await _check(db, sandbox, [p.case_id for p in plays], summary)
        finally:
            await db.dispose()
            await process.stop()
    summary.problems += [f"Bot API violation: {v}" for v in sandbox.violations]
    summary.seconds = time.monotonic() - started
    return summary


async def _file_claims(
    config: Config,
    rng: random.Random,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    db: Database,
) -> list[Play]:
    """Every buyer files the scripted claim in their language, all at once."""
    people = []
    for n in range(config.buyers):
        buyer_lang, supplier_lang = ("en", "zh-hans") if n % 2 == 0 else ("zh-hans", "en")
        buyer = sandbox.user(f"Buyer{n}", language_code=buyer_lang)
        supplier = sandbox.user(f"Supplier{n}", language_code=supplier_lang)
        people.append((buyer, supplier))
    referee = Referee(db)

    async def file(buyer_user: SandboxUser) -> None:
        tr = translator(catalogs, buyer_user)
        await file_claim(buyer_user, tr, SCRIPTS[tr.language], clock, 60)

    await asyncio.gather(*(file(b) for b, _ in people))
    plays = []
    for buyer, supplier in people:
        [case] = await db.cases.list_for_user(buyer.id)
        assert case.number is not None  # filed
        made = [
            Person(
                user,
                translator(catalogs, user),
                case.id,
                case.number,
                config.patience,
                config.step_limit,
            )
            for user in (buyer, supplier)
        ]
        plays.append(Play(referee, made[0], made[1], rng.choice(VARIANTS)))
    return plays


async def _killer(
    config: Config,
    rng: random.Random,
    sandbox: Sandbox,
    process: BotProcess | WorkerPool,
    finished: asyncio.Event,
    summary: Summary,
) -> None:
    """SIGKILL the bot after a random number of Bot API requests, start it again; stop once
    the plays are over or every kill is spent."""
    for _ in range(config.kills):
        target = len(sandbox.requests) + rng.randint(config.min_gap, config.max_gap)
        try:
            await sandbox.wait_until(
                lambda target=target: finished.is_set() or len(sandbox.requests) >= target, 600
            )
        except TimeoutError:
            return
        if finished.is_set():
            return
        await process.kill()
        summary.kills += 1
        await process.start()
        summary.restarts += 1


async def _drained(db: Database) -> bool:
    try:
        return await db.outbox.open_count() == 0
    except Exception:  # a read racing the writer: look again later
        return False


# Kinds of events that a case may record more than once with the same content.
REPEATABLE = frozenset({"delivery.failed"})


async def _check(db: Database, sandbox: Sandbox, case_ids: list[int], summary: Summary) -> None:
    """Every case closed, its history without duplicates and verified, every outbox row sent or
    given up with a reason, and no news delivered twice to a chat."""
    sent: Counter[tuple[int, str]] = Counter()
    # A row claimed again once its lease lapsed (its sender died) may have gone out before the
    # death: the one request between a send and `mark_sent` is at least once by design.
    relet: Counter[tuple[int, str]] = Counter()
    for case_id in case_ids:
        case = await db.cases.get(case_id)
        if case is None or case.state is not CaseState.CLOSED:
            summary.problems.append(f"case #{case_id} ended in {case and case.state}")
        else:
            summary.closed += 1
        events = await db.history.list(case_id)
        summary.events += len(events)
        contents = Counter(
            canonical_json([e.kind, e.actor_id, str(e.actor_role), e.payload])
            for e in events
            if e.kind not in REPEATABLE
        )
        summary.problems += [
            f"case #{case_id}: event twice: {c}" for c, n in contents.items() if n > 1
        ]
        summary.problems += await _deadlines_fired_once(db, case_id, events)
        if not (await db.history.verify(case_id)).ok:
            summary.problems.append(f"case #{case_id}: the hash chain does not verify")
        for row in await db.outbox.for_case(case_id):
            summary.outbox_rows += 1
            if row.status == "sent" and row.message_id is not None:
                sent[(row.chat_id, row.text)] += 1
                relet[(row.chat_id, row.text)] += row.attempts - 1
            elif not (row.status == "failed" and row.last_error):
                summary.problems.append(f"outbox row {row.id}: {asdict(row)}")
    for (chat_id, text), rows in sent.items():
        shown = sum(1 for m in sandbox.chat(chat_id).bot_messages() if m.text == text)
        if shown > rows + relet[(chat_id, text)]:
            summary.problems.append(f"chat {chat_id} got {shown}x (queued {rows}x): {text[:80]!r}")
        else:
            summary.resent += max(0, shown - rows)


async def _deadlines_fired_once(
    db: Database, case_id: int, events: list[HistoryEvent]
) -> list[str]:
    """Each fired deadline has exactly one outcome on the case's record, and no outcome is
    recorded for a deadline that did not fire."""
    async with db.engine.connect() as conn:
        kinds = (
            await conn.execute(
                select(deadlines.c.kind).where(
                    deadlines.c.case_id == case_id, deadlines.c.status == DeadlineStatus.FIRED
                )
            )
        ).scalars()
        fired = Counter(str(kind) for kind in kinds)
    outcomes: Counter[str] = Counter()
    for event in events:
        if event.kind == "deadline.passed":
            outcomes[str(event.payload.get("kind"))] += 1
        reason = str(event.payload.get("reason") or "")
        if event.kind == "case.transition" and reason.endswith(" deadline passed"):
            outcomes[reason.removesuffix(" deadline passed")] += 1
    if fired == outcomes:
        return []
    return [f"case #{case_id}: deadlines fired {dict(fired)}, outcomes {dict(outcomes)}"]
