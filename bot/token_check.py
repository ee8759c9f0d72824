"""Start-up check of the bot token against the Bot API server, before anything else runs.

python-telegram-bot finds a rejected token only inside its own start-up, where it logs two
tracebacks that quote the token and exits with status 1. An operator who mistyped the token, or
pointed TELEGRAM_API_URL at something that is not a Bot API server, gets one line instead, naming
the variable (never the token), and status 2 like every other refused setting. A server that
cannot be reached is not refused here: python-telegram-bot retries that, as it should.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.config import ConfigError, Settings

__all__ = ["check_token"]


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """The library's own error logs (with tracebacks quoting the token) held back."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def check_token(settings: Settings) -> None:
    """getMe with the configured token; a rejection is a `ConfigError`."""
    bot = Bot(
        settings.require_token(),
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_base_url,
    )
    with _quiet("telegram"):
        try:
            async with bot:  # initialize() calls getMe
                pass
        except InvalidToken:
            raise ConfigError(
                f"TELEGRAM_BOT_TOKEN: the Bot API server at {settings.telegram_api_url} rejected "
                "the token (or TELEGRAM_API_URL is not a Bot API server's address)"
            ) from None
        except NetworkError:
            return  # not reachable now: python-telegram-bot retries at start-up
