"""Taking buttons that no longer apply off their messages.

The bot's client records every message it sends or edits with inline buttons
(`button_messages`, `bot/telegram_bot.py`). A pass (`take_off`) reads that record, asks
`flows/stale_buttons.py` which buttons no longer apply (decided from the database alone: the
proposal is no longer open, the invitation was answered, the case closed, ...), and edits them
off with editMessageReplyMarkup (keeping the buttons that still apply, e.g. the link into the
dispute chat). The record then holds what the message shows now; a message left with no button
is forgotten.

When: after every update is handled (`bot/update_processor.py`), after every sweep and at
start-up. The state that makes a button stale is committed with the change itself, so the
removal needs nothing queued in memory: a process killed between the change and the edit
takes the buttons off at its next start. Passes never overlap within a process (a pass asked
for while one runs makes that one go round again); two processes may both edit a message,
and the second edit's "message is not modified" is tolerated like any refused edit (too old,
deleted, chat gone): logged, and the message forgotten. A failure that may pass (network,
timeout) leaves the record for the next pass. A stale press is still answered by its handler.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from flows.common import keyboard
from flows.services import Services
from flows.stale_buttons import Judge, newest_builders

log = logging.getLogger(__name__)

BUTTONS_OFF_KEY = "buttons_off"  # bot_data: this process's ButtonsOff


class ButtonsOff:
    """One per process: coalesces the passes asked for while one runs."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False

    @property
    def idle(self) -> bool:
        """No pass is running."""
        return not self._lock.locked()

    async def run(self) -> None:
        """A pass now, or (when one is running) one more after it. Never raises."""
        if self._lock.locked():
            self._again = True
            return
        async with self._lock:
            self._again = True
            while self._again:
                self._again = False
                try:
                    await take_off(self.services, self.bot)
                except Exception:
                    log.exception("taking stale buttons off failed; the next pass tries again")


async def take_off(services: Services, bot: Bot) -> int:
    """One pass over every recorded message; the number of messages edited."""
    messages = await services.db.buttons.all()
    judge = Judge(
        services.db,
        services.clock.now(),
        newest_builders(
            [
                (m.chat_id, m.message_id, [data for line in m.buttons for _, data in line])
                for m in messages
            ]
        ),
    )
    edited = 0
    for message in messages:
        keep = [
            [
                (label, data)
                for label, data in line
                if not await judge.stale(message.chat_id, message.message_id, data)
            ]
            for line in message.buttons
        ]
        keep = [line for line in keep if line]
        if keep == [line for line in message.buttons if line]:
            continue
        if await _edit(services, bot, message.chat_id, message.message_id, keep):
            edited += 1
    return edited


async def _edit(
    services: Services, bot: Bot, chat_id: int, message_id: int, keep: list[list[tuple[str, str]]]
) -> bool:
    markup = keyboard(keep) if keep else None
    try:
        # The client records the message's new buttons (or forgets it: none left).
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
        return True
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return False  # another pass was first: the record already says what it shows
        # Too old (another worker was first), too old, deleted, the chat gone or moved:
        # nothing more to do for this message; the handlers still refuse a stale press.
        log.info("could not take the buttons off message %s in %s: %s", message_id, chat_id, exc)
        await services.db.buttons.forget(chat_id, message_id)
    except Forbidden as exc:  # the user blocked the bot, or the bot left the group
        log.info("could not take the buttons off message %s in %s: %s", message_id, chat_id, exc)
        await services.db.buttons.forget(chat_id, message_id)
    except TelegramError as exc:
        log.warning(
            "taking the buttons off message %s in %s failed, tried again later: %s",
            message_id,
            chat_id,
            exc,
        )
    return False
