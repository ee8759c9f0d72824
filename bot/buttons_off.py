"""Taking buttons that no longer apply off their messages.

The bot's client records every message it sends or edits with inline buttons
(`button_messages`, `bot/telegram_bot.py`). A pass (`take_off`) reads that record, asks
`flows/stale_buttons.py` which buttons no longer apply (decided from the database alone: the
proposal is no longer open, the invitation was answered, the case closed, ...), and edits them
off with editMessageReplyMarkup (keeping the buttons that still apply, e.g. the link into the
dispute chat). The record then holds what the message shows now; a message left with no button
is forgotten.

When: after every sweep and at start-up over every recorded message (`run`), and after every
update whose writes touched a case over the messages it may have made stale (`after`): those
of the cases its writes touched (`storage.ledger.touch_case`: every write that a button's
staleness depends on does, from a proposal's status to a builder's newest menu), of the cases
of its user and chat, in its chats, and those recorded before their case was (migration 0016).
An update that touched no case (/help, a list, a claim-form answer) changed nothing a button
depends on, and is followed by no pass; what time alone makes stale (an expired invitation) is
the sweep's. The state that makes a button stale is committed with the change itself, so the
removal needs nothing queued in memory: a process killed between the change and the edit takes
the buttons off at its next start. Passes never overlap within a process (passes asked for
while one runs are merged and run after it, a full one standing for every scoped one); two
processes may both edit a message, and the second edit's "message is not modified" is tolerated
like any refused edit (too old, deleted, chat gone): logged, and the message forgotten. A
failure that may pass (network, timeout) leaves the record for the next pass: the next
update's, whatever that update wrote. A stale press is still answered by its handler.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from flows.common import keyboard
from flows.services import Services
from flows.stale_buttons import Judge, newest_builders
from storage.ledger import current_update
from storage.repos.buttons import ButtonMessage

log = logging.getLogger(__name__)

BUTTONS_OFF_KEY = "buttons_off"  # bot_data: this process's ButtonsOff


@dataclass
class Scope:
    """Which recorded messages a pass reads: those of these cases, users and chats."""

    cases: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    chats: set[int] = field(default_factory=set)

    def merge(self, other: Scope) -> None:
        self.cases |= other.cases
        self.users |= other.users
        self.chats |= other.chats


def update_scope(update: object) -> Scope | None:
    """What the update being handled may have made stale; None when its writes touched no
    case (`storage.ledger.touch_case`: every write a button's staleness depends on does)."""
    entry = current_update()
    if entry is None or not entry.cases:
        return None
    scope = Scope(cases=set(entry.cases))
    if isinstance(update, Update):
        if update.effective_user is not None:
            scope.users.add(update.effective_user.id)
            scope.chats.add(update.effective_user.id)  # its private chat
        if update.effective_chat is not None:
            scope.chats.add(update.effective_chat.id)
    return scope


class ButtonsOff:
    """One per process: runs the passes one at a time, merging those asked for meanwhile."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self._lock = asyncio.Lock()
        self._full = False  # a pass over every message is owed
        self._scope: Scope | None = None  # a scoped pass is owed over this
        # messages whose edit failed in a way that may pass: the next update's pass, whatever
        # it wrote, tries them again
        self._retry = Scope()

    @property
    def idle(self) -> bool:
        """No pass is running."""
        return not self._lock.locked()

    async def run(self) -> None:
        """A pass over every message now, or (when one is running) after it. Never raises."""
        self._full = True
        await self._drain()

    async def after(self, update: object) -> None:
        """The pass after `update` (in its task: `current_update` is its entry); none when its
        writes touched no case and no failed edit waits to be tried again. Never raises."""
        try:
            scope = update_scope(update)
        except Exception:
            log.exception("taking stale buttons off: the update's scope failed; a full pass")
            scope = Scope()
            self._full = True
        if scope is None:
            if not self._retry.chats:
                return
            scope = Scope()
        if self._scope is None:
            self._scope = scope
        else:
            self._scope.merge(scope)
        await self._drain()

    async def _drain(self) -> None:
        if self._lock.locked():
            return  # the running pass goes round again for what was asked meanwhile
        async with self._lock:
            while self._full or self._scope is not None:
                scope, full = self._scope, self._full
                self._scope, self._full = None, False
                if scope is not None:
                    scope.merge(self._retry)
                retry, self._retry = self._retry, Scope()
                try:
                    await take_off(self.services, self.bot, None if full else scope, self._retry)
                except Exception:
                    self._retry.merge(retry)
                    log.exception("taking stale buttons off failed; the next pass tries again")


async def take_off(
    services: Services, bot: Bot, scope: Scope | None = None, retry: Scope | None = None
) -> int:
    """One pass over every recorded message (or those of `scope`); the number edited. The
    chats of edits that failed in a way that may pass are added to `retry`."""
    messages: list[ButtonMessage]
    if scope is None:
        messages = await services.db.buttons.all()
    else:
        messages = await services.db.buttons.scoped(scope.cases, scope.users, scope.chats)
    if not messages:
        return 0
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
    await judge.prefetch([data for m in messages for line in m.buttons for _, data in line])
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
        done = await _edit(services, bot, message.chat_id, message.message_id, keep)
        if done is None and retry is not None:
            retry.chats.add(message.chat_id)
        edited += bool(done)
    return edited


async def _edit(
    services: Services, bot: Bot, chat_id: int, message_id: int, keep: list[list[tuple[str, str]]]
) -> bool | None:
    """Whether the message was edited; None when the edit may pass if tried again."""
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
        return None
    return False
