"""A bare python-telegram-bot bot: the yardstick of the benchmark (`tests/bench/updates.py`).

A few handlers answer the benchmark's updates with a fixed text, as the smallest bot that does
the same visible work would: /start and /help, a text message, and a button press (answered,
then a message, as the dispute bot's Accept asks its question). PTB's defaults otherwise, with
up to 64 updates handled at once, as the dispute bot handles them (`PerChatUpdateProcessor`'s
slots). With PTB's 256, a bare /help right after a burst of 100 /start cost it two to three
times the CPU of the /start (most likely httpcore's pool checking each of the 100 connections
the burst opened on every request), which flattered the dispute bot.

    TELEGRAM_API_URL=http://127.0.0.1:8081 TELEGRAM_BOT_TOKEN=123456:BENCH \
        python -m tests.bench.bare_bot
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

FIXED = "Hello. This is a fixed answer."  # the bench never shows it to anybody


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, FIXED)


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/new: a message with a button to press (the bench's proposal presses)."""
    assert update.effective_chat is not None
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Accept", callback_data="a")]])
    await context.bot.send_message(update.effective_chat.id, FIXED, reply_markup=markup)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
    await context.bot.send_message(update.effective_chat.id, FIXED, reply_markup=markup)


def main() -> None:
    url = os.environ["TELEGRAM_API_URL"]
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .concurrent_updates(64)  # as many at once as the dispute bot (its 64 slots)
        .build()
    )
    application.add_handler(CommandHandler(["start", "help"], answer))
    application.add_handler(CommandHandler("new", offer))
    application.add_handler(MessageHandler(filters.TEXT, answer))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
