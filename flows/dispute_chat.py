"""The shared dispute chat: binding a group to a case, recording it, keeping strangers out.

The buyer adds the bot to a group through a `startgroup` deep link carrying a single-use token
(never the case number). The bot binds the group, checks that it can record the conversation
(administrator, or privacy mode off) and says plainly when it cannot, renames the group and pins
the claim summary when allowed; a group with anyone else in it is not bound at all (see
flows/bind_guard.py). From then on every message, edit and file in the group goes into the case
history with its author's role; anyone who joins and is not a party is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Bot, ChatMemberAdministrator, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    BaseHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from flows import bind_guard, chat_links, pinned_claim
from flows.audience import parties, to_case, to_chat
from flows.case_context import OPEN_STATES
from flows.chat_migration import group_target
from flows.claim_render import case_number
from flows.evidence_intake import incoming_file
from flows.logs import bind_case
from flows.messaging import ChatTarget
from flows.rules.lifecycle import DeadlineKind, Role
from flows.rules.validation import ValidationError
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, TokenInvalid

log = logging.getLogger(__name__)

GROUP_BIND = "group_bind"
NOT_LINKED_OWED = "not_linked_owed"  # bot_data: groups owed the "not linked yet" hint
ADMIN_RIGHTS = "change_info+delete_messages+restrict_members+invite_users+pin_messages"
TITLE_LIMIT = 128
# What the chat is told comes next when it is bound, by the case's pending deadline: the
# invitation, the supplier's response (its clock starts with the invitation), the negotiation
# after the supplier answered, or a mediator's assignment; each with its default outcome.
NEXT_STEP_KEYS = {
    DeadlineKind.SUPPLIER_INVITATION: N_("group.next_step_invitation"),
    DeadlineKind.SUPPLIER_RESPONSE: N_("group.next_step"),
    DeadlineKind.NEGOTIATION: N_("group.next_step_negotiation"),
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("group.next_step_mediator"),
}
GROUPS = filters.ChatType.GROUPS


async def group_link(services: Services, bot: Bot, case: Case) -> str:
    """A `startgroup` deep link that binds a group to `case` (single use, expiring): the live
    one if there is one (/case shows the same link each time), else a new one."""
    now = services.clock.now()
    token = await services.db.tokens.live(case.id, GROUP_BIND, now)
    if token is None:
        token = await services.db.tokens.create(
            case.id,
            GROUP_BIND,
            case.buyer_id,
            now,
            now + timedelta(days=services.settings.invitation_days),
        )
    return f"https://t.me/{bot.username}?startgroup={token.token}&admin={ADMIN_RIGHTS}"


async def can_record(bot: Bot, group: ChatTarget) -> bool:
    """The bot sees every message when privacy mode is off or when it is an administrator."""
    if bot.can_read_all_group_messages:
        return True
    member = await group.call(partial(bot.get_chat_member, user_id=bot.id))
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def _rights(bot: Bot, group: ChatTarget) -> ChatMemberAdministrator | None:
    member = await group.call(partial(bot.get_chat_member, user_id=bot.id))
    return member if isinstance(member, ChatMemberAdministrator) else None


async def on_group_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start@bot <token>` in a group: the startgroup link of a case's buyer."""
    services = get_services(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not context.args:
        return
    _, tr = await services.reader(user)
    group = group_target(services, context.bot, message.chat_id)
    token = await services.db.tokens.get(context.args[0])
    if token is None or token.purpose != GROUP_BIND or token.created_by != user.id:
        await group.send(tr.t("group.bind.invalid"))
        return
    bind_case(token.case_id)
    existing = await services.db.chats.case_for_chat(message.chat_id)
    if existing is not None and existing.case_id != token.case_id:
        await group.send(tr.t("group.bind.other_case"))
        return
    case = await services.db.cases.get(token.case_id)
    assert case is not None
    if existing is not None and existing.status == "bound":
        # The same link opened again in the chat it already bound: nothing to redo.
        await group.send(tr.t("group.bind.already", number=case_number(case)))
        return
    if case.state in OPEN_STATES:
        # Before anything of the case is said there and before the token is spent: a group
        # with others in it is not bound (flows/bind_guard.py), and the same link works again.
        others = await bind_guard.others_in(context.bot, case, group)
        if others.count:
            link = await group_link(services, context.bot, case)
            title = message.chat.title
            await bind_guard.hold(services, context.bot, case, group, title, others, tr, link)
            return
    try:
        await services.db.tokens.consume(token.token, user.id, services.clock.now(), GROUP_BIND)
    except TokenInvalid as error:
        if error.reason == "revoked":  # only closing revokes these: no group joins it any more
            await group.send(tr.t("group.bind.closed", number=case_number(case)))
            return
        key = N_("group.bind.expired") if error.reason == "expired" else N_("group.bind.invalid")
        if existing is None:  # a group the bot left may be bound again with the used link
            await group.send(tr.t(key))
            return
    await bind_group(services, context.bot, case, message, user.id)


async def bind_group(
    services: Services, bot: Bot, case: Case, message: Message, user_id: int
) -> None:
    now = services.clock.now()
    # Every step below addresses the group through `group`, so should Telegram upgrade it to
    # a supergroup meanwhile, the binding follows it and the later steps go there directly.
    group = group_target(services, bot, message.chat_id)
    await services.db.chats.bind(case.id, group.chat_id, user_id, now, title=message.chat.title)
    recording = await can_record(bot, group)
    await services.db.chats.set_recording(group.chat_id, recording, now)
    log.info("case bound to chat %s (recording: %s)", group.chat_id, recording)
    rights = await _rights(bot, group)
    if rights is not None and rights.can_change_info:
        title = f"{case_number(case)} · {case.filed_claim.product}"[:TITLE_LIMIT]
        await _quietly(group.call(partial(bot.set_chat_title, title=title)))
    evidence = await services.db.evidence.list(case.id)  # rendered for the shared chat

    def bound_text(tr: Translator) -> str:
        return pinned_claim.claim_text(case, evidence, tr)

    # The pinned claim stays where anyone can find it: its button sends the presser, in
    # private, every action open to them now (flows/cases.py), whatever was lost before.
    actions = pinned_claim.claim_rows(case)

    pin = rights is not None and rights.can_pin_messages
    summary = await to_chat(services, bot, case, group.chat_id, bound_text, actions)
    if summary is not None:
        group.chat_id = summary.chat_id  # where the chat is now
        if pin and not await _pin(bot, group, summary):
            # Upgraded to a supergroup between the post and the pin: the summary stayed in the
            # old group, so it is posted again to be pinned where the chat is now.
            summary = await to_chat(services, bot, case, group.chat_id, bound_text, actions)
            if summary is not None:
                await _pin(bot, group, summary)
    # The pinned claim says only that the group is bound; whether what is said here goes on
    # the record follows, as it is, so the chat is never told both that it is and that not.
    recorded = N_("group.recorded") if recording else N_("group.cannot_record")
    await to_chat(services, bot, case, group.chat_id, lambda tr: tr.t(recorded))
    deadline = await services.db.deadlines.next_for_case(case.id)
    next_step = NEXT_STEP_KEYS.get(deadline.kind) if deadline is not None else None
    if deadline is not None and next_step is not None:
        await to_chat(
            services,
            bot,
            case,
            group.chat_id,
            lambda tr: tr.t(next_step, due=tr.datetime(deadline.due_at)),
        )
    # the supplier may have been waiting for the chat
    await chat_links.send_chat_link_if_waiting(services, bot, case)


async def _pin(bot: Bot, group: ChatTarget, message: Message) -> bool:
    """Pin `message` quietly; False when the chat turned out to have moved to a supergroup
    (where that message is not)."""
    pin = partial(bot.pin_chat_message, message_id=message.message_id, disable_notification=True)
    await _quietly(group.call(pin, again=False))
    return group.chat_id == message.chat_id


async def _quietly(call: Awaitable[Any]) -> None:
    """Cosmetic calls (title, pin) may be refused by the group's settings; log and go on."""
    try:
        await call
    except (BadRequest, Forbidden) as exc:
        log.info("cosmetic group call refused: %s", exc.message)


async def on_bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added, promoted, demoted or removed: keep the recording status honest."""
    services = get_services(context)
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in ("group", "supergroup"):
        return
    bound = await services.db.chats.case_for_chat(change.chat.id)
    if bound is None:
        added = change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
        present = change.new_chat_member.status not in (
            ChatMemberStatus.LEFT,
            ChatMemberStatus.BANNED,
        )
        if added and present and change.chat.id != services.settings.error_chat_id:
            # Telegram's my_chat_member carries no startgroup payload: a join through a case's
            # link looks the same as one by hand, and its "/start@bot <token>" comes as the
            # next message. Saying "not linked yet" now would be false a moment later, so the
            # hint is owed: it goes with the group's next message that is not a command, if
            # the group is still no case's (a command in an unbound group is answered with the
            # same advice by itself). The operators' error chat is meant to be no case's.
            _hints_owed(context).add(change.chat.id)
        return
    bind_case(bound.case_id)
    case = await services.db.cases.get(bound.case_id)
    assert case is not None
    status = change.new_chat_member.status
    now = services.clock.now()
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        await services.db.chats.unbind(change.chat.id, now)
        await to_case(
            services,
            context.bot,
            case,
            lambda tr: tr.t("group.bot_removed", number=case_number(case)),
            private_to=parties(case),
        )
        return
    recording = context.bot.can_read_all_group_messages or status in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    )
    if recording == bound.can_record:
        return
    await services.db.chats.set_recording(change.chat.id, recording, now)
    key = N_("group.recording_on") if recording else N_("group.cannot_record")
    await to_chat(services, context.bot, case, change.chat.id, lambda tr: tr.t(key))


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Everything said in a bound group goes on the record with its author's role."""
    services = get_services(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    bound = await services.db.chats.case_for_chat(message.chat_id)
    if bound is None:
        await _give_owed_hint(services, context, message, user)
        return
    if bound.status != "bound":
        return
    bind_case(bound.case_id)
    if message.new_chat_members:
        await _check_newcomers(services, context.bot, bound.case_id, message)
        return
    if message.left_chat_member or message.pinned_message or message.new_chat_title:
        return
    role = await services.db.cases.role_of(bound.case_id, user.id)
    payload: dict[str, Any] = {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "author": user.full_name,
        "text": message.text or message.caption,
    }
    kind = "chat.edit" if update.edited_message is not None else "chat.message"
    try:
        item = incoming_file(message)
    except ValidationError:
        item = None
    if item is not None:
        kind = "chat.file"
        payload["file"] = item.to_json()
    # Someone with no part in the case (not removed yet, or the bot could not remove them)
    # speaks for themselves, on the record under their own id and name, never as the system.
    await services.db.history.append(
        bound.case_id, user.id, role or Role.STRANGER, kind, payload, services.clock.now()
    )
    await services.db.cases.touch(bound.case_id, services.clock.now())


def _hints_owed(context: ContextTypes.DEFAULT_TYPE) -> set[int]:
    """Groups the bot joined that are told "not linked yet" with their next message."""
    owed: set[int] = context.bot_data.setdefault(NOT_LINKED_OWED, set())
    return owed


async def _give_owed_hint(
    services: Services, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User
) -> None:
    """The owed "not linked yet", in the speaker's language, with the first message of an
    unbound group that is not a command (a bind is "/start@bot <token>"; others answer)."""
    owed = _hints_owed(context)
    said = message.text or message.caption
    # Service messages (the bot's own join among them, which comes before a link's /start)
    # are nobody speaking: the hint waits for a person.
    if message.chat_id not in owed or said is None:
        return
    owed.discard(message.chat_id)
    if said.startswith("/"):
        return
    _, tr = await services.reader(user)
    await group_target(services, context.bot, message.chat_id).send(tr.t("group.not_linked"))


async def _check_newcomers(services: Services, bot: Bot, case_id: int, message: Message) -> None:
    case = await services.db.cases.get(case_id)
    assert case is not None and message.new_chat_members is not None
    group = group_target(services, bot, message.chat_id)
    for member in message.new_chat_members:
        if member.id == bot.id:
            continue
        role = await services.db.cases.role_of(case_id, member.id)
        await services.db.history.append(
            case_id,
            member.id,
            role or Role.STRANGER,
            "chat.joined",
            {"chat_id": message.chat_id, "name": member.full_name, "party": role is not None},
            services.clock.now(),
        )
        if role is not None:
            # A party who joins after the claim was pinned reads it in their language too.
            await pinned_claim.refresh(services, bot, case, group)
            continue
        removed = await remove_member(bot, group, member.id)
        key = N_("group.stranger_removed") if removed else N_("group.stranger_not_removed")
        await to_chat(services, bot, case, group.chat_id, _named(key, member.full_name))


def _named(key: str, name: str) -> Callable[[Translator], str]:
    return lambda tr: tr.t(key, name=name)


async def remove_member(bot: Bot, group: ChatTarget, user_id: int) -> bool:
    """Remove a non-party: ban then unban, so they are out but not blacklisted forever."""
    try:
        await group.call(partial(bot.ban_chat_member, user_id=user_id))
        await group.call(partial(bot.unban_chat_member, user_id=user_id, only_if_banned=True))
    except (BadRequest, Forbidden) as exc:
        log.warning("could not remove a non-party from the dispute chat: %s", exc.message)
        return False
    return True


def recorder() -> list[BaseHandler[Any, Any, Any]]:
    """Runs before every other handler for group updates (registered in a group of its own, so
    the other handlers still see each message after it is recorded)."""
    return [MessageHandler(GROUPS, on_group_message)]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("start", on_group_start, filters=GROUPS),
        ChatMemberHandler(on_bot_membership, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
