"""The ways a case goes after the supplier joined: accepting the request, contesting, a
disputed fulfilment, asking for a mediator, withdrawal, a party who blocked the bot, a chat
the bot cannot record yet, and the record of everything said in the shared chat.

An English buyer and a Chinese supplier, each reading the bot in their own language; the
shared chat carries both.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from bot.demo import JPEG, SCRIPTS, file_claim
from bot.demo_dispute import button_url
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, press_data, translator
from tests.e2e.dispute_steps import (
    STATEMENT,
    Case,
    accept_request,
    after_pending_updates,
    containing,
    contest,
    in_negotiation,
    last_bot_entry,
    open_case,
    saying,
    settled_text,
    showing,
)

ADMIN = ["change_info", "delete_messages", "restrict_members", "invite_users", "pin_messages"]


async def _pending_kinds(bot: BotHarness, case_id: int) -> list[DeadlineKind]:
    return [d.kind for d in await bot.services.db.deadlines.pending_for_case(case_id)]


async def _told(
    case: Case, key: str, by: str | None = None, due: datetime | None = None, **params: object
) -> None:
    """Both parties are told privately, and the shared chat in both languages; `by` is the
    catalog key of a role, named in each reader's language, and `due` a time in their zone."""

    def text(tr: Translator) -> str:
        named = {"by": tr.t(by)} if by else {}
        dated = {"due": tr.datetime(due)} if due else {}
        return tr.t(key, **params, **named, **dated)

    await case.buyer.wait_for(saying(text(case.btr)))
    await case.supplier.wait_for(saying(text(case.str_)))
    await case.buyer.wait_for(
        lambda e: text(case.btr) in e.text and text(case.str_) in e.text, chat=case.group
    )


NOT_DONE_REASON = "No refund has reached our account; the bank shows nothing."


async def _not_done(case: Case, message_id: int) -> None:
    """The buyer says O1 was not done: asked why, they type the reason."""
    btr = case.btr
    await case.buyer.press(btr.t("button.not_done"), message=message_id)
    await case.buyer.wait_for(saying(btr.t("obligation.ask_not_done", number="O1", max=500)))
    await case.buyer.send(NOT_DONE_REASON)


def _assignment_due(bot: BotHarness, clock: FrozenClock) -> datetime:
    """When a mediator is due if the case goes to mediation now (the clock stands still)."""
    return bot.services.policy.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, clock.now())


async def _accept_request(case: Case) -> None:
    await accept_request(case.supplier, case.str_)


async def test_supplier_accepts_the_request_and_the_case_settles_on_the_claim(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    db = bot.services.db
    [response] = await db.deadlines.pending_for_case(case.case_id)
    assert response.kind is DeadlineKind.SUPPLIER_RESPONSE

    await _accept_request(case)
    due = clock.now() + timedelta(days=7)
    amount = Decimal("1020.00")  # the partial refund the English script asks for
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(settled_text(tr, case, "P1", "role.supplier", amount, due)))
    await case.buyer.wait_for(
        lambda e: settled_text(case.str_, case, "P1", "role.supplier", amount, due) in e.text,
        chat=case.group,
    )

    assert await case.state() is CaseState.SETTLED
    [duty] = await db.obligations.list(case.case_id)
    assert (duty.party_role, duty.kind, duty.amount, duty.currency, duty.status) == (
        "supplier",
        "refund",
        amount,
        "USD",
        "pending",
    )
    [proposal] = await db.proposals.list(case.case_id)
    assert proposal.status == "accepted" and proposal.source == "claim"
    closed = await db.deadlines.get(response.id)
    assert closed is not None and closed.status == "met"
    assert await _pending_kinds(bot, case.case_id) == [DeadlineKind.FULFILMENT]
    # The answer is given once: the buttons do nothing any more.
    again = await case.supplier.press(case.str_.t("button.contest"))
    assert again.text == case.str_.t("supplier.already_answered")
    assert await case.state() is CaseState.SETTLED


async def test_supplier_contests_and_negotiation_ends_by_day_eight(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    db = bot.services.db
    # The supplier answers on day 3: seven more days would go past day 8 after filing.
    clock.advance(timedelta(days=2))
    await contest(case)
    assert await case.state() is CaseState.NEGOTIATION

    stored = await db.cases.get(case.case_id)
    assert stored is not None and stored.submitted_at is not None
    [deadline] = await db.deadlines.pending_for_case(case.case_id)
    assert deadline.kind is DeadlineKind.NEGOTIATION
    assert clock.now() < deadline.due_at <= stored.submitted_at + timedelta(days=8)

    # The buyer and the shared chat read the statement, with the deadline in each language.
    params = {"statement": STATEMENT, "number": case.number}
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        text = tr.t("supplier.contested", due=tr.datetime(deadline.due_at), **params)
        await user.wait_for(saying(text))
        await case.buyer.wait_for(containing(text), chat=case.group)
    events = await db.history.list(case.case_id)
    [response] = [
        e for e in events if e.kind == "case.transition" and e.payload.get("to") == "negotiation"
    ]
    assert response.payload["statement"] == STATEMENT and response.actor_role == "supplier"


async def test_buyer_says_an_obligation_was_not_done_and_the_case_goes_to_mediation(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await _accept_request(case)
    done = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    await case.supplier.press(done)
    await case.supplier.wait_for(saying(str_.t("obligation.ask_proof", number="O1")))
    await case.supplier.press(str_.t("button.no_proof"))

    [fulfilment] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    marked = btr.t(
        "obligation.done",
        number="O1",
        party=btr.t("role.supplier"),
        other=btr.t("role.buyer"),
        due=btr.datetime(fulfilment.due_at),
    )
    question = await case.buyer.wait_for(saying(marked))
    assert question.button_texts == [btr.t("button.confirm_done"), btr.t("button.not_done")]
    await _not_done(case, question.message_id)

    await _told(
        case,
        "mediation.waiting_fulfilment",
        "role.buyer",
        _assignment_due(bot, clock),
        number=case.number,
        obligation="O1",
        reason=NOT_DONE_REASON,
    )
    assert await case.state() is CaseState.MEDIATION
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "disputed" and duty.disputed_by == case.buyer.id
    assert duty.dispute_reason == NOT_DONE_REASON
    assert await _pending_kinds(bot, case.case_id) == [DeadlineKind.MEDIATOR_ASSIGNMENT]


async def test_supplier_may_ask_for_a_mediator_at_once(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    await case.supplier.send("/mediator")
    await _told(
        case,
        "mediation.requested",
        "role.supplier",
        _assignment_due(bot, clock),
        number=case.number,
    )
    assert await case.state() is CaseState.MEDIATION
    assert await _pending_kinds(bot, case.case_id) == [DeadlineKind.MEDIATOR_ASSIGNMENT]


async def test_buyer_may_ask_for_a_mediator_from_day_four(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr = case.btr
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.submitted_at is not None
    opens = stored.submitted_at + timedelta(days=3)

    await case.buyer.send("/mediator")
    await case.buyer.wait_for(saying(btr.t("mediation.too_early", opens=btr.datetime(opens))))
    assert await case.state() is CaseState.NEGOTIATION

    clock.advance(timedelta(days=3, minutes=1))
    await case.buyer.send("/mediator")
    await _told(
        case, "mediation.requested", "role.buyer", _assignment_due(bot, clock), number=case.number
    )
    assert await case.state() is CaseState.MEDIATION


async def test_buyer_withdraws_and_the_supplier_is_told(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await case.supplier.send("/withdraw")
    await case.supplier.wait_for(saying(str_.t("withdraw.buyer_only")))
    assert await case.state() is CaseState.NEGOTIATION

    await case.buyer.send("/withdraw")
    confirm = await case.buyer.wait_for(saying(btr.t("withdraw.confirm", number=case.number)))
    assert btr.t("button.withdraw_yes") in confirm.button_texts
    await case.buyer.press(btr.t("button.withdraw_yes"), message=confirm.message_id)

    await _told(case, "withdraw.done", number=case.number)
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.CLOSED and stored.closed_at
    assert await _pending_kinds(bot, case.case_id) == []


async def test_a_proposal_reaches_the_shared_chat_when_the_other_party_blocked_the_bot(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    case.supplier.block_bot()

    await case.buyer.send("/propose")
    await case.buyer.wait_for(showing(btr.t("outcome.partial_refund")))
    await case.buyer.press(btr.t("outcome.partial_refund"))
    await case.buyer.wait_for(saying(btr.t("builder.ask.partial")))
    await case.buyer.send("2100")
    await case.buyer.wait_for(showing(btr.t("button.send_proposal")))
    await case.buyer.press(btr.t("button.send_proposal"))
    await case.buyer.wait_for(saying(btr.t("builder.sent", number="P1")))

    shown = await case.buyer.wait_for(
        lambda e: btr.money(Decimal("2100"), "USD") in e.text, chat=case.group
    )
    assert str_.money(Decimal("2100"), "USD") in shown.text
    assert case.both("button.accept") in shown.button_texts
    [proposal] = await bot.services.db.proposals.list(case.case_id)
    assert proposal.status == "open" and proposal.author_role == "buyer"
    events = await bot.services.db.history.list(case.case_id)
    failed = [e.payload for e in events if e.kind == "delivery.failed"]
    assert {"to": case.supplier.id, "role": "supplier", "error": "Forbidden"} in failed


async def test_a_chat_without_admin_rights_is_not_recorded_until_the_bot_is_promoted(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    [stored] = await bot.services.db.cases.list_for_user(buyer.id)
    link = button_url(last_bot_entry(buyer), btr.t("button.create_chat"))
    plain = re.sub(r"&admin=[^&]*", "", link)
    assert "admin=" in link and "admin=" not in plain
    group = sandbox.group("PO-2026-1142", creator=buyer)
    await buyer.open_link(plain, group=group)

    await buyer.wait_for(saying(btr.t("group.cannot_record")), chat=group)
    # Nothing the bot said there claims that the chat is recorded.
    said = [e.text for e in buyer.transcript(group) if e.from_bot]
    assert not any(btr.t("group.recorded") in text for text in said), said
    assert not any("recorded in the case file" in text for text in said), said
    chat = await bot.services.db.chats.for_case(stored.id)
    assert chat is not None and chat.chat_id == group.id and chat.can_record is False

    await buyer.set_bot_rights(group, ADMIN)
    await buyer.wait_for(saying(btr.t("group.recording_on")), chat=group)
    chat = await bot.services.db.chats.for_case(stored.id)
    assert chat is not None and chat.can_record is True

    await buyer.send("Now it is on the record.", chat=group)
    await after_pending_updates(buyer, group)
    events = await bot.services.db.history.list(stored.id)
    said = [(e.kind, e.actor_role, e.payload.get("text")) for e in events]
    assert ("chat.message", "buyer", "Now it is on the record.") in said
    # (A chat is bound as not recorded; the event marks the change.)
    flags = [e.payload["can_record"] for e in events if e.kind == "chat.recording"]
    assert flags == [True]


async def test_every_message_of_the_shared_chat_is_recorded_with_its_authors_role(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    buyer, supplier, group = case.buyer, case.supplier, case.group
    sent = await buyer.send("The casings cracked in transit?", chat=group)
    await supplier.send("我们正在核实装箱照片。", chat=group)
    await buyer.edit(sent, "Did the casings crack in transit?", chat=group)
    await supplier.send_photo(JPEG, caption="装箱照片", chat=group)
    await after_pending_updates(supplier, group)

    events = await bot.services.db.history.list(case.case_id)
    chat_events = [e for e in events if e.kind.startswith("chat.") and "text" in e.payload]
    said = {(e.kind, e.actor_role, e.actor_id, e.payload["text"]) for e in chat_events}
    assert ("chat.message", "buyer", buyer.id, "The casings cracked in transit?") in said
    assert ("chat.message", "supplier", supplier.id, "我们正在核实装箱照片。") in said
    assert ("chat.edit", "buyer", buyer.id, "Did the casings crack in transit?") in said
    [photo] = [e for e in chat_events if e.kind == "chat.file"]
    assert photo.actor_role == "supplier" and photo.payload["text"] == "装箱照片"
    assert photo.payload["file"]["kind"] == "photo"
    [edit] = [e for e in chat_events if e.kind == "chat.edit"]
    assert edit.payload["message_id"] == sent["message_id"]
    assert edit.payload["chat_id"] == group.id
    assert (await bot.services.db.history.verify(case.case_id)).ok


async def test_after_a_disputed_obligation_the_settlement_buttons_do_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await _accept_request(case)
    done = str_.t("button.mark_done", number="O1")
    settlement = await case.supplier.wait_for(showing(done))
    await case.supplier.press(done, message=settlement.message_id)
    await case.supplier.wait_for(showing(str_.t("button.no_proof")))
    await case.supplier.press(str_.t("button.no_proof"))
    question = await case.buyer.wait_for(showing(btr.t("button.not_done")))
    confirm_data = dict(question.buttons[0])[btr.t("button.confirm_done")]
    done_data = dict(b for line in settlement.buttons for b in line)[done]
    await _not_done(case, question.message_id)
    await _told(
        case,
        "mediation.waiting_fulfilment",
        "role.buyer",
        _assignment_due(bot, clock),
        number=case.number,
        obligation="O1",
        reason=NOT_DONE_REASON,
    )
    assert await case.state() is CaseState.MEDIATION

    # In mediation the settlement's buttons decide nothing any more: the mediator takes over.
    # They are taken off; a press that was on its way (the same data) is still answered.
    await sandbox.wait_until(
        lambda: (
            not any(
                e.buttons
                for user, message in ((case.supplier, settlement), (case.buyer, question))
                for e in user.transcript()
                if e.message_id == message.message_id
            )
        ),
        10,
    )
    answer = await press_data(case.supplier, settlement.message_id, done_data)
    assert answer.text == str_.t("obligation.case_moved")
    answer = await press_data(case.buyer, question.message_id, confirm_data)
    assert answer.text == btr.t("obligation.case_moved")
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "disputed"
    assert await case.state() is CaseState.MEDIATION


async def test_a_proposal_cannot_be_sent_after_the_case_was_withdrawn(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    # The supplier has a proposal ready to send ...
    await case.supplier.send("/propose")
    await case.supplier.wait_for(showing(str_.t("outcome.partial_refund")))
    await case.supplier.press(str_.t("outcome.partial_refund"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.partial")))
    await case.supplier.send("700")
    ready = await case.supplier.wait_for(showing(str_.t("button.send_proposal")))
    # ... when the buyer withdraws the claim.
    await case.buyer.send("/withdraw")
    confirm = await case.buyer.wait_for(saying(btr.t("withdraw.confirm", number=case.number)))
    await case.buyer.press(btr.t("button.withdraw_yes"), message=confirm.message_id)
    await _told(case, "withdraw.done", number=case.number)
    assert await case.state() is CaseState.CLOSED

    # Its buttons come off (the case closed), but a press may already be on its way.
    send = str_.t("button.send_proposal")
    send_data = next(data for line in ready.buttons for text, data in line if text == send)
    await press_data(case.supplier, ready.message_id, send_data)
    # (The supplier's chat is handled in order: once /case is answered, so was the press.)
    await case.supplier.send(f"/case {case.case_id}")
    await case.supplier.wait_for(lambda e: e.text.startswith(f"{case.number} · "))
    assert not any(btr.money(Decimal("700"), "USD") in e.text for e in case.buyer.transcript())
    assert await bot.services.db.proposals.list(case.case_id) == []
    assert await case.state() is CaseState.CLOSED
