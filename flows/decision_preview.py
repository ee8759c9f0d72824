"""The mediator's decision once built (`flows/decision_builder.py` builds it): who may decide
now, the preview of the exact text the parties will read (with, before a first decision over a
settlement, the settlement's open obligations it will cancel), and the press of "Issue", which
issues or confirms it (`flows/decision_issue.py`, one transaction) and acknowledges it.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot

from flows import decision_issue, decision_text
from flows.claim_render import case_number
from flows.decision_issue import OPEN_DUTIES
from flows.messaging import send
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.services import Services
from flows.term_steps import terms_of
from locales.i18n import Translator
from storage import Case, Obligation, PendingInput, User


def refusal(tr: Translator, case: Case | None, user_id: int, number: str) -> str | None:
    """Why `user_id` may not decide `case` now, or None when they may."""
    if case is None or case.mediator_id != user_id:
        return tr.t("decision.not_your_case", number=number)
    if case.state is not CaseState.ARBITRATION:
        return tr.t("decision.not_arbitration", number=number)
    return None


def outcome(data: dict[str, Any]) -> dict[str, Any] | None:
    """The decided terms (a Proposal's dict), or None for a dismissal."""
    if data.get("dismiss"):
        return None
    return terms_of(data).to_dict()


def chosen_days(data: dict[str, Any]) -> int | None:
    """The time to fulfil the mediator chose (the builder's "days" step), if they did."""
    days = data.get("fulfilment_days")
    return int(days) if days is not None else None


async def preview(services: Services, case: Case, pending: PendingInput, tr: Translator) -> str:
    data = pending.data
    now = services.clock.now()
    until = now + services.lifecycle.reconsideration_window
    mediator = await services.db.users.get(pending.user_id)
    name = mediator.first_name if mediator is not None else "?"
    reasons = str(data.get("reasons", ""))
    if data.get("confirm"):
        in_force = await services.db.decisions.in_force(case.id)
        number = f"D{in_force.number}" if in_force is not None else "?"
        due = services.policy.due_at(DeadlineKind.FULFILMENT, now)
        key = await decision_issue.confirm_key(services, case, in_force)
        body = tr.t(
            key,
            number=number,
            case=case_number(case),
            name=name,
            reasons=reasons,
            due=tr.datetime(due),
        )
    else:
        terms = outcome(data)
        days = chosen_days(data)
        duties = decision_text.planned_duties(services, case, terms, days)
        decisions = await services.db.decisions.list(case.id)
        before = await services.db.obligations.list(case.id)
        replaced = settlement_open(before)
        first = max((o.number for o in before), default=0) + 1
        body = decision_text.announcement(
            tr,
            case,
            len(decisions) + 1,
            name,
            terms,
            reasons,
            decision_text.preview_duties(tr, case, duties, first),
            decision_text.fulfilment_due(services, duties, days),
            until,
            replaced,
        )
        if replaced:
            # The mediator is told before issuing, not only in the parties' sentence.
            note = tr.tn(
                "decision.preview_settlement",
                "decision.preview_settlement.plural",
                len(replaced),
                obligations=decision_text.obligation_numbers(replaced),
            )
            return tr.t("decision.preview", text=body) + "\n\n" + note
    return tr.t("decision.preview", text=body)


def settlement_open(duties: list[Obligation]) -> list[int]:
    """The numbers of the settlement's obligations still open: a decision cancels them (the
    transaction decides again, under the case's lock)."""
    return [o.number for o in duties if o.decision_id is None and o.status in OPEN_DUTIES]


async def issue_pending(
    services: Services, bot: Bot, case: Case, pending: PendingInput, user: User, tr: Translator
) -> None:
    data = pending.data
    reasons = str(data.get("reasons") or "")
    cited = [int(n) for n in data.get("cited", [])]
    no_evidence = bool(data.get("no_evidence"))
    key = (user.id, user.id)
    if data.get("confirm"):
        in_force = await services.db.decisions.in_force(case.id)
        done = in_force is not None and await decision_issue.confirm(
            services,
            bot,
            case,
            user.id,
            in_force,
            reasons=reasons,
            cited=cited,
            no_evidence=no_evidence,
            clear_input=key,
        )
        if done and in_force is not None:
            number = decision_text.decision_number(in_force.number)
            await send(bot, user.id, tr.t("decision.confirmed_ack", number=number))
            return
    else:
        made = await decision_issue.issue(
            services,
            bot,
            case,
            user.id,
            terms=outcome(data),
            days=chosen_days(data),
            reasons=reasons,
            cited=cited,
            no_evidence=no_evidence,
            clear_input=key,
        )
        if made is not None:
            number = decision_text.decision_number(made.number)
            await send(bot, user.id, tr.t("decision.issued_ack", number=number))
            return
    fresh = await services.db.cases.get(case.id)
    await services.db.inputs.clear(user.id, user.id)
    why = refusal(tr, fresh, user.id, case_number(case))
    await send(bot, user.id, why or tr.t("decision.not_arbitration", number=case_number(case)))
