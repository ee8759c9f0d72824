"""Steps shared by the dispute end-to-end tests: a case with an English buyer and a Chinese
supplier in a shared chat, the supplier's contest, blind bidding, and small readers of what
each person saw.

Every step acts as a person would (pressing buttons by their translated labels, typing in the
private chat) and waits on conditions, never on fixed sleeps.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import (
    confirm_privately,
    create_dispute_chat,
    invite_supplier,
    supplier_accepts_invitation,
)
from bot.sandbox import CallbackAnswer, Sandbox, SandboxChat, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from storage.hashing import canonical_json
from tests.e2e.conftest import BotHarness, translator

STATEMENT = "The casings were intact when they left our warehouse; see the loading photos."
BeforeSupplier = Callable[[SandboxUser, SandboxChat], Awaitable[SandboxChat]]


@dataclass
class Case:
    """One case in the shared chat: who is who, in which language, and where."""

    bot: BotHarness
    sandbox: Sandbox
    catalogs: Catalogs
    buyer: SandboxUser
    supplier: SandboxUser
    group: SandboxChat
    case_id: int  # internal: callback data and storage look-ups
    filed_number: int = 0  # what people see and type; 0: as the id (cases made elsewhere)

    @property
    def btr(self) -> Translator:
        return translator(self.catalogs, self.buyer)

    @property
    def str_(self) -> Translator:
        return translator(self.catalogs, self.supplier)

    @property
    def number(self) -> str:
        """The case number as the bot shows it ("#1"), given when the claim was filed."""
        return f"#{self.filed_number or self.case_id}"

    def both(self, key: str, **params: object) -> str:
        """A button label in the shared chat: "English / 中文"."""
        return " / ".join([self.btr.t(key, **params), self.str_.t(key, **params)])

    async def state(self) -> CaseState:
        case = await self.bot.services.db.cases.get(self.case_id)
        assert case is not None
        return case.state


def is_head_notice(entry: TranscriptEntry) -> bool:
    """The record's head the bot posts at every milestone (flows/witness.py), in any language."""
    return entry.from_bot and ("\nFull hash: " in entry.text or "\n完整哈希值：" in entry.text)


def last_bot_entry(user: SandboxUser, chat: SandboxChat | None = None) -> TranscriptEntry:
    """The bot's last message there, other than the record's head that follows a milestone."""
    return [e for e in user.transcript(chat) if e.from_bot and not is_head_notice(e)][-1]


def showing(label: str) -> Callable[[TranscriptEntry], bool]:
    return lambda entry: label in entry.button_texts


def saying(text: str) -> Callable[[TranscriptEntry], bool]:
    return lambda entry: entry.text == text


def containing(text: str) -> Callable[[TranscriptEntry], bool]:
    return lambda entry: text in entry.text


async def open_case(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    *,
    buyer_name: str = "Anna",
    supplier_name: str = "王芳",
    title: str = "PO-2026-1142",
    with_chat: bool = True,
    group_type: str = "supergroup",
    before_supplier: BeforeSupplier | None = None,
    outcome: str = "outcome.partial_refund",
    discount: str = "10%",
    supplier_language: str = "zh-hans",
) -> Case:
    """English buyer files the scripted claim, makes the dispute chat, invites the Chinese
    supplier, who joins the chat (the case waits for the supplier's answer). Without the chat
    (`with_chat=False`), `Case.group` is the buyer's private chat and nobody uses it as a group.
    `before_supplier(buyer, group)` runs once the chat is bound, before the supplier is invited,
    and returns the group the case goes on in (a test may upgrade it to a supergroup there).
    `supplier_language` makes the supplier speak another language (English: "en"); `discount`
    is the size typed when `outcome` is a discount on a future order."""
    buyer = sandbox.user(buyer_name, language_code="en")
    supplier = sandbox.user(supplier_name, language_code=supplier_language)
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await file_claim(buyer, btr, SCRIPTS["en"], clock, outcome=outcome, discount=discount)
    group = buyer.private_chat
    if with_chat:
        group = await create_dispute_chat(
            sandbox, buyer, btr, last_bot_entry(buyer), title, group_type=group_type
        )
        if before_supplier is not None:
            group = await before_supplier(buyer, group)
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, str_, invitation, group if with_chat else None)
    if not with_chat:
        await supplier.wait_for(showing(str_.t("button.contest")))
    else:
        # The supplier's join rewrites the pinned claim in both languages; wait for it, so
        # that what a test does next (such as upgrading the group) does not race it.
        label = " / ".join(dict.fromkeys([btr.t("button.my_actions"), str_.t("button.my_actions")]))
        await sandbox.wait_until(
            lambda: any(
                group.messages[pinned].callback_data_for(label) for pinned in sandbox.pinned(group)
            ),
            10,
        )
    cases = await bot.services.db.cases.list_for_user(buyer.id)
    case = max(cases, key=lambda c: c.id)
    if with_chat:
        # The join is two updates of the group (the member change, then the service message
        # that puts "chat.joined" on the record): a test that compares the record from here
        # on must not see the second one land late.
        await recorded(
            bot, case.id, lambda kind, actor: kind == "chat.joined" and actor == supplier.id
        )
    assert case.number is not None  # filed
    return Case(bot, sandbox, catalogs, buyer, supplier, group, case.id, case.number)


async def recorded(
    bot: BotHarness, case_id: int, match: Callable[[str, int | None], bool], tries: int = 500
) -> None:
    """Wait until an event that `match`es (kind, actor id) is on the case's record; looks every
    20 ms, TimeoutError after `tries` looks (10 s)."""
    for _ in range(tries):
        events = await bot.services.db.history.list(case_id)
        if any(match(e.kind, e.actor_id) for e in events):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no matching event on the record of case {case_id}")


async def contest(case: Case, statement: str = STATEMENT) -> None:
    """The supplier contests the claim with a written statement: the case is in negotiation."""
    str_ = case.str_
    await case.supplier.press(str_.t("button.contest"))
    await case.supplier.wait_for(saying(str_.t("supplier.ask_contest")))
    await case.supplier.send(statement)
    await case.supplier.wait_for(containing(statement))
    await case.buyer.wait_for(containing(statement))


async def in_negotiation(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> Case:
    case = await open_case(bot, sandbox, catalogs, clock)
    await contest(case)
    assert await case.state() is CaseState.NEGOTIATION
    return case


def ask_text(case: Case, user: SandboxUser, round_no: int) -> str:
    """The private prompt for a figure (round `round_no`), in `user`'s language."""
    tr = translator(case.catalogs, user)
    key = "bids.ask_buyer" if user is case.buyer else "bids.ask_supplier"
    return tr.t(key, round=round_no, currency="USD", paid=tr.money(Decimal("4250"), "USD"))


async def start_bidding(case: Case) -> None:
    """The buyer offers blind bidding, the supplier joins: both are asked for round 1."""
    str_ = case.str_
    await case.buyer.send("/blindbid")
    join = str_.t("button.bids_join")
    offer = await case.supplier.wait_for(showing(join))
    await case.supplier.press(join, message=offer.message_id)
    await case.buyer.wait_for(saying(ask_text(case, case.buyer, 1)))
    await case.supplier.wait_for(saying(ask_text(case, case.supplier, 1)))


async def bid(case: Case, user: SandboxUser, figure: str, round_no: int) -> None:
    """`user` types a figure in the private chat; the bot says it is recorded."""
    tr = translator(case.catalogs, user)
    await user.send(figure)
    await user.wait_for(saying(tr.t("bids.recorded", round=round_no)))


async def bid_round(case: Case, buyer_figure: str, supplier_figure: str, round_no: int) -> None:
    await bid(case, case.buyer, buyer_figure, round_no)
    await bid(case, case.supplier, supplier_figure, round_no)


def figure_spellings(catalogs: Catalogs, figures: Sequence[str]) -> set[str]:
    """Every way a figure could be shown: raw, with decimals, and formatted in each locale."""
    spellings: set[str] = set()
    for figure in figures:
        amount = Decimal(figure)
        spellings |= {figure, f"{amount:.2f}", f"{amount:,}", f"{amount:,.2f}"}
        for language in ("en", "zh_Hans"):
            tr = catalogs.translator(language)
            spellings |= {tr.money(amount, "USD"), tr.number(amount)}
    return spellings


async def history_json(bot: BotHarness, case_id: int) -> list[str]:
    """The canonical JSON of every history event of the case, every field of it."""
    events = await bot.services.db.history.list(case_id)
    return [canonical_json(asdict(event)) for event in events]


def settled_text(
    tr: Translator, case: Case, proposal: str, by: str, amount: Decimal, due: datetime
) -> str:
    """The settlement notice with one refund obligation (O1, by the supplier, due at `due`, as
    is the fulfilment deadline the notice names)."""
    return tr.t(
        "settlement.reached",
        case=case.number,
        number=proposal,
        by=tr.t(by),
        obligations=_refund_duty(tr, amount, due),
        due=tr.datetime(due),
    )


def bid_settled_text(tr: Translator, case: Case, amount: Decimal, due: datetime) -> str:
    """The notice of a settlement reached by blind bidding (no proposal was made)."""
    return tr.t(
        "settlement.reached_blind_bid",
        case=case.number,
        amount=tr.money(amount, "USD"),
        obligations=_refund_duty(tr, amount, due),
        due=tr.datetime(due),
    )


def _refund_duty(tr: Translator, amount: Decimal, due: datetime) -> str:
    """O1: the supplier refunds `amount` by `due`."""
    return tr.t(
        "obligation.refund",
        number="O1",
        party=tr.t("role.supplier"),
        amount=tr.money(amount, "USD"),
        due=tr.datetime(due),
    )


def bilingual(case: Case, key: str, **params: object) -> Callable[[TranscriptEntry], bool]:
    """A bot message of the shared chat that carries `key` in both languages."""

    def match(entry: TranscriptEntry) -> bool:
        return case.btr.t(key, **params) in entry.text and case.str_.t(key, **params) in entry.text

    return match


def leaked(entries: Sequence[TranscriptEntry], spellings: set[str]) -> list[tuple[str, str]]:
    """(spelling, text) for every bot message (text or button) that shows one of `spellings`
    as a number of its own (not inside a longer number or a random token)."""
    found: list[tuple[str, str]] = []
    patterns = {
        s: re.compile(rf"(?<![0-9A-Za-z.,]){re.escape(s)}(?![0-9A-Za-z])") for s in spellings
    }
    for entry in entries:
        if not entry.from_bot:
            continue
        shown = "\n".join([entry.text, *entry.button_texts])
        for spelling, pattern in patterns.items():
            if pattern.search(shown):
                found.append((spelling, shown))
    return found


async def after_pending_updates(user: SandboxUser, chat: SandboxChat) -> None:
    """Wait until the bot has handled everything sent in `chat` so far.

    Updates of one chat are handled in order, so `user` sends a command there that the bot
    always answers in `user`'s private chat (/withdraw: a question for the buyer, a refusal for
    anyone else, nothing changed either way) and waits for that answer.
    """
    private = user.private_chat
    before = len(private.bot_messages())
    await user.send("/withdraw", chat=chat)
    await user.sandbox.wait_until(lambda: len(private.bot_messages()) > before)


async def accept_request(supplier: SandboxUser, tr: Translator) -> CallbackAnswer:
    """The supplier accepts the buyer's request and confirms it."""
    await supplier.press(tr.t("button.accept_request"))
    return await confirm_privately(supplier, tr.t("button.accept_request_yes"))


async def stays_closed_fulfilled(bot: BotHarness, case_id: int, clock: FrozenClock) -> None:
    """The case is closed as fulfilled with no fulfilment deadline left, and a sweep 30 days
    on leaves it so (nothing makes it lapse as "not fulfilled"); its record verifies."""
    db = bot.services.db
    closed = await db.cases.get(case_id)
    assert closed is not None and closed.state is CaseState.CLOSED
    assert closed.closed_reason is ClosingReason.FULFILLED
    pending = await db.deadlines.pending_for_case(case_id)
    assert DeadlineKind.FULFILMENT not in [d.kind for d in pending]
    clock.advance(timedelta(days=30))
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)
    after = await db.cases.get(case_id)
    assert after is not None and after.closed_reason is ClosingReason.FULFILLED
    assert (await db.history.verify(case_id)).ok
