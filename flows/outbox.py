"""Delivering the outbox: queued news goes out right after its commit, at start-up and on every
sweep, until each row is sent (its message id recorded) or given up.

`deliver_pending` claims sendable rows (`OutboxRepo.claim`: atomic, per-chat order, a lease so
a row held by a worker that died is taken again) and sends them one by one. Who calls it:
a flow right after the transaction that queued its news, `on_startup` (what a killed process
left behind), and the sweep (`flows/sweep.py`: anything whose lease ran out or whose retry
is due). Several callers at once, in one process or several, never send a row twice: only the
one that claimed it sends it.

A send that fails in a way that may pass (a network error, a timeout, a server error, a 429) is
retried with a growing pause; one that cannot pass (the user blocked the bot, the chat is gone,
a 400) and one that failed `MAX_ATTEMPTS` times is given up and put on the case's record. News
for the shared chat that cannot be posted there goes to every participant privately.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from flows.chat_migration import group_target
from flows.common import keyboard
from flows.crash import crash_point
from flows.messaging import ChatTarget
from flows.services import Services
from storage import OutboxMessage, OutboxRow
from storage.repos.outbox import MAX_ATTEMPTS

log = logging.getLogger(__name__)

# How long a claimed row is held by its sender before another worker may take it: far longer
# than one send (with PTB's own timeouts), short enough that a crash delays news by a minute.
LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=5)


async def deliver_pending(
    services: Services, bot: Bot, *, only: Sequence[OutboxMessage] | None = None
) -> list[OutboxRow]:
    """Send every row that can be sent now (of `only`, when given: a flow that must send
    something else in between); the rows delivered by this call."""
    keys = [message.dedupe_key for message in only] if only is not None else None
    delivered: list[OutboxRow] = []
    while True:
        rows = await services.db.outbox.claim(services.clock.now(), LEASE, keys=keys)
        if not rows:
            return delivered
        for row in rows:
            if await _send(services, bot, row):
                delivered.append(row)


async def after_commit(
    services: Services, bot: Bot, *, only: Sequence[OutboxMessage] | None = None, step: str = ""
) -> None:
    """What a flow calls once the transaction that queued its news has committed. The change
    is made: a failure to deliver now is logged, never the acting user's error, and the rows
    wait in the outbox for the next sweep."""
    crash_point("outbox.after_commit", step)  # `step` names the flow for the crash tests
    try:
        await deliver_pending(services, bot, only=only)
    except Exception:
        log.exception("delivering the outbox after a commit failed; the sweep retries")


async def _send(services: Services, bot: Bot, row: OutboxRow) -> bool:
    target = (
        group_target(services, bot, row.chat_id)
        if row.shared
        else ChatTarget(bot, row.chat_id, thread_id=await _topic(services, row))
    )
    markup = keyboard(row.buttons) if row.buttons is not None else None
    try:
        message = await target.post(row.text, markup)
    except TelegramError as exc:
        await _failed(services, row, target.chat_id, exc)
        return False
    # Between the send and this line a crash means the row goes out again after the lease:
    # at least once; recording the id at once keeps that window to one request.
    await services.db.outbox.mark_sent(
        row.id, message.message_id, message.chat_id, services.clock.now()
    )
    return True


async def _topic(services: Services, row: OutboxRow) -> int | None:
    """A case's news for the mediators' staff chat goes into the case's own forum topic, where
    its post is (reminders, overdue news), rather than the chat's general topic."""
    if row.case_id is None or row.chat_id != services.settings.mediator_chat_id:
        return None
    post = await services.db.pool.post_of(row.case_id)
    return post.thread_id if post is not None and post.chat_id == row.chat_id else None


async def _failed(services: Services, row: OutboxRow, chat_id: int, exc: TelegramError) -> None:
    now = services.clock.now()
    error = f"{type(exc).__name__}: {exc.message}"
    payload: dict[str, object] = {"error": type(exc).__name__}
    if row.shared:
        payload["shared_chat"] = True
    elif row.case_id is not None:
        role = await services.db.cases.role_of(row.case_id, row.chat_id)
        payload["role"] = str(role) if role is not None else None
    permanent = isinstance(exc, Forbidden | BadRequest)
    if not permanent and row.attempts < MAX_ATTEMPTS:
        pause = FIRST_RETRY * (2 ** (row.attempts - 1))
        if isinstance(exc, RetryAfter):
            pause = max(pause, _seconds(exc.retry_after))
        log.error(
            "delivery of outbox row %s to chat %s failed (try %s), again in %s: %s",
            row.id,
            chat_id,
            row.attempts,
            pause,
            error,
        )
        await services.db.outbox.retry_later(row, error, payload, now + pause, now)
        return
    # A user who blocked the bot is expected; anything else is worth an operator's look.
    level = logging.WARNING if isinstance(exc, Forbidden) else logging.ERROR
    log.log(level, "delivery to chat %s failed, given up: %s", chat_id, error)
    await services.db.outbox.give_up(row, error, payload, now)
    if row.shared and row.case_id is not None:
        await _to_participants_instead(services, row)


async def _to_participants_instead(services: Services, row: OutboxRow) -> None:
    """The shared chat cannot be reached: its news (in every language) goes privately."""
    assert row.case_id is not None
    case = await services.db.cases.get(row.case_id)
    if case is None:
        return
    # Those who have a private copy of the same news already need no second one.
    news = row.dedupe_key.removesuffix("|chat")
    readers = [
        user_id
        for user_id in (case.buyer_id, case.supplier_id, case.mediator_id)
        if user_id is not None
        and await services.db.outbox.get_by_key(f"{news}|user:{user_id}") is None
    ]
    await services.db.outbox.add(
        [
            OutboxMessage(
                chat_id=user_id,
                text=row.text,
                dedupe_key=f"{news}|user:{user_id}",
                case_id=row.case_id,
                buttons=row.buttons,
            )
            for user_id in readers
        ],
        services.clock.now(),
    )


def _seconds(value: int | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


__all__ = ["LEASE", "after_commit", "deliver_pending"]
