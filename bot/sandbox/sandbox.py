"""The ``Sandbox``: the simulated Telegram world of one bot.

It owns the bot's identity and settings, the users and chats, files, the update queue and
webhook, injected faults and the logs tests assert on (``requests``, ``violations``,
``callback_answers``). Bot API methods are implemented in the ``api_*`` modules and reached
through ``Sandbox.call`` (which the HTTP server uses); simulated users act through
``SandboxUser``.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.sandbox import (  # noqa: F401 - the modules register their handlers
    api_bot,
    api_chats,
    api_media,
    api_messages,
    forums,
    interaction,
    supergroups,
)
from bot.sandbox.api_bot import BotSettings
from bot.sandbox.chats import SandboxChat
from bot.sandbox.dispatch import handle_request
from bot.sandbox.errors import bad_request, forbidden
from bot.sandbox.faults import Faults, RateLimiter
from bot.sandbox.files import FileStore
from bot.sandbox.links import DeepLink, parse_link
from bot.sandbox.schema import Schema, UploadedFile, load_schema
from bot.sandbox.state import CallbackAnswer, MessageRecord, Notifier, TranscriptEntry
from bot.sandbox.updates import UpdateQueue, Webhook
from bot.sandbox.users import SandboxUser

__all__ = ["Sandbox"]

T = TypeVar("T")
ChatRef = SandboxChat | SandboxUser | int


class Sandbox:
    """A simulated Telegram for one bot."""

    def __init__(
        self,
        bot_token: str = "123456:TEST-TOKEN",
        bot_username: str = "DisputeTestBot",
        bot_name: str = "Dispute Bot",
        *,
        can_read_all_group_messages: bool = False,
        can_join_groups: bool = True,
        clock: Callable[[], float] = time.time,
        schema: Schema | None = None,
        check_results: bool = True,
    ) -> None:
        head, _, secret = bot_token.partition(":")
        if not head.isdigit() or not secret:
            raise ValueError("bot_token must look like '<bot id>:<secret>'")
        self.bot_token = bot_token
        self.bot_id = int(head)
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.can_read_all_group_messages = can_read_all_group_messages
        self.can_join_groups = can_join_groups
        self.clock = clock
        self.schema = schema or load_schema()
        self.check_results = check_results
        self.notifier = Notifier()
        self.updates = UpdateQueue(self.notifier)
        self.webhook = Webhook(self.updates, self.notifier, clock)
        self.files = FileStore()
        self.faults = Faults()
        self.settings = BotSettings()
        self.rate_limit_per_chat = False
        self.rate_limiter = RateLimiter()
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.violations: list[str] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.logged_out = False
        self.pending_queries: dict[str, CallbackAnswer] = {}
        self.answers_by_id: dict[str, CallbackAnswer] = {}
        self._seq = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"Sandbox(@{self.bot_username}, users={len(self.users)}, chats={len(self.chats)})"

    # --- basics ----------------------------------------------------------------------------

    def now(self) -> int:
        """Unix time from the injected clock."""
        return int(self.clock())

    def next_seq(self) -> int:
        """A global ordering number."""
        return next(self._seq)

    def notify(self) -> None:
        """Wake everything that waits on sandbox state."""
        self.notifier.notify()

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a Bot API ``User``."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def user_dict(self, user_id: int) -> dict[str, Any]:
        """A Bot API ``User`` for the bot or a simulated user."""
        if user_id == self.bot_id:
            return self.bot_user
        return self.users[user_id].as_user()

    def new_query_id(self) -> str:
        """A callback query id."""
        return f"{self.bot_id}{next(self._query_ids):08d}"

    # --- people and chats ------------------------------------------------------------------

    def user(
        self,
        name: str,
        language_code: str | None = "en",
        username: str | None = None,
        *,
        last_name: str | None = None,
        is_premium: bool = False,
    ) -> SandboxUser:
        """A new simulated user with a private chat with the bot (chat id == user id)."""
        user = SandboxUser(
            self,
            next(self._user_ids),
            name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self.users[user.id] = user
        self.chats[user.id] = SandboxChat(self, user.id, "private", user=user)
        return user

    def group(
        self,
        title: str,
        creator: SandboxUser,
        *,
        type: str = "supergroup",
        members: tuple[SandboxUser, ...] | list[SandboxUser] = (),
        username: str | None = None,
        forum: bool = False,
    ) -> SandboxChat:
        """A new group created by a user (bots cannot create groups). Members are added
        silently (no updates): use ``user.join`` for joins the bot should see. ``forum``: a
        supergroup with topics (``bot.sandbox.forums``)."""
        if type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        if forum and type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        chat_id = self.next_group_id(type)
        chat = SandboxChat(self, chat_id, type, title=title, username=username)
        chat.is_forum = forum
        chat.member_states[creator.id] = chat.member(creator.id)
        chat.member_states[creator.id].status = "creator"
        for member in members:
            if member.id != creator.id:
                chat.member_states[member.id] = chat.member(member.id)
                chat.member_states[member.id].status = "member"
        self.chats[chat_id] = chat
        return chat

    def next_group_id(self, type: str) -> int:
        """A new group id: -100... for supergroups, as on Telegram."""
        number = next(self._group_ids)
        return -(1_000_000_000_000 + number) if type == "supergroup" else -(400_000 + number)

    def upgrade_group(
        self, group: SandboxChat, by: SandboxUser | None = None, *, deliver: bool = True
    ) -> SandboxChat:
        """Upgrade a basic group to a supergroup as Telegram does (``by`` an owner or admin;
        None: the bot's own action); returns the supergroup. See ``bot.sandbox.supergroups``."""
        return supergroups.upgrade(self, group, by, deliver=deliver)

    def chat(self, ref: ChatRef) -> SandboxChat:
        """A chat by object, user (their private chat) or id."""
        if isinstance(ref, SandboxChat):
            return ref
        chat_id = ref.id if isinstance(ref, SandboxUser) else ref
        if chat_id not in self.chats:
            raise KeyError(f"no chat {chat_id}")
        return self.chats[chat_id]

    def resolve_chat(self, chat_id: int | str) -> SandboxChat:
        """The chat a Bot API ``chat_id`` refers to (400 "chat not found" otherwise)."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for candidate in self.chats.values():
                if candidate.username and candidate.username.lower() == name:
                    return candidate
            raise bad_request("chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def parse_link(self, url: str) -> DeepLink:
        """Parse a t.me link (see ``bot.sandbox.links.parse_link``)."""
        return parse_link(url)

    # --- what the bot may do ---------------------------------------------------------------

    def ensure_bot_can_send(self, chat: SandboxChat) -> None:
        """403 like Telegram when the bot may not post in this chat (and the optional
        per-chat rate limit)."""
        if chat.user is not None:
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        else:
            state = chat.bot_member
            kind = "supergroup" if chat.type == "supergroup" else "group"
            if state.status == "kicked":
                raise forbidden(f"bot was kicked from the {kind} chat")
            if not state.present:
                raise forbidden(f"bot is not a member of the {kind} chat")
            if not chat.can_send(self.bot_id):
                raise bad_request("not enough rights to send text messages to the chat")
        if self.rate_limit_per_chat:
            self.rate_limiter.check(chat.id, chat.is_group, self.clock())

    def ensure_member_access(self, chat: SandboxChat) -> None:
        """Groups the bot is not in are invisible to it (400 chat not found / 403)."""
        if chat.is_group and not chat.bot_member.present:
            if chat.bot_member.status == "kicked":
                raise forbidden(f"bot was kicked from the {chat.type} chat")
            raise bad_request("chat not found")

    def require_right(self, chat: SandboxChat, right: str, action: str) -> None:
        """400 "not enough rights to <action>" unless the bot holds ``right``."""
        self.ensure_member_access(chat)
        if chat.is_group and not chat.bot_has(right):
            raise bad_request(f"not enough rights to {action}")

    # --- updates and messages --------------------------------------------------------------

    def emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update for the bot (respecting allowed_updates)."""
        if self.check_results:
            self.schema.check_object([self.schema_type_of(kind)], payload, kind)
        return self.updates.emit(kind, payload)

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Deliver an update again, as Telegram does when the bot never confirmed it."""
        return self.updates.redeliver(update_id)

    def schema_type_of(self, kind: str) -> str:
        """The Bot API type of an update field."""
        return str(self.schema.types["Update"]["fields"][kind]["types"][0])

    def entry(self, record: MessageRecord) -> TranscriptEntry:
        """A transcript entry for a message."""
        message = record.message
        file_name = None
        for field in ("document", "video", "audio", "animation"):
            if field in message:
                file_name = message[field].get("file_name")
        sender = (
            self.bot_name
            if record.from_bot
            else self.users[record.sender_id].full_name
            if record.sender_id in self.users
            else str(record.sender_id)
        )
        return TranscriptEntry(
            message_id=record.message_id,
            from_bot=record.from_bot,
            sender=sender,
            text=record.text,
            buttons=record.buttons,
            kind=record.kind,
            file_name=file_name,
            edited=record.edited,
            deleted=record.deleted,
            message=copy.deepcopy(message),
        )

    def pinned(self, chat: ChatRef) -> list[int]:
        """Ids of the pinned messages of a chat, oldest pin first."""
        return self.chat(chat).pinned()

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        *,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> list[dict[str, str]]:
        """The commands set for exactly this scope and language (as setMyCommands stored)."""
        return self.settings.get_commands(scope_type, language_code, chat_id, user_id)

    # --- checks and waiting ----------------------------------------------------------------

    def record_violation(self, method: str, reason: str) -> None:
        """Remember a request that did not fit the Bot API."""
        self.violations.append(f"{method}: {reason}")

    def assert_no_violations(self) -> None:
        """Fail when any request so far did not fit the Bot API."""
        if self.violations:
            listing = "\n  ".join(self.violations)
            raise AssertionError(f"{len(self.violations)} Bot API violation(s):\n  {listing}")

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for the whole wait
    ) -> T:
        """Wait (event-driven) until ``predicate()`` is truthy; return its value."""
        return await self.notifier.wait_until(predicate, timeout)

    async def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadedFile] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API request as if it came over HTTP; (status, JSON body)."""
        return await handle_request(self, method, params or {}, files)

    async def aclose(self) -> None:
        """Stop background work (webhook delivery) and release long polls; state is kept,
        and serving the sandbox again resumes both."""
        self.updates.closed = True
        self.notify()
        await self.webhook.close()
