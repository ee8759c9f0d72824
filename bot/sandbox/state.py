"""In-memory state records of the sandbox and the change notifier everything waits on.

``Notifier`` is the single wake-up mechanism: every state change calls ``notify()``, and
every wait (long polling, ``next_message``, ``press`` waiting for the answer, ``wait_until``)
re-checks its predicate when woken. No polling loops, no sleeps.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "SERVICE_KINDS",
    "CallbackAnswer",
    "InviteLink",
    "MemberState",
    "MessageRecord",
    "Notifier",
    "TranscriptEntry",
]

T = TypeVar("T")

PRESENT_STATUSES = ("creator", "administrator", "member")
SERVICE_KINDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "pinned_message",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "forum_topic_created",
    }
)


class Notifier:
    """Wakes every waiter on each state change (futures, so that notify() can be sync)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self.version = 0

    def notify(self) -> None:
        """Signal a state change."""
        self.version += 1
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float,  # noqa: ASYNC109 - a deadline for the whole wait, not one call
        describe: Callable[[], str] | None = None,
    ) -> T:
        """Return the first truthy value of ``predicate()``; TimeoutError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                detail = describe() if describe else "condition not met"
                raise TimeoutError(f"timed out after {timeout:g}s: {detail}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)


Buttons = list[list[tuple[str, str | None]]]


@dataclass
class MessageRecord:
    """One message in a chat, kept in its current state (after edits)."""

    chat_id: int
    message_id: int
    sender_id: int
    from_bot: bool
    kind: str
    message: dict[str, Any]
    seq: int
    edited: bool = False
    deleted: bool = False

    @property
    def text(self) -> str:
        """Text or caption ("" when the message has neither)."""
        return str(self.message.get("text") or self.message.get("caption") or "")

    @property
    def buttons(self) -> Buttons:
        """Rows of (text, callback_data or url) of the current inline keyboard."""
        markup = self.message.get("reply_markup") or {}
        rows: Buttons = []
        for row in markup.get("inline_keyboard", []):
            rows.append([(str(b["text"]), b.get("callback_data", b.get("url"))) for b in row])
        return rows

    def callback_data_for(self, text: str) -> str | None:
        """callback_data of the button labelled exactly ``text``, if there is one."""
        markup = self.message.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if button.get("text") == text and "callback_data" in button:
                    return str(button["callback_data"])
        return None


@dataclass(frozen=True)
class TranscriptEntry:
    """A message as a chat participant sees it now."""

    message_id: int
    from_bot: bool
    sender: str
    text: str
    buttons: Buttons
    kind: str
    file_name: str | None
    edited: bool
    deleted: bool
    message: dict[str, Any] = field(repr=False, compare=False)

    @property
    def button_texts(self) -> list[str]:
        """All button labels, row by row."""
        return [text for row in self.buttons for text, _ in row]

    def __str__(self) -> str:
        flags = "".join(
            f" [{flag}]" for flag, on in (("edited", self.edited), ("deleted", self.deleted)) if on
        )
        shown = self.text if self.kind == "text" else f"<{self.kind}> {self.text}".rstrip()
        buttons = f" {self.button_texts}" if self.buttons else ""
        return f"#{self.message_id} {self.sender}: {shown}{buttons}{flags}"


@dataclass
class MemberState:
    """Membership of one user (or the bot) in a group."""

    user_id: int
    status: str
    rights: dict[str, bool] = field(default_factory=dict)
    permissions: dict[str, bool] = field(default_factory=dict)
    until_date: int = 0
    is_member: bool = True
    custom_title: str | None = None
    invite_link: str | None = None

    @property
    def present(self) -> bool:
        """Whether the user is in the chat now."""
        return self.status in PRESENT_STATUSES or (self.status == "restricted" and self.is_member)


def new_invite_link() -> str:
    """A fresh invite link URL."""
    return f"https://t.me/+{secrets.token_urlsafe(12)}"


@dataclass
class InviteLink:
    """An invite link of a group."""

    invite_link: str
    creator_id: int
    chat_id: int
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    creates_join_request: bool = False
    is_primary: bool = False
    is_revoked: bool = False
    uses: int = 0
    pending: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class CallbackAnswer:
    """How the bot answered a callback query (answerCallbackQuery)."""

    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None
