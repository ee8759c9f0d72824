"""The mediator asks a party for evidence, by a date; what comes in time meets the request,
what comes after it lapsed is marked late and counts only if the mediator accepts it.

The mediator picks the party, types what is wanted and chooses the days (a button, or a typed
number; EVIDENCE_REQUEST_DAYS by default). The request (R1, R2... in the case), its deadline
row (DeadlineKind.EVIDENCE_REQUEST: reminders to the party, then LAPSE_REQUEST), its history
event and its news commit together (`storage/repos/evidence_requests.py`). The party is told
privately and in the dispute chat, in their own language: what, by when in their time zone,
how to send it, and that the mediator goes on without it otherwise.

Evidence a party adds (`record_file`, every way in) is then offered to `answer_evidence`: it
meets that side's open requests (the mediator is told), or after a lapse it is marked late and
the mediator gets Accept / Leave out.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import inputs
from flows.audience import Readers, for_case, for_user, readers
from flows.callbacks import (
    PARTY_CODES,
    AcceptLate,
    LeaveOutLate,
    RequestDays,
    RequestEvidence,
    RequestFrom,
    encode,
    pattern,
)
from flows.claim_render import case_number
from flows.common import Button, keyboard
from flows.evidence_index import evidence_number
from flows.mediator_panel import late_rows, mediator_press
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.rules.lifecycle import DeadlineKind, Role
from flows.services import Services
from locales.i18n import N_, Translator
from storage import Case, Conflict, Evidence, OutboxMessage, PendingInput, User
from storage.repos.evidence_requests import Answered, Verdict

log = logging.getLogger(__name__)

REQUEST_INPUT = "mediator.request"
WHAT_LIMIT = 500
DAY_CHOICES = (1, 2, 3, 7)
MAX_DAYS = 30


def request_number(number: int) -> str:
    return f"R{number}"


def _party(code: int) -> Role:
    return Role(PARTY_CODES[code])


async def on_request(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Request evidence: which party?"""
    pressed = await mediator_press(update, context, RequestEvidence)
    if pressed is None:
        return
    press, _data = pressed
    await press.query.answer()
    tr, case = press.tr, press.case
    rows: list[list[Button]] = [
        [
            (tr.t("button.request_from_buyer"), encode(RequestFrom(case.id, 1))),
            (tr.t("button.request_from_supplier"), encode(RequestFrom(case.id, 2))),
        ]
    ]
    await send_rows(
        context.bot, press.user.id, tr.t("mediator.request_which", number=case_number(case)), rows
    )


async def send_rows(bot: Bot, chat_id: int, text: str, rows: list[list[Button]]) -> None:
    await send(bot, chat_id, text, keyboard(rows))


async def on_party(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The party chosen: what should they send? (typed next)"""
    pressed = await mediator_press(update, context, RequestFrom)
    if pressed is None:
        return
    press, data = pressed
    if data.party not in PARTY_CODES:
        await press.query.answer(press.tr.t("callback.unavailable"), show_alert=True)
        return
    await press.query.answer()
    party = _party(data.party)
    await press.services.db.inputs.put(
        press.user.id,
        press.user.id,
        REQUEST_INPUT,
        press.case.id,
        "what",
        {"party": party.value},
        press.services.clock.now(),
    )
    tr = press.tr
    text = tr.t("mediator.request_what", number=case_number(press.case), party=role_name(tr, party))
    await send(context.bot, press.user.id, text)


def _days_rows(tr: Translator, case_id: int) -> list[list[Button]]:
    return [
        [
            (tr.tn("button.days", "button.days.plural", days), encode(RequestDays(case_id, days)))
            for days in DAY_CHOICES
        ]
    ]


async def on_typed(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """What is wanted (step "what"), then a typed number of days (step "days")."""
    case = await services.db.cases.get(pending.case_id)
    if case is None or case.mediator_id != user.id:
        await services.db.inputs.clear(user.id, message.chat_id)
        await send(context.bot, message.chat_id, tr.t("callback.unavailable"))
        return
    if pending.step == "what":
        what = inputs.typed_text(message, WHAT_LIMIT)
        await services.db.inputs.put(
            user.id,
            message.chat_id,
            REQUEST_INPUT,
            case.id,
            "days",
            {**pending.data, "what": what},
            services.clock.now(),
            expected_version=pending.version,
        )
        default = round(services.policy.evidence_request.total_seconds() / 86400)
        await send_rows(
            context.bot,
            message.chat_id,
            tr.t("mediator.request_days", default=default, max=MAX_DAYS),
            _days_rows(tr, case.id),
        )
        return
    text = (message.text or "").strip()
    days = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
    if not 1 <= days <= MAX_DAYS:
        await send(
            context.bot, message.chat_id, tr.t("mediator.request_days_invalid", max=MAX_DAYS)
        )
        return
    await _make(services, context.bot, case, user, tr, pending, days)


async def on_days(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    pressed = await mediator_press(update, context, RequestDays)
    if pressed is None:
        return
    press, data = pressed
    pending = await press.services.db.inputs.get(press.user.id, press.user.id)
    if (
        pending is None
        or pending.kind != REQUEST_INPUT
        or pending.step != "days"
        or pending.case_id != press.case.id
        or data.days not in DAY_CHOICES
    ):
        await press.query.answer(press.tr.t("callback.unavailable"), show_alert=True)
        return
    await press.query.answer()
    await _make(press.services, context.bot, press.case, press.user, press.tr, pending, data.days)


async def _make(
    services: Services,
    bot: Bot,
    case: Case,
    user: User,
    tr: Translator,
    pending: PendingInput,
    days: int,
) -> None:
    """Record the request with its deadline and news, in one transaction."""
    now = services.clock.now()
    party = Role(str(pending.data["party"]))
    what = str(pending.data["what"])
    deadline = services.deadline(DeadlineKind.EVIDENCE_REQUEST, now, due=now + timedelta(days=days))
    party_id = case.buyer_id if party is Role.BUYER else case.supplier_id
    audience = await readers(services, case, private_to=[party_id] if party_id else [])

    def news(request: Any) -> list[OutboxMessage]:
        return audience.render(
            lambda t: t.t(
                "evidence_request.news",
                number=case_number(case),
                request=request_number(request.number),
                party=role_name(t, party),
                what=what,
                due=t.datetime(deadline.due_at),
            ),
            key=f"case:{case.id}:request:{request.number}",
        )

    await services.db.inputs.clear(user.id, user.id)
    try:
        request = await services.db.evidence_requests.create(
            case.id, user.id, party, what, deadline, now, news
        )
    except Conflict:
        await send(bot, user.id, tr.t("mediator.not_now", number=case_number(case)))
        return
    log.info("evidence request R%s to the %s", request.number, party)
    await send(
        bot,
        user.id,
        tr.t(
            "mediator.request_made",
            request=request_number(request.number),
            party=role_name(tr, party),
            what=what,
            due=tr.datetime(deadline.due_at),
        ),
    )
    await after_commit(services, bot)


async def answer_evidence(services: Services, bot: Bot, case_id: int, item: Evidence) -> None:
    """A party's new item against their side's requests (met, or late after a lapse)."""
    case = await services.db.cases.get(case_id)
    if (
        case is None
        or case.mediator_id is None
        or item.submitter_role
        not in (
            Role.BUYER,
            Role.SUPPLIER,
        )
    ):
        return
    role = Role(item.submitter_role)
    mediator_id = case.mediator_id
    number = evidence_number(item.number)
    mediator = await readers(services, case, private_to=[mediator_id])
    submitter: Readers = await readers(services, case, private_to=[item.submitter_id])

    def news(answered: Answered) -> list[OutboxMessage]:
        key = f"case:{case.id}:evidence:{item.number}:request"
        if answered.late is None:
            met = ", ".join(request_number(r.number) for r in answered.met)
            return _private(mediator).render(
                lambda t: t.t(
                    "evidence_request.met",
                    number=case_number(case),
                    party=role_name(t, role),
                    request=met,
                    evidence=number,
                ),
                key=key,
            )
        late = request_number(answered.late.number)
        told = _private(mediator).render(
            lambda t: t.t(
                "evidence_request.late",
                number=case_number(case),
                party=role_name(t, role),
                request=late,
                evidence=number,
            ),
            key=key,
            private_rows=lambda _uid: lambda t: late_rows(t, case.id, [_late(item)]),
        )
        told += _private(submitter).render(
            lambda t: t.t(
                "evidence_request.late_party",
                number=case_number(case),
                request=late,
                evidence=number,
            ),
            key=f"{key}:party",
        )
        return told

    await services.db.evidence_requests.answer(
        case.id, role, item.number, services.clock.now(), news
    )
    await after_commit(services, bot)


def _late(item: Evidence) -> Evidence:
    return replace(item, lateness=Verdict.LATE)


def _private(audience: Readers) -> Readers:
    """The same readers without the shared chat: news for one person only."""
    return Readers(audience.case_id, None, audience.chat_translators, audience.private)


async def lapse_news(services: Services, case: Case, request: Any) -> list[OutboxMessage]:
    """A request's deadline passed: the mediator and the party are told."""
    party = Role(request.party_role)
    party_id = case.buyer_id if party is Role.BUYER else case.supplier_id
    key = f"case:{case.id}:request:{request.number}:lapsed"
    told: list[OutboxMessage] = []
    if case.mediator_id is not None:
        told.append(
            await for_user(
                services,
                case,
                case.mediator_id,
                lambda t: t.t(
                    "evidence_request.lapsed",
                    number=case_number(case),
                    party=role_name(t, party),
                    request=request_number(request.number),
                    what=request.what,
                ),
                key=key,
            )
        )
    if party_id is not None:
        told += await for_case(
            services,
            case,
            lambda t: t.t(
                "evidence_request.lapsed_party",
                number=case_number(case),
                party=role_name(t, party),
                request=request_number(request.number),
            ),
            key=f"{key}:party",
            private_to=[party_id],
        )
    return told


async def _judge(update: Update, context: ContextTypes.DEFAULT_TYPE, verdict: str) -> None:
    kind: type[AcceptLate | LeaveOutLate] = (
        AcceptLate if verdict == Verdict.ACCEPTED else LeaveOutLate
    )
    pressed = await mediator_press(update, context, kind)
    if pressed is None:
        return
    press, data = pressed
    services, case, tr = press.services, press.case, press.tr
    number = evidence_number(data.number)
    key = N_("late.accepted_news") if verdict == Verdict.ACCEPTED else N_("late.left_out_news")
    news = await for_case(
        services,
        case,
        lambda t: t.t(key, number=case_number(case), evidence=number),
        key=f"case:{case.id}:late:{data.number}",
        private_to=[uid for uid in (case.buyer_id, case.supplier_id) if uid is not None],
    )
    done = await services.db.evidence_requests.judge_late(
        case.id, data.number, verdict, press.user.id, services.clock.now(), news
    )
    if not done:
        await press.query.answer(tr.t("late.not_late", evidence=number), show_alert=True)
        return
    reply = N_("late.accepted") if verdict == Verdict.ACCEPTED else N_("late.left_out")
    await press.query.answer(tr.t(reply, evidence=number))
    await send(context.bot, press.user.id, tr.t(reply, evidence=number))
    await after_commit(services, context.bot)


async def on_accept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _judge(update, context, Verdict.ACCEPTED)


async def on_leave_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _judge(update, context, Verdict.LEFT_OUT)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    return {REQUEST_INPUT: on_typed}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_request, pattern=pattern(RequestEvidence)),
        CallbackQueryHandler(on_party, pattern=pattern(RequestFrom)),
        CallbackQueryHandler(on_days, pattern=pattern(RequestDays)),
        CallbackQueryHandler(on_accept, pattern=pattern(AcceptLate)),
        CallbackQueryHandler(on_leave_out, pattern=pattern(LeaveOutLate)),
    ]
