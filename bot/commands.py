"""The command menus, registered once per language so each reader sees them in their own.

Telegram shows a different menu per scope: the private chat's lists every command that works
there (every private CommandHandler in flows/), the groups' menu the commands of a dispute
chat. `tests/e2e/test_commands_help.py` checks both against the handlers the bot registers.
"""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from locales.i18n import N_, Catalogs

COMMAND_KEYS = (
    ("start", N_("command.start")),
    ("new", N_("command.new")),
    ("cases", N_("command.cases")),
    ("case", N_("command.case")),
    ("evidence", N_("command.evidence")),
    ("propose", N_("command.propose")),
    ("blindbid", N_("command.blindbid")),
    ("mediator", N_("command.mediator")),
    ("reconsider", N_("command.reconsider")),
    ("casefile", N_("command.casefile")),
    ("withdraw", N_("command.withdraw")),
    ("statement", N_("command.statement")),
    ("language", N_("command.language")),
    ("timezone", N_("command.timezone")),
    ("help", N_("command.help")),
)
GROUP_COMMAND_KEYS = (
    ("help", N_("command.group.help")),
    ("case", N_("command.group.case")),
    ("cases", N_("command.group.cases")),
    ("evidence", N_("command.group.evidence")),
    ("propose", N_("command.propose")),
    ("blindbid", N_("command.blindbid")),
    ("mediator", N_("command.mediator")),
    ("withdraw", N_("command.withdraw")),
)
# Telegram's language_code is two-letter ISO 639-1; "" is the default for everyone else.
MENU_LANGUAGES = (("", "en"), ("en", "en"), ("zh", "zh_Hans"))


def commands_for(
    catalogs: Catalogs, language: str, keys: tuple[tuple[str, str], ...] = COMMAND_KEYS
) -> list[BotCommand]:
    tr = catalogs.translator(language)
    return [BotCommand(command, tr.t(key)) for command, key in keys]


def without_mediator(keys: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A menu for a service with no mediators: nobody to ask for, so no /mediator."""
    return tuple((command, key) for command, key in keys if command != "mediator")


async def register_commands(bot: Bot, catalogs: Catalogs, *, mediators: bool = True) -> None:
    private: tuple[tuple[str, str], ...] = COMMAND_KEYS
    groups: tuple[tuple[str, str], ...] = GROUP_COMMAND_KEYS
    if not mediators:
        private, groups = without_mediator(private), without_mediator(groups)
    menus = (
        (BotCommandScopeAllPrivateChats(), private),
        (BotCommandScopeAllGroupChats(), groups),
    )
    for scope, keys in menus:
        for telegram_code, language in MENU_LANGUAGES:
            await bot.set_my_commands(
                commands_for(catalogs, language, keys),
                scope=scope,
                language_code=telegram_code or None,
            )
