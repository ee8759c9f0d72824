"""Every message that asks someone to act says by when, in the reader's language and zone, and
what happens if nobody acts (PRODUCT.md); a settlement by blind bidding says how it was reached.

The scripted case has an English buyer and a Chinese supplier: each is told privately in their
own language, and the shared chat gets both languages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import LINK, create_dispute_chat, invite_supplier
from bot.sandbox import Sandbox, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs, Translator
from storage import Deadline
from tests.e2e.conftest import BotHarness, press_data, translator
from tests.e2e.dispute_steps import (
    Case,
    bid,
    bid_settled_text,
    contest,
    in_negotiation,
    open_case,
    saying,
    showing,
    start_bidding,
)

Render = Callable[[Translator], str]


async def _pending(case: Case, kind: DeadlineKind) -> Deadline:
    """The case's next deadline, which must be of `kind`."""
    deadline = await case.bot.services.db.deadlines.next_for_case(case.case_id)
    assert deadline is not None and deadline.kind is kind, deadline
    return deadline


async def _told_everyone(case: Case, render: Render) -> None:
    """Each party privately in their language, and the shared chat in both."""
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(render(tr)))
    await case.buyer.wait_for(_in_both(case, render), chat=case.group)


def _in_both(case: Case, render: Render) -> Callable[[TranscriptEntry], bool]:
    return lambda e: render(case.btr) in e.text and render(case.str_) in e.text


async def test_a_request_for_a_mediator_says_by_when_one_is_assigned(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    await case.supplier.send("/mediator", chat=case.group)
    # The clock stands still: the mediator is due two working days from now.
    due = bot.services.policy.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, clock.now())

    def render(tr: Translator) -> str:
        return tr.t(
            "mediation.requested",
            number=case.number,
            by=tr.t("role.supplier"),
            due=tr.datetime(due),
        )

    await _told_everyone(case, render)
    assert await case.state() is CaseState.MEDIATION
    assert (await _pending(case, DeadlineKind.MEDIATOR_ASSIGNMENT)).due_at == due


async def test_a_blind_bid_settlement_says_so_and_a_done_obligation_says_when_to_confirm(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    await start_bidding(case)
    await asyncio.gather(bid(case, case.buyer, "1000", 1), bid(case, case.supplier, "1200", 1))
    done = case.str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    fulfilment = await _pending(case, DeadlineKind.FULFILMENT)
    midpoint = Decimal("1100.00")
    # No proposal was made: the notice names blind bidding, not a "proposal P1".
    await _told_everyone(case, lambda tr: bid_settled_text(tr, case, midpoint, fulfilment.due_at))
    assert not any("P1" in e.text for e in case.buyer.transcript() if e.from_bot)

    # The supplier marks O1 done without proof: the buyer is asked to confirm by the
    # fulfilment deadline, and told what happens if not.
    offer = await case.supplier.wait_for(showing(done))
    await case.supplier.press(done, message=offer.message_id)
    await case.supplier.wait_for(showing(case.str_.t("button.no_proof")))
    await case.supplier.press(case.str_.t("button.no_proof"))

    def render(tr: Translator) -> str:
        return tr.t(
            "obligation.done",
            number="O1",
            party=tr.t("role.supplier"),
            other=tr.t("role.buyer"),
            due=tr.datetime(fulfilment.due_at),
        )

    await case.buyer.wait_for(saying(render(case.btr)))
    await case.buyer.wait_for(_in_both(case, render), chat=case.group)


async def test_a_chat_bound_after_the_supplier_answered_is_told_the_negotiation_deadline(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, with_chat=False)
    await contest(case)
    negotiation = await _pending(case, DeadlineKind.NEGOTIATION)
    claim = await case.buyer.wait_for(showing(case.btr.t("button.create_chat")))
    group = await create_dispute_chat(sandbox, case.buyer, case.btr, claim, "PO-2026-1142")

    def render(tr: Translator) -> str:
        return tr.t("group.next_step_negotiation", due=tr.datetime(negotiation.due_at))

    await case.buyer.wait_for(_in_both(case, render), chat=group)
    # Nothing about the supplier's response, which is behind us.
    said = [e.text for e in case.buyer.transcript(group) if e.from_bot]
    supplier_step = case.btr.t("group.next_step", due="\x00").split("\x00")[0]
    assert not any(supplier_step in text for text in said), said


async def test_answering_a_withdrawn_claim_is_told_it_was_withdrawn(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    str_ = case.str_
    claim = await case.supplier.wait_for(showing(str_.t("button.counter")))
    await case.buyer.send("/withdraw")
    confirm = await case.buyer.wait_for(saying(case.btr.t("withdraw.confirm", number=case.number)))
    await case.buyer.press(case.btr.t("button.withdraw_yes"), message=confirm.message_id)
    await case.supplier.wait_for(saying(str_.t("withdraw.done", number=case.number)))

    # The claim's answers are taken off; a press on its way (the same data) is answered, and
    # not "this claim has already been answered": nobody answered it.
    await sandbox.wait_until(
        lambda: (
            not any(
                e.buttons for e in case.supplier.transcript() if e.message_id == claim.message_id
            )
        ),
        10,
    )
    data = dict(b for line in claim.buttons for b in line)
    for label in (str_.t("button.counter"), str_.t("button.contest")):
        answer = await press_data(case.supplier, claim.message_id, data[label])
        assert answer.text == str_.t("supplier.answer_withdrawn", number=case.number)
    assert await bot.services.db.proposals.list(case.case_id) == []


async def test_a_group_bound_through_the_link_is_never_told_it_is_not_linked(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    await case.buyer.send("Hello", chat=case.group)
    await case.supplier.send("/help", chat=case.group)
    await case.supplier.wait_for(lambda e: "/mediator" in e.text, chat=case.group)
    said = [e.text for e in case.buyer.transcript(case.group) if e.from_bot]
    for tr in (case.btr, case.str_):
        assert not any(tr.t("group.not_linked") in text for text in said), said


async def test_the_supplier_is_said_to_have_joined_the_chat_when_they_join_it(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(
        sandbox, buyer, btr, await buyer.wait_for(showing(btr.t("button.create_chat"))), "PO-1"
    )
    invitation = await invite_supplier(buyer, btr)
    await supplier.open_link(invitation)
    await supplier.wait_for(showing(str_.t("button.i_am_supplier")))
    await supplier.press(str_.t("button.i_am_supplier"))
    link = await supplier.wait_for(lambda e: "t.me/+" in e.text or "joinchat" in e.text)
    number = f"#{(await bot.services.db.cases.list_for_user(buyer.id))[0].id}"

    def accepted(tr: Translator) -> str:
        return tr.t("supplier.accepted", name=supplier.first_name, number=number)

    def joined(tr: Translator) -> str:
        return tr.t("supplier.joined_chat", name=supplier.first_name, number=number)

    await buyer.wait_for(lambda e: accepted(btr) in e.text and accepted(str_) in e.text, chat=group)
    assert supplier.id not in group.members
    assert not any(joined(btr) in e.text for e in buyer.transcript(group))

    url = LINK.search(link.text)
    assert url is not None
    await supplier.open_link(url.group(0))
    await buyer.wait_for(lambda e: joined(btr) in e.text and joined(str_) in e.text, chat=group)
    assert supplier.id in group.members


async def test_too_early_for_a_mediator_is_said_in_the_chat_in_both_languages(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.submitted_at is not None
    opens = stored.submitted_at + bot.services.lifecycle.buyer_mediation_after
    await case.buyer.send("/mediator", chat=case.group)
    # The supplier reads when the buyer may ask, in Chinese and in their own zone.
    await case.supplier.wait_for(
        _in_both(case, lambda tr: tr.t("mediation.too_early", opens=tr.datetime(opens))),
        chat=case.group,
    )
    assert await case.state() is CaseState.NEGOTIATION


async def test_a_prompt_to_one_person_in_the_chat_names_them_in_their_language(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    for user, tr in ((case.supplier, case.str_), (case.buyer, case.btr)):
        await user.send("/propose", chat=case.group)
        told = await user.wait_for(
            lambda e, tr=tr, user=user: e.text == tr.t("builder.in_private", name=user.first_name),
            chat=case.group,
        )
        assert told.from_bot
        await user.wait_for(showing(tr.t("outcome.partial_refund")))
