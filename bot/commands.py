"""The command menu, registered once per language so each reader sees it in their own."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats

from bot.i18n import N_, Catalogs

COMMAND_KEYS = (
    ("start", N_("command.start")),
    ("new", N_("command.new")),
    ("cases", N_("command.cases")),
    ("case", N_("command.case")),
    ("language", N_("command.language")),
    ("timezone", N_("command.timezone")),
    ("help", N_("command.help")),
)
# Telegram's language_code is two-letter ISO 639-1; "" is the default for everyone else.
MENU_LANGUAGES = (("", "en"), ("en", "en"), ("zh", "zh_Hans"))


def commands_for(catalogs: Catalogs, language: str) -> list[BotCommand]:
    tr = catalogs.translator(language)
    return [BotCommand(command, tr.t(key)) for command, key in COMMAND_KEYS]


async def register_commands(bot: Bot, catalogs: Catalogs) -> None:
    scope = BotCommandScopeAllPrivateChats()
    for telegram_code, language in MENU_LANGUAGES:
        await bot.set_my_commands(
            commands_for(catalogs, language), scope=scope, language_code=telegram_code or None
        )
