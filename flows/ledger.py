"""Each update once: the stamping handler's ledger check, and what follows a failure after a save.

Every update gets its id on each log line and becomes the current update of the storage ledger
(`storage/ledger.py`), whose first write records it as handled in the same transaction as its
effect. An update found in the ledger was handled before (Telegram re-delivers an update the
bot did not confirm, e.g. after a kill): it is skipped, so nothing changes and nothing is sent
twice. Updates that wrote nothing are handled again; repeating a read-only answer is harmless.

A flow may name how to carry on after its answer was saved (`resume_with`): if a later step of
the same update fails (typically sending the next question), the error handler says the answer
was saved and asks the next question, instead of "try again", which would make the user retype
an answer that then lands on the next question.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes

from flows.logs import bind_update
from flows.metrics import REDELIVERED
from flows.services import SERVICES_KEY, Looked, Services, remember_first_look
from storage.ledger import HandledUpdate, begin_update, current_update

__all__ = [
    "KEEP",
    "Resume",
    "checkpoint",
    "prune",
    "resume_hook",
    "resume_with",
    "saved",
    "stamp_update",
    "then_checkpoint",
]

log = logging.getLogger(__name__)

Resume = Callable[[], Awaitable[None]]
# How many of the update's effects were committed when the current handler started: a failure
# is "after a save" only if the handler that failed saved something itself (the recorder of a
# group message commits before the command in it is handled).
_checkpoint: ContextVar[int] = ContextVar("ledger_checkpoint", default=0)
# Telegram keeps an unconfirmed update for 24 hours; a ledger row older than that can never
# meet its update again. Two days leave room for a clock that is off.
KEEP = timedelta(days=2)
_resume: ContextVar[Resume | None] = ContextVar("resume_after_save", default=None)


async def stamp_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -2: log stamp, ledger entry, and the skip of an update handled before."""
    _resume.set(None)
    _checkpoint.set(0)
    remember_first_look(None)
    if not isinstance(update, Update):
        bind_update(None)
        begin_update(None)
        return
    bind_update(update.update_id)
    services = context.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        begin_update(None)
        return
    bot_id = context.bot.id
    begin_update(HandledUpdate(bot_id, update.update_id, services.clock.now()))
    sender = update.effective_user.id if update.effective_user is not None else None
    chat = update.effective_chat.id if update.effective_chat is not None else None
    # one read for the check, the sender's row and pending input, which the handlers then use
    found = await services.db.updates.first_look(bot_id, update.update_id, sender, chat)
    if found is None:
        log.info("update delivered again after it was handled: skipped")
        REDELIVERED.inc()
        raise ApplicationHandlerStop
    if sender is not None:
        remember_first_look(Looked(sender, chat, found))


def resume_with(resume: Resume) -> None:
    """How this update's flow carries on once its answer is saved (see the module docstring)."""
    _resume.set(resume)


def saved() -> bool:
    """Whether the handler that is running (or failed) committed an effect of this update."""
    entry = current_update()
    return entry is not None and entry.commits > _checkpoint.get()


def checkpoint() -> None:
    """What was committed so far belongs to a handler that finished: `saved` no longer counts it."""
    entry = current_update()
    _checkpoint.set(entry.commits if entry is not None else 0)


def then_checkpoint(handler: BaseHandler[Any, Any, Any]) -> BaseHandler[Any, Any, Any]:
    """`handler`, followed by a `checkpoint` when it succeeds (for the handlers that run before
    the one a user's message is really for: the recorder of a group message)."""
    original = handler.callback

    async def callback(update: object, context: ContextTypes.DEFAULT_TYPE) -> Any:
        result = await original(update, context)
        checkpoint()
        return result

    handler.callback = callback
    return handler


def resume_hook() -> Resume | None:
    """The flow's way to carry on, if it named one."""
    return _resume.get()


async def prune(services: Services) -> None:
    """Forget updates handled longer ago than `KEEP` (run by the scheduler)."""
    try:
        forgotten = await services.db.updates.prune(services.clock.now() - KEEP)
    except Exception:  # the next run tries again; the ledger only grows meanwhile
        log.exception("the update ledger could not be pruned")
        return
    if forgotten:
        log.info("update ledger: %d old entries forgotten", forgotten)
