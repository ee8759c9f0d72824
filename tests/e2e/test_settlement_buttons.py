"""Nobody is shown a button that is only for the other party.

"O1 done" belongs to the obligated party: privately only they get it; in the shared chat,
which both parties read, each button names whose obligation it is, in both languages.
"""

from __future__ import annotations

from bot.clock import FrozenClock
from bot.demo_dispute import accept_request
from bot.i18n import Catalogs
from bot.sandbox import Sandbox
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import containing, open_case, showing


async def test_only_the_obligated_party_gets_the_done_button_and_the_chat_names_whose_it_is(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await accept_request(case.supplier, str_)  # O1: the supplier's refund

    mine = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(mine))
    settled = btr.t("settlement.reached", case=case.number, number="P1", by="\x00", obligations="")
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
