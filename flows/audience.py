"""Who reads a message, and in which language: one text per reader, bilingual in shared chats.

Private messages are rendered for their one reader. In the shared dispute chat the bot's own
messages carry every participant's language: one text when they share it, Chinese and English
together when they differ. Buttons there carry both labels.

News of a change of a case is rendered here into outbox rows (`for_user`, `for_chat`,
`for_case`) BEFORE the change's transaction, handed to the repository call that makes the
change, and delivered from the outbox after the commit (`flows/outbox.py`), so a crash between
the two loses nothing. `to_user`, `to_chat` and `to_case` render the same way and send at once,
for messages that tell of no change (a reply, a refusal) or whose message the flow pins.

Each reader's copy is delivered on its own: a copy that fails (a blocked bot, a 400, a server
error, a timeout) is logged with the case and update ids and put on the case's record, and the
next reader still gets theirs. When the shared chat cannot be reached, its news goes to every
participant privately, as if there were no shared chat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import Forbidden, TelegramError

from flows.chat_migration import group_target
from flows.common import Button, keyboard
from flows.messaging import ChatTarget
from flows.rules.lifecycle import Role
from flows.services import Services
from locales.i18n import LANGUAGES, Translator
from storage import Case, OutboxMessage

log = logging.getLogger(__name__)

Render = Callable[[Translator], str]
RenderRows = Callable[[Translator], Sequence[Sequence[Button]]]
DIVIDER = "\n\n— — —\n\n"


def parties(case: Case) -> list[int]:
    """The buyer and (once known) the supplier."""
    return [uid for uid in (case.buyer_id, case.supplier_id) if uid is not None]


def participants(case: Case) -> list[int]:
    """The people of a case the bot speaks to, buyer first."""
    ids = [case.buyer_id, case.supplier_id, getattr(case, "mediator_id", None)]
    return [uid for uid in ids if uid is not None]


async def translators_for(services: Services, case: Case) -> list[Translator]:
    """One translator per language spoken in the case, in the order of the participants."""
    seen: dict[str, Translator] = {}
    for user_id in participants(case):
        tr = await services.translator_for_id(user_id)
        seen.setdefault(tr.language, tr)
    return sorted(seen.values(), key=lambda tr: LANGUAGES.index(tr.language)) or [
        services.translator_for(None)
    ]


def combine_rows(translators: Sequence[Translator], rows: RenderRows) -> list[list[Button]]:
    """Buttons whose label carries every language ("Accept / 接受"); the data is the same."""
    rendered = [rows(tr) for tr in translators]
    combined: list[list[Button]] = []
    for row_index, row in enumerate(rendered[0]):
        new_row: list[Button] = []
        for button_index, (_, data) in enumerate(row):
            labels: list[str] = []
            for version in rendered:
                label = version[row_index][button_index][0]
                if label not in labels:
                    labels.append(label)
            new_row.append((" / ".join(labels), data))
        combined.append(new_row)
    return combined


async def chat_text(
    services: Services, case: Case, render: Render, rows: RenderRows | None
) -> tuple[str, list[list[Button]] | None]:
    """The shared chat's text (every participant's language) and its bilingual buttons."""
    translators = await translators_for(services, case)
    text = DIVIDER.join(render(tr) for tr in translators)
    return text, combine_rows(translators, rows) if rows is not None else None


async def for_chat(
    services: Services,
    case: Case,
    chat_id: int,
    render: Render,
    rows: RenderRows | None = None,
    *,
    key: str,
) -> OutboxMessage:
    """The shared chat's copy as an outbox row; `key` names the news (unique per change)."""
    text, buttons = await chat_text(services, case, render, rows)
    return OutboxMessage(chat_id, text, f"{key}|chat", case.id, buttons, shared=True)


async def for_user(
    services: Services,
    case: Case,
    user_id: int,
    render: Render,
    rows: RenderRows | None = None,
    *,
    key: str,
) -> OutboxMessage:
    """One reader's private copy, in their language and time zone, as an outbox row."""
    tr = await services.translator_for_id(user_id)
    buttons = [list(row) for row in rows(tr)] if rows is not None else None
    return OutboxMessage(user_id, render(tr), f"{key}|user:{user_id}", case.id, buttons)


@dataclass(frozen=True)
class Readers:
    """Who reads news of a case, with their translators loaded: so the news can be rendered
    inside a transaction (from what it creates, e.g. obligation ids) without reading more."""

    case_id: int
    chat_id: int | None  # the bound shared chat
    chat_translators: list[Translator]
    private: list[tuple[int, Translator]]

    def render(
        self,
        render: Render,
        rows: RenderRows | None = None,
        *,
        key: str,
        private_rows: Callable[[int], RenderRows] | None = None,
    ) -> list[OutboxMessage]:
        """Each reader's copy; `private_rows(user_id)`, when given, are a private reader's own
        buttons (the shared chat, read by everyone, keeps `rows`)."""
        messages: list[OutboxMessage] = []
        if self.chat_id is not None:
            text = DIVIDER.join(render(tr) for tr in self.chat_translators)
            buttons = combine_rows(self.chat_translators, rows) if rows is not None else None
            messages.append(
                OutboxMessage(self.chat_id, text, f"{key}|chat", self.case_id, buttons, True)
            )
        for user_id, tr in self.private:
            own = private_rows(user_id) if private_rows is not None else rows
            buttons = [list(row) for row in own(tr)] if own is not None else None
            messages.append(
                OutboxMessage(user_id, render(tr), f"{key}|user:{user_id}", self.case_id, buttons)
            )
        return messages


async def readers(
    services: Services, case: Case, *, private_to: Sequence[int] | None = None
) -> Readers:
    """The shared chat when there is one, and privately `private_to` (default: every
    participant when there is no shared chat). Should the shared chat turn out unreachable,
    the deliverer sends its copy to every participant instead."""
    chat = await services.db.chats.for_case(case.id)
    bound = chat is not None and chat.status == "bound"
    recipients = (
        list(private_to) if private_to is not None else ([] if bound else participants(case))
    )
    return Readers(
        case.id,
        chat.chat_id if chat is not None and bound else None,
        await translators_for(services, case),
        [(user_id, await services.translator_for_id(user_id)) for user_id in recipients],
    )


async def for_case(
    services: Services,
    case: Case,
    render: Render,
    rows: RenderRows | None = None,
    *,
    key: str,
    private_to: Sequence[int] | None = None,
) -> list[OutboxMessage]:
    """News for the case as outbox rows (see `readers`)."""
    return (await readers(services, case, private_to=private_to)).render(render, rows, key=key)


async def _deliver(
    services: Services,
    target: ChatTarget,
    case: Case,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    private: bool,
) -> Message | None:
    """One reader's copy, or None after logging and recording why it failed."""
    try:
        return await target.post(text, markup)
    except TelegramError as exc:
        chat_id = target.chat_id  # the supergroup's, if the chat moved on the way
        # A user who blocked the bot is expected; anything else is worth an operator's look.
        level = logging.WARNING if isinstance(exc, Forbidden) else logging.ERROR
        log.log(
            level,
            "delivery to chat %s failed: %s: %s",
            chat_id,
            type(exc).__name__,
            exc.message,
        )
        await _record_failure(services, case, chat_id, type(exc).__name__, private=private)
        return None


async def _record_failure(
    services: Services, case: Case, chat_id: int, error: str, *, private: bool
) -> None:
    """Put a failed delivery on the case's record (who, and what Telegram said)."""
    payload: dict[str, Any] = {"to": chat_id, "error": error}
    try:
        if private:
            role = await services.db.cases.role_of(case.id, chat_id)
            payload["role"] = str(role) if role else None
        else:
            payload["shared_chat"] = True
        await services.db.history.append(
            case.id, None, Role.SYSTEM, "delivery.failed", payload, services.clock.now()
        )
    except Exception:
        # The other readers still come first; the failure itself is in the log above.
        log.exception("the failed delivery to chat %s could not be put on the record", chat_id)


async def to_chat(
    services: Services,
    bot: Bot,
    case: Case,
    chat_id: int,
    render: Render,
    rows: RenderRows | None = None,
) -> Message | None:
    """Post in the shared chat, in every participant's language; None when that failed (in the
    supergroup, if the chat turns out to have become one: the message says where it went)."""
    text, buttons = await chat_text(services, case, render, rows)
    markup = keyboard(buttons) if buttons is not None else None
    target = group_target(services, bot, chat_id)
    return await _deliver(services, target, case, text, markup, private=False)


async def to_user(
    services: Services,
    bot: Bot,
    case: Case,
    user_id: int,
    render: Render,
    rows: RenderRows | None = None,
) -> Message | None:
    """Send to one person in their language; None when that failed (it is on the record)."""
    tr = await services.translator_for_id(user_id)
    markup = keyboard(rows(tr)) if rows is not None else None
    target = ChatTarget(bot, user_id)
    return await _deliver(services, target, case, render(tr), markup, private=True)


async def to_case(
    services: Services,
    bot: Bot,
    case: Case,
    render: Render,
    rows: RenderRows | None = None,
    *,
    private_to: Sequence[int] | None = None,
) -> None:
    """News for the case: in the shared chat when there is one, and privately to `private_to`
    (default: every participant when there is no shared chat, or when it cannot be reached).
    A party whom the private message cannot reach still reads it in the shared chat."""
    chat = await services.db.chats.for_case(case.id)
    posted = None
    if chat is not None and chat.status == "bound":
        posted = await to_chat(services, bot, case, chat.chat_id, render, rows)
    if private_to is not None:
        recipients = list(private_to)
    else:
        recipients = [] if posted is not None else participants(case)
    for user_id in recipients:
        await to_user(services, bot, case, user_id, render, rows)
