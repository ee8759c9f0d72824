"""A dispute chat that Telegram upgraded from a basic group to a supergroup: the case follows.

The supergroup has a new id and the old one is dead. The bot learns of the move from whichever
comes first: the service message Telegram posts in the old group (`migrate_to_chat_id`), the one
in the supergroup (`migrate_from_chat_id`), or a request refused for the old id (every call about
a group goes through `flows.messaging.ChatTarget`, which then calls `follower` and repeats the
request at the new id). Following is idempotent: the case's binding moves once, in one
transaction with the history event "chat.migrated" {from_chat_id, to_chat_id} and the inputs
half-typed in that chat; later reports of the same move change nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, MessageHandler, filters

from flows.logs import bind_case
from flows.messaging import ChatTarget, Follow
from flows.services import Services, get_services
from storage import CaseChat, Conflict, NotFound

log = logging.getLogger(__name__)


async def follow_group(services: Services, old_chat_id: int, new_chat_id: int) -> CaseChat | None:
    """Move the case bound to group `old_chat_id` to the supergroup `new_chat_id` (once).

    Returns the binding, or None when the group belongs to no case (or, logged as an error,
    when the supergroup already belongs to another case)."""
    try:
        moved = await services.db.chats.migrate_chat(old_chat_id, new_chat_id, services.clock.now())
    except NotFound:
        log.info("group %s, of no case, is now the supergroup %s", old_chat_id, new_chat_id)
        return None
    except Conflict as error:
        log.error("group %s is now the supergroup %s: %s", old_chat_id, new_chat_id, error)
        return None
    bind_case(moved.case_id)
    log.info("the case follows its group %s to the supergroup %s", old_chat_id, new_chat_id)
    return moved


def follower(services: Services) -> Follow:
    """What `ChatTarget` calls when a request tells it that a group moved."""

    async def follow(old_chat_id: int, new_chat_id: int) -> None:
        await follow_group(services, old_chat_id, new_chat_id)

    return follow


def group_target(services: Services, bot: Bot, chat_id: int) -> ChatTarget:
    """The chat `chat_id` as the bot addresses it, following it into a supergroup."""
    return ChatTarget(bot, chat_id, follower(services))


async def on_upgrade(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram's `migrate_to_chat_id` (old group) or `migrate_from_chat_id` (supergroup)."""
    message = update.effective_message
    if message is not None:
        if message.migrate_to_chat_id is not None:
            old_chat_id, new_chat_id = message.chat_id, message.migrate_to_chat_id
        else:
            assert message.migrate_from_chat_id is not None  # the filter lets only these in
            old_chat_id, new_chat_id = message.migrate_from_chat_id, message.chat_id
        await follow_group(get_services(context), old_chat_id, new_chat_id)
    # A service message, not something said: it is not recorded, and no flow answers it.
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Runs before the dispute chat's recorder (see `bot/app.py`)."""
    return [MessageHandler(filters.StatusUpdate.MIGRATE, on_upgrade)]
