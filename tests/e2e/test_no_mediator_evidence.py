"""A service without mediators (no MEDIATOR_CHAT_ID) never offers "for the mediator only":
nobody would ever read such an item. Not in the claim form's evidence step, not in private
/evidence, in English and Chinese; a forged press of it gets the normal refusal and marks
nothing."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.demo import JPEG, PDF, SCRIPTS, answer_questions
from bot.sandbox import Sandbox, SandboxUser
from flows.buttons import ClaimForm, PrivateEvidenceTag
from flows.callbacks import encode
from flows.claim_render import MEDIATOR_ONLY, PRIVATE_VALUE
from flows.claim_steps import Step
from flows.clock import FrozenClock
from locales.i18n import Translator
from tests.e2e.conftest import press_data, translator
from tests.e2e.dispute_steps import containing, open_case, saying
from tests.e2e.test_staff_chat import _without_mediators

BANK = PDF.replace(b"1 0 obj", b"1 0 obj % bank statement")


def _offers_mediator_only(tr: Translator, texts: list[str], text: str) -> bool:
    return (
        tr.t("button.evidence_private") in texts
        or tr.t("claim.evidence.private_hint") in text
        or tr.t("evidence.private.hint") in text
    )


async def _refused(user: SandboxUser, tr: Translator, message_id: int, data: str) -> None:
    answer = await press_data(user, message_id, data)
    assert answer.show_alert and answer.text == tr.t("callback.unavailable")


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
async def test_the_claim_forms_evidence_step_offers_no_mediator_only_item(
    settings: Settings, sandbox: Sandbox, clock: FrozenClock, language: str
) -> None:
    bot, catalogs = await _without_mediators(settings, sandbox, clock)
    try:
        buyer = sandbox.user("Anna", language_code="en" if language == "en" else "zh-hans")
        btr = translator(catalogs, buyer)
        await answer_questions(buyer, btr, SCRIPTS[language], clock)
        await buyer.send_photo(JPEG)
        await buyer.next_message(timeout=10)  # label?
        await buyer.send("Cracked casing")
        tag_question = await buyer.next_message(timeout=10)
        assert btr.t("claim.ask.evidence_tag", number="E1") in tag_question.text
        assert btr.t("tag.defect") in tag_question.button_texts
        assert not _offers_mediator_only(btr, tag_question.button_texts, tag_question.text)
        # A forged "for the mediator only" press: refused, nothing marked.
        [draft_case] = await bot.services.db.cases.list_for_user(buyer.id)
        forged = encode(ClaimForm(draft_case.id, Step.EVIDENCE_TAG, PRIVATE_VALUE))
        await _refused(buyer, btr, tag_question.message_id, forged)
        draft = await bot.services.db.drafts.get(draft_case.id)
        assert draft is not None and not draft.answers.get(MEDIATOR_ONLY)
        await buyer.press(btr.t("tag.defect"), timeout=10)
        added = await buyer.next_message(timeout=10)
        assert added.text == btr.t(
            "claim.evidence.added", number="E1", label="Cracked casing", tag=btr.t("tag.defect")
        )
        [item] = await bot.services.db.evidence.list(draft_case.id)
        assert not item.mediator_only
    finally:
        await bot.stop()


async def test_private_evidence_offers_no_mediator_only_item(
    settings: Settings, sandbox: Sandbox, clock: FrozenClock
) -> None:
    """The English buyer's and the Chinese supplier's private /evidence."""
    bot, catalogs = await _without_mediators(settings, sandbox, clock)
    try:
        case = await open_case(bot, sandbox, catalogs, clock)
        for number, (user, tr) in enumerate(
            ((case.supplier, case.str_), (case.buyer, case.btr)), start=3
        ):
            await user.send(f"/evidence {case.filed_number}")
            asked = await user.wait_for(
                saying(tr.t("evidence.private.ask_file", case=case.number)), timeout=10
            )
            assert "调解员" not in asked.text and "mediator" not in asked.text
            await user.send_document(
                BANK.replace(b"statement", f"statement {number}".encode()),
                f"bank-{number}.pdf",
                "application/pdf",
            )
            await user.wait_for(saying(tr.t("evidence.private.ask_label")), timeout=10)
            await user.send(f"Bank statement {number}")
            tag_question = await user.wait_for(saying(tr.t("evidence.private.ask_tag")), timeout=10)
            assert tr.t("tag.payment") in tag_question.button_texts
            assert not _offers_mediator_only(tr, tag_question.button_texts, tag_question.text)
            forged = encode(PrivateEvidenceTag(case.case_id, PRIVATE_VALUE))
            await _refused(user, tr, tag_question.message_id, forged)
            await user.press(tr.t("tag.payment"), timeout=10)
            await user.wait_for(
                containing(tr.t("evidence.private.added", case=case.number, line=f"E{number}")),
                timeout=10,
            )
            item = await bot.services.db.evidence.get(case.case_id, number)
            assert item is not None and not item.mediator_only
    finally:
        await bot.stop()
