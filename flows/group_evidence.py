"""Turning a file in the dispute chat into numbered evidence: reply to it with /evidence.

The file is stored and hashed at once (a file that is evidence of the case already is refused
with its number); the party who asks gives it a label (typed in the chat) and a tag (buttons),
and it is announced with its number. Only parties of the case may do this, and only
for files that were sent in that chat.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import inputs
from flows.audience import to_chat
from flows.buttons import GroupEvidenceTag
from flows.callbacks import decode, encode, pattern
from flows.chat_migration import follower
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
from flows.rules import validation as v
from flows.rules.lifecycle import Role
from flows.rules.validation import ValidationError
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import PendingInput, User

log = logging.getLogger(__name__)

KIND = "group_evidence"


async def on_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/evidence` as a reply to a file in the dispute chat."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    follow = follower(services)
    bound = await services.db.chats.case_for_chat(message.chat_id)
    role = await services.db.cases.role_of(bound.case_id, user.id) if bound else None
    if bound is None or role not in (Role.BUYER, Role.SUPPLIER):
        await send(context.bot, message.chat_id, tr.t("evidence.group.not_party"), follow=follow)
        return
    bind_case(bound.case_id)
    target = message.reply_to_message
    if target is None:
        await send(context.bot, message.chat_id, tr.t("evidence.group.reply_needed"), follow=follow)
        return
    try:
        item = checked_file(target, services.settings.claim_policy())
        # Stored before the label is asked: a file that is evidence already is refused now.
        stored = await fetch_new_file(services, context.bot, bound.case_id, item)
    except ValidationError as error:
        await send(context.bot, message.chat_id, validation_message(error, tr), follow=follow)
        return
    data = {
        "file": item.to_json(),
        "stored": stored_to_json(stored),
        "source_message_id": target.message_id,
    }
    await services.db.inputs.put(
        user.id, message.chat_id, KIND, bound.case_id, "label", data, services.clock.now()
    )
    ask = tr.t("evidence.group.ask_label", name=user.first_name)
    await send(context.bot, message.chat_id, ask, follow=follow)


async def on_label(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    if pending.step != "label":
        raise ValidationError("answer.use_buttons")
    if message.text is None:
        raise ValidationError("answer.expected_text")
    label = v.parse_label(message.text)
    await services.db.inputs.put(
        user.id,
        message.chat_id,
        KIND,
        pending.case_id,
        "tag",
        {**pending.data, "label": label},
        services.clock.now(),
        expected_version=pending.version,
    )
    buttons: list[Button] = [
        (tr.t(key), encode(GroupEvidenceTag(pending.case_id, tag))) for tag, key in TAG_KEYS.items()
    ]
    await send(
        context.bot,
        message.chat_id,
        # named, as the label question; private items go to the bot privately, never here
        tr.t("evidence.group.ask_tag", name=user.first_name)
        + "\n\n"
        + tr.t("evidence.group.private_hint"),
        keyboard(chunk(buttons, 3)),
        follow=follower(services),
    )


async def on_tag(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None and query.message is not None
    user, tr = await services.reader(update.effective_user)
    chat_id = query.message.chat.id
    data = decode(query.data, GroupEvidenceTag)
    pending = await services.db.inputs.get(user.id, chat_id)
    if (
        data is None
        or pending is None
        or pending.kind != KIND
        or pending.step != "tag"
        or pending.case_id != data.case_id
    ):
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    if case is None or role is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    await query.answer()
    stored = pending.data.get("stored")
    try:
        item = await record_file(
            services,
            context.bot,
            case.id,
            user.id,
            role,
            IncomingFile.from_json(pending.data["file"]),
            pending.data["label"],
            data.tag,
            stored_from_json(stored) if stored else None,
        )
    except ValidationError as error:  # the same file became evidence since /evidence
        await services.db.inputs.clear(user.id, chat_id)
        await send(context.bot, chat_id, validation_message(error, tr))
        return
    await services.db.inputs.clear(user.id, chat_id)
    log.info("evidence E%s added from the dispute chat", item.number)
    other = Role.SUPPLIER if role is Role.BUYER else Role.BUYER
    rows = (lambda t: [answer_row(t, case.id, item.number)]) if may_answer(item, other) else None
    await to_chat(
        services,
        context.bot,
        case,
        chat_id,
        lambda t: t.t("evidence.group.added", line=index_line(item, SHARED, t)),
        rows,
    )


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {KIND: on_label}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("evidence", on_evidence, filters=filters.ChatType.GROUPS),
        CallbackQueryHandler(on_tag, pattern=pattern(GroupEvidenceTag)),
    ]
