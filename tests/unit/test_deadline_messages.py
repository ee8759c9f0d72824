"""Every deadline has a reminder text, and every default outcome that moves a case a notice."""

from __future__ import annotations

from flows.rules.lifecycle import DEADLINE_OUTCOMES, OUTCOME_ACTIONS, DeadlineKind
from flows.sweep import OUTCOME_KEYS, REMINDER_KEYS


def test_every_deadline_kind_has_a_reminder() -> None:
    assert set(REMINDER_KEYS) == set(DeadlineKind)


def test_every_outcome_that_moves_a_case_is_announced_by_the_deadline_that_passed() -> None:
    moving = {kind for kind, outcome in DEADLINE_OUTCOMES.items() if OUTCOME_ACTIONS[outcome]}
    assert set(OUTCOME_KEYS) == moving


def test_a_lapsed_claim_and_a_silent_supplier_are_told_apart_from_a_failed_negotiation() -> None:
    told = [
        OUTCOME_KEYS[k] for k in (DeadlineKind.SUPPLIER_INVITATION, DeadlineKind.SUPPLIER_RESPONSE)
    ]
    assert len({*told, OUTCOME_KEYS[DeadlineKind.NEGOTIATION]}) == 3
