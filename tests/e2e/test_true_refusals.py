"""Refusals say the real reason (issue 8, point 5), in English and in Chinese.

A stranger's /propose in another case's dispute chat is told whose chat it is, not "I have sent
you a private message" (and nothing is sent or started privately), even when the stranger has
a case of their own. A counter-proposal on a withdrawn case is told that the claim was
withdrawn, not "this claim has already been answered" nor "at this stage": pressing "Counter"
again, sending a proposal that was being built when the buyer withdrew, and /propose in the
chat.
"""

from __future__ import annotations

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import create_dispute_chat
from bot.sandbox import Sandbox, TranscriptEntry
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, press_data, translator
from tests.e2e.dispute_steps import containing, last_bot_entry, open_case, saying, showing


@pytest.mark.parametrize("language_code", ["en", "zh-hans"])
async def test_a_strangers_propose_in_another_cases_chat_is_told_whose_chat_it_is(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language_code: str
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    eve = sandbox.user("Eve", language_code=language_code)
    btr, etr = translator(catalogs, buyer), translator(catalogs, eve)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-2026-1142")
    # Eve has a case of her own (#2), so a /propose of hers in private would be about it.
    await file_claim(eve, etr, SCRIPTS["en" if language_code == "en" else "zh_Hans"], clock)
    sandbox.faults.inject("banChatMember", "400", reason="not enough rights")
    _, leaked = await sandbox.call("createChatInviteLink", {"chat_id": group.id})
    await eve.open_link(leaked["result"]["invite_link"])
    await buyer.wait_for(
        lambda e: btr.t("group.stranger_not_removed", name="Eve") in e.text, chat=group
    )
    private_before = len(eve.bot_texts())

    await eve.send("/propose", chat=group)
    await eve.wait_for(saying(etr.t("help.group.stranger", number="#1")), chat=group)
    await eve.send("/propose 1", chat=group)
    await eve.sandbox.wait_until(
        lambda: eve.bot_texts(group).count(etr.t("help.group.stranger", number="#1")) == 2
    )

    in_private = etr.t("builder.in_private", name="Eve")
    assert not any(in_private in text for text in eve.bot_texts(group))
    assert len(eve.bot_texts()) == private_before  # nothing was sent to her privately
    pending = await bot.services.db.inputs.get(eve.id, eve.id)
    assert pending is None or pending.kind != "proposal"
    assert await bot.services.db.proposals.list(1) == []


def _data(entry: TranscriptEntry, label: str) -> str:
    return next(data for line in entry.buttons for text, data in line if text == label)


@pytest.mark.parametrize("supplier_language", ["en", "zh-hans"])
async def test_a_counter_proposal_on_a_withdrawn_case_is_told_it_was_withdrawn(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    supplier_language: str,
) -> None:
    case = await open_case(
        bot, sandbox, catalogs, clock, supplier_language=supplier_language, supplier_name="Wang"
    )
    str_ = case.str_
    claim = await case.supplier.wait_for(showing(str_.t("button.counter")))
    # The supplier starts a counter-proposal...
    await case.supplier.press(str_.t("button.counter"), message=claim.message_id)
    await case.supplier.wait_for(showing(str_.t("outcome.partial_refund")))
    await case.supplier.press(str_.t("outcome.partial_refund"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.partial")))
    await case.supplier.send("800")
    ready = await case.supplier.wait_for(showing(str_.t("button.send_proposal")))
    send_data = _data(ready, str_.t("button.send_proposal"))
    counter_data = _data(claim, str_.t("button.counter"))
    # ...and the buyer withdraws the claim meanwhile.
    await case.buyer.send("/withdraw")
    confirm = await case.buyer.wait_for(saying(case.btr.t("withdraw.confirm", number=case.number)))
    await case.buyer.press(case.btr.t("button.withdraw_yes"), message=confirm.message_id)
    await case.supplier.wait_for(saying(str_.t("withdraw.done", number=case.number)))

    withdrawn = str_.t("builder.not_now_withdrawn", number=case.number)
    # Their buttons come off (the case closed), but a press may already be on its way.
    await press_data(case.supplier, ready.message_id, send_data)
    await case.supplier.wait_for(saying(withdrawn))
    answer = await press_data(case.supplier, claim.message_id, counter_data)
    assert answer.text == str_.t("supplier.answer_withdrawn", number=case.number)
    await case.supplier.send("/propose", chat=case.group)
    await case.supplier.wait_for(saying(withdrawn), chat=case.group)

    said = case.supplier.bot_texts() + case.supplier.bot_texts(case.group)
    for wrong in (
        str_.t("supplier.already_answered"),
        str_.t("builder.not_now", number=case.number),
        str_.t("builder.in_private", name="Wang"),
    ):
        assert not any(wrong in text for text in said), wrong
    assert await bot.services.db.proposals.list(case.case_id) == []
    assert withdrawn in said
    assert any(containing(withdrawn)(e) for e in case.supplier.transcript(case.group))
