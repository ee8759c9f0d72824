"""The other party's one-tap answer to a screenshot of an outside chat: authentic, or disputed.

Every screenshot item (tag "chat_screenshot") that the other party may see offers them two
buttons (with the files sent to the supplier, on the chat's announcement, and again by /case):
Confirm and Dispute. The server checks each press: only the other party of the case may answer
(not the submitter, not a stranger, not for an item they may not see), and only once, so a
dispute is never flipped silently. The answer, its news and the case history commit together.
After a dispute the bot asks for an optional reason in the same chat (typed, or Skip); it is
recorded and shown in the evidence index with the dispute.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import inputs
from flows.audience import for_case
from flows.buttons import EvidenceAnswer, EvidenceVerdict
from flows.callbacks import encode, pattern
from flows.case_context import OPEN_STATES, PARTY_ROLES, case_button
from flows.chat_migration import follower
from flows.common import Button, keyboard
from flows.evidence_index import content_visible, evidence_number, is_chat_screenshot
from flows.logs import bind_case
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.rules.lifecycle import Role
from flows.rules.validation import ValidationError
from flows.services import Services
from locales.i18n import N_, Translator
from storage import Conflict, Evidence, PendingInput, User

log = logging.getLogger(__name__)

KIND = "evidence_dispute_reason"
MAX_REASON = 500


def may_answer(item: Evidence, role: Role) -> bool:
    """Whether `role` may still confirm or dispute `item`."""
    return (
        is_chat_screenshot(item)
        and item.authenticity is None
        and role in PARTY_ROLES
        and role != item.submitter_role
        and content_visible(item, role)
    )


def answer_row(tr: Translator, case_id: int, number: int) -> list[Button]:
    """Confirm / Dispute for item E`number`."""
    shown = evidence_number(number)
    return [
        (
            tr.t("button.evidence_confirm", number=shown),
            encode(EvidenceAnswer(case_id, number, EvidenceVerdict.CONFIRM)),
        ),
        (
            tr.t("button.evidence_dispute", number=shown),
            encode(EvidenceAnswer(case_id, number, EvidenceVerdict.DISPUTE)),
        ),
    ]


async def open_answers(services: Services, case_id: int, role: Role) -> list[Evidence]:
    """The screenshots `role` may still answer, in number order (for /case)."""
    return [item for item in await services.db.evidence.list(case_id) if may_answer(item, role)]


def _refusal(item: Evidence | None, role: Role) -> str | None:
    if item is None or not is_chat_screenshot(item) or not content_visible(item, role):
        return N_("callback.unavailable")
    if role == item.submitter_role:
        return N_("evidence.answer.own")
    if item.authenticity == "confirmed":
        return N_("evidence.answer.already_confirmed")
    if item.authenticity == "disputed":
        return N_("evidence.answer.already_disputed")
    return None


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, EvidenceAnswer, PARTY_ROLES)
    if press is None:
        return
    services, query, tr, case, role = press.services, press.query, press.tr, press.case, press.role
    item = await services.db.evidence.get(case.id, press.data.number)
    assert query.message is not None
    chat_id = query.message.chat.id
    if press.data.verdict is EvidenceVerdict.SKIP_REASON:
        await _skip(services, context, press.user, tr, chat_id, item)
        await query.answer()
        return
    refusal = _refusal(item, role) if case.state in OPEN_STATES else N_("callback.unavailable")
    if refusal is not None or item is None:
        refused = refusal or N_("callback.unavailable")
        await query.answer(tr.t(refused, number=_shown(item)), show_alert=True)
        return
    verdict = "confirmed" if press.data.verdict is EvidenceVerdict.CONFIRM else "disputed"
    shown, label = evidence_number(item.number), item.label
    key = (
        N_("evidence.answer.confirmed_news")
        if verdict == "confirmed"
        else N_("evidence.answer.disputed_news")
    )
    news = await for_case(
        services,
        case,
        lambda t: t.t(key, by=role_name(t, role), number=shown, label=label),
        key=f"case:{case.id}:evidence:{item.number}:{verdict}",
    )
    try:
        await services.db.evidence.judge_authenticity(
            case.id, item.number, press.user.id, role, verdict, services.clock.now(), outbox=news
        )
    except Conflict:  # answered meanwhile (a second tap, or another device)
        fresh = await services.db.evidence.get(case.id, item.number)
        again = _refusal(fresh, role) or N_("callback.unavailable")
        await query.answer(tr.t(again, number=shown), show_alert=True)
        return
    log.info("evidence E%s %s by the %s", item.number, verdict, role)
    await query.answer()
    await after_commit(services, context.bot)
    if verdict == "disputed":
        await services.db.inputs.put(
            press.user.id,
            chat_id,
            KIND,
            case.id,
            "reason",
            {"number": item.number},
            services.clock.now(),
        )
        skip = [
            [
                (
                    tr.t("button.skip_reason"),
                    encode(EvidenceAnswer(case.id, item.number, EvidenceVerdict.SKIP_REASON)),
                )
            ]
        ]
        ask = tr.t("evidence.answer.ask_reason", name=press.user.first_name, number=shown)
        await send(context.bot, chat_id, ask, keyboard(skip), follow=follower(services))


def _shown(item: Evidence | None) -> str:
    return evidence_number(item.number) if item is not None else ""


async def _skip(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    tr: Translator,
    chat_id: int,
    item: Evidence | None,
) -> None:
    """No reason for the dispute: the question is dropped (the dispute stays recorded)."""
    pending = await services.db.inputs.get(user.id, chat_id)
    if pending is None or pending.kind != KIND or item is None:
        return
    if pending.data.get("number") != item.number:
        return
    await services.db.inputs.clear(user.id, chat_id)
    text = tr.t("evidence.answer.no_reason", number=evidence_number(item.number))
    await send(context.bot, chat_id, text, follow=follower(services))


async def on_reason(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The typed reason for a dispute, recorded with it."""
    reason = inputs.typed_text(message, MAX_REASON)
    number = int(pending.data["number"])
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    await services.db.inputs.clear(user.id, message.chat_id)
    if case is None or role is None:
        raise ValidationError("callback.unavailable")
    bind_case(case.id)
    shown = evidence_number(number)
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            "evidence.answer.reason_news", by=role_name(t, role), number=shown, reason=reason
        ),
        key=f"case:{case.id}:evidence:{number}:reason",
    )
    try:
        await services.db.evidence.give_dispute_reason(
            case.id, number, user.id, role, reason, services.clock.now(), outbox=news
        )
    except Conflict:
        raise ValidationError(N_("evidence.answer.reason_given"), number=shown) from None
    await after_commit(services, context.bot)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {KIND: on_reason}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_answer, pattern=pattern(EvidenceAnswer))]
