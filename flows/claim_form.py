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

from flows import claim_moves, claim_submit
from flows.buttons import ClaimForm
from flows.callbacks import decode, encode, pattern
from flows.claim_buttons import made_here
from flows.claim_moves import EVIDENCE_SUBSTEPS
from flows.claim_render import (
    CHANGE_PREFIX,
    COUNTS_EVIDENCE,
    KEEP_ANSWER,
    MEDIATOR_ONLY,
    PRIVATE_VALUE,
    SHARED_VALUE,
    evidence_number,
    render_confirmation,
    render_question,
    saved_answer,
)
from flows.claim_steps import (
    CHOICE_STEPS,
    PARTS,
    FormContext,
    Step,
    continue_description,
    parse_answer,
    recheck_saved,
)
from flows.common import keyboard
from flows.errors_render import validation_message
from flows.evidence_index import TAG_KEYS
from flows.evidence_intake import (
    checked_file,
    fetch_new_file,
    has_attachment,
    stored_to_json,
)
from flows.ledger import Resume, resume_with
from flows.logs import bind_case
from flows.messaging import clear_buttons, send
from flows.rules.lifecycle import Action, DeadlineKind, Role
from flows.rules.validation import (
    Category,
    DesiredOutcome,
    EvidenceKind,
    EvidenceTag,
    ValidationError,
    parse_currency,
    parse_label,
    requires_evidence,
)
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, Draft, User

log = logging.getLogger(__name__)


async def ask_current(
    services: Services, bot: Any, chat_id: int, case: Case, draft: Draft, tr: Translator
) -> None:
    """Send the question of the draft's current step (or the summary to confirm)."""
    step = Step(draft.step)
    if step is Step.CONFIRM:
        evidence = await services.db.evidence.list(case.id)
        text, markup = render_confirmation(draft.answers, evidence, tr, case.id)
    else:
        # only the evidence steps name a count: the other questions need no read
        items = len(await services.db.evidence.list(case.id)) if step in COUNTS_EVIDENCE else 0
        text, markup = render_question(
            step, draft.answers, tr, case.id, items, mediators=services.has_mediators
        )
    await send(bot, chat_id, text, markup)


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
    await send(bot, user_id, tr.t("claim.resume"))
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
    await send(context.bot, message.chat_id, tr.t("claim.started"))
    await ask_current(services, context.bot, message.chat_id, case, draft, tr)


async def on_private_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any non-command message in the private chat: an answer to the current question."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    active = await services.active_draft(user.id)
    if active is None:
        await send(context.bot, message.chat_id, tr.t("private.unknown"))
        return
    case, draft = active
    bind_case(case.id)
    resume_with(_resume(services, context.bot, message.chat_id, case, tr))
    step = Step(draft.step)
    notes: list[str] = []
    try:
        if has_attachment(message):
            draft = await _on_attachment(services, context.bot, draft, step, message, tr, notes)
        else:
            text = message.text or ""
            draft = await _on_text(services, draft, step, text, message.message_id, tr, notes)
    except ValidationError as error:
        notes.append(validation_message(error, tr))
    for note in notes:
        await send(context.bot, message.chat_id, note)
    await ask_current(services, context.bot, message.chat_id, case, draft, tr)


async def _on_attachment(
    services: Services,
    bot: Any,
    draft: Draft,
    step: Step,
    message: Any,
    tr: Translator,
    notes: list[str],
) -> Draft:
    if step is not Step.EVIDENCE:
        raise ValidationError(
            "answer.expected_text" if step not in CHOICE_STEPS else "answer.use_buttons"
        )
    item = checked_file(message, services.settings.claim_policy())
    # Stored now, not at submission: its hash tells at once whether it is evidence already.
    stored = await fetch_new_file(services, bot, draft.case_id, item)
    pending = {**item.to_json(), "stored": stored_to_json(stored)}
    if message.caption:
        # The caption is the label the buyer already gave: no need to ask for one.
        try:
            label = parse_label(message.caption, services.settings.claim_policy())
        except ValidationError as error:
            notes.append(validation_message(error, tr))
        else:
            updates = {"pending_evidence": pending, "pending_label": label}
            return await claim_moves.move(services, draft, Step.EVIDENCE_TAG, updates)
    return await claim_moves.move(
        services, draft, Step.EVIDENCE_LABEL, {"pending_evidence": pending}
    )


async def _on_text(
    services: Services,
    draft: Draft,
    step: Step,
    text: str,
    message_id: int,
    tr: Translator,
    notes: list[str],
) -> Draft:
    ctx = form_context(services, draft, tr)
    if step is Step.EVIDENCE:
        statement = parse_answer(Step.OUTCOME_TEXT, text, ctx)
        pending = {"kind": str(EvidenceKind.STATEMENT), "text": statement["outcome_text"]}
        return await claim_moves.move(
            services, draft, Step.EVIDENCE_LABEL, {"pending_evidence": pending}
        )
    if step is Step.CONFIRM:
        raise ValidationError("answer.use_buttons")
    if step is Step.OUTCOME and draft.answers.get("_open") == "description":
        # Right after the description, text is its continuation (a long text the client cut).
        updates = continue_description(text, ctx)
        # The description is now two messages: an edit of the first must not replace both.
        draft = await claim_moves.replace_answer(services, draft, updates, forget_edits=True)
        length = len(updates["description"])
        limit = services.settings.claim_policy().max_description
        notes.append(
            tr.t("claim.description.continued", length=tr.number(length), max=tr.number(limit))
        )
        return draft
    updates = parse_answer(step, text, ctx)
    return await claim_moves.advance(services, draft, step, updates, answer_id=message_id)


def form_context(services: Services, draft: Draft, tr: Translator) -> FormContext:
    return FormContext(services.clock.now(), tr.tz, services.settings.claim_policy(), draft.answers)


async def on_form_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the claim form: re-checked against the caller's own current draft."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    pressed = decode(query.data, ClaimForm)
    case = await services.db.cases.get(pressed.case_id) if pressed is not None else None
    if pressed is None or case is None or case.buyer_id != user.id:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    chat_id = query.message.chat.id if query.message else user.id
    resume_with(_resume(services, context.bot, chat_id, case, tr))
    step, value = pressed.step, pressed.value
    draft = await services.db.drafts.get(case.id)
    if draft is None or draft.step != step:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    if not made_here(step, value, mediators=services.has_mediators):  # forged: no default
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    await _press(services, context, query, case, draft, step, value, tr, user)


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
                (tr.t("button.discard"), encode(ClaimForm(case.id, step, "discard"))),
                (tr.t("button.keep"), encode(ClaimForm(case.id, step, "keep"))),
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
        pending = draft.answers.get("pending_evidence")
        if step in EVIDENCE_SUBSTEPS and pending:
            items = len(await services.db.evidence.list(case.id))
            dropped = evidence_number(items + 1)
            await send(context.bot, chat_id, tr.t("claim.evidence.dropped", number=dropped))
        draft = await claim_moves.back(services, draft)
        await ask_current(services, context.bot, chat_id, case, draft, tr)
        return
    part = value.removeprefix(CHANGE_PREFIX)
    if step is Step.CONFIRM and value.startswith(CHANGE_PREFIX) and part in PARTS:
        await query.answer()
        draft = await claim_moves.start_change(services, draft, part)
        await ask_current(services, context.bot, chat_id, case, draft, tr)
        return
    if value == KEEP_ANSWER and saved_answer(step, draft.answers, tr) is not None:
        await query.answer()
        try:
            recheck_saved(step, form_context(services, draft, tr))
        except ValidationError as error:
            await send(context.bot, chat_id, validation_message(error, tr))
        else:
            draft = await claim_moves.advance(services, draft, step, {})
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
    if step is Step.EVIDENCE_TAG and value not in (PRIVATE_VALUE, SHARED_VALUE):
        added = (await services.db.evidence.list(case.id))[-1]
        added_key = (
            N_("claim.evidence.added_private")
            if added.mediator_only
            else N_("claim.evidence.added")
        )
        await send(
            context.bot,
            chat_id,
            tr.t(
                added_key,
                number=evidence_number(added.number),
                label=added.label,
                tag=tr.t(TAG_KEYS[EvidenceTag(added.tag)]),
            ),
        )
    await ask_current(services, context.bot, chat_id, case, draft, tr)


async def _choose(services: Services, case: Case, draft: Draft, step: Step, value: str) -> Draft:
    """A choice made with a button at `step`."""
    if step is Step.CURRENCY:
        updates: dict[str, Any] = {"currency": parse_currency(value)}
    elif step is Step.CATEGORY:
        updates = {"category": str(Category(value))}
    elif step is Step.OUTCOME:
        updates = {"outcome": str(DesiredOutcome(value))}
    elif step is Step.EVIDENCE_TAG and value in (PRIVATE_VALUE, SHARED_VALUE):
        # For the mediator only (or not, again): marked as the item is added, asked again.
        marked = {MEDIATOR_ONLY: value == PRIVATE_VALUE}
        return await claim_moves.replace_answer(services, draft, marked)
    elif step is Step.EVIDENCE_TAG:
        return await claim_moves.add_pending_evidence(services, case, draft, EvidenceTag(value))
    elif step is Step.EVIDENCE and value == "done":
        category = Category(draft.answers["category"])
        items = await services.db.evidence.list(case.id)
        if requires_evidence(category) and not items:
            raise ValidationError("evidence.required")
        return await claim_moves.move(services, draft, Step.CONFIRM, {})
    else:
        raise ValidationError("answer.use_buttons")
    return await claim_moves.advance(services, draft, step, updates)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("new", start_claim, filters=private),
        CallbackQueryHandler(on_form_button, pattern=pattern(ClaimForm)),
        MessageHandler(
            filters.UpdateType.MESSAGE & private & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            on_private_message,
        ),
    ]
