"""Filing the claim: check every evidence file is stored, move the case on, start the buyer's
time to invite the supplier (the supplier's own clock starts with the first invitation:
supplier_clock).

Files are downloaded, hashed and kept content-addressed as they arrive in the form (the stored
copy is what counts); an item of a draft begun before that (no copy yet) is stored here. Only
then does the case leave the draft state, in one guarded transition.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery
from telegram.error import TelegramError

from flows import dispute_chat
from flows.claim_render import case_number, evidence_number
from flows.claim_steps import claim_from_answers
from flows.errors_render import validation_message
from flows.messaging import send
from flows.outbox import after_commit
from flows.rules.lifecycle import Action, DeadlineKind, IllegalTransition, Role
from flows.rules.validation import ValidationError, requires_evidence
from flows.services import Services
from flows.supplier_invite import invite_button
from locales.i18n import Translator
from storage import Case, ConcurrentUpdate, Draft, OutboxMessage, User

log = logging.getLogger(__name__)


async def store_evidence_files(services: Services, bot: Any, case: Case) -> list[int]:
    """Download and store every file item of the case not stored yet; the numbers that failed."""
    failed: list[int] = []
    for item in await services.db.evidence.list(case.id):
        if item.telegram_file_id is None or item.sha256 is not None:
            continue
        try:
            stored = await services.files.download(bot, item.telegram_file_id)
        except TelegramError as exc:
            log.warning("evidence E%s could not be downloaded: %s", item.number, exc)
            failed.append(item.number)
            continue
        await services.db.evidence.mark_stored(
            item.id, stored.sha256, stored.size, stored.key, services.clock.now()
        )
    return failed


async def submit(
    services: Services,
    bot: Any,
    query: CallbackQuery,
    case: Case,
    draft: Draft,
    tr: Translator,
    user: User,
) -> None:
    chat_id = user.id
    # The answers as a claim (its validation): the confirmation the buyer pressed Submit under
    # was rendered from this same claim.
    claim = claim_from_answers(draft.answers)
    category = claim.category
    if requires_evidence(category) and not await services.db.evidence.list(case.id):
        await query.answer()
        await send(bot, chat_id, validation_message(ValidationError("evidence.required"), tr))
        return
    await query.answer(tr.t("claim.submitting"))
    failed = await store_evidence_files(services, bot, case)
    if failed:
        numbers = ", ".join(evidence_number(n) for n in failed)
        await send(bot, chat_id, tr.t("claim.evidence.download_failed", numbers=numbers))
        return
    now = services.clock.now()
    invitation_deadline = services.deadline(DeadlineKind.SUPPLIER_INVITATION, now)
    # The buyer's news, with the two buttons that take the case on, is queued in the filing's
    # transaction: killed right after the commit, the next start still sends it.
    rows = [
        [(tr.t("button.create_chat"), await dispute_chat.group_link(services, bot, case))],
        [invite_button(tr, case.id)],
    ]
    due = tr.datetime(invitation_deadline.due_at)

    def filed(moved: Case) -> list[OutboxMessage]:
        """The buyer's news, naming the number the filing gives the case (in its transaction)."""
        text = tr.t("claim.filed", number=case_number(moved), id=moved.number, due=due)
        return [OutboxMessage(chat_id, text, f"case:{moved.id}:filed", moved.id, rows)]

    try:
        case = await services.db.cases.transition(
            case.id,
            Action.SUBMIT,
            user.id,
            Role.BUYER,
            now,
            reason="claim submitted",
            claim=claim,  # stored as claim.record(), the same mapping chained in the event
            category=str(category),
            new_deadline=invitation_deadline,
            expected_version=case.version,
            news=filed,
            delete_draft=True,  # filed and the form gone together: a crash leaves no draft
        )
    except (IllegalTransition, ConcurrentUpdate):
        log.info("submit pressed twice; applied once")
        return
    log.info("claim submitted")
    await after_commit(services, bot, step="filed")
