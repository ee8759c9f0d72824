"""A service without mediators: every substitute text says so and keeps to its original's
placeholders (in both languages), and the deadlines that would hand a case to a mediator end it."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from flows.no_mediators import NO_MEDIATOR_TEXTS
from flows.rules.lifecycle import (
    CLOSING_REASONS,
    DEADLINE_OUTCOMES,
    NO_MEDIATOR_OUTCOMES,
    OUTCOME_ACTIONS,
    Action,
    CaseFacts,
    CaseState,
    ClosingReason,
    DeadlineKind,
    DeadlineOutcome,
    IllegalTransition,
    Role,
    check_transition,
    deadline_outcome,
)
from locales.i18n import LANGUAGES, Catalogs

SAYS_SO = {"en": "no mediators", "zh_Hans": "未配置调解员"}
MEDIATOR = {"en": "mediator", "zh_Hans": "调解"}
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("original", sorted(NO_MEDIATOR_TEXTS))
def test_a_substitute_says_there_are_no_mediators_with_its_originals_placeholders(
    original: str, language: str
) -> None:
    """And names no mediator, unless to say there is none."""
    tr = Catalogs().translator(language)
    said, instead = tr.t(original), tr.t(NO_MEDIATOR_TEXTS[original])
    assert instead != said
    # A mediator named only to say there is none.
    assert MEDIATOR[language] not in instead or SAYS_SO[language] in instead
    assert _fields(instead) <= _fields(said)


def test_the_bots_catalogs_say_the_substitutes() -> None:
    plain, without = Catalogs(), Catalogs(substitutes=NO_MEDIATOR_TEXTS)
    for language in LANGUAGES:
        key = "reminder.negotiation"
        expected = plain.translator(language).t(NO_MEDIATOR_TEXTS[key], number="#1", due="x")
        assert without.translator(language).t(key, number="#1", due="x") == expected


def test_without_mediators_the_escalating_deadlines_end_the_case() -> None:
    for kind, outcome in DEADLINE_OUTCOMES.items():
        assert deadline_outcome(kind, mediators=True) is outcome
        expected = NO_MEDIATOR_OUTCOMES.get(kind, outcome)
        assert deadline_outcome(kind, mediators=False) is expected
    # Nothing left that waits for a mediator: every replaced outcome closes the case.
    for outcome in NO_MEDIATOR_OUTCOMES.values():
        action = OUTCOME_ACTIONS[outcome]
        assert action is not None and action in CLOSING_REASONS
    assert deadline_outcome(DeadlineKind.NEGOTIATION, mediators=False) is (
        DeadlineOutcome.CLOSE_UNRESOLVED
    )


@pytest.mark.parametrize(
    ("state", "action", "reason"),
    [
        (CaseState.NEGOTIATION, Action.CLOSE_UNRESOLVED, ClosingReason.UNRESOLVED),
        (CaseState.MEDIATION, Action.CLOSE_UNRESOLVED, ClosingReason.UNRESOLVED),
        (CaseState.SETTLED, Action.CLOSE_UNFULFILLED, ClosingReason.UNFULFILLED),
    ],
)
def test_the_closing_moves_are_the_systems(
    state: CaseState, action: Action, reason: ClosingReason
) -> None:
    facts = CaseFacts(state=state, invited_at=NOW)
    assert check_transition(facts, action, Role.SYSTEM, NOW).target is CaseState.CLOSED
    assert CLOSING_REASONS[action] is reason
    for party in (Role.BUYER, Role.SUPPLIER, Role.MEDIATOR):
        with pytest.raises(IllegalTransition):
            check_transition(facts, action, party, NOW)


def test_a_claim_never_passed_on_lapses_rather_than_closing_unresolved() -> None:
    facts = CaseFacts(state=CaseState.AWAITING_SUPPLIER, invited_at=None)
    with pytest.raises(IllegalTransition):
        check_transition(facts, Action.CLOSE_UNRESOLVED, Role.SYSTEM, NOW)
