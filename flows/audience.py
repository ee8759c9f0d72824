"""Who reads a message, and in which language: one text per reader, bilingual in shared chats.

Private messages are rendered for their one reader. In the shared dispute chat the bot's own
messages carry every participant's language: one text when they share it, Chinese and English
together when they differ. Buttons there carry both labels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from telegram import Bot, InlineKeyboardMarkup, Message

from bot.i18n import LANGUAGES, Translator
from bot.services import Services
from flows.chat_migration import group_target
from flows.common import Button, keyboard
from flows.messaging import send
from flows.rules.lifecycle import Role
from storage import Case

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


async def to_chat(
    services: Services,
    bot: Bot,
    case: Case,
    chat_id: int,
    render: Render,
    rows: RenderRows | None = None,
) -> Message | None:
    """Post in the shared chat, in every participant's language (in the supergroup, if the
    chat turns out to have become one: the message says where it went)."""
    translators = await translators_for(services, case)
    text = DIVIDER.join(render(tr) for tr in translators)
    markup: InlineKeyboardMarkup | None = None
    if rows is not None:
        markup = keyboard(combine_rows(translators, rows))
    return await group_target(services, bot, chat_id).send(text, markup)


async def to_user(
    services: Services,
    bot: Bot,
    case: Case,
    user_id: int,
    render: Render,
    rows: RenderRows | None = None,
) -> Message | None:
    """Send to one person in their language; a failed delivery is put on the record."""
    tr = await services.translator_for_id(user_id)
    markup = keyboard(rows(tr)) if rows is not None else None
    message = await send(bot, user_id, render(tr), markup)
    if message is None:
        role = await services.db.cases.role_of(case.id, user_id)
        await services.db.history.append(
            case.id,
            None,
            Role.SYSTEM,
            "delivery.failed",
            {"to": user_id, "role": str(role) if role else None},
            services.clock.now(),
        )
    return message


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
    (default: every participant when there is no shared chat). A party whom the private message
    cannot reach still reads it in the shared chat."""
    chat = await services.db.chats.for_case(case.id)
    bound = chat is not None and chat.status == "bound"
    if bound and chat is not None:
        await to_chat(services, bot, case, chat.chat_id, render, rows)
    recipients = (
        list(private_to) if private_to is not None else ([] if bound else participants(case))
    )
    for user_id in recipients:
        await to_user(services, bot, case, user_id, render, rows)
