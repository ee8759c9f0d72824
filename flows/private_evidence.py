"""Evidence given privately after filing: `/evidence` in the private chat with the bot.

A file posted in the dispute chat is seen by everyone there, so an item for the mediator only
(such as a bank statement) must reach the bot privately: in the claim form before filing, or
here after it, by either party. The bot asks for the file, a label and a tag; before the tag
the sender may mark the item for the mediator only. The item is announced to the case with
`flows/evidence_index.py` (the other party reads only the number and tag of a private item);
a chat screenshot carries the other party's Confirm / Dispute buttons.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import inputs
from flows.audience import RenderRows, to_case
from flows.buttons import PRIVATE_VALUE as PRIVATE
from flows.buttons import SHARED_VALUE, PrivateEvidenceTag
from flows.callbacks import decode, encode, pattern
from flows.case_context import OPEN_STATES, PARTY_ROLES, resolve
from flows.claim_render import case_number
from flows.common import Button, chunk, keyboard
from flows.errors_render import validation_message
from flows.evidence_confirm import answer_row, may_answer
from flows.evidence_index import SHARED, TAG_KEYS, index_line
from flows.evidence_intake import (
    IncomingFile,
    checked_file,
    fetch_new_file,
    record_file,
    stored_from_json,
    stored_to_json,
)
from flows.logs import bind_case
from flows.messaging import send
from flows.proposal_render import role_name
from flows.rules import validation as v
from flows.rules.lifecycle import Action, IllegalTransition, Role, check_transition
from flows.rules.validation import EvidenceTag, ValidationError
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import Case, PendingInput, User

log = logging.getLogger(__name__)

KIND = "private_evidence"


def takes_evidence(services: Services, case: Case) -> bool:
    """An open case; or a closed one whose decision may still be reconsidered (the request
    needs new evidence, given here first)."""
    if case.state in OPEN_STATES:
        return True
    try:
        check_transition(
            case.facts, Action.RECONSIDER, Role.BUYER, services.clock.now(), services.lifecycle
        )
    except IllegalTransition:
        return False
    return True


async def on_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/evidence [case number]` in the private chat: the file is asked for."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    if not context.args:
        mine = await services.db.cases.list_for_user(update.effective_user.id)
        if not any(case.state in OPEN_STATES for case in mine):
            _, tr = await services.reader(update.effective_user)
            await send(context.bot, message.chat_id, tr.t("evidence.private.no_case"))
            return
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    case, tr = caller.case, caller.tr
    bind_case(case.id)
    if caller.role not in PARTY_ROLES or not takes_evidence(services, case):
        await send(
            context.bot, message.chat_id, tr.t("evidence.private.not_open", case=case_number(case))
        )
        return
    now = services.clock.now()
    await services.db.inputs.put(caller.user.id, message.chat_id, KIND, case.id, "file", {}, now)
    await send(
        context.bot, message.chat_id, tr.t("evidence.private.ask_file", case=case_number(case))
    )


def _tag_rows(tr: Translator, case_id: int, private: bool, mediators: bool) -> list[list[Button]]:
    rows = chunk(
        [(tr.t(key), encode(PrivateEvidenceTag(case_id, tag))) for tag, key in TAG_KEYS.items()], 3
    )
    if not mediators:  # nobody would ever read an item for the mediator only
        return rows
    toggle = (
        (tr.t("button.evidence_shared"), encode(PrivateEvidenceTag(case_id, SHARED_VALUE)))
        if private
        else (tr.t("button.evidence_private"), encode(PrivateEvidenceTag(case_id, PRIVATE)))
    )
    return [*rows, [toggle]]


def _tag_question(tr: Translator, private: bool, mediators: bool) -> str:
    if not mediators:
        return tr.t("evidence.private.ask_tag")
    second = tr.t("evidence.private.marked") if private else tr.t("evidence.private.hint")
    return tr.t("evidence.private.ask_tag") + "\n\n" + second


async def on_input(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    now = services.clock.now()
    if pending.step == "file":
        item = checked_file(message, services.settings.claim_policy())
        stored = await fetch_new_file(services, context.bot, pending.case_id, item)
        data: dict[str, Any] = {"file": item.to_json(), "stored": stored_to_json(stored)}
        await services.db.inputs.put(
            user.id,
            message.chat_id,
            KIND,
            pending.case_id,
            "label",
            data,
            now,
            expected_version=pending.version,
        )
        await send(context.bot, message.chat_id, tr.t("evidence.private.ask_label"))
        return
    if pending.step != "label":
        raise ValidationError("answer.use_buttons")
    if message.text is None:
        raise ValidationError("answer.expected_text")
    label = v.parse_label(message.text)
    data = {**pending.data, "label": label, "mediator_only": False}
    await services.db.inputs.put(
        user.id,
        message.chat_id,
        KIND,
        pending.case_id,
        "tag",
        data,
        now,
        expected_version=pending.version,
    )
    mediators = services.has_mediators
    rows = _tag_rows(tr, pending.case_id, False, mediators)
    text = _tag_question(tr, False, mediators)
    await send(context.bot, message.chat_id, text, keyboard(rows))


async def on_tag(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None and query.message is not None
    user, tr = await services.reader(update.effective_user)
    chat_id = query.message.chat.id
    pressed = decode(query.data, PrivateEvidenceTag)
    pending = await services.db.inputs.get(user.id, chat_id)
    if (
        pressed is None
        or pending is None
        or pending.kind != KIND
        or pending.step != "tag"
        or pressed.case_id != pending.case_id
        # A forged "for the mediator only" where there are no mediators: never offered.
        or (pressed.choice in (PRIVATE, SHARED_VALUE) and not services.has_mediators)
    ):
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    if case is None or role not in PARTY_ROLES or not takes_evidence(services, case):
        await services.db.inputs.clear(user.id, chat_id)
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    assert role is not None
    bind_case(case.id)
    await query.answer()
    if pressed.choice in (PRIVATE, SHARED_VALUE):
        private = pressed.choice == PRIVATE
        data = {**pending.data, "mediator_only": private}
        await services.db.inputs.put(
            user.id,
            chat_id,
            KIND,
            case.id,
            "tag",
            data,
            services.clock.now(),
            expected_version=pending.version,
        )
        rows = _tag_rows(tr, case.id, private, True)
        await send(context.bot, chat_id, _tag_question(tr, private, True), keyboard(rows))
        return
    stored = pending.data.get("stored")
    await services.db.inputs.clear(user.id, chat_id)
    try:
        item = await record_file(
            services,
            context.bot,
            case.id,
            user.id,
            role,
            IncomingFile.from_json(pending.data["file"]),
            pending.data["label"],
            EvidenceTag(pressed.choice),
            stored_from_json(stored) if stored else None,
            mediator_only=bool(pending.data.get("mediator_only")) and services.has_mediators,
        )
    except ValidationError as error:  # the same file became evidence meanwhile
        await send(context.bot, chat_id, validation_message(error, tr))
        return
    log.info("evidence E%s added privately (mediator only: %s)", item.number, item.mediator_only)
    added = tr.t("evidence.private.added", case=case_number(case), line=index_line(item, role, tr))
    await send(context.bot, chat_id, added)
    other = Role.SUPPLIER if role is Role.BUYER else Role.BUYER
    answers: RenderRows | None = None
    if may_answer(item, other):
        answers = lambda t: [answer_row(t, case.id, item.number)]  # noqa: E731
    await to_case(
        services,
        context.bot,
        case,
        lambda t: t.t(
            "evidence.private.news", by=role_name(t, role), line=index_line(item, SHARED, t)
        ),
        answers,
    )


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {KIND: on_input}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("evidence", on_evidence, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_tag, pattern=pattern(PrivateEvidenceTag)),
    ]
