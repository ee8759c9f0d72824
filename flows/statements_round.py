"""The final statements round: the case moves from mediation to arbitration, each party states
their case by a date, then the mediator decides on what is on the record.

The mediator opens it from their panel (confirmed first: it cannot be undone); the MEDIATION
deadline passing opens it the same way as the system (flows/sweep.py), with the same news.
Either way it is the guarded TO_ARBITRATION, which starts ARBITRATION_STATEMENTS, and the news
goes out with it through the outbox.

A party gives a statement with /statement privately (or the button in the news): the text is
put on the record as a `final_statement` event and sent to the mediator and the other party.
One per party: a second one replaces the first (both stay on the record; the latest counts).
The round does not end early when both have spoken: evidence may still come until the date.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import inputs
from flows.audience import for_case, for_user, parties
from flows.callbacks import (
    ConfirmStatements,
    GiveStatement,
    OpenStatements,
    decode,
    encode,
    pattern,
)
from flows.case_context import party_of
from flows.claim_render import case_number
from flows.common import Button, is_number, keyboard
from flows.logs import bind_case
from flows.mediator_panel import mediator_press, send_panel
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, IllegalTransition, Role
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, ConcurrentUpdate, OutboxMessage, PendingInput, User

log = logging.getLogger(__name__)

STATEMENT_INPUT = "statement"
STATEMENT_LIMIT = 2000
OPENED_KEYS = {
    Role.MEDIATOR: N_("statements.opened"),
    Role.SYSTEM: N_("statements.opened_system"),
}


def statement_rows(case_id: int) -> Any:
    return lambda t: [[(t.t("button.give_statement"), encode(GiveStatement(case_id)))]]


async def round_news(
    services: Services, case: Case, due: datetime, by: Role
) -> list[OutboxMessage]:
    """The round is open: each party (privately and in the chat, in their language) and the
    mediator (privately) are told until when, and what happens after."""
    key = OPENED_KEYS[by]
    stamp = f"case:{case.id}:v{case.version + 1}:statements"
    told = await for_case(
        services,
        case,
        lambda t: t.t(key, number=case_number(case), due=t.datetime(due)),
        statement_rows(case.id),
        key=stamp,
        private_to=parties(case),
    )
    if case.mediator_id is not None:
        told.append(
            await for_user(
                services,
                case,
                case.mediator_id,
                lambda t: t.t(
                    "statements.opened_mediator", number=case_number(case), due=t.datetime(due)
                ),
                key=f"{stamp}:mediator",
            )
        )
    return told


async def on_open(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open the round? Asked first: it cannot be undone."""
    pressed = await mediator_press(update, context, OpenStatements, {CaseState.MEDIATION})
    if pressed is None:
        return
    press, _data = pressed
    await press.query.answer()
    tr, case = press.tr, press.case
    days = services_days(press.services)
    rows: list[list[Button]] = [
        [(tr.t("button.confirm_statements"), encode(ConfirmStatements(case.id)))]
    ]
    text = tr.t(
        "statements.confirm",
        number=case_number(case),
        days=tr.tn("statements.days", "statements.days.plural", days),
    )
    await send(context.bot, press.user.id, text, keyboard(rows))


def services_days(services: Services) -> int:
    return round(services.policy.arbitration_statements.total_seconds() / 86400)


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirmed: MEDIATION → ARBITRATION, the statements deadline starts, everyone is told."""
    pressed = await mediator_press(update, context, ConfirmStatements, {CaseState.MEDIATION})
    if pressed is None:
        return
    press, _data = pressed
    services, case, tr = press.services, press.case, press.tr
    now = services.clock.now()
    deadline = services.deadline(DeadlineKind.ARBITRATION_STATEMENTS, now)
    news = await round_news(services, case, deadline.due_at, Role.MEDIATOR)
    try:
        moved = await services.db.cases.transition(
            case.id,
            Action.TO_ARBITRATION,
            press.user.id,
            Role.MEDIATOR,
            now,
            reason="final statements round opened by the mediator",
            new_deadline=deadline,
            expected_version=case.version,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.info("statements round not opened: %s", exc)
        await press.query.answer(tr.t("mediator.not_now", number=case_number(case)), True)
        return
    await press.query.answer()
    log.info("final statements round opened by the mediator")
    await after_commit(services, context.bot)
    # The panel as it is now (the decision's button among it), so nobody has to ask for it.
    await send_panel(services, context.bot, moved, press.user.id)


async def _statement_case(services: Services, user: User, raw: str) -> Case | None:
    """The reader's case in the statements round: the one named, or their only one."""
    if raw:
        case = await services.db.cases.by_number(int(raw)) if is_number(raw) else None
        return case if case is not None and user.id in parties(case) else None
    mine = [
        c
        for c in await services.db.cases.list_for_user(user.id)
        if c.state is CaseState.ARBITRATION and user.id in parties(c)
    ]
    return mine[0] if len(mine) == 1 else None


async def _ask(
    services: Services, bot: Bot, case: Case, user: User, tr: Translator, chat_id: int
) -> None:
    if case.state is not CaseState.ARBITRATION or not await _round_open(services, case):
        await send(bot, chat_id, tr.t("statement.closed", number=case_number(case)))
        return
    await services.db.inputs.put(
        user.id, chat_id, STATEMENT_INPUT, case.id, "text", {}, services.clock.now()
    )
    await send(bot, chat_id, tr.t("statement.ask", number=case_number(case), max=STATEMENT_LIMIT))


async def round_due(services: Services, case: Case) -> datetime | None:
    """When the final statements round ends, while it is open and not both parties have given
    their statement; None otherwise (the mediator may decide)."""
    pending = await services.db.deadlines.pending_for_case(case.id)
    due = next((d.due_at for d in pending if d.kind is DeadlineKind.ARBITRATION_STATEMENTS), None)
    if due is None:
        return None
    events = await services.db.history.list(case.id)
    opened = max((e.seq for e in events if e.payload.get("action") == "to_arbitration"), default=0)
    given = {e.actor_id for e in events if e.kind == "final_statement" and e.seq > opened}
    return None if {case.buyer_id, case.supplier_id} <= given else due


async def _round_open(services: Services, case: Case) -> bool:
    pending = await services.db.deadlines.pending_for_case(case.id)
    return any(d.kind is DeadlineKind.ARBITRATION_STATEMENTS for d in pending)


async def on_statement(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/statement [number], privately: the reader's final statement is asked for."""
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    args = context.args or []
    case = await _statement_case(services, user, args[0] if args else "")
    if case is None:
        await send(context.bot, message.chat_id, tr.t("statement.usage"))
        return
    bind_case(case.id)
    await _ask(services, context.bot, case, user, tr, message.chat_id)


async def on_statement_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, GiveStatement)
    found = await party_of(services, data.case_id, user.id) if data is not None else None
    if found is None or found[1] not in (Role.BUYER, Role.SUPPLIER):
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    await query.answer()
    await _ask(services, context.bot, found[0], user, tr, user.id)


async def on_text(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The statement's text: on the record, then to the mediator and the other party."""
    text = inputs.typed_text(message, STATEMENT_LIMIT)
    case = await services.db.cases.get(pending.case_id)
    await services.db.inputs.clear(user.id, message.chat_id)
    if case is None or user.id not in parties(case) or not await _round_open(services, case):
        number = case_number(case) if case is not None else "?"
        await send(context.bot, message.chat_id, tr.t("statement.closed", number=number))
        return
    role = Role.BUYER if user.id == case.buyer_id else Role.SUPPLIER
    events = await services.db.history.list(case.id)
    again = any(e.kind == "final_statement" and e.actor_id == user.id for e in events)
    now = services.clock.now()
    others = [uid for uid in (case.mediator_id, *parties(case)) if uid and uid != user.id]
    stamp = f"case:{case.id}:statement:{user.id}:{now.isoformat()}"
    news = [
        await for_user(
            services,
            case,
            other,
            lambda t: t.t(
                "statement.news", number=case_number(case), party=role_name(t, role), text=text
            ),
            key=stamp,
        )
        for other in others
    ]
    # On the record with its copies for the mediator and the other side, in one transaction.
    await services.db.outbox.record(
        case.id, user.id, role, "final_statement", {"text": text, "replaces": again}, now, news
    )
    log.info("final statement by the %s (replaces: %s)", role, again)
    reply = N_("statement.replaced") if again else N_("statement.recorded")
    await send(context.bot, message.chat_id, tr.t(reply, number=case_number(case)))
    await after_commit(services, context.bot)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    return {STATEMENT_INPUT: on_text}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_open, pattern=pattern(OpenStatements)),
        CallbackQueryHandler(on_confirm, pattern=pattern(ConfirmStatements)),
        CallbackQueryHandler(on_statement_button, pattern=pattern(GiveStatement)),
        CommandHandler("statement", on_statement, filters=filters.ChatType.PRIVATE),
    ]
