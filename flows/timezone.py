"""/timezone: every date the bot shows is in the reader's own time zone, which they set here.

Until a reader chooses, Chinese readers see China Standard Time and everyone else the
configured default; every time shown also names its UTC offset, so nothing is ambiguous.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows.buttons import ZoneChoice
from flows.callbacks import decode, encode, pattern
from flows.common import chunk, keyboard
from flows.messaging import send
from flows.services import get_services

COMMON_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)


def parse_zone(text: str) -> str | None:
    """An IANA zone name, matched case-insensitively (e.g. "europe/berlin")."""
    wanted = text.strip().replace(" ", "_")
    by_lower = {name.lower(): name for name in available_timezones()}
    name = by_lower.get(wanted.lower())
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


async def on_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    if context.args:
        zone = parse_zone(" ".join(context.args))
        if zone is None:
            await send(context.bot, message.chat_id, tr.t("timezone.unknown"))
            return
        await _set(services, context.bot, user.id, zone)
        return
    rows = chunk([(name, encode(ZoneChoice(name))) for name in COMMON_ZONES], 2)
    text = tr.t("timezone.choose", current=str(tr.tz), now=tr.datetime(services.clock.now()))
    await send(context.bot, message.chat_id, text, keyboard(rows))


async def _set(services: Any, bot: Any, user_id: int, zone: str) -> None:
    await services.db.users.set_timezone(user_id, zone, services.clock.now())
    tr = await services.translator_for_id(user_id)
    await send(bot, user_id, tr.t("timezone.set", zone=zone, now=tr.datetime(services.clock.now())))


async def on_zone_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, ZoneChoice)
    zone = parse_zone(data.zone) if data is not None else None
    if zone is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    await query.answer()
    await _set(services, context.bot, user.id, zone)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("timezone", on_timezone, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_zone_button, pattern=pattern(ZoneChoice)),
    ]
