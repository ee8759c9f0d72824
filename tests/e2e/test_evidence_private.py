"""Evidence for the mediator only, and chat screenshots the other party confirms or disputes.

A buyer adds a bank statement as for the mediator only, in the claim form (the only place a
private file reaches the bot without the other party seeing it). The supplier reads that E2
exists, its number and tag, in their view of the claim, in /case and in the dispute chat's
pinned claim; no file, label or caption of it ever reaches them. Two chat screenshots: the
supplier confirms one with one tap and disputes the other with a reason; a second answer, the
buyer answering their own, a stranger's and a forged press are refused, and nothing changes.
Both ways round: an English buyer with a Chinese supplier, and a Chinese buyer with an English
supplier.
"""

from __future__ import annotations

import pytest

from bot.demo import JPEG, PDF, SCRIPTS, add_evidence, answer_questions
from bot.demo_dispute import create_dispute_chat, invite_supplier, supplier_accepts_invitation
from bot.sandbox import Sandbox, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, press_data, translator
from tests.e2e.dispute_steps import containing, last_bot_entry, recorded, saying, showing

BANK = PDF.replace(b"1 0 obj", b"1 0 obj % ICBC account statement")
SECRET = "ICBC statement 6222-0212 March"
# Two more screenshots: the photo with a few bytes after its end, so each has its own SHA-256.
SHOT_OK = JPEG + b"screenshot 1"
SHOT_BAD = JPEG + b"screenshot 2"
REASON = "The dates were edited"
LOADING = PDF.replace(b"1 0 obj", b"1 0 obj % loading list")


async def _mark_private_and_tag(buyer: SandboxUser, btr: Translator) -> None:
    """At the tag question of E2: for the mediator only, then the tag."""
    await buyer.send_document(BANK, "icbc-statement.pdf", "application/pdf")
    await buyer.next_message(timeout=10)  # label?
    await buyer.send(SECRET)
    tag_question = await buyer.next_message(timeout=10)
    assert btr.t("claim.evidence.private_hint") in tag_question.text
    await buyer.press(btr.t("button.evidence_private"), timeout=10)
    marked = await buyer.next_message(timeout=10)
    assert btr.t("claim.evidence.private_marked", number="E2") in marked.text
    assert btr.t("button.evidence_shared") in marked.button_texts
    await buyer.press(btr.t("tag.payment"), timeout=10)
    added = await buyer.next_message(timeout=10)
    assert added.text == btr.t(
        "claim.evidence.added_private", number="E2", label=SECRET, tag=btr.t("tag.payment")
    )
    await buyer.next_message(timeout=10)  # the evidence question again


async def _file(buyer: SandboxUser, btr: Translator, language: str, clock: FrozenClock) -> None:
    script = SCRIPTS[language]
    await answer_questions(buyer, btr, script, clock)
    await add_evidence(buyer, btr, buyer.send_photo(JPEG), script.photo_label, "tag.defect")
    await _mark_private_and_tag(buyer, btr)
    for data, label in ((SHOT_OK, "WeChat 1"), (SHOT_BAD, "WeChat 2")):
        await add_evidence(buyer, btr, buyer.send_photo(data), label, "tag.chat_screenshot")
    await buyer.press(btr.t("button.done"), timeout=10)
    summary = await buyer.next_message(timeout=10)
    # The buyer's own summary shows the item in full, marked.
    mark = btr.t("evidence.mark.mediator_only")
    assert any(SECRET in line and mark in line for line in summary.text.splitlines())
    await buyer.press(btr.t("button.submit"), timeout=10)
    await buyer.next_message(timeout=10)


def _leaks(entries: list[TranscriptEntry], unique_id: str) -> list[str]:
    """What of the private item reached a reader: its label, file name or file."""
    return [
        str(e)
        for e in entries
        if SECRET in e.text or e.file_name == "icbc-statement.pdf" or unique_id in str(e.message)
    ]


@pytest.mark.parametrize(
    ("buyer_language", "supplier_language"), [("en", "zh-hans"), ("zh-hans", "en")]
)
async def test_a_mediator_only_item_never_reaches_the_supplier_and_screenshots_are_answered(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    buyer_language: str,
    supplier_language: str,
) -> None:
    buyer = sandbox.user("Anna", language_code=buyer_language)
    supplier = sandbox.user("王芳", language_code=supplier_language)
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await _file(buyer, btr, btr.language, clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-1142")
    invitation = await invite_supplier(buyer, btr)
    await supplier_accepts_invitation(supplier, str_, invitation, group)
    case = max(await bot.services.db.cases.list_for_user(buyer.id), key=lambda c: c.id)
    db = bot.services.db
    bank = await db.evidence.get(case.id, 2)
    assert bank is not None and bank.mediator_only and bank.label == SECRET
    added = [e for e in await db.history.list(case.id) if e.kind == "evidence.added"]
    assert [e.payload["mediator_only"] for e in added] == [False, True, False, False]

    # The supplier's view of the claim (the invitation), in their language: E2 by number and tag.
    hidden = str_.t("evidence.line_hidden", number="E2", tag=str_.t("tag.payment"))
    if str_.language == "en":
        assert hidden == "E2 · Payment · for the mediator only"
    else:
        assert hidden == "E2 · 付款 · 仅供调解员查看"
    view = await supplier.wait_for(containing(str_.t("invite.confirm_question")))
    assert hidden in view.text.splitlines()
    # The files sent to them: E1, E3, E4, never E2; the screenshots carry Confirm / Dispute.
    confirm3 = str_.t("button.evidence_confirm", number="E3")
    dispute4 = str_.t("button.evidence_dispute", number="E4")
    await supplier.wait_for(showing(dispute4), timeout=10)
    files = [e for e in supplier.transcript() if e.from_bot and e.kind in ("photo", "document")]
    assert [e.text.split(" · ")[0] for e in files if e.text.startswith("E")] == ["E1", "E3", "E4"]
    unique_id = bank.telegram_file_unique_id or "-"

    # One tap: E3 confirmed. The news reaches the dispute chat in both languages.
    confirmed = await supplier.press(confirm3, timeout=10)
    assert not confirmed.show_alert
    news = btr.t(
        "evidence.answer.confirmed_news", by=btr.t("role.supplier"), number="E3", label="WeChat 1"
    )
    await buyer.wait_for(containing(news), chat=group, timeout=10)
    # Twice: refused, in the supplier's language.
    again = await supplier.press(confirm3, timeout=10)
    assert again.show_alert
    assert again.text == str_.t("evidence.answer.already_confirmed", number="E3")

    # E4 disputed, with a reason typed after.
    await supplier.press(dispute4, timeout=10)
    ask = str_.t("evidence.answer.ask_reason", name="王芳", number="E4")
    await supplier.wait_for(saying(ask), timeout=10)
    await supplier.send(REASON)
    reason_news = btr.t(
        "evidence.answer.reason_news", by=btr.t("role.supplier"), number="E4", reason=REASON
    )
    await buyer.wait_for(containing(reason_news), chat=group, timeout=10)
    flipped = await supplier.press(confirm3.replace("E3", "E4"), timeout=10)
    assert flipped.text == str_.t("evidence.answer.already_disputed", number="E4")
    shot = await db.evidence.get(case.id, 4)
    assert shot is not None
    assert (shot.authenticity, shot.authenticity_reason) == ("disputed", REASON)

    # The buyer cannot answer their own screenshot; a stranger and forged data are refused.
    own = await press_data(
        buyer, buyer.private_chat.bot_messages()[-1].message_id, f"ea:{case.id}:3:c"
    )
    assert own.text == btr.t("evidence.answer.own", number="E3")
    stranger = sandbox.user("Mallory", language_code="en")
    await stranger.send("/start")
    await stranger.next_message(timeout=10)
    newest = stranger.private_chat.bot_messages()[-1].message_id
    for data in (f"ea:{case.id}:4:c", f"ea:{case.id}:2:c", f"ea:{case.id}:99:x"):
        refused = await press_data(stranger, newest, data)
        assert refused.text == catalogs.translator("en").t("callback.unavailable")
    # The supplier may not answer the mediator-only item (nor one that does not exist).
    newest = supplier.private_chat.bot_messages()[-1].message_id
    for number in (2, 1, 99):
        refused = await press_data(supplier, newest, f"ea:{case.id}:{number}:c")
        assert refused.text == str_.t("callback.unavailable")
    events = [e.kind for e in await db.history.list(case.id) if e.kind.startswith("evidence.")]
    assert events.count("evidence.confirmed") == 1 and events.count("evidence.disputed") == 1

    # /case for each party: the index as each may read it, with the answers.
    assert case.number is not None
    await supplier.send(f"/case {case.number}")
    card = await supplier.wait_for(containing(str_.t("case.actions_header")), timeout=10)
    lines = card.text.splitlines()
    assert hidden in lines
    by_supplier = str_.t("role.supplier")
    assert any(
        line.startswith("E3") and str_.t("evidence.mark.confirmed", by=by_supplier) in line
        for line in lines
    )
    disputed = str_.t("evidence.mark.disputed_reason", by=by_supplier, reason=REASON)
    assert any(line.startswith("E4") and disputed in line for line in lines)
    assert confirm3 not in card.button_texts and dispute4 not in card.button_texts
    await buyer.send(f"/case {case.number}")
    mine = await buyer.wait_for(containing(btr.t("evidence.mark.mediator_only")), timeout=10)
    assert SECRET in mine.text

    # The mediator's index shows everything, answers included.
    from flows.evidence_index import index_lines
    from flows.rules.lifecycle import Role

    items = await db.evidence.list(case.id)
    mediator_view = index_lines(items, Role.MEDIATOR, btr)
    assert SECRET in mediator_view[1] and btr.t("evidence.mark.mediator_only") in mediator_view[1]
    assert btr.t("evidence.mark.confirmed", by=btr.t("role.supplier")) in mediator_view[2]

    # Nothing of E2 ever reached the supplier, privately or in the dispute chat.
    await recorded(bot, case.id, lambda kind, _: kind == "evidence.dispute_reason")
    assert _leaks(supplier.transcript(), unique_id) == []
    assert _leaks(supplier.transcript(group), unique_id) == []
    pinned = [group.messages[m].text for m in sandbox.pinned(group)]
    assert pinned and all(SECRET not in text for text in pinned)
    assert any(hidden in text.splitlines() for text in pinned)


async def test_private_evidence_after_filing_and_a_screenshot_confirmed_in_the_chat(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """After filing: the Chinese supplier gives a bank statement privately, for the mediator
    only; the English buyer gives a chat screenshot privately, which the supplier confirms with
    one tap in the dispute chat."""
    from tests.e2e.dispute_steps import open_case

    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    # In the dispute chat, /evidence says that private items go to the bot privately.
    await case.supplier.send_document(LOADING, "loading.pdf", "application/pdf", chat=case.group)
    file_message = [e for e in case.supplier.transcript(case.group) if e.kind == "document"][-1]
    await case.supplier.send("/evidence", chat=case.group, reply_to=file_message.message_id)
    await case.supplier.wait_for(
        containing(str_.t("evidence.group.ask_label", name="王芳")), chat=case.group, timeout=10
    )
    await case.supplier.send("装车单", chat=case.group)
    tag_question = await case.supplier.wait_for(
        containing(str_.t("evidence.group.private_hint")), chat=case.group, timeout=10
    )
    assert "/evidence" in tag_question.text
    await case.supplier.press(str_.t("tag.delivery"), chat=case.group, timeout=10)
    await case.buyer.wait_for(containing("E3"), chat=case.group, timeout=10)

    # The supplier, privately: the file, a label, for the mediator only, the tag.
    await case.supplier.send("/evidence")
    await case.supplier.wait_for(
        saying(str_.t("evidence.private.ask_file", case=case.number)), timeout=10
    )
    await case.supplier.send_document(BANK, "icbc-statement.pdf", "application/pdf")
    await case.supplier.wait_for(saying(str_.t("evidence.private.ask_label")), timeout=10)
    await case.supplier.send(SECRET)
    await case.supplier.wait_for(containing(str_.t("evidence.private.hint")), timeout=10)
    await case.supplier.press(str_.t("button.evidence_private"), timeout=10)
    await case.supplier.wait_for(containing(str_.t("evidence.private.marked")), timeout=10)
    await case.supplier.press(str_.t("tag.payment"), timeout=10)
    added = await case.supplier.wait_for(
        containing(str_.t("evidence.private.added", case=case.number, line="E4")), timeout=10
    )
    assert SECRET in added.text and str_.t("evidence.mark.mediator_only") in added.text
    hidden = btr.t("evidence.line_hidden", number="E4", tag=btr.t("tag.payment"))
    assert hidden == "E4 · Payment · for the mediator only"
    news = btr.t("evidence.private.news", by=btr.t("role.supplier"), line=hidden)
    await case.buyer.wait_for(containing(news), chat=case.group, timeout=10)
    bank = await bot.services.db.evidence.get(case.case_id, 4)
    assert bank is not None and bank.mediator_only and bank.submitter_role == "supplier"
    assert _leaks(case.buyer.transcript(case.group), bank.telegram_file_unique_id or "-") == []
    assert _leaks(case.buyer.transcript(), bank.telegram_file_unique_id or "-") == []

    # The buyer, privately: a chat screenshot; the supplier confirms it in the chat.
    await case.buyer.send(f"/evidence {case.number.lstrip('#')}")
    await case.buyer.wait_for(
        saying(btr.t("evidence.private.ask_file", case=case.number)), timeout=10
    )
    await case.buyer.send_photo(SHOT_OK)
    await case.buyer.wait_for(saying(btr.t("evidence.private.ask_label")), timeout=10)
    await case.buyer.send("WeChat with Mr Wang")
    await case.buyer.wait_for(containing(btr.t("evidence.private.hint")), timeout=10)
    await case.buyer.press(btr.t("tag.chat_screenshot"), timeout=10)
    confirm = case.both("button.evidence_confirm", number="E5")
    await case.supplier.wait_for(showing(confirm), chat=case.group, timeout=10)
    own = await case.buyer.press(confirm, chat=case.group, timeout=10)
    assert own.show_alert and own.text == btr.t("evidence.answer.own", number="E5")
    done = await case.supplier.press(confirm, chat=case.group, timeout=10)
    assert not done.show_alert
    confirmed = str_.t(
        "evidence.answer.confirmed_news",
        by=str_.t("role.supplier"),
        number="E5",
        label="WeChat with Mr Wang",
    )
    await case.supplier.wait_for(containing(confirmed), chat=case.group, timeout=10)
    shot = await bot.services.db.evidence.get(case.case_id, 5)
    assert shot is not None and shot.authenticity == "confirmed"
