"""/casefile: the case file, as a PDF and as JSON (`case-12.pdf`, `case-12.json`), privately.

`/casefile 12`, or `/casefile` alone when the user has one case. Only a party of the case or
its own mediator gets it, built for their role (`flows/case_file_build.py`), in their language
and time zone; anyone else gets exactly the answer for a case that does not exist, so the
answer never tells whether a case exists. Building reads the database on the loop; rendering
the PDF and serialising the JSON run in a thread (`asyncio.to_thread`), after a message that
the file is being prepared. A PDF over Telegram's 50 MB upload limit is made again without
its thumbnails, and the reader is told. In a group the command is not answered, as every
private-only command.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from flows.case_file_build import BuiltCaseFile, build_case_file, case_file_json_bytes
from flows.case_file_model import CaseFileTooLarge, ReaderRole
from flows.claim_render import case_number
from flows.common import parse_id
from flows.logs import bind_case
from flows.messaging import send
from flows.rules.lifecycle import Role
from flows.services import get_services
from locales.i18n import Translator
from storage import Case, User

__all__ = ["UPLOAD_LIMIT", "handlers", "on_casefile", "pdf_within"]

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 50 * 1024 * 1024  # the Bot API's limit for a file a bot sends
READERS: dict[Role, ReaderRole] = {
    Role.BUYER: "buyer",
    Role.SUPPLIER: "supplier",
    Role.MEDIATOR: "mediator",
}


def pdf_within(built: BuiltCaseFile, tr: Translator, limit: int) -> tuple[bytes, bool]:
    """The PDF, and whether it had to be made without its thumbnails to keep within `limit`;
    CaseFileTooLarge when even that is over the limit. Runs in a thread."""
    # fpdf2 with fontTools, Pillow and their own imports take about 55 MB: loaded at the first
    # case file a process makes, not by every worker at start-up (README "Speed and memory").
    from flows.case_file_pdf import render_pdf

    case_file, thumbnails = built.case_file, built.thumbnails
    pdf = render_pdf(case_file, tr, tr.tz, thumbnails, max_bytes=sys.maxsize)
    if len(pdf) <= limit:
        return pdf, False
    return render_pdf(case_file, tr, tr.tz, {}, max_bytes=limit), True


async def _which(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user: User, tr: Translator
) -> tuple[Case | None, bool]:
    """The case the command names, or None; the bool says whether an answer was already sent
    (a usage hint, or the list of cases to choose from)."""
    services = get_services(context)
    args = context.args or []
    if args:
        number = parse_id(args[0].lstrip("#")) if len(args) == 1 else None
        if number is None:
            await send(context.bot, chat_id, tr.t("casefile.usage"))
            return None, True
        return await services.db.cases.by_number(number), False
    filed = [c for c in await services.db.cases.list_for_user(user.id) if c.number is not None]
    if len(filed) == 1:
        return filed[0], False
    if not filed:
        await send(context.bot, chat_id, tr.t("casefile.none"))
        return None, True
    ordered = sorted(filed, key=lambda case: case.number or 0)
    text = tr.t(
        "casefile.which",
        numbers=", ".join(case_number(case) for case in ordered),
        example=f"/casefile {ordered[-1].number}",
    )
    await send(context.bot, chat_id, text)
    return None, True


async def on_casefile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    user, tr = await services.reader(update.effective_user)
    case, answered = await _which(context, message.chat_id, user, tr)
    if answered:
        return
    role = await services.db.cases.role_of(case.id, user.id) if case is not None else None
    reader = READERS.get(role) if role is not None else None
    if case is None or case.number is None or reader is None:
        await send(context.bot, message.chat_id, tr.t("casefile.not_found"))
        return
    bind_case(case.id)
    number = case_number(case)
    await send(context.bot, message.chat_id, tr.t("casefile.preparing", number=number))
    now = services.clock.now()
    built = await build_case_file(services.db, services.files.store, case, reader, tr, now)
    document = await asyncio.to_thread(case_file_json_bytes, built.case_file)
    try:
        pdf, shrunk = await asyncio.to_thread(pdf_within, built, tr, UPLOAD_LIMIT)
    except CaseFileTooLarge as exc:
        log.warning("case file of case %s for its %s: %s", case.id, reader, exc)
        await send(context.bot, message.chat_id, tr.t("casefile.too_large", number=number))
        return
    log.info("case file of case %s for its %s: PDF %d bytes", case.id, reader, len(pdf))
    await context.bot.send_document(
        message.chat_id,
        pdf,
        filename=f"case-{case.number}.pdf",
        caption=tr.t("casefile.caption.pdf", number=number),
    )
    await context.bot.send_document(
        message.chat_id,
        document,
        filename=f"case-{case.number}.json",
        caption=tr.t("casefile.caption.json", command=built.case_file.verify_command),
    )
    if shrunk:
        await send(context.bot, message.chat_id, tr.t("casefile.without_thumbnails"))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CommandHandler("casefile", on_casefile, filters.ChatType.PRIVATE)]
