"""The buyer's claim form in the private chat: one question at a time, saved after every answer.

The form's progress lives in the draft row (step, answers, back stack), so a restart of the bot
loses nothing: the next message simply continues at the stored step. Every button carries the
case and the step it belongs to, and is re-checked here against the draft before it acts.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import CallbackQuery, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.i18n import Translator
from bot.ledger import Resume, resume_with
from bot.logs import bind_case
from bot.services import Services, get_services
from flows import claim_submit
from flows.claim_buttons import made_here
from flows.claim_render import (
    FORM,
    TAG_KEYS,
    case_number,
    evidence_number,
    render_confirmation,
    render_question,
)
from flows.claim_steps import CHOICE_STEPS, FIRST_STEP, FormContext, Step, next_step, parse_answer
from flows.common import keyboard, pack, parse_id, unpack
from flows.errors_render import validation_message
from flows.evidence_intake import (
    already_evidence,
    checked_file,
    fetch_new_file,
    has_attachment,
    stored_from_json,
    stored_to_json,
)
from flows.messaging import clear_buttons, send
from flows.rules.lifecycle import Action, DeadlineKind, Role
from flows.rules.validation import (
    Category,
    DesiredOutcome,
    EvidenceKind,
    EvidenceTag,
    ValidationError,
    parse_currency,
    requires_evidence,
)
from storage import Case, Draft, DuplicateEvidence, User

log = logging.getLogger(__name__)

EVIDENCE_SUBSTEPS = frozenset({Step.EVIDENCE_LABEL, Step.EVIDENCE_TAG})


async def ask_current(
    services: Services, bot: Any, chat_id: int, case: Case, draft: Draft, tr: Translator
) -> None:
    """Send the question of the draft's current step (or the summary to confirm)."""
    step = Step(draft.step)
    evidence = await services.db.evidence.list(case.id)
    if step is Step.CONFIRM:
        text, markup = render_confirmation(draft.answers, evidence, tr, case.id)
    else:
        text, markup = render_question(step, draft.answers, tr, case.id, len(evidence))
    await send(bot, chat_id, text, markup)


async def _move(
    services: Services, draft: Draft, to: Step, updates: dict[str, Any], *, push: bool = True
) -> Draft:
    answers = {**draft.answers, **updates}
    current = Step(draft.step)
    back_stack = list(draft.back_stack)
    if push and current not in EVIDENCE_SUBSTEPS and to not in EVIDENCE_SUBSTEPS:
        back_stack.append(current)
    return await services.db.drafts.save(
        draft.case_id,
        to,
        answers,
        back_stack,
        services.clock.now(),
        expected_version=draft.version,
    )


def _resume(services: Services, bot: Any, chat_id: int, case: Case, tr: Translator) -> Resume:
    """After a failure that followed a saved answer: ask what the form is at now."""

    async def resume() -> None:
        draft = await services.db.drafts.get(case.id)
        if draft is not None:
            await ask_current(services, bot, chat_id, case, draft, tr)

    return resume


async def resume_draft(services: Services, bot: Any, user_id: int, tr: Translator) -> bool:
    """Take a buyer back to their unfinished claim, if they have one."""
    active = await services.db.cases.active_draft_for(user_id)
    if active is None:
        return False
    case, draft = active
    bind_case(case.id)
    await send(bot, user_id, tr.t("claim.resume", number=case_number(case.id)))
    await ask_current(services, bot, user_id, case, draft, tr)
    return True


async def start_claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/new: start a claim, or continue the one in progress."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    if await resume_draft(services, context.bot, user.id, tr):
        return
    now = services.clock.now()
    expiry = services.deadline(DeadlineKind.DRAFT_EXPIRY, now)
    case, draft = await services.db.cases.create_draft(
        user.id, now, expiry.due_at, expiry.reminder_times
    )
    bind_case(case.id)
    log.info("claim draft started")
    await send(context.bot, message.chat_id, tr.t("claim.started", number=case_number(case.id)))
    await ask_current(services, context.bot, message.chat_id, case, draft, tr)


async def on_private_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any non-command message in the private chat: an answer to the current question."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    active = await services.db.cases.active_draft_for(user.id)
    if active is None:
        await send(context.bot, message.chat_id, tr.t("private.unknown"))
        return
    case, draft = active
    bind_case(case.id)
    resume_with(_resume(services, context.bot, message.chat_id, case, tr))
    step = Step(draft.step)
    try:
        if has_attachment(message):
            draft = await _on_attachment(services, context.bot, draft, step, message)
        else:
            draft = await _on_text(services, case, draft, step, message.text or "", tr, user)
    except ValidationError as error:
        await send(context.bot, message.chat_id, validation_message(error, tr))
        await ask_current(services, context.bot, message.chat_id, case, draft, tr)
        return
    await ask_current(services, context.bot, message.chat_id, case, draft, tr)


async def _on_attachment(
    services: Services, bot: Any, draft: Draft, step: Step, message: Any
) -> Draft:
    if step is not Step.EVIDENCE:
        raise ValidationError(
            "answer.expected_text" if step not in CHOICE_STEPS else "answer.use_buttons"
        )
    item = checked_file(message, services.settings.claim_policy())
    # Stored now, not at submission: its hash tells at once whether it is evidence already.
    stored = await fetch_new_file(services, bot, draft.case_id, item)
    pending = {**item.to_json(), "stored": stored_to_json(stored)}
    return await _move(services, draft, Step.EVIDENCE_LABEL, {"pending_evidence": pending})


async def _on_text(
    services: Services,
    case: Case,
    draft: Draft,
    step: Step,
    text: str,
    tr: Translator,
    user: User,
) -> Draft:
    if step is Step.EVIDENCE:
        statement = parse_answer(Step.DESCRIPTION, text, _form_context(services, draft, tr))
        pending = {"kind": str(EvidenceKind.STATEMENT), "text": statement["description"]}
        return await _move(services, draft, Step.EVIDENCE_LABEL, {"pending_evidence": pending})
    if step is Step.CONFIRM:
        raise ValidationError("answer.use_buttons")
    updates = parse_answer(step, text, _form_context(services, draft, tr))
    return await _move(services, draft, next_step(step, {**draft.answers, **updates}), updates)


def _form_context(services: Services, draft: Draft, tr: Translator) -> FormContext:
    return FormContext(services.clock.now(), tr.tz, services.settings.claim_policy(), draft.answers)


async def on_form_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the claim form: re-checked against the caller's own current draft."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    parts = unpack(query.data)
    case_id = parse_id(parts[1]) if len(parts) == 4 else None
    case = await services.db.cases.get(case_id) if case_id is not None else None
    if case is None or case.buyer_id != user.id:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    chat_id = query.message.chat.id if query.message else user.id
    resume_with(_resume(services, context.bot, chat_id, case, tr))
    _, _, raw_step, value = parts
    draft = await services.db.drafts.get(case.id)
    if draft is None or draft.step != raw_step:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    if not made_here(Step(raw_step), value):  # forged: no default choice is made for it
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    await _press(services, context, query, case, draft, Step(raw_step), value, tr, user)


async def _press(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    query: CallbackQuery,
    case: Case,
    draft: Draft,
    step: Step,
    value: str,
    tr: Translator,
    user: User,
) -> None:
    chat_id = query.message.chat.id if query.message else user.id
    if query.message is not None:
        await clear_buttons(context.bot, chat_id, query.message.message_id)
    if value == "cancel":
        await query.answer()
        rows = [
            [
                (tr.t("button.discard"), pack(FORM, case.id, step, "discard")),
                (tr.t("button.keep"), pack(FORM, case.id, step, "keep")),
            ]
        ]
        await send(context.bot, chat_id, tr.t("claim.cancel.confirm"), keyboard(rows))
        return
    if value == "discard":
        await query.answer()
        await services.db.cases.transition(
            case.id,
            Action.ABANDON,
            user.id,
            Role.BUYER,
            services.clock.now(),
            reason="buyer discarded the draft",
        )
        await services.db.drafts.delete(case.id)
        await send(context.bot, chat_id, tr.t("claim.cancelled"))
        return
    if value == "keep":
        await query.answer()
        await ask_current(services, context.bot, chat_id, case, draft, tr)
        return
    if value == "back":
        await query.answer()
        draft = await _back(services, draft)
        await ask_current(services, context.bot, chat_id, case, draft, tr)
        return
    if step is Step.CONFIRM and value == "submit":
        await claim_submit.submit(services, context.bot, query, case, draft, tr, user)
        return
    try:
        draft = await _choose(services, case, draft, step, value)
    except ValidationError as error:
        await query.answer()
        await send(context.bot, chat_id, validation_message(error, tr))
        # Ask the question the form is at now (a refused file takes it back to the evidence).
        draft = await services.db.drafts.get(case.id) or draft
        await ask_current(services, context.bot, chat_id, case, draft, tr)
        return
    await query.answer()
    if step is Step.EVIDENCE_TAG:
        added = (await services.db.evidence.list(case.id))[-1]
        await send(
            context.bot,
            chat_id,
            tr.t(
                "claim.evidence.added",
                number=evidence_number(added.number),
                label=added.label,
                tag=tr.t(TAG_KEYS[EvidenceTag(added.tag)]),
            ),
        )
    await ask_current(services, context.bot, chat_id, case, draft, tr)


def _without_pending(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if not k.startswith("pending_")}


async def _back(services: Services, draft: Draft) -> Draft:
    step = Step(draft.step)
    answers = {
        k: v for k, v in draft.answers.items() if k not in ("pending_evidence", "pending_label")
    }
    if step in EVIDENCE_SUBSTEPS:
        target, stack = Step.EVIDENCE, list(draft.back_stack)
    elif draft.back_stack:
        target, stack = Step(draft.back_stack[-1]), list(draft.back_stack[:-1])
    else:
        target, stack = FIRST_STEP, []
    return await services.db.drafts.save(
        draft.case_id, target, answers, stack, services.clock.now(), expected_version=draft.version
    )


async def _choose(services: Services, case: Case, draft: Draft, step: Step, value: str) -> Draft:
    """A choice made with a button at `step`."""
    if step is Step.CURRENCY:
        updates: dict[str, Any] = {"currency": parse_currency(value)}
    elif step is Step.CATEGORY:
        updates = {"category": str(Category(value))}
    elif step is Step.OUTCOME:
        updates = {"outcome": str(DesiredOutcome(value))}
    elif step is Step.EVIDENCE_TAG:
        return await _add_evidence(services, case, draft, EvidenceTag(value))
    elif step is Step.EVIDENCE and value == "done":
        category = Category(draft.answers["category"])
        items = await services.db.evidence.list(case.id)
        if requires_evidence(category) and not items:
            raise ValidationError("evidence.required")
        return await _move(services, draft, Step.CONFIRM, {})
    else:
        raise ValidationError("answer.use_buttons")
    return await _move(services, draft, next_step(step, {**draft.answers, **updates}), updates)


async def _add_evidence(services: Services, case: Case, draft: Draft, tag: EvidenceTag) -> Draft:
    pending = draft.answers.get("pending_evidence")
    label = draft.answers.get("pending_label")
    if not pending or not label:
        return await _move(services, draft, Step.EVIDENCE, {}, push=False)
    stored = stored_from_json(pending["stored"]) if pending.get("stored") else None
    try:
        await services.db.evidence.add(
            case.id,
            case.buyer_id,
            Role.BUYER,
            pending["kind"],
            label,
            str(tag),
            services.clock.now(),
            text=pending.get("text"),
            telegram_file_id=pending.get("file_id"),
            telegram_file_unique_id=pending.get("file_unique_id"),
            file_name=pending.get("file_name"),
            mime_type=pending.get("mime_type"),
            size=stored.size if stored is not None else pending.get("size"),
            sha256=stored.sha256 if stored is not None else None,
            stored_path=str(stored.path) if stored is not None else None,
        )
    except DuplicateEvidence as duplicate:
        # The same file became evidence since it arrived: drop this copy, keep the rest.
        await _back_to_evidence(services, draft)
        raise already_evidence(case.id, duplicate.number) from None
    return await _back_to_evidence(services, draft)


async def _back_to_evidence(services: Services, draft: Draft) -> Draft:
    """The evidence question again, with the item in progress done or dropped."""
    answers = {
        k: v for k, v in draft.answers.items() if k not in ("pending_evidence", "pending_label")
    }
    return await services.db.drafts.save(
        draft.case_id,
        Step.EVIDENCE,
        answers,
        list(draft.back_stack),
        services.clock.now(),
        expected_version=draft.version,
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("new", start_claim, filters=private),
        CallbackQueryHandler(on_form_button, pattern=rf"^{FORM}:"),
        MessageHandler(
            filters.UpdateType.MESSAGE & private & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            on_private_message,
        ),
    ]
