"""The one error handler: log with the update and case ids, tell the user, tell the operators.

The person who pressed or wrote hears an apology in their language: as the answer to their
button press while it is unanswered (an alert), otherwise as a message, since a press can be
answered only once (`bot.telegram_bot` knows whether it was). The operators' error chat
(`ERROR_CHAT_ID`), when set, gets one short line per error: the case, the update, the exception
type and the first line of its message, with the bot token and the database password masked;
the stack trace stays in the log. Nothing here raises: a failed apology or report is logged.

When the handler that failed had already committed its change (an answer saved, then the next
question failed to go out), the apology says it was saved instead of "try again", and the flow
carries on if it said how (`flows/ledger.py`). A repeat of an update handled before
(`UpdateAlreadyHandled`) is no error: it is logged as such and stops quietly.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import make_url
from telegram import Update
from telegram import User as TelegramUser
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram_bot import was_answered
from flows.chat_migration import follower
from flows.ledger import resume_hook, saved
from flows.logs import case_id_var
from flows.messaging import send
from flows.services import LANGUAGE_TIMEZONES, SERVICES_KEY, Services
from locales.i18n import Translator, language_from_telegram
from storage.ledger import UpdateAlreadyHandled

log = logging.getLogger(__name__)

DETAIL_LIMIT = 300  # characters of the exception's message in a report
MASK = "***"
NONE = "—"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, UpdateAlreadyHandled):
        # A copy of an update handled before got past the early check (two workers at once):
        # its write was rolled back; it must not go on to answer anything either.
        log.info("update delivered again after it was handled: its repeat was rolled back")
        raise ApplicationHandlerStop
    log.error("unhandled error: %s: %s", type(error).__name__, error, exc_info=error)
    services = context.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        return  # start-up did not finish: the log is all there is
    if isinstance(update, Update):
        await _apologise(services, context, update)
    if update is None and isinstance(error, NetworkError):
        # Telegram unreachable while polling: PTB retries, and a report per retry would flood
        # the operators' chat with something the log already says.
        return
    if error is not None:
        await _report(services, context, update, error)


async def _apologise(
    services: Services, context: ContextTypes.DEFAULT_TYPE, update: Update
) -> None:
    user = update.effective_user
    if user is None:
        return
    tr = await _translator(services, user)
    if saved():
        # What the user did is stored: "try again" would make them repeat it, and a retyped
        # answer would land on the next question. Say so, and carry on where the flow is.
        await _carry_on(services, context, update, user, tr)
        return
    text = tr.t("error.generic")
    query = update.callback_query
    if query is not None and not was_answered(query.id):
        try:
            await query.answer(text, show_alert=True)
            return
        except TelegramError as exc:
            # Answered after all (the reply to that answer was lost), or too late: a message.
            log.warning("the apology could not answer the press (%s); sending it instead", exc)
    await _tell(services, context, update, user, text)


async def _carry_on(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    user: TelegramUser,
    tr: Translator,
) -> None:
    """After a failure that followed a save: "it was saved", then the flow's next step."""
    query = update.callback_query
    if query is not None and not was_answered(query.id):
        try:
            await query.answer()  # stop the spinner; the news goes out as a message
        except TelegramError as exc:
            log.warning("the press could not be answered after the failure: %s", exc)
    resume = resume_hook()
    text = tr.t("error.saved.continue") if resume is not None else tr.t("error.saved")
    if not await _tell(services, context, update, user, text):
        return
    if resume is not None:
        try:
            await resume()
        except Exception:
            # Logged, not raised: the error handler must not fail. The user was told the
            # answer is saved; the next message they send continues the flow from the database.
            log.exception("the flow could not carry on after the failure")


async def _tell(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    user: TelegramUser,
    text: str,
) -> bool:
    """Send `text` to the first chat of the apology that takes it."""
    for chat_id in _apology_chats(update, user):
        try:
            if await send(context.bot, chat_id, text, follow=follower(services)) is not None:
                return True
        except TelegramError as exc:
            log.warning("the apology could not be sent to chat %s: %s", chat_id, exc)
    log.error("the user was not told about the error: no chat could be reached")
    return False


def _apology_chats(update: Update, user: TelegramUser) -> list[int]:
    """Where the apology goes: the update's chat; for a press in a group, first the presser's
    private chat (the apology is theirs, not the whole group's)."""
    chats: list[int] = []
    chat = update.effective_chat
    if update.callback_query is not None and (chat is None or chat.type != ChatType.PRIVATE):
        chats.append(user.id)
    if chat is not None and chat.id not in chats:
        chats.append(chat.id)
    return chats


async def _translator(services: Services, user: TelegramUser) -> Translator:
    """The reader's language; Telegram's when their settings cannot be read (the database may
    be what failed)."""
    try:
        stored = await services.db.users.get(user.id)
    except Exception:
        log.exception("the user's settings could not be read for the apology")
        stored = None
    if stored is not None:
        return services.translator_for(stored)
    settings = services.settings
    language = language_from_telegram(user.language_code, settings.default_language)
    zone = LANGUAGE_TIMEZONES.get(language, settings.default_timezone)
    return services.catalogs.translator(language, zone)


async def _report(
    services: Services, context: ContextTypes.DEFAULT_TYPE, update: object, error: BaseException
) -> None:
    """One line for the operators' error chat, if there is one."""
    chat_id = services.settings.error_chat_id
    if chat_id is None:
        return
    case_id = case_id_var.get()
    text = services.translator_for(None).t(
        "error.report",
        case=f"case_id={case_id}" if case_id is not None else NONE,  # the operators' log
        update=update.update_id if isinstance(update, Update) else NONE,
        kind=type(error).__name__,
        detail=detail(error, _secrets(services)),
    )
    try:
        if await send(context.bot, chat_id, text) is None:
            log.warning("the error report was refused by the operators' chat %s", chat_id)
    except Exception:
        # Reporting must never raise out of the error handler (PTB would only log that).
        log.exception("the error report could not be sent to the operators' chat %s", chat_id)


def detail(error: BaseException, secrets: list[str]) -> str:
    """The first line of the exception's message, secrets masked, at most DETAIL_LIMIT long."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    for secret in secrets:
        text = text.replace(secret, MASK)  # before cutting, so no part of a secret is left
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def _secrets(services: Services) -> list[str]:
    """What a message must never show: the token (and its secret half), the DB password."""
    secrets: list[str] = []
    token = services.settings.telegram_bot_token
    if token is not None and token.get_secret_value():
        value = token.get_secret_value()
        secrets += [value, value.partition(":")[2]]
    password = make_url(services.settings.database_url).password
    if password:
        secrets.append(str(password))
    return [secret for secret in secrets if secret]
