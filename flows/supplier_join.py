"""Bringing the supplier in: an invitation the buyer forwards, and the supplier's confirmation.

The invitation is a bot deep link with a single-use, expiring token (also as a QR code). The
supplier starts the bot, reads the claim and its evidence index in their own language, confirms
being the supplier of that order, and receives a one-time link into the dispute chat. A second
person using the same invitation is refused.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

import segno
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.i18n import N_, Translator
from bot.logs import bind_case
from bot.services import Services, get_services
from flows import supplier_clock
from flows.audience import to_case, to_user
from flows.claim_render import case_number, evidence_line, render_summary
from flows.common import keyboard, pack, unpack
from flows.messaging import send
from flows.rules.lifecycle import CaseState, Role
from storage import Case, InviteToken, TokenInvalid

log = logging.getLogger(__name__)

SUPPLIER_INVITE = "supplier_invite"
INVITE = "inv"  # inv:<case id>: the buyer asks for the supplier's invitation
JOIN = "sj"  # sj:<token>:yes|no: the supplier confirms (or denies) being the supplier
CHAT_LINK_HOURS = 24
LINK_NAME_LIMIT = 32  # Telegram's limit for an invite link's name (the buyer sees it)


def invite_button(tr: Translator, case_id: int) -> tuple[str, str]:
    return tr.t("button.invite_supplier"), pack(INVITE, case_id)


async def on_invite_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    parts = unpack(query.data)
    case = await services.db.cases.get(int(parts[1])) if parts[1:2] and parts[1].isdigit() else None
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
    token = await services.db.tokens.create(case.id, SUPPLIER_INVITE, user.id, now, expires)
    await supplier_clock.invitation_made(services, context.bot, case, user.id, tr)
    link = f"https://t.me/{context.bot.username}?start={token.token}"
    await send(
        context.bot,
        user.id,
        tr.t("invite.instructions", number=case_number(case.id), expires=tr.datetime(expires)),
    )
    await send(context.bot, user.id, link)
    image = io.BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=6)
    image.seek(0)
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
        await send(context.bot, user.id, tr.t(refusal))
        return True
    evidence = await services.db.evidence.list(case.id, include_mediator_only=False)
    text = "\n\n".join(
        [
            tr.t(
                "invite.intro", buyer=await _buyer_name(services, case), number=case_number(case.id)
            ),
            render_summary(case.claim, evidence, tr),
            *await supplier_clock.respond_by(services, case, tr),
            tr.t("invite.confirm_question"),
        ]
    )
    rows = [
        [(tr.t("button.i_am_supplier"), pack(JOIN, token, "yes"))],
        [(tr.t("button.not_me"), pack(JOIN, token, "no"))],
    ]
    await send(context.bot, user.id, text, keyboard(rows))
    return True


def _refusal(services: Services, invitation: InviteToken, case: Case, user_id: int) -> str | None:
    if user_id == case.buyer_id:
        return N_("invite.own_claim")
    if invitation.used_by is not None and invitation.used_by != user_id:
        return N_("invite.used")
    if invitation.expires_at <= services.clock.now():
        return N_("invite.expired")
    if case.state is not CaseState.AWAITING_SUPPLIER and case.supplier_id != user_id:
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
    parts = unpack(query.data)
    invitation = await services.db.tokens.get(parts[1]) if len(parts) == 3 else None
    if invitation is None or invitation.purpose != SUPPLIER_INVITE:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(invitation.case_id)
    case = await services.db.cases.get(invitation.case_id)
    assert case is not None
    refusal = _refusal(services, invitation, case, user.id)
    if refusal is not None:
        await query.answer(tr.t(refusal), show_alert=True)
        return
    if parts[2] != "yes":
        await query.answer()
        await send(context.bot, user.id, tr.t("invite.declined"))
        return
    try:
        await services.db.tokens.consume(
            invitation.token, user.id, services.clock.now(), SUPPLIER_INVITE
        )
    except TokenInvalid as error:
        if not (error.reason == "used" and case.supplier_id == user.id):
            await query.answer(tr.t("invite.used"), show_alert=True)
            return
    await query.answer()
    if case.supplier_id != user.id:
        case = await services.db.cases.set_supplier(case.id, user.id, services.clock.now())
        log.info("supplier joined the case")
        await _welcome_supplier(services, context.bot, case, tr)


async def _welcome_supplier(services: Services, bot: Bot, case: Case, tr: Translator) -> None:
    assert case.supplier_id is not None
    supplier = case.supplier_id
    deadline = await services.db.deadlines.next_for_case(case.id)
    due = tr.datetime(deadline.due_at) if deadline is not None else "—"
    await send(bot, supplier, tr.t("supplier.welcome", number=case_number(case.id), due=due))
    await _send_evidence_files(services, bot, case, tr)
    name = await services.db.users.get(supplier)
    supplier_name = name.first_name if name is not None else ""
    await to_case(
        services,
        bot,
        case,
        lambda t: t.t("supplier.joined", name=supplier_name, number=case_number(case.id)),
        private_to=[case.buyer_id],
    )
    await send_chat_link_if_waiting(services, bot, case)
    from flows import supplier_answer

    await supplier_answer.ask(services, bot, case, tr)


async def _send_evidence_files(services: Services, bot: Bot, case: Case, tr: Translator) -> None:
    assert case.supplier_id is not None
    for item in await services.db.evidence.list(case.id, include_mediator_only=False):
        caption = evidence_line(item, tr)
        try:
            if item.telegram_file_id is None:
                await send(bot, case.supplier_id, caption + "\n\n" + (item.text or ""))
            elif item.kind == "photo":
                await bot.send_photo(case.supplier_id, item.telegram_file_id, caption=caption)
            else:
                await bot.send_document(case.supplier_id, item.telegram_file_id, caption=caption)
        except (BadRequest, Forbidden) as exc:
            log.warning("evidence E%s not delivered to the supplier: %s", item.number, exc.message)


async def send_chat_link_if_waiting(services: Services, bot: Bot, case: Case) -> None:
    """Once both the supplier and the chat exist, give the supplier a one-time way in."""
    if case.supplier_id is None:
        return
    chat = await services.db.chats.for_case(case.id)
    if chat is None or chat.status != "bound":
        return
    try:
        member = await bot.get_chat_member(chat.chat_id, case.supplier_id)
        if member.status in ("member", "administrator", "creator", "restricted"):
            return
        link = await bot.create_chat_invite_link(
            chat.chat_id,
            name=(await services.translator_for_id(case.buyer_id)).t(
                "invite.link_name", number=case_number(case.id)
            )[:LINK_NAME_LIMIT],
            member_limit=1,
            expire_date=services.clock.now() + timedelta(hours=CHAT_LINK_HOURS),
        )
    except (BadRequest, Forbidden) as exc:
        log.warning("no invite link for the supplier: %s", exc.message)
        await to_case(
            services,
            bot,
            case,
            lambda tr: tr.t("group.no_invite_right"),
            private_to=[case.buyer_id],
        )
        return
    await services.db.history.append(
        case.id, None, Role.SYSTEM, "chat.invite_sent", {"to": "supplier"}, services.clock.now()
    )
    await to_user(
        services,
        bot,
        case,
        case.supplier_id,
        lambda tr: tr.t("supplier.chat_link", link=link.invite_link, hours=CHAT_LINK_HOURS),
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_invite_button, pattern=rf"^{INVITE}:"),
        CallbackQueryHandler(on_join_button, pattern=rf"^{JOIN}:"),
    ]
