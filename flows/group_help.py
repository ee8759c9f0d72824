"""/help, /case and /cases in a group: what can be done there, and the group's own case.

In a dispute chat /help lists the commands that work there for the one who asks, by their role
in the case (buyer, supplier, or someone with no part in it) and by the case's state, in every
participant's language (the answer is read by all). /case and /cases show the group's own case,
never another: the claim is shared with both parties already (it is pinned there), but a
person's list of cases is theirs alone, so /cases sends that list to their private chat.
A group that is no dispute chat says how one is made. Nothing here reveals a case to someone
who is not in its chat.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from flows.audience import DIVIDER, translators_for
from flows.blind_bidding import BIDDING_STATES
from flows.case_context import OPEN_STATES
from flows.cases import case_line
from flows.chat_migration import follower
from flows.claim_render import case_number, render_summary
from flows.evidence_index import SHARED
from flows.logs import bind_case
from flows.mediator_pool import has_pool
from flows.messaging import send
from flows.proposal_builder import PROPOSING_STATES
from flows.proposal_render import role_name
from flows.rules.lifecycle import Action, IllegalTransition, Role, check_transition
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, role_in

log = logging.getLogger(__name__)

CASES_SENT = N_("help.group.cases_sent")  # the list went to the private chat
CASES_START = N_("help.group.cases_start")  # it could not: the asker never started the bot


async def _readers(services: Services, case: Case, asker: Translator) -> list[Translator]:
    """Every participant's language, and the asker's (a stranger may speak another)."""
    translators = await translators_for(services, case)
    if asker.language not in {tr.language for tr in translators}:
        translators.append(asker)
    return translators


def _allowed(services: Services, case: Case, action: Action, role: Role, now: datetime) -> bool:
    try:
        check_transition(case.facts, action, role, now, services.lifecycle)
    except IllegalTransition:
        return False
    return True


def _help_lines(services: Services, case: Case, role: Role, tr: Translator) -> list[str]:
    """The commands that work in this chat for `role` now, one line each."""
    lines = [tr.t("help.group.case")]
    if case.state not in OPEN_STATES:
        return lines
    lines.append(tr.t("help.group.evidence"))
    if case.state in PROPOSING_STATES:
        lines.append(tr.t("help.group.propose"))
    if case.state in BIDDING_STATES:
        lines.append(tr.t("help.group.blindbid"))
    now = services.clock.now()
    mediators = has_pool(services)  # with none, there is nobody to ask for
    if mediators and _allowed(services, case, Action.REQUEST_MEDIATION, role, now):
        lines.append(tr.t("help.group.mediator"))
    elif (
        mediators
        and role is Role.BUYER
        and case.submitted_at is not None
        and case.state in BIDDING_STATES
    ):
        opens = case.submitted_at + services.lifecycle.buyer_mediation_after
        if opens > now:
            lines.append(tr.t("help.group.mediator_from", opens=tr.datetime(opens)))
    if role is Role.BUYER and _allowed(services, case, Action.WITHDRAW, role, now):
        lines.append(tr.t("help.group.withdraw"))
    return lines


def _help_text(
    services: Services, case: Case, role: Role | None, name: str, tr: Translator, line: str
) -> str:
    if role is None:
        return tr.t("help.group.stranger", number=case_number(case))
    header = tr.t("help.group.header", line=line, name=name, role=role_name(tr, role))
    lines = [header, *_help_lines(services, case, role, tr), tr.t("help.group.private")]
    return "\n".join(lines)


async def _case_of_group(
    services: Services, update: Update
) -> tuple[Case | None, Role | None, Translator, int]:
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    bound = await services.db.chats.case_for_chat(message.chat_id)
    case = await services.db.cases.get(bound.case_id) if bound is not None else None
    if case is None:
        return None, None, tr, user.id
    bind_case(case.id)
    return case, role_in(case, user.id), tr, user.id


async def _answer(
    services: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str
) -> None:
    message = update.effective_message
    assert message is not None
    await send(context.bot, message.chat_id, text, follow=follower(services))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    case, role, tr, _ = await _case_of_group(services, update)
    if case is None:
        await _answer(services, update, context, tr.t("help.group.unbound"))
        return
    assert update.effective_user is not None
    name = update.effective_user.first_name
    texts = []
    for reader in await _readers(services, case, tr):
        line = await case_line(services, case, reader)
        texts.append(_help_text(services, case, role, name, reader, line))
    await _answer(services, update, context, DIVIDER.join(texts))


async def on_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/case (with or without a number) in a group: the group's own case."""
    services = get_services(context)
    case, role, tr, _ = await _case_of_group(services, update)
    if case is None:
        await _answer(services, update, context, tr.t("help.group.unbound"))
        return
    if role is None:  # in the chat already, so the number is no secret; the claim is
        readers = await _readers(services, case, tr)
        text = DIVIDER.join(r.t("help.group.stranger", number=case_number(case)) for r in readers)
        await _answer(services, update, context, text)
        return
    evidence = await services.db.evidence.list(case.id)
    texts = []
    for reader in await _readers(services, case, tr):
        header = await case_line(services, case, reader)
        texts.append(header + "\n\n" + render_summary(case.filed_claim, evidence, reader, SHARED))
    await _answer(services, update, context, DIVIDER.join(texts))


async def on_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cases in a group: the group's case there; the asker's own list in their private chat."""
    services = get_services(context)
    case, role, tr, user_id = await _case_of_group(services, update)
    own = await services.db.cases.list_for_user(user_id)
    lines = [tr.t("cases.header")] + [await case_line(services, c, tr) for c in own]
    sent = await send(context.bot, user_id, "\n\n".join(lines)) if own else None
    if case is None or role is None:
        key = CASES_SENT if sent is not None else N_("help.group.unbound")
        await _answer(services, update, context, tr.t(key))
        return
    texts = []
    for reader in await _readers(services, case, tr):
        line = await case_line(services, case, reader)
        note = CASES_SENT if sent is not None else CASES_START
        texts.append(line + "\n\n" + reader.t(note))
    await _answer(services, update, context, DIVIDER.join(texts))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    groups = filters.ChatType.GROUPS
    return [
        CommandHandler("help", on_help, filters=groups),
        CommandHandler("case", on_case, filters=groups),
        CommandHandler("cases", on_cases, filters=groups),
    ]
