"""Nobody is shown a button that is only for the other party, and marking done is answered.

"O1 done" belongs to the obligated party: privately only they get it; in the shared chat,
which both parties read, each button names whose obligation it is, in both languages.
"""

from __future__ import annotations

from bot.demo_dispute import JPEG_RECEIPT
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import accept_request, containing, open_case, saying, showing


async def test_only_the_obligated_party_gets_the_done_button_and_the_chat_names_whose_it_is(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await accept_request(case.supplier, str_)  # O1: the supplier's refund

    mine = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(mine))
    settled = btr.t(
        "settlement.reached", case=case.number, number="P1", by="\x00", obligations="", due=""
    )
    notice = await case.buyer.wait_for(containing(settled.split("\x00")[0]))
    assert notice.buttons == []  # the buyer owes nothing here, so has nothing to mark done

    label = " / ".join(
        [
            btr.t("button.mark_done_by", number="O1", party=btr.t("role.supplier")),
            str_.t("button.mark_done_by", number="O1", party=str_.t("role.supplier")),
        ]
    )
    in_chat = await case.buyer.wait_for(showing(label), chat=case.group)
    assert in_chat.button_texts == [label]
    assert "O1 done (the supplier)" in label and "O1 已完成（供应商）" in label


async def test_the_party_who_marks_done_is_told_it_was_received_and_who_confirms_by_when(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    str_ = case.str_
    await accept_request(case.supplier, str_)
    mine = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(mine))  # settled
    [deadline] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert deadline.kind is DeadlineKind.FULFILMENT

    await case.supplier.press(mine)
    await case.supplier.wait_for(showing(str_.t("button.no_proof")))
    await case.supplier.send_photo(JPEG_RECEIPT, caption="退款回单")
    received = str_.t(
        "obligation.done_ack_proof",
        number="O1",
        proof="E3",
        other=str_.t("role.buyer"),
        due=str_.datetime(deadline.due_at),
    )
    assert "已收到" in received and "未履行" in received
    await case.supplier.wait_for(saying(received))
