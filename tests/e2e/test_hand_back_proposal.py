"""A mediator who hands the case back takes their open proposal with them: it is withdrawn
in the hand-back's transaction, its Accept / Reject buttons come off every copy (the
stale-button rules), the parties are told (English and Chinese), and a press on it afterwards,
even one already half-accepted, gets "no longer open" and settles nothing."""

from __future__ import annotations

from bot.demo_dispute import accept_proposal
from bot.sandbox import Sandbox
from flows.callbacks import MediatorProposalAccept, MediatorProposalConfirm, encode
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, eventually, press_data
from tests.e2e.dispute_steps import saying
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat with Li, Maria
from tests.e2e.test_mediator_proposal import _made, _propose, _taken_by_maria


async def test_handing_back_withdraws_the_mediators_open_proposal(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _taken_by_maria(bot, sandbox, catalogs, clock)
    await _propose(bot, case, maria, mtr)
    btr, str_ = case.btr, case.str_
    await accept_proposal(case.supplier, str_, "P1")  # the first acceptance: the buyer's awaited
    [stored] = await bot.services.db.proposals.list(case.case_id)
    confirm = case.supplier.private_chat.bot_messages()[-1]

    await maria.send(f"/handback {case.filed_number} I know the supplier's director")
    await maria.wait_for(saying(mtr.t("pool.handed_back", number=case.number)))
    [withdrawn] = await bot.services.db.proposals.list(case.case_id)
    assert withdrawn.status == "withdrawn" and withdrawn.decided_by == maria.id
    events = await bot.services.db.history.list(case.case_id)
    assert [e.payload for e in events if e.kind == "proposal.withdrawn"] == [
        {"number": 1, "reason": "handed back"}
    ]
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [assignment] = [d for d in pending if d.kind is DeadlineKind.MEDIATOR_ASSIGNMENT]
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        news = tr.t("pool.handed_back_news", number=case.number, due=tr.datetime(assignment.due_at))
        gone = tr.t("mproposal.withdrawn_handed_back", number="P1")
        await user.wait_for(saying(f"{news}\n\n{gone}"))

    # Its buttons come off every copy: the parties' private ones and the dispute chat's.
    copies = [
        (user.private_chat, e.message_id)
        for user, tr in ((case.buyer, btr), (case.supplier, str_))
        for e in user.transcript()
        if e.from_bot and _made(tr, case) in e.text
    ]
    copies += [
        (case.group, e.message_id)
        for e in case.buyer.transcript(case.group)
        if e.from_bot and _made(btr, case) in e.text
    ]
    assert len(copies) == 3

    async def taken_off() -> bool:
        return not any(chat.messages[m].message.get("reply_markup") for chat, m in copies)

    await eventually(taken_off)

    # A press afterwards (an old client, a forged press): no longer open, nothing settles.
    made = next(m for chat, m in copies if chat is case.buyer.private_chat)
    answer = await press_data(case.buyer, made, encode(MediatorProposalAccept(stored.id)))
    assert answer.show_alert and answer.text == btr.t("proposal.closed", number="P1")
    answer = await press_data(
        case.supplier, confirm.message_id, encode(MediatorProposalConfirm(stored.id))
    )
    assert answer.show_alert and answer.text == str_.t("proposal.closed", number="P1")
    assert await case.state() is CaseState.MEDIATION
    assert await bot.services.db.obligations.list(case.case_id) == []
    assert (await bot.services.db.history.verify(case.case_id)).ok
