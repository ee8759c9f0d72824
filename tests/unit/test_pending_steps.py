"""Every message that asks someone to act says when it is due and what happens if nobody acts
(PRODUCT.md: "every message about a pending step says when it is due, in the reader's time zone
and language, and what happens if nobody acts").

The messages are listed here by catalog key, each with the deadline whose due time it names.
Each is rendered in both languages as the flows render it (the due time by the reader's
translator, in their zone) and must show that time and, in a sentence that says what happens
if nobody acts, that deadline's default outcome. The flows' own tables of such messages (the
reminders, the dispute chat's next step, the midpoint offer) must all be listed, and so must
every message with a {due}, unless it is listed below as not asking anyone to act: a new
pending-step message without a due time or a default outcome fails here.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from flows.blind_bidding import MIDPOINT_KEYS
from flows.dispute_chat import NEXT_STEP_KEYS
from flows.no_mediators import NO_MEDIATOR_TEXTS
from flows.rules.lifecycle import DEADLINE_OUTCOMES, NO_MEDIATOR_OUTCOMES, DeadlineKind
from flows.sweep import RECONSIDERATION_KEYS, REMINDER_KEYS
from locales.i18n import LANGUAGES, Catalogs

K = DeadlineKind
ROOT = Path(__file__).resolve().parents[2]


def _dated() -> set[str]:
    """Every catalog key whose English text has a {due}."""
    with (ROOT / "locales/en/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    return {m.id for m in catalog if m.id and isinstance(m.string, str) and "{due}" in m.string}


DATED = _dated()

# key -> the deadline whose due time and default outcome the message states.
PENDING_STEPS: dict[str, DeadlineKind] = {
    "claim.filed": K.SUPPLIER_INVITATION,
    "group.next_step_invitation": K.SUPPLIER_INVITATION,
    "reminder.supplier_invitation": K.SUPPLIER_INVITATION,
    "group.next_step": K.SUPPLIER_RESPONSE,
    "invite.clock_started": K.SUPPLIER_RESPONSE,
    "invite.clock_running": K.SUPPLIER_RESPONSE,
    "invite.respond_by": K.SUPPLIER_RESPONSE,
    "supplier.welcome": K.SUPPLIER_RESPONSE,
    "supplier.answer_question": K.SUPPLIER_RESPONSE,
    "reminder.supplier_response": K.SUPPLIER_RESPONSE,
    "supplier.contested": K.NEGOTIATION,
    "group.next_step_negotiation": K.NEGOTIATION,
    "bids.midpoint_offer": K.NEGOTIATION,
    "reminder.negotiation": K.NEGOTIATION,
    "mediation.requested": K.MEDIATOR_ASSIGNMENT,
    "mediation.waiting_fulfilment": K.MEDIATOR_ASSIGNMENT,
    "group.next_step_mediator": K.MEDIATOR_ASSIGNMENT,
    "bids.midpoint_offer_assignment": K.MEDIATOR_ASSIGNMENT,
    "reminder.mediator_assignment": K.MEDIATOR_ASSIGNMENT,
    "pool.post": K.MEDIATOR_ASSIGNMENT,
    "pool.reminder": K.MEDIATOR_ASSIGNMENT,
    "pool.handed_back_news": K.MEDIATOR_ASSIGNMENT,
    "pool.taken_news": K.MEDIATION,
    "bids.midpoint_offer_mediation": K.MEDIATION,
    "reminder.mediation": K.MEDIATION,
    "reminder.arbitration_statements": K.ARBITRATION_STATEMENTS,
    "reminder.arbitration_decision": K.ARBITRATION_DECISION,
    "settlement.reached": K.FULFILMENT,
    "decision.announced": K.FULFILMENT,
    "decision.confirmed": K.FULFILMENT,
    "reconsider.taken_news": K.ARBITRATION_DECISION,
    "settlement.reached_blind_bid": K.FULFILMENT,
    "obligation.done": K.FULFILMENT,
    "obligation.done_with_proof": K.FULFILMENT,
    "obligation.done_ack": K.FULFILMENT,
    "obligation.done_ack_proof": K.FULFILMENT,
    "proposal.open_until_negotiation": K.NEGOTIATION,
    "proposal.open_until_mediation": K.MEDIATION,
    "mproposal.open_until": K.MEDIATION,
    "reminder.fulfilment": K.FULFILMENT,
    "reminder.reconsideration": K.RECONSIDERATION,
    "reminder.draft_expiry": K.DRAFT_EXPIRY,
    "evidence_request.news": K.EVIDENCE_REQUEST,
    "reminder.evidence_request": K.EVIDENCE_REQUEST,
    "statements.opened": K.ARBITRATION_STATEMENTS,
    "statements.opened_system": K.ARBITRATION_STATEMENTS,
    "decision.asked": K.ARBITRATION_DECISION,
    "decision.awaited": K.ARBITRATION_DECISION,
}

# Messages with a {due} that ask nobody to act, and why.
NOT_ASKING = {
    "cases.line_due": "a line of /cases: the deadline's label and time, the case's own view",
    "cases.draft_due": "a draft's line of /cases: the deadline's label and time, as above",
    "obligation.refund": "a term inside settlement.reached, which states the outcome",
    "obligation.grant_discount": "a term inside settlement.reached",
    "obligation.grant_discount_amount": "a term inside settlement.reached",
    "obligation.grant_discount_open": "a term inside settlement.reached",
    "obligation.other": "a term inside settlement.reached",
    "obligation.return_goods": "a term inside settlement.reached",
    "obligation.return_part": "a term inside settlement.reached",
    "outcome_applied.claim_lapsed": "says what happened when the deadline passed",
    "outcome_applied.supplier_silent": "says what happened when the deadline passed",
    "outcome_applied.supplier_silent_no_pool": "says what happened when the deadline passed",
    "outcome_applied.escalated_no_pool": "says what happened when the deadline passed",
    "outcome_applied.unresolved_no_pool": "says what happened when the deadline passed",
    "outcome_applied.unfulfilled_no_pool": "says what happened when the deadline passed",
    "decision.statements_open": "tells the mediator when they may decide; asks nobody to act",
    "pool.queue_line": "a line of /queue: the case and when it must be taken, for mediators",
    "mediator.request_made": "the mediator's own confirmation of their request: nobody to act",
    "statements.opened_mediator": "tells the mediator when they will be asked to decide",
    "decision.overdue_pool": "says what happened when the decision deadline passed",
    "card.request": "a line of the mediator's card: a request, its date and what came of it",
}

# What each deadline's default outcome is called, by language (flows/rules/lifecycle.py
# DEADLINE_OUTCOMES, and what flows/sweep.py does when the deadline passes).
OUTCOME_WORDING: dict[DeadlineKind, dict[str, str]] = {
    K.DRAFT_EXPIRY: {"en": "deleted", "zh_Hans": "删除"},
    K.SUPPLIER_INVITATION: {"en": "the claim lapses", "zh_Hans": "此索赔将失效"},
    K.SUPPLIER_RESPONSE: {"en": "goes to a mediator", "zh_Hans": "转交调解员"},
    K.NEGOTIATION: {"en": "goes to a mediator", "zh_Hans": "转交调解员"},
    K.MEDIATOR_ASSIGNMENT: {"en": "the case stays in mediation", "zh_Hans": "仍处于调解阶段"},
    K.MEDIATION: {"en": "arbitration", "zh_Hans": "仲裁"},
    K.ARBITRATION_STATEMENTS: {"en": "on the record", "zh_Hans": "已记录的材料"},
    K.ARBITRATION_DECISION: {"en": "mediator team is reminded", "zh_Hans": "提醒调解员团队"},
    K.FULFILMENT: {"en": "marked unfulfilled", "zh_Hans": "未履行"},
    K.RECONSIDERATION: {"en": "the decision stands", "zh_Hans": "裁决即维持"},
    K.EVIDENCE_REQUEST: {"en": "goes on without it", "zh_Hans": "在没有该证据的情况下继续"},
}
# Where the service has no mediators (flows/no_mediators.py), the outcomes that would hand the
# case to one end it instead (NO_MEDIATOR_OUTCOMES): their messages say so, walked here too.
NO_MEDIATOR_WORDING: dict[DeadlineKind, dict[str, str]] = {
    K.SUPPLIER_RESPONSE: {"en": "closed as unresolved", "zh_Hans": "以未解决结案"},
    K.NEGOTIATION: {"en": "closed as unresolved", "zh_Hans": "以未解决结案"},
    K.MEDIATOR_ASSIGNMENT: {"en": "closed as unresolved", "zh_Hans": "以未解决结案"},
    K.FULFILMENT: {"en": "closed as not fulfilled", "zh_Hans": "以未履行结案"},
}
# Messages said only by a service without mediators, with the deadline they name.
NO_MEDIATOR_STEPS: dict[str, DeadlineKind] = {
    "mediation.disputed_no_pool": K.MEDIATOR_ASSIGNMENT,
    **{
        NO_MEDIATOR_TEXTS[key]: kind
        for key, kind in PENDING_STEPS.items()
        if key in NO_MEDIATOR_TEXTS
    },
}
# A reconsideration waits for the pool in arbitration, not in mediation (flows/sweep.py
# RECONSIDERATION_KEYS, flows/mediator_pool.py's post): if nobody takes it, it keeps waiting.
RECONSIDERATION_STEPS: dict[str, DeadlineKind] = {
    **{key: K.MEDIATOR_ASSIGNMENT for key in RECONSIDERATION_KEYS.values() if key in DATED},
    "pool.post_reconsideration": K.MEDIATOR_ASSIGNMENT,
}
RECONSIDERATION_WORDING: dict[DeadlineKind, dict[str, str]] = {
    K.MEDIATOR_ASSIGNMENT: {"en": "the reconsideration keeps waiting", "zh_Hans": "继续等待接手"},
}
# The sentence that says what happens if nobody acts.
IF_CLAUSE = {"en": re.compile(r"\b[Ii]f\b"), "zh_Hans": re.compile(r"如果|如届时|否则")}

DUE = datetime(2031, 5, 17, 7, 45, tzinfo=UTC)  # a sentinel time no other value renders as
TIMEZONES = {"en": "Europe/London", "zh_Hans": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


def _params(text: str, due: str) -> dict[str, object]:
    """A value for every placeholder of `text`: the due time rendered, the rest neutral."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    values: dict[str, object] = {name: f"<{name}>" for name in names}
    values["due"] = due
    return values


def test_every_deadline_kind_has_a_default_outcome_wording() -> None:
    assert set(OUTCOME_WORDING) == set(DEADLINE_OUTCOMES)


@pytest.mark.parametrize("table", [REMINDER_KEYS, NEXT_STEP_KEYS, MIDPOINT_KEYS])
def test_the_flows_tables_of_pending_step_messages_are_all_walked(
    table: dict[DeadlineKind, str],
) -> None:
    """A message a flow picks by deadline is walked with that deadline's outcome."""
    assert table
    for kind, key in table.items():
        assert PENDING_STEPS.get(key) is kind, key


def test_every_message_with_a_due_time_is_walked_or_asks_nobody_to_act() -> None:
    dated = DATED
    walked = {*PENDING_STEPS, *NO_MEDIATOR_STEPS, *RECONSIDERATION_STEPS}
    assert dated - walked - set(NOT_ASKING) == set()
    assert set(NOT_ASKING) <= dated  # nothing listed that has no due time


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(PENDING_STEPS))
def test_a_pending_step_says_when_it_is_due_and_what_happens_if_nobody_acts(
    catalogs: Catalogs, language: str, key: str
) -> None:
    tr = catalogs.translator(language, TIMEZONES[language])
    due = tr.datetime(DUE)
    template = tr.t(key)
    assert "{due}" in template, f"{key} ({language}) names no due time"
    text = tr.t(key, **_params(template, due))
    assert due in text
    # The due time is in the reader's zone: not the UTC time, unless the zone is UTC.
    assert due != catalogs.translator(language, "UTC").datetime(DUE)
    clause = IF_CLAUSE[language].search(text)
    assert clause is not None, f"{key} ({language}) does not say what happens if nobody acts"
    outcome = OUTCOME_WORDING[PENDING_STEPS[key]][language]
    assert outcome in text[clause.start() :], f"{key} ({language}) lacks {outcome!r}: {text}"


def test_every_no_mediator_step_replaces_an_outcome_that_a_service_without_them_changes() -> None:
    assert set(NO_MEDIATOR_WORDING) == {
        kind for kind in DEADLINE_OUTCOMES if kind in NO_MEDIATOR_OUTCOMES
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(NO_MEDIATOR_STEPS))
def test_without_mediators_a_pending_step_says_the_case_then_ends(
    catalogs: Catalogs, language: str, key: str
) -> None:
    tr = catalogs.translator(language, TIMEZONES[language])
    due = tr.datetime(DUE)
    template = tr.t(key)
    text = tr.t(key, **_params(template, due))
    assert due in text, f"{key} ({language}) names no due time"
    clause = IF_CLAUSE[language].search(text)
    assert clause is not None, f"{key} ({language}) does not say what happens if nobody acts"
    outcome = NO_MEDIATOR_WORDING[NO_MEDIATOR_STEPS[key]][language]
    assert outcome in text[clause.start() :], f"{key} ({language}) lacks {outcome!r}: {text}"


def test_a_reconsiderations_pool_messages_are_walked() -> None:
    assert set(RECONSIDERATION_STEPS) >= {
        "reminder.reconsideration_assignment",
        "pool.reminder_reconsideration",
        "pool.post_reconsideration",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", sorted(RECONSIDERATION_STEPS))
def test_a_reconsideration_waiting_for_the_pool_says_it_keeps_waiting(
    catalogs: Catalogs, language: str, key: str
) -> None:
    tr = catalogs.translator(language, TIMEZONES[language])
    due = tr.datetime(DUE)
    text = tr.t(key, **_params(tr.t(key), due))
    assert due in text, f"{key} ({language}) names no due time"
    clause = IF_CLAUSE[language].search(text)
    assert clause is not None, f"{key} ({language}) does not say what happens if nobody acts"
    outcome = RECONSIDERATION_WORDING[RECONSIDERATION_STEPS[key]][language]
    assert outcome in text[clause.start() :], f"{key} ({language}) lacks {outcome!r}: {text}"
    # Not what an escalated case is told: a reconsideration is not in mediation.
    assert OUTCOME_WORDING[K.MEDIATOR_ASSIGNMENT][language] not in text
