"""The mediator's action panel in a case: what they can do now, as buttons in their language.

Sent privately when a mediator takes a case (after the context card) and with `/case <n>` to
the case's own mediator. `panel_rows` builds the rows from the database alone (so a lost
message never leaves the mediator without a way on): request evidence, open the final
statements round and propose a settlement (in mediation), decide (in arbitration), accept or
leave out a late item, hand back.

Every press of a panel button comes through `mediator_press`, which checks on the server that
the presser is the case's own mediator (`cases.mediator_id`) and that the case is in a state
where the action applies; anyone else is refused in their own language and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypeVar

from telegram import Bot, CallbackQuery, Update
from telegram.ext import ContextTypes

from flows.audience import to_user
from flows.callbacks import (
    AcceptLate,
    Callback,
    DecideCase,
    HandBack,
    LeaveOutLate,
    OpenStatements,
    ProposeSettlement,
    RequestEvidence,
    decode,
    encode,
)
from flows.claim_render import case_number
from flows.common import Button
from flows.logs import bind_case
from flows.rules.lifecycle import CaseState
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import Case, Evidence, User

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Callback)
MEDIATOR_STATES = frozenset({CaseState.MEDIATION, CaseState.ARBITRATION})


def late_rows(tr: Translator, case_id: int, items: Collection[Evidence]) -> list[list[Button]]:
    """Accept / leave out, for each item that came late and is not judged yet."""
    rows: list[list[Button]] = []
    for item in sorted(items, key=lambda i: i.number):
        if item.lateness != "late":
            continue
        number = f"E{item.number}"
        rows.append(
            [
                (
                    tr.t("button.late_accept", number=number),
                    encode(AcceptLate(case_id, item.number)),
                ),
                (
                    tr.t("button.late_leave_out", number=number),
                    encode(LeaveOutLate(case_id, item.number)),
                ),
            ]
        )
    return rows


async def panel_rows(services: Services, case: Case, tr: Translator) -> list[list[Button]]:
    """The case's own mediator's buttons now, by state."""
    if case.state not in MEDIATOR_STATES or case.mediator_id is None:
        return []
    rows: list[list[Button]] = [
        [(tr.t("button.request_evidence"), encode(RequestEvidence(case.id)))]
    ]
    if case.state is CaseState.MEDIATION:
        rows.append([(tr.t("button.open_statements"), encode(OpenStatements(case.id)))])
        rows.append([(tr.t("button.mediator_propose"), encode(ProposeSettlement(case.id)))])
    if case.state is CaseState.ARBITRATION:
        rows.append([(tr.t("button.decide"), encode(DecideCase(case.id)))])
    rows.extend(late_rows(tr, case.id, await services.db.evidence.list(case.id)))
    if case.state is CaseState.MEDIATION:
        rows.append([(tr.t("button.hand_back"), encode(HandBack(case.id)))])
    return rows


async def send_panel(services: Services, bot: Bot, case: Case, mediator_id: int) -> None:
    """The panel privately to the case's mediator, in their language."""
    tr = await services.translator_for_id(mediator_id)
    rows = await panel_rows(services, case, tr)
    if not rows:
        return
    await to_user(
        services,
        bot,
        case,
        mediator_id,
        lambda t: t.t("mediator.panel", number=case_number(case)),
        lambda _t: rows,
    )


@dataclass(frozen=True)
class MediatorPress:
    services: Services
    query: CallbackQuery
    user: User
    tr: Translator
    case: Case


async def mediator_press(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    kind: type[C],
    states: Collection[CaseState] = MEDIATOR_STATES,
) -> tuple[MediatorPress, C] | None:
    """The press of a `kind` button by the case's own mediator, with the case in `states`;
    None after telling anyone else why not (in their language)."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, kind)
    case_id = getattr(data, "case_id", None)
    case = await services.db.cases.get(case_id) if isinstance(case_id, int) else None
    if data is None or case is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return None
    bind_case(case.id)
    if case.mediator_id != user.id:
        log.info("panel button %s refused: %s is not the case's mediator", kind.CODE, user.id)
        await query.answer(tr.t("mediator.not_yours", number=case_number(case)), show_alert=True)
        return None
    if case.state not in states:
        await query.answer(tr.t("mediator.not_now", number=case_number(case)), show_alert=True)
        return None
    return MediatorPress(services, query, user, tr, case), data
