"""Simulated Telegram users: what a test does as a person, and what that person sees.

Acting (``send``, ``press``, ``send_document``, ``join``, ...) produces the updates Telegram
would send the bot. Reading (``transcript``, ``bot_texts``, ``next_message``, ``wait_for``)
shows chats as the user sees them now, including edits and deletions. Waiting is
event-driven (the sandbox notifier), never a sleep loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox import groups, interaction
from bot.sandbox.errors import ActionRefused
from bot.sandbox.formatting import detect_entities
from bot.sandbox.state import CallbackAnswer, MessageRecord, TranscriptEntry

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox

__all__ = ["SandboxUser"]

MessageRef = MessageRecord | TranscriptEntry | dict[str, Any] | int


def _message_id(ref: MessageRef) -> int:
    if isinstance(ref, int):
        return ref
    if isinstance(ref, dict):
        return int(ref["message_id"])
    return ref.message_id


class SandboxUser:
    """A person using Telegram."""

    def __init__(
        self,
        sandbox: Sandbox,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self.started = False
        self.blocked = False
        self.reply_keyboard: dict[str, Any] | None = None
        self._cursors: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"SandboxUser({self.full_name!r}, id={self.id})"

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def names(self) -> dict[str, str]:
        """first_name, last_name and username fields (as in User and private Chat)."""
        out = {"first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        return out

    def as_user(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, **self.names()}
        if self.language_code:
            user["language_code"] = self.language_code
        if self.is_premium:
            user["is_premium"] = True
        return user

    @property
    def private_chat(self) -> SandboxChat:
        """The private chat with the bot."""
        return self.sandbox.chats[self.id]

    def _chat(self, chat: SandboxChat | int | None) -> SandboxChat:
        return self.private_chat if chat is None else self.sandbox.chat(chat)

    # --- sending ---------------------------------------------------------------------------

    def _post(
        self,
        chat: SandboxChat,
        kind: str,
        content: dict[str, Any],
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        if chat.user is not None:
            if chat.user is not self:
                raise ActionRefused(f"{self.full_name} cannot write in {chat.user}'s private chat")
            if self.blocked:
                raise ActionRefused(f"{self.full_name} blocked the bot; call unblock_bot() first")
            self.started = True
        elif not chat.can_send(self.id):
            chat.ensure_active(self.full_name)
            raise ActionRefused(
                f"{self.full_name} cannot send to {chat.title!r} (status: {chat.status_of(self)})"
            )
        target = None
        if reply_to is not None:
            target = chat.get_message(_message_id(reply_to))
            if target is None:
                raise ActionRefused(f"message {_message_id(reply_to)} not found in {chat}")
        record = chat.add_message(
            self.as_user(), from_bot=False, kind=kind, content=content, reply_to=target
        )
        if groups.bot_sees(self.sandbox, chat, record):
            self.sandbox.emit("message", record.message)
        return record.message

    @staticmethod
    def _text(text: str, field: str = "text") -> dict[str, Any]:
        content: dict[str, Any] = {field: text}
        entities = detect_entities(text)
        if entities:
            content["entities" if field == "text" else "caption_entities"] = entities
        return content

    async def send(
        self,
        text: str,
        chat: SandboxChat | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        """Send a text message (commands, mentions and URLs get entities)."""
        if not text.strip():
            raise ActionRefused("Telegram clients do not send empty messages")
        return self._post(self._chat(chat), "text", self._text(text), reply_to)

    async def open_deep_link(self, payload: str | None = None) -> dict[str, Any]:
        """Open t.me/<bot>?start=<payload>: the client sends "/start <payload>" (payloads
        other than 1-64 characters of A-Za-z0-9_- raise ValueError: Telegram drops them)."""
        interaction.check_payload(payload)
        return await self.send(f"/start {payload}" if payload else "/start")

    async def open_link(
        self, url: str, group: SandboxChat | None = None
    ) -> dict[str, Any] | str | None:
        """Follow a t.me link: ?start= sends /start, ?startgroup= adds the bot to ``group``,
        an invite link joins its group. Returns the message sent / the join outcome."""
        return await interaction.open_link(self, url, group)

    async def edit(
        self, message_id: MessageRef, new_text: str, chat: SandboxChat | int | None = None
    ) -> dict[str, Any]:
        """Edit one of this user's messages (emits edited_message)."""
        target = self._chat(chat)
        record = target.get_message(_message_id(message_id))
        if record is None or record.sender_id != self.id:
            raise ActionRefused(f"{self.full_name} has no message {message_id} in {target}")
        field = "text" if "text" in record.message else "caption"
        for key in ("text", "entities") if field == "text" else ("caption", "caption_entities"):
            record.message.pop(key, None)
        record.message.update(self._text(new_text, field))
        record.message["edit_date"] = self.sandbox.now()
        record.edited = True
        self.sandbox.notify()
        if groups.bot_sees(self.sandbox, target, record):
            self.sandbox.emit("edited_message", dict(record.message))
        return record.message

    async def _send_file(
        self,
        data: bytes,
        kind: str,
        *,
        caption: str | None,
        chat: SandboxChat | int | None,
        reply_to: MessageRef | None = None,
        **details: Any,
    ) -> dict[str, Any]:
        stored = self.sandbox.files.store(data, kind, **details)
        content = self.sandbox.files.media(stored)
        if caption:
            content.update(self._text(caption, "caption"))
        return self._post(self._chat(chat), kind, content, reply_to)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        """Send a photo (two PhotoSizes; the bot usually takes the last, largest one)."""
        return await self._send_file(data, "photo", caption=caption, chat=chat, reply_to=reply_to)

    async def send_document(
        self,
        data: bytes,
        file_name: str = "document.pdf",
        mime_type: str | None = None,
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        fake_size: int | None = None,
        reply_to: MessageRef | None = None,
    ) -> dict[str, Any]:
        """Send a file; ``fake_size`` claims a size without allocating it."""
        return await self._send_file(
            data,
            "document",
            caption=caption,
            chat=chat,
            reply_to=reply_to,
            file_name=file_name,
            mime_type=mime_type,
            fake_size=fake_size,
        )

    async def send_video(
        self,
        data: bytes,
        file_name: str = "video.mp4",
        mime_type: str | None = "video/mp4",
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        duration: int = 1,
        fake_size: int | None = None,
    ) -> dict[str, Any]:
        """Send a video."""
        return await self._send_file(
            data,
            "video",
            caption=caption,
            chat=chat,
            file_name=file_name,
            mime_type=mime_type,
            fake_size=fake_size,
            duration=duration,
        )

    async def send_voice(
        self,
        data: bytes,
        caption: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        duration: int = 1,
        mime_type: str = "audio/ogg",
    ) -> dict[str, Any]:
        """Send a voice note."""
        return await self._send_file(
            data, "voice", caption=caption, chat=chat, mime_type=mime_type, duration=duration
        )

    async def send_sticker(self, chat: SandboxChat | int | None = None) -> dict[str, Any]:
        """Send a sticker."""
        return await self._send_file(
            b"RIFF\x00\x00\x00\x00WEBP", "sticker", caption=None, chat=chat
        )

    async def send_location(
        self, latitude: float, longitude: float, chat: SandboxChat | int | None = None
    ) -> dict[str, Any]:
        """Share a location."""
        content = {"location": {"latitude": float(latitude), "longitude": float(longitude)}}
        return self._post(self._chat(chat), "location", content)

    async def send_contact(
        self,
        phone_number: str = "+10000000000",
        first_name: str | None = None,
        last_name: str | None = None,
        chat: SandboxChat | int | None = None,
        *,
        user_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact (by default this user's own, with their user_id)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if last_name or (first_name is None and self.last_name):
            contact["last_name"] = last_name or self.last_name
        contact_user = user_id if user_id is not None else (self.id if first_name is None else None)
        if contact_user is not None:
            contact["user_id"] = contact_user
        return self._post(self._chat(chat), "contact", {"contact": contact})

    # --- buttons ---------------------------------------------------------------------------

    async def press(
        self,
        button_text: str,
        chat: SandboxChat | int | None = None,
        message: MessageRef | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the bot may take to answer
    ) -> CallbackAnswer:
        """Press an inline button (on the newest bot message that shows it, or on ``message``)
        and wait until the bot answers the callback query; returns the answer."""
        target = self._chat(chat)
        message_id = None if message is None else _message_id(message)
        return await interaction.press(self, target, button_text, message_id, timeout)

    # --- the bot relationship and groups ---------------------------------------------------

    def block_bot(self) -> None:
        """Block the bot (my_chat_member: member -> kicked)."""
        if not self.blocked:
            groups.private_chat_status(self.sandbox, self, "kicked")
            self.blocked = True

    def unblock_bot(self) -> None:
        """Unblock the bot (my_chat_member: kicked -> member)."""
        if self.blocked:
            self.blocked = False
            groups.private_chat_status(self.sandbox, self, "member")

    async def join(
        self,
        group: SandboxChat,
        invite_link: str | None = None,
        *,
        wait: bool = True,
        timeout: float = 5.0,  # noqa: ASYNC109 - the wait for a join request decision
    ) -> str:
        """Join a group (through ``invite_link`` when given); returns "joined", or for links
        that create join requests "approved"/"declined" (or "pending" with wait=False)."""
        return await groups.join_group(
            self.sandbox, self, group, invite_link, wait=wait, timeout=timeout
        )

    async def leave(self, group: SandboxChat) -> None:
        """Leave a group."""
        groups.leave(self.sandbox, self, group)

    async def add_bot_to_group(
        self,
        group: SandboxChat,
        start_payload: str | None = None,
        admin_rights: dict[str, bool] | list[str] | None = None,
    ) -> None:
        """Add the bot as Telegram's ``startgroup`` link does: my_chat_member (as administrator
        with ``admin_rights`` when given), and with a payload "/start@<bot> <payload>"."""
        groups.add_bot(self.sandbox, self, group, admin_rights)
        if start_payload is not None:
            await self.send(f"/start@{self.sandbox.bot_username} {start_payload}".rstrip(), group)

    async def remove_bot_from_group(self, group: SandboxChat) -> None:
        """Remove the bot from a group (my_chat_member: -> left)."""
        groups.remove_bot(self.sandbox, self, group)

    async def set_bot_rights(
        self, group: SandboxChat, admin_rights: dict[str, bool] | list[str] | None
    ) -> None:
        """Promote the bot with these rights, or demote it to a plain member (None)."""
        groups.set_bot_rights(self.sandbox, self, group, admin_rights)

    # --- reading ---------------------------------------------------------------------------

    def transcript(self, chat: SandboxChat | int | None = None) -> list[TranscriptEntry]:
        """All messages of a chat in order, as they look now (edits and deletions shown)."""
        return self._chat(chat).transcript()

    def bot_texts(self, chat: SandboxChat | int | None = None) -> list[str]:
        """Current texts (or captions) of the bot's messages there, deleted ones left out."""
        return [r.text for r in self._chat(chat).bot_messages() if not r.deleted]

    async def next_message(
        self,
        chat: SandboxChat | int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long to wait for the bot
    ) -> TranscriptEntry:
        """The next bot message in a chat this user has not taken yet (one cursor per chat);
        TimeoutError (with the end of the transcript) when none arrives."""
        target = self._chat(chat)
        cursor = self._cursors.get(target.id, 0)
        entry = await interaction.next_bot_message(self, target, cursor, timeout)
        self._cursors[target.id] = cursor + 1
        return entry

    def skip_messages(self, chat: SandboxChat | int | None = None) -> int:
        """Mark all bot messages so far as taken; returns how many were skipped."""
        target = self._chat(chat)
        count = len(target.bot_messages())
        skipped = count - self._cursors.get(target.id, 0)
        self._cursors[target.id] = count
        return skipped

    async def wait_for(
        self,
        predicate: Callable[[TranscriptEntry], bool],
        chat: SandboxChat | int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long to wait for the bot
    ) -> TranscriptEntry:
        """Wait until a (not deleted) bot message there satisfies ``predicate``, in its
        current state (after edits); returns the newest such message."""
        return await interaction.wait_for_bot_message(self, self._chat(chat), predicate, timeout)
