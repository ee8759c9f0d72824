"""Bringing the supplier in: an invitation the buyer forwards, and the supplier's confirmation.

The invitation is a bot deep link with a single-use, expiring token (also as a QR code). The
supplier starts the bot, reads the claim and its evidence index in their own language, confirms
being the supplier of that order, and receives a one-time link into the dispute chat. A second
person using the same invitation is refused.

A case has one live invitation: making a new one revokes the old, and "No, this is not my order"
ends the one that was opened (the buyer is told and can make another). Whoever opens an
invitation that no longer works is told plainly why, in their own language: replaced, declined,
used, expired, or the case already has its supplier or no longer waits for one.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import supplier_answer, supplier_clock, supplier_replace
from flows.audience import for_case, for_user, to_user
from flows.buttons import InviteSupplier, JoinAnswer, SupplierJoin
from flows.callbacks import decode, encode, pattern
from flows.chat_links import send_chat_link_if_waiting
from flows.claim_render import case_number, render_summary
from flows.common import keyboard
from flows.evidence_confirm import answer_row, may_answer
from flows.evidence_index import files_for, index_line
from flows.evidence_send import send_evidence_file
from flows.logs import bind_case
from flows.messaging import clear_buttons, send
from flows.outbox import after_commit, deliver_pending
from flows.rules.lifecycle import CaseState, Role
from flows.services import Services, get_services
from flows.supplier_invite import invite_button
from locales.i18n import N_, Translator
from storage import Case, Conflict, InviteToken, OutboxMessage, RevokeReason, TokenInvalid

log = logging.getLogger(__name__)

SUPPLIER_INVITE = "supplier_invite"
REVOKED_KEYS = {
    RevokeReason.REPLACED: N_("invite.replaced"),
    RevokeReason.DECLINED: N_("invite.was_declined"),
    RevokeReason.CLOSED: N_("invite.closed"),
}


async def on_invite_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    pressed = decode(query.data, InviteSupplier)
    case = await services.db.cases.get(pressed.case_id) if pressed is not None else None
    if case is None or case.buyer_id != user.id:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    if case.supplier_id is not None or case.state is not CaseState.AWAITING_SUPPLIER:
        await query.answer(tr.t("invite.not_needed"), show_alert=True)
        return
    await query.answer()
    now = services.clock.now()
    expires = now + timedelta(days=services.settings.invitation_days)
    token = await services.db.tokens.create_replacing(
        case.id, SUPPLIER_INVITE, user.id, now, expires
    )
    await supplier_clock.invitation_made(services, context.bot, case, user.id, tr)
    link = f"https://t.me/{context.bot.username}?start={token.token}"
    await send(
        context.bot,
        user.id,
        tr.t("invite.instructions", number=case_number(case), expires=tr.datetime(expires)),
    )
    await send(context.bot, user.id, link)
    image = io.BytesIO(await asyncio.to_thread(_qr_png, link))
    try:
        await context.bot.send_photo(user.id, image, caption=tr.t("invite.qr_caption"))
    except Forbidden as exc:
        log.warning("QR code not delivered: %s", exc.message)


async def open_invitation(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> bool:
    """`/start <token>` in private: True when the token was a supplier invitation."""
    services = get_services(context)
    assert update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    invitation = await services.db.tokens.get(token)
    if invitation is None or invitation.purpose != SUPPLIER_INVITE:
        return False
    bind_case(invitation.case_id)
    case = await services.db.cases.get(invitation.case_id)
    assert case is not None
    refusal = _refusal(services, invitation, case, user.id)
    if refusal is not None:
        await send(context.bot, user.id, tr.t(refusal, number=case_number(case)))
        return True
    evidence = await services.db.evidence.list(case.id)
    text = "\n\n".join(
        [
            tr.t("invite.intro", buyer=await _buyer_name(services, case), number=case_number(case)),
            render_summary(case.filed_claim, evidence, tr, Role.SUPPLIER),
            *await supplier_clock.respond_by(services, case, tr),
            tr.t("invite.confirm_question"),
        ]
    )
    rows = [
        [(tr.t("button.i_am_supplier"), encode(SupplierJoin(token, JoinAnswer.YES)))],
        [(tr.t("button.not_me"), encode(SupplierJoin(token, JoinAnswer.NO)))],
    ]
    await send(context.bot, user.id, text, keyboard(rows))
    return True


def _refusal(services: Services, invitation: InviteToken, case: Case, user_id: int) -> str | None:
    """Why `user_id` may not use the invitation now (a catalog key), or None. The most telling
    reason first: who the case's supplier is says more than the state of one token."""
    if user_id == case.buyer_id:
        return N_("invite.own_claim")
    if case.state is CaseState.CLOSED:
        return N_("invite.closed")
    if case.supplier_id is not None:
        if case.supplier_id != user_id:
            return N_("invite.supplier_set")
        return None if invitation.used_by == user_id else N_("invite.already_yours")
    if invitation.used_by == user_id:  # they joined with it, and the buyer removed them
        return N_("invite.removed")
    if invitation.used_by is not None:
        return N_("invite.used")
    if invitation.revoked_reason is not None:
        return REVOKED_KEYS.get(invitation.revoked_reason, N_("invite.closed"))
    if invitation.expires_at <= services.clock.now():
        return N_("invite.expired")
    if case.state is not CaseState.AWAITING_SUPPLIER:
        return N_("invite.closed")
    return None


async def _buyer_name(services: Services, case: Case) -> str:
    buyer = await services.db.users.get(case.buyer_id)
    return buyer.first_name if buyer is not None else ""


async def on_join_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    pressed = decode(query.data, SupplierJoin)  # "no" declines: nothing else may
    invitation = await services.db.tokens.get(pressed.token) if pressed is not None else None
    if pressed is None or invitation is None or invitation.purpose != SUPPLIER_INVITE:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(invitation.case_id)
    case = await services.db.cases.get(invitation.case_id)
    assert case is not None
    refusal = _refusal(services, invitation, case, user.id)
    if refusal is None and pressed.answer is JoinAnswer.NO and case.supplier_id == user.id:
        refusal = N_("invite.already_yours")  # "No" after their own "Yes" undoes nothing
    if refusal is not None:
        await query.answer(tr.t(refusal, number=case_number(case)), show_alert=True)
        return
    if pressed.answer is JoinAnswer.NO:
        await _decline(services, context.bot, query, invitation, case, tr)
        return
    first_time = case.supplier_id != user.id
    # The news of the joining is rendered first and queued in the joining's transaction, so a
    # crash after it still tells everyone and still gives the supplier their answer buttons.
    news = await _joined_news(services, replace(case, supplier_id=user.id), invitation.token)
    try:
        joined = await services.db.suppliers.join(
            case.id,
            invitation.token,
            user.id,
            services.clock.now(),
            SUPPLIER_INVITE,
            outbox=news if first_time else (),
        )
    except (TokenInvalid, Conflict):
        # Someone else got there first (another press, another worker): say what happened.
        await query.answer(await _refusal_now(services, invitation, user.id, tr), show_alert=True)
        return
    await query.answer()
    if query.message is not None:  # answered: the question cannot be pressed again by mistake
        await clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
    if first_time:
        log.info("supplier joined the case")
        # The welcome and the news first, then the claim's files and the way into the chat,
        # then the question that asks for an answer, as they read best.
        await after_commit(services, context.bot, only=news[:-1], step="joined")
        await _send_evidence_files(services, context.bot, joined, tr)
        await send_chat_link_if_waiting(services, context.bot, joined)
        await deliver_pending(services, context.bot)


async def _refusal_now(
    services: Services, invitation: InviteToken, user_id: int, tr: Translator
) -> str:
    token = await services.db.tokens.get(invitation.token)
    case = await services.db.cases.get(invitation.case_id)
    assert token is not None and case is not None
    key = _refusal(services, token, case, user_id) or N_("invite.used")
    return tr.t(key, number=case_number(case))


async def _decline(
    services: Services,
    bot: Bot,
    query: CallbackQuery,
    invitation: InviteToken,
    case: Case,
    tr: Translator,
) -> None:
    """The opener says it is not their order: the invitation ends; the buyer may make another."""
    now = services.clock.now()
    if await services.db.tokens.revoke(invitation.token, RevokeReason.DECLINED, now) is None:
        assert query.from_user is not None
        refusal = await _refusal_now(services, invitation, query.from_user.id, tr)
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        await clear_buttons(bot, query.message.chat.id, query.message.message_id)
    # On the record that it was declined, but nothing about the person: we promise them that.
    await services.db.history.append(case.id, None, Role.SYSTEM, "invitation.declined", {}, now)
    log.info("invitation declined")
    await send(bot, query.from_user.id, tr.t("invite.declined"))
    await to_user(
        services,
        bot,
        case,
        case.buyer_id,
        lambda t: t.t("invite.declined_buyer", number=case_number(case)),
        lambda t: [[invite_button(t, case.id)]],
    )


async def _joined_news(services: Services, case: Case, token: str) -> list[OutboxMessage]:
    """What the joining tells: the supplier's welcome and their answer buttons, the shared
    chat and the buyer (whose copy can undo a wrong supplier until they answer the claim)."""
    assert case.supplier_id is not None
    supplier = case.supplier_id
    key = f"case:{case.id}:joined:{token}"
    deadline = await services.db.deadlines.next_for_case(case.id)

    def welcome(t: Translator) -> str:
        due = t.datetime(deadline.due_at) if deadline is not None else "—"
        return t.t("supplier.welcome", number=case_number(case), due=due)

    name = await services.db.users.get(supplier)
    supplier_name = name.first_name if name is not None else ""

    # They accepted the invitation; joining the dispute chat is another step, announced there
    # when it happens (flows/chat_links.py), so this does not say "joined".
    def joined(t: Translator) -> str:
        return t.t("supplier.accepted", name=supplier_name, number=case_number(case))

    return [
        await for_user(services, case, supplier, welcome, key=key),
        *await for_case(services, case, joined, key=key, private_to=[]),  # the shared chat
        await for_user(
            services,
            case,
            case.buyer_id,
            joined,
            lambda t: [[supplier_replace.replace_button(t, case.id, supplier)]],
            key=key,
        ),
        await supplier_answer.question(services, case, supplier, key),  # last: see the caller
    ]


async def _send_evidence_files(services: Services, bot: Bot, case: Case, tr: Translator) -> None:
    assert case.supplier_id is not None
    # Mediator-only items are not sent: the supplier read that they exist in the claim.
    for item in files_for(await services.db.evidence.list(case.id), Role.SUPPLIER):
        caption = index_line(item, Role.SUPPLIER, tr)
        rows = [answer_row(tr, case.id, item.number)] if may_answer(item, Role.SUPPLIER) else []
        markup = keyboard(rows)
        try:
            if item.telegram_file_id is None and item.store_key is None:
                text = caption + "\n\n" + (item.text or "")
                await send(bot, case.supplier_id, text, markup)
            else:
                await send_evidence_file(services, bot, case.supplier_id, item, caption, markup)
        except (TelegramError, LookupError) as exc:
            # One file that cannot be sent must not keep back the others, nor the buyer's news.
            log.warning("evidence E%s not delivered to the supplier: %s", item.number, exc)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_invite_button, pattern=pattern(InviteSupplier)),
        CallbackQueryHandler(on_join_button, pattern=pattern(SupplierJoin)),
    ]


def _qr_png(link: str) -> bytes:
    """The invitation link as a QR code (PNG); made in a thread. segno (about 9 MB) is loaded
    at a process's first invitation, not at start-up."""
    import segno

    image = io.BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=6)
    return image.getvalue()
