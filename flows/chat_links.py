"""One-time links into the dispute chat: made for one party, kept, revoked when no longer right.

Telegram's member limit counts the members who joined through a link *at the same time*, so a
one-time link that was used admits someone again once its user leaves or is removed. The bot
therefore records every link it makes and revokes it on Telegram as soon as anyone joins with
it, when a newer link for the same party replaces it, and when the case closes (or the party is
no longer a party). A party whose link was used by someone else, expired, or could not be made
(the bot lacked the right to invite users) gets a new one from /case; a party who is already in
the chat is told so instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from enum import Enum
from functools import partial
from typing import Any

from telegram import Bot, ChatMember, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden
from telegram.ext import BaseHandler, CallbackQueryHandler, ChatMemberHandler, ContextTypes

from flows.audience import to_case, to_chat, to_user
from flows.buttons import AskChatLink
from flows.callbacks import encode, pattern
from flows.case_context import OPEN_STATES, case_button
from flows.chat_migration import group_target
from flows.claim_render import case_number
from flows.common import Button
from flows.logs import bind_case
from flows.rules.lifecycle import Role
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, ChatLink, ChatStatus

log = logging.getLogger(__name__)

CHAT_LINK_HOURS = 24
LINK_NAME_LIMIT = 32  # Telegram's limit for an invite link's name (the buyer sees it)
LINK_NAME_KEYS = {
    Role.BUYER: N_("invite.link_name_buyer"),
    Role.SUPPLIER: N_("invite.link_name"),
    Role.MEDIATOR: N_("invite.link_name_mediator"),
}
ASKERS = frozenset(LINK_NAME_KEYS)
IN_CHAT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


class Outcome(Enum):
    """What asking for a link came to."""

    SENT = "sent"  # a new link went to the party
    MEMBER = "member"  # the party is in the chat already
    NO_CHAT = "no_chat"  # the case has no bound dispute chat
    NO_RIGHT = "no_right"  # Telegram refused (the bot lacks the right to invite users)


def link_button(tr: Translator, case_id: int) -> Button:
    return tr.t("button.chat_link"), encode(AskChatLink(case_id))


def in_chat(member: ChatMember) -> bool:
    """Present in the chat now (a restricted member may be in it or not)."""
    return member.status in IN_CHAT or bool(
        member.status == ChatMemberStatus.RESTRICTED and getattr(member, "is_member", False)
    )


async def issue(services: Services, bot: Bot, case: Case, user_id: int) -> Outcome:
    """Send `user_id` a new one-time link into the case's chat, revoking their unused ones."""
    chat = await services.db.chats.for_case(case.id)
    if chat is None or chat.status != ChatStatus.BOUND:
        return Outcome.NO_CHAT
    role = await services.db.cases.role_of(case.id, user_id)
    assert role is not None, "links are made for the case's parties only"
    now = services.clock.now()
    expires = now + timedelta(hours=CHAT_LINK_HOURS)
    # The buyer administers the group and sees every link's name, so it is in their language.
    namer = await services.translator_for_id(case.buyer_id)
    name = namer.t(LINK_NAME_KEYS[role], number=case_number(case))[:LINK_NAME_LIMIT]
    group = group_target(services, bot, chat.chat_id)
    try:
        if in_chat(await group.call(partial(bot.get_chat_member, user_id=user_id))):
            return Outcome.MEMBER
        await _revoke(
            services, bot, await services.db.chat_links.live(case.id, now, user_id=user_id)
        )
        link = await group.call(
            partial(bot.create_chat_invite_link, name=name, member_limit=1, expire_date=expires)
        )
    except (BadRequest, Forbidden) as exc:
        log.warning("no chat link for the %s: %s", role, exc.message)
        return Outcome.NO_RIGHT
    await services.db.chat_links.add(
        case.id, group.chat_id, user_id, link.invite_link, now, expires
    )
    await services.db.history.append(
        case.id, None, Role.SYSTEM, "chat.invite_sent", {"to": str(role)}, now
    )
    await to_user(
        services,
        bot,
        case,
        user_id,
        lambda tr: tr.t("supplier.chat_link", link=link.invite_link, hours=CHAT_LINK_HOURS),
    )
    return Outcome.SENT


async def report_no_right(services: Services, bot: Bot, case: Case, user_id: int) -> None:
    """Tell the party why no link came and how to get one later; ask the group's owner (the
    buyer, and the chat) for the right."""
    number, case_id = case_number(case), case.id
    await to_user(
        services,
        bot,
        case,
        user_id,
        lambda tr: tr.t("chatlink.no_right", number=number, id=case.number),
        lambda tr: [[link_button(tr, case_id)]],
    )
    owner = [case.buyer_id] if user_id != case.buyer_id else []
    await to_case(services, bot, case, lambda tr: tr.t("group.no_invite_right"), private_to=owner)


async def revoke_case_links(
    services: Services, bot: Bot, case: Case, *, user_id: int | None = None
) -> None:
    """Revoke on Telegram every unused link the case made (only `user_id`'s, when given): the
    case closed, or that person is no longer a party."""
    now = services.clock.now()
    await _revoke(services, bot, await services.db.chat_links.live(case.id, now, user_id=user_id))


async def _revoke(services: Services, bot: Bot, links: Sequence[ChatLink]) -> None:
    for link in links:
        try:
            target = group_target(services, bot, link.chat_id)
            await target.call(partial(bot.revoke_chat_invite_link, invite_link=link.invite_link))
        except (BadRequest, Forbidden) as exc:
            # Kept as live, so the next attempt (a new link, the case closing) tries again.
            log.warning("chat link %s not revoked: %s", link.id, exc.message)
            continue
        await services.db.chat_links.mark_revoked(link.invite_link, services.clock.now())


async def on_link_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Get a link to the dispute chat" button of /case (and of the used-link notice)."""
    press = await case_button(update, context, AskChatLink, ASKERS)
    if press is None:
        return
    services, query, tr, case = press.services, press.query, press.tr, press.case
    number = case_number(case)
    if case.state not in OPEN_STATES:
        await query.answer(tr.t("chatlink.case_closed", number=number), show_alert=True)
        return
    outcome = await issue(services, context.bot, case, press.user.id)
    if outcome is Outcome.MEMBER:
        await query.answer(tr.t("chatlink.already_member", number=number), show_alert=True)
    elif outcome is Outcome.NO_CHAT:
        await query.answer(tr.t("chatlink.no_chat", number=number), show_alert=True)
    else:
        await query.answer()
        if outcome is Outcome.NO_RIGHT:
            await report_no_right(services, context.bot, case, press.user.id)


async def on_member_joined(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone joined a dispute chat through one of our links: the link is spent. It is revoked
    on Telegram (it would admit someone again once they leave), and when it was meant for
    someone else, that party is told and offered a new one."""
    change = update.chat_member
    if change is None or change.invite_link is None:
        return
    if in_chat(change.old_chat_member) or not in_chat(change.new_chat_member):
        return
    services = get_services(context)
    joiner = change.new_chat_member.user
    now = services.clock.now()
    used = await services.db.chat_links.mark_used(
        change.chat.id, change.invite_link.invite_link, joiner.id, now
    )
    if used is None:  # not a link we track, or this update came twice
        return
    bind_case(used.case_id)
    case = await services.db.cases.get(used.case_id)
    assert case is not None
    role = await services.db.cases.role_of(case.id, joiner.id)
    await services.db.history.append(
        case.id,
        joiner.id,
        role or Role.SYSTEM,
        "chat.link_used",
        {"chat_id": used.chat_id, "meant_for": used.user_id, "party": role is not None},
        now,
    )
    if joiner.id == used.user_id and role is Role.SUPPLIER:
        # Now, not when they accepted the invitation, the supplier is in the chat.
        name = joiner.first_name
        await to_chat(
            services,
            context.bot,
            case,
            used.chat_id,
            lambda tr: tr.t("supplier.joined_chat", name=name, number=case_number(case)),
        )
    if joiner.id == used.user_id and role is Role.MEDIATOR:
        # Announced by the bot, by name and role, so that nobody can pose as the mediator.
        name = joiner.full_name
        await services.db.history.append(
            case.id, joiner.id, Role.MEDIATOR, "mediator.joined", {"name": name}, now
        )
        await to_chat(
            services,
            context.bot,
            case,
            used.chat_id,
            lambda tr: tr.t("mediator.joined_chat", name=name, number=case_number(case)),
        )
    if joiner.id != used.user_id:
        log.info("a chat link meant for user %s was used by someone else", used.user_id)
        number, case_id, name = case_number(case), case.id, joiner.full_name
        await to_user(
            services,
            context.bot,
            case,
            used.user_id,
            lambda tr: tr.t("chatlink.used_by_other", name=name, number=number, id=case.number),
            lambda tr: [[link_button(tr, case_id)]],
        )
    # Last, so that a revoked link means everything above is done. Still before anyone is
    # removed: the removal comes with the join's service message, the next update of this chat.
    try:
        target = group_target(services, context.bot, used.chat_id)
        await target.call(
            partial(context.bot.revoke_chat_invite_link, invite_link=used.invite_link)
        )
    except (BadRequest, Forbidden) as exc:
        log.warning("used chat link %s not revoked: %s", used.id, exc.message)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_link_button, pattern=pattern(AskChatLink)),
        ChatMemberHandler(on_member_joined, ChatMemberHandler.CHAT_MEMBER),
    ]


async def send_chat_link_if_waiting(services: Services, bot: Bot, case: Case) -> None:
    """Once both the supplier and the chat exist, give the supplier a one-time way in."""
    if case.supplier_id is None:
        return
    outcome = await issue(services, bot, case, case.supplier_id)
    if outcome is Outcome.NO_RIGHT:
        await report_no_right(services, bot, case, case.supplier_id)
