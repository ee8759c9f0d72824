"""The record tells the truth: a stranger's words in the dispute chat are on the record as a
stranger's (their Telegram id and name), not the system's; a file that is already evidence of
the case is refused with its number wherever it is offered again (the claim form, /evidence in
the shared chat, proof of fulfilment), in the reader's language, and nothing else is lost.
"""

from __future__ import annotations

import pytest

from bot.demo import JPEG, PDF, SCRIPTS, add_evidence, answer_questions, file_claim
from bot.demo_dispute import JPEG_RECEIPT, create_dispute_chat
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import (
    accept_request,
    after_pending_updates,
    containing,
    last_bot_entry,
    open_case,
    saying,
    showing,
)

PACKING_LIST = b"\xff\xd8\xff\xe0packing list, carton 7\xff\xd9"


async def test_a_strangers_words_are_on_the_record_as_a_strangers(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    cousin = sandbox.user("小明", language_code="zh-hans")
    btr = translator(catalogs, buyer)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-2026-1142")
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    # A relative comes in through a leaked link while Telegram refuses to remove him (a group
    # with someone else already in it is never bound: tests/e2e/test_bind_strangers.py).
    sandbox.faults.inject("banChatMember", "400", reason="not enough rights")
    _, leaked = await sandbox.call("createChatInviteLink", {"chat_id": group.id})
    await cousin.open_link(leaked["result"]["invite_link"])
    await buyer.wait_for(containing(btr.t("group.stranger_not_removed", name="小明")), chat=group)

    said = await cousin.send("我是供应商的表弟，货没问题。", chat=group)
    await cousin.edit(said, "我是供应商的亲戚，货没问题。", chat=group)
    await cousin.send_photo(b"\xff\xd8\xff\xe0a cousin's photo\xff\xd9", chat=group)
    await buyer.send("Who are you?", chat=group)
    # Someone else comes in through a leaked link; the bot removes them.
    eve = sandbox.user("Eve", language_code="en")
    _, created = await sandbox.call("createChatInviteLink", {"chat_id": group.id})
    await eve.open_link(created["result"]["invite_link"])
    await buyer.wait_for(containing(btr.t("group.stranger_removed", name="Eve")), chat=group)
    await after_pending_updates(buyer, group)

    events = await bot.services.db.history.list(case.id)
    strangers = [
        (e.kind, e.actor_role, e.actor_id, e.payload.get("author", e.payload.get("name")))
        for e in events
        if e.actor_id in (cousin.id, eve.id)
    ]
    assert strangers == [
        ("chat.joined", "stranger", cousin.id, "小明"),
        ("chat.message", "stranger", cousin.id, "小明"),
        ("chat.edit", "stranger", cousin.id, "小明"),
        ("chat.file", "stranger", cousin.id, "小明"),
        ("chat.joined", "stranger", eve.id, "Eve"),
    ]
    said_by = {e.payload.get("text"): e.actor_role for e in events if e.kind == "chat.message"}
    assert said_by["Who are you?"] == "buyer"
    # The system speaks only for itself: never in the name of a person.
    assert all(e.actor_id is None for e in events if e.actor_role == "system")
    assert (await bot.services.db.history.verify(case.id)).ok


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
async def test_the_same_file_twice_in_the_claim_form_is_refused_with_its_number(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language: str
) -> None:
    buyer = sandbox.user("Anna" if language == "en" else "李伟", language_code=language)
    tr = translator(catalogs, buyer)
    script = SCRIPTS[language]
    await answer_questions(buyer, tr, script, clock)
    await add_evidence(buyer, tr, buyer.send_photo(JPEG), script.photo_label, "tag.defect")
    active = await bot.services.db.cases.active_draft_for(buyer.id)
    assert active is not None
    case_id = active[0].id

    await buyer.send_photo(JPEG)  # the same photo again (a new upload, new Telegram file ids)
    refusal = await buyer.next_message()
    # A draft has no case number: the refusal names the draft claim instead.
    assert refusal.text == tr.t("error.evidence.duplicate_draft", number="E1")
    assert f"#{case_id}" not in refusal.text
    again = await buyer.next_message()  # the evidence question again
    assert tr.t("button.done") in again.button_texts

    # Nothing entered is lost: the claim goes on, the next file is E2, and it is filed.
    document = buyer.send_document(PDF, "inspection.pdf", "application/pdf")
    await add_evidence(buyer, tr, document, script.document_label, "tag.contract")
    await buyer.press(tr.t("button.done"))
    await buyer.next_message()  # the summary
    await buyer.press(tr.t("button.submit"))
    await buyer.wait_for(showing(tr.t("button.create_chat")))
    items = await bot.services.db.evidence.list(case_id)
    assert [(i.number, i.label) for i in items] == [
        (1, script.photo_label),
        (2, script.document_label),
    ]
    assert len({i.sha256 for i in items if i.sha256}) == 2


async def test_the_same_file_again_via_evidence_in_the_chat_is_refused_with_its_number(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    buyer, supplier, group = case.buyer, case.supplier, case.group
    # The supplier posts the buyer's photo (E1 of the claim) and asks to make it evidence.
    photo = await supplier.send_photo(JPEG, chat=group)
    await supplier.send("/evidence", chat=group, reply_to=photo)
    zh = case.str_.t("error.evidence.duplicate", number="E1", case=case.number)
    await supplier.wait_for(saying(zh), chat=group)
    # The buyer offers the inspection report (E2) again, under another name.
    copy = await buyer.send_document(PDF, "report-copy.pdf", "application/pdf", chat=group)
    await buyer.send("/evidence", chat=group, reply_to=copy)
    en = case.btr.t("error.evidence.duplicate", number="E2", case=case.number)
    await buyer.wait_for(saying(en), chat=group)

    # Nothing is pending after a refusal; a new file still becomes E3.
    packing = await supplier.send_photo(PACKING_LIST, chat=group)
    await supplier.send("/evidence", chat=group, reply_to=packing)
    ask = case.str_.t("evidence.group.ask_label", name=supplier.first_name)
    await supplier.wait_for(saying(ask), chat=group)
    await supplier.send("装箱单", chat=group)
    await supplier.wait_for(showing(case.str_.t("tag.delivery")), chat=group)
    await supplier.press(case.str_.t("tag.delivery"), chat=group)
    await buyer.wait_for(lambda e: "E3" in e.text and "装箱单" in e.text, chat=group)
    items = await bot.services.db.evidence.list(case.case_id)
    assert [i.number for i in items] == [1, 2, 3]
    assert len({i.sha256 for i in items}) == 3


async def test_proof_that_is_already_evidence_is_refused_and_the_obligation_waits(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    supplier, str_ = case.supplier, case.str_
    await accept_request(supplier, str_)
    done = str_.t("button.mark_done", number="O1")
    await supplier.wait_for(showing(done))
    await supplier.press(done)
    await supplier.wait_for(showing(str_.t("button.no_proof")))

    await supplier.send_photo(JPEG)  # the buyer's photo of the defect, E1, as "proof"
    await supplier.wait_for(
        saying(str_.t("error.evidence.duplicate", number="E1", case=case.number))
    )
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "pending"

    await supplier.send_photo(JPEG_RECEIPT, caption="退款回单")  # the question is still open
    await case.buyer.wait_for(showing(case.btr.t("button.confirm_done")))
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "done" and duty.proof_evidence_number == 3


async def test_a_file_telegram_cannot_hand_over_is_asked_for_again(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("李伟", language_code="zh-hans")
    tr = translator(catalogs, buyer)
    await answer_questions(buyer, tr, SCRIPTS["zh_Hans"], clock)
    sandbox.faults.inject("getFile", "500")
    await buyer.send_photo(JPEG)
    assert (await buyer.next_message()).text == tr.t("error.evidence.download_failed")
    assert tr.t("button.cancel") in (await buyer.next_message()).button_texts  # asked again
    await add_evidence(buyer, tr, buyer.send_photo(JPEG), "漏水的保温杯", "tag.defect")
    active = await bot.services.db.cases.active_draft_for(buyer.id)
    assert active is not None
    [item] = await bot.services.db.evidence.list(active[0].id)
    assert item.number == 1 and item.sha256 is not None
