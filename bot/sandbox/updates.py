"""Update queue: emission, allowed_updates, getUpdates long polling and webhook delivery.

Semantics follow the Bot API: updates wait in a queue until confirmed by a later
``getUpdates`` with a higher ``offset`` (or, with a webhook, until the webhook answered 2xx);
``allowed_updates`` is remembered from the last getUpdates/setWebhook call that passed it, and
the default excludes chat_member, message_reaction and message_reaction_count.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.state import Notifier

__all__ = ["DEFAULT_EXCLUDED", "UpdateQueue", "Webhook", "queue_key"]

DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_log = logging.getLogger(__name__)


class UpdateQueue:
    """Pending updates of the bot."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier
        self.pending: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []
        self.allowed: list[str] | None = None
        self._next_id = 1
        self.closed = False

    def allows(self, kind: str) -> bool:
        """Whether updates of this kind are currently wanted by the bot."""
        if not self.allowed:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; None when allowed_updates filters it out."""
        if not self.allows(kind):
            self.dropped.append({kind: payload})
            return None
        update = {"update_id": self._next_id, kind: copy.deepcopy(payload)}
        self._next_id += 1
        self.pending.append(update)
        self.log.append(update)
        self._notifier.notify()
        return update

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Queue an update the bot already received again, with the same ``update_id``.

        This is what Telegram does when the bot was killed after receiving an update but
        before confirming it (a later getUpdates with a higher offset, or a webhook's 2xx):
        the update comes again, unchanged. It is returned to the next getUpdates whose offset
        does not confirm it, i.e. to a bot that starts again (PTB starts without an offset).
        """
        original = next((u for u in self.log if u["update_id"] == update_id), None)
        if original is None:
            raise KeyError(f"no update {update_id} was ever emitted")
        again = copy.deepcopy(original)
        rest = [u for u in self.pending if u["update_id"] != update_id]
        self.pending = sorted([again, *rest], key=lambda u: int(u["update_id"]))
        self._notifier.notify()
        return again

    def confirm(self, offset: int) -> None:
        """Forget updates confirmed by ``offset`` (negative: keep only the last -offset)."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_pending(self) -> None:
        """drop_pending_updates=True."""
        self.pending.clear()

    async def get_updates(
        self,
        *,
        offset: int | None,
        limit: int,
        timeout: float,  # noqa: ASYNC109 - the Bot API parameter
        allowed_updates: list[str] | None,
        active: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        """getUpdates: confirm, then wait up to ``timeout`` seconds for something to return."""
        if allowed_updates is not None:
            self.allowed = list(allowed_updates)
        if offset is not None:
            self.confirm(offset)
        if timeout > 0 and not self.pending:
            with contextlib.suppress(TimeoutError):
                await self._notifier.wait_until(
                    lambda: bool(self.pending) or self.closed or not active(), timeout
                )
        if not active():
            return []
        return [dict(u) for u in self.pending[:limit]]


@dataclass
class WebhookSettings:
    """What setWebhook stored."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    has_custom_certificate: bool = False


def queue_key(update: dict[str, Any]) -> tuple[str, int]:
    """The delivery queue of an update, as the Bot API server keys it (telegram-bot-api's
    `webhook_queue_id`): messages and the bot's own membership by chat, button presses and
    other members' changes by user. Updates of one queue are posted one at a time, in order."""
    kind = next(k for k in update if k != "update_id")
    body = update[kind]
    if kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
        return ("chat", int(body["chat"]["id"]))
    if kind == "my_chat_member":
        return ("my_chat_member", int(body["chat"]["id"]))
    if kind == "chat_member":
        return ("member", int(body["new_chat_member"]["user"]["id"]))
    if kind == "chat_join_request":
        return ("member", int(body["from"]["id"]))
    if kind in ("message_reaction", "message_reaction_count"):
        return (kind, int(body["chat"]["id"]))
    if isinstance(body, dict) and isinstance(body.get("from"), dict):
        return (kind, int(body["from"]["id"]))
    return ("update", int(update["update_id"]))


class Webhook:
    """Pushes pending updates to the webhook URL as the Bot API server does: up to
    ``max_connections`` requests at once, one at a time per queue (``queue_key``) and in order
    within it; a delivery that is not answered 2xx is retried (with a growing delay) before the
    next update of its queue, while other queues go on."""

    def __init__(self, queue: UpdateQueue, notifier: Notifier, clock: Callable[[], float]) -> None:
        self._queue = queue
        self._notifier = notifier
        self._clock = clock
        self.settings = WebhookSettings()
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self._task: asyncio.Task[None] | None = None
        self._busy: set[tuple[str, int]] = set()  # queues with a request in flight
        self._retry_at: dict[tuple[str, int], float] = {}  # loop time a failed queue may retry
        self._delay: dict[tuple[str, int], float] = {}

    @property
    def active(self) -> bool:
        """Whether a webhook is set."""
        return bool(self.settings.url)

    def set(self, settings: WebhookSettings) -> None:
        """Install a webhook and start delivering."""
        self.settings = settings
        self._retry_at.clear()  # a new webhook is tried at once
        self._delay.clear()
        self.last_error_date = self.last_error_message = None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._notifier.notify()

    def delete(self) -> None:
        """Remove the webhook; delivery stops."""
        self.settings = WebhookSettings()
        self._retry_at.clear()
        self._delay.clear()
        self._notifier.notify()

    def info(self) -> dict[str, Any]:
        """getWebhookInfo result."""
        info: dict[str, Any] = {
            "url": self.settings.url,
            "has_custom_certificate": self.settings.has_custom_certificate,
            "pending_update_count": len(self._queue.pending),
        }
        if self.active:
            info["max_connections"] = self.settings.max_connections
            if self._queue.allowed:
                info["allowed_updates"] = list(self._queue.allowed)
            if self.settings.ip_address:
                info["ip_address"] = self.settings.ip_address
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def close(self) -> None:
        """Stop the delivery task (the webhook stays set)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def resume(self) -> None:
        """Restart delivery after the sandbox was closed and served again."""
        if self.active and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _ready(self) -> list[tuple[tuple[str, int], dict[str, Any]]]:
        """The head update of each queue that may be posted now, within max_connections."""
        if not self.active or self._queue.closed:
            return []
        now = asyncio.get_running_loop().time()
        free = self.settings.max_connections - len(self._busy)
        ready: list[tuple[tuple[str, int], dict[str, Any]]] = []
        seen: set[tuple[str, int]] = set()
        for update in self._queue.pending:
            if len(ready) >= free:
                break
            key = queue_key(update)
            if key in seen:
                continue
            seen.add(key)
            if key not in self._busy and self._retry_at.get(key, 0.0) <= now:
                ready.append((key, update))
        return ready

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        requests: set[asyncio.Task[None]] = set()
        self._busy.clear()
        try:
            async with aiohttp.ClientSession() as session:
                while not self._queue.closed:
                    version = self._notifier.version  # any change after this wakes the wait
                    ready = self._ready()
                    for key, update in ready:
                        self._busy.add(key)
                        request = loop.create_task(self._post(session, key, update))
                        requests.add(request)
                        request.add_done_callback(requests.discard)
                    if ready:
                        continue
                    now = loop.time()
                    waits = [at - now for at in self._retry_at.values() if at > now]
                    timeout = min(waits, default=3600.0)
                    with contextlib.suppress(TimeoutError):
                        await self._notifier.wait_until(
                            self._changed_since(version),
                            timeout,
                        )
        finally:
            for request in list(requests):
                request.cancel()
            if requests:
                await asyncio.gather(*requests, return_exceptions=True)
            self._busy.clear()

    def _changed_since(self, version: int) -> Callable[[], bool]:
        return lambda: self._notifier.version != version or self._queue.closed

    async def _post(
        self, session: aiohttp.ClientSession, key: tuple[str, int], update: dict[str, Any]
    ) -> None:
        try:
            delivered = await self._deliver(session, update)
        finally:
            self._busy.discard(key)
        if delivered:
            self._queue.pending = [u for u in self._queue.pending if u is not update]
            self._retry_at.pop(key, None)
            self._delay.pop(key, None)
        else:
            delay = min(self._delay.get(key, 0.025) * 2, 1.0)
            self._delay[key] = delay
            self._retry_at[key] = asyncio.get_running_loop().time() + delay
        self._notifier.notify()

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {}
        if self.settings.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.settings.secret_token
        try:
            async with session.post(
                self.settings.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                self.deliveries.append((update["update_id"], response.status))
                if 200 <= response.status < 300:
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        _log.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
        self.last_error_date = int(self._clock())
        self.last_error_message = error
        return False
