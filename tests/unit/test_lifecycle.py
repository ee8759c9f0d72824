"""The lifecycle table, its guards, the shape of its graph, and deadline dates and reminders."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.deadlines import DeadlinePolicy, add_working_days
from flows.rules.lifecycle import (
    CLOSING_REASONS,
    DEADLINE_OUTCOMES,
    OUTCOME_ACTIONS,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    CaseFacts,
    CaseState,
    DeadlineKind,
    DeadlineOutcome,
    IllegalTransition,
    LifecyclePolicy,
    Role,
    check_transition,
    legal_actions,
)

S, A, R, K = CaseState, Action, Role, DeadlineKind
FILED = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday
LATER = FILED + timedelta(days=5)


def facts(state: CaseState, **kwargs: object) -> CaseFacts:
    """A case filed at FILED whose supplier was invited at once, unless `kwargs` say otherwise."""
    values: dict[str, object] = {"submitted_at": FILED, "invited_at": FILED} | kwargs
    return CaseFacts(state, **values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the table, move by move


@pytest.mark.parametrize(
    ("state", "action", "actor", "target", "starts"),
    [
        (S.DRAFT, A.SUBMIT, R.BUYER, S.AWAITING_SUPPLIER, K.SUPPLIER_INVITATION),
        (S.DRAFT, A.ABANDON, R.BUYER, S.CLOSED, None),
        (S.DRAFT, A.EXPIRE_DRAFT, R.SYSTEM, S.CLOSED, None),
        (S.AWAITING_SUPPLIER, A.SUPPLIER_RESPOND, R.SUPPLIER, S.NEGOTIATION, K.NEGOTIATION),
        (S.AWAITING_SUPPLIER, A.SUPPLIER_ACCEPT, R.SUPPLIER, S.SETTLED, K.FULFILMENT),
        (S.AWAITING_SUPPLIER, A.ESCALATE, R.SYSTEM, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.AWAITING_SUPPLIER, A.REQUEST_MEDIATION, R.SUPPLIER, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.AWAITING_SUPPLIER, A.WITHDRAW, R.BUYER, S.CLOSED, None),
        (S.NEGOTIATION, A.ACCEPT_PROPOSAL, R.BUYER, S.SETTLED, K.FULFILMENT),
        (S.NEGOTIATION, A.ACCEPT_PROPOSAL, R.SUPPLIER, S.SETTLED, K.FULFILMENT),
        (S.NEGOTIATION, A.REQUEST_MEDIATION, R.BUYER, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.NEGOTIATION, A.REQUEST_MEDIATION, R.SUPPLIER, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.NEGOTIATION, A.ESCALATE, R.SYSTEM, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.MEDIATION, A.ASSIGN_MEDIATOR, R.MEDIATOR, S.MEDIATION, K.MEDIATION),
        (S.MEDIATION, A.MEDIATION_SETTLE, R.BUYER, S.SETTLED, K.FULFILMENT),
        (S.MEDIATION, A.TO_ARBITRATION, R.MEDIATOR, S.ARBITRATION, K.ARBITRATION_STATEMENTS),
        (S.MEDIATION, A.TO_ARBITRATION, R.SYSTEM, S.ARBITRATION, K.ARBITRATION_STATEMENTS),
        (S.MEDIATION, A.DISMISS, R.MEDIATOR, S.CLOSED, None),
        (S.ARBITRATION, A.DECIDE, R.MEDIATOR, S.DECIDED, K.FULFILMENT),
        (S.ARBITRATION, A.WITHDRAW, R.BUYER, S.CLOSED, None),
        (S.SETTLED, A.CONFIRM_FULFILMENT, R.BUYER, S.CLOSED, None),
        (S.SETTLED, A.DISPUTE_FULFILMENT, R.BUYER, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.SETTLED, A.MARK_UNFULFILLED, R.SYSTEM, S.MEDIATION, K.MEDIATOR_ASSIGNMENT),
        (S.DECIDED, A.CONFIRM_FULFILMENT, R.SUPPLIER, S.CLOSED, K.RECONSIDERATION),
        (S.DECIDED, A.MARK_UNFULFILLED, R.SYSTEM, S.CLOSED, K.RECONSIDERATION),
    ],
)
def test_legal_moves(
    state: CaseState, action: Action, actor: Role, target: CaseState, starts: DeadlineKind | None
) -> None:
    transition = check_transition(facts(state), action, actor, LATER)
    assert (transition.target, transition.starts) == (target, starts)


@pytest.mark.parametrize(
    ("state", "action", "actor", "reason"),
    [
        (S.DRAFT, A.SUBMIT, R.SUPPLIER, "role"),
        (S.DRAFT, A.ACCEPT_PROPOSAL, R.BUYER, "state"),
        (S.AWAITING_SUPPLIER, A.SUPPLIER_RESPOND, R.BUYER, "role"),
        (S.AWAITING_SUPPLIER, A.ESCALATE, R.BUYER, "role"),
        (S.NEGOTIATION, A.DECIDE, R.MEDIATOR, "state"),
        (S.NEGOTIATION, A.WITHDRAW, R.SUPPLIER, "role"),
        (S.MEDIATION, A.ASSIGN_MEDIATOR, R.BUYER, "role"),
        (S.MEDIATION, A.DECIDE, R.MEDIATOR, "state"),
        (S.ARBITRATION, A.DECIDE, R.BUYER, "role"),
        (S.ARBITRATION, A.MEDIATION_SETTLE, R.BUYER, "state"),
        (S.DECIDED, A.DISPUTE_FULFILMENT, R.BUYER, "state"),
        (S.SETTLED, A.CONFIRM_FULFILMENT, R.MEDIATOR, "role"),
        (S.CLOSED, A.SUBMIT, R.BUYER, "state"),
        (S.CLOSED, A.WITHDRAW, R.BUYER, "state"),
    ],
)
def test_illegal_moves(state: CaseState, action: Action, actor: Role, reason: str) -> None:
    with pytest.raises(IllegalTransition, match=reason) as info:
        check_transition(facts(state), action, actor, LATER)
    assert (info.value.state, info.value.action, info.value.actor) == (state, action, actor)


@pytest.mark.parametrize(
    ("elapsed", "allowed"),
    [
        (timedelta(0), False),
        (timedelta(days=2, hours=23, minutes=59), False),
        (timedelta(days=3), True),  # day 4 after filing
        (timedelta(days=6), True),
    ],
)
@pytest.mark.parametrize("state", [S.AWAITING_SUPPLIER, S.NEGOTIATION])
def test_buyer_may_ask_for_a_mediator_from_day_4(
    state: CaseState, elapsed: timedelta, allowed: bool
) -> None:
    case = facts(state)
    if allowed:
        check_transition(case, A.REQUEST_MEDIATION, R.BUYER, FILED + elapsed)
    else:
        with pytest.raises(IllegalTransition, match="too early"):
            check_transition(case, A.REQUEST_MEDIATION, R.BUYER, FILED + elapsed)
    # the supplier may at any time
    check_transition(case, A.REQUEST_MEDIATION, R.SUPPLIER, FILED)


# ---------------------------------------------------------------- the supplier's clock

NOT_INVITED = {"invited_at": None}


def test_filing_starts_the_buyers_time_to_invite_not_the_suppliers_time() -> None:
    transition = check_transition(CaseFacts(S.DRAFT), A.SUBMIT, R.BUYER, FILED)
    assert transition.starts is K.SUPPLIER_INVITATION


def test_the_first_invitation_starts_the_suppliers_clock() -> None:
    case = facts(S.AWAITING_SUPPLIER, **NOT_INVITED)
    transition = check_transition(case, A.INVITE_SUPPLIER, R.BUYER, LATER)
    assert (transition.target, transition.starts) == (S.AWAITING_SUPPLIER, K.SUPPLIER_RESPONSE)


@pytest.mark.parametrize(
    ("state", "actor", "kwargs", "reason"),
    [
        # once running, a new invitation never restarts (or extends) the supplier's deadline
        (S.AWAITING_SUPPLIER, R.BUYER, {}, "already invited"),
        (S.AWAITING_SUPPLIER, R.SUPPLIER, NOT_INVITED, "role"),
        (S.AWAITING_SUPPLIER, R.SYSTEM, NOT_INVITED, "role"),
        (S.NEGOTIATION, R.BUYER, NOT_INVITED, "state"),
        (S.CLOSED, R.BUYER, NOT_INVITED, "state"),
    ],
)
def test_the_suppliers_clock_starts_once_and_only_from_the_buyer(
    state: CaseState, actor: Role, kwargs: dict[str, object], reason: str
) -> None:
    with pytest.raises(IllegalTransition, match=reason):
        check_transition(facts(state, **kwargs), A.INVITE_SUPPLIER, actor, LATER)


def test_a_claim_never_passed_on_lapses_and_never_escalates() -> None:
    case = facts(S.AWAITING_SUPPLIER, **NOT_INVITED)
    transition = check_transition(case, A.EXPIRE_CLAIM, R.SYSTEM, LATER)
    assert (transition.target, transition.starts) == (S.CLOSED, None)
    assert CLOSING_REASONS[A.EXPIRE_CLAIM].value == "expired"
    with pytest.raises(IllegalTransition, match="never invited"):
        check_transition(case, A.ESCALATE, R.SYSTEM, LATER)
    assert legal_actions(case, R.SYSTEM, LATER) == [A.EXPIRE_CLAIM]


def test_an_invited_supplier_who_is_silent_escalates_and_the_claim_no_longer_lapses() -> None:
    case = facts(S.AWAITING_SUPPLIER, invited_at=LATER)
    assert check_transition(case, A.ESCALATE, R.SYSTEM, LATER).target is S.MEDIATION
    with pytest.raises(IllegalTransition, match="was invited"):
        check_transition(case, A.EXPIRE_CLAIM, R.SYSTEM, LATER)
    # (or, on a service without mediators, it closes unresolved)
    assert legal_actions(case, R.SYSTEM, LATER) == [A.ESCALATE, A.CLOSE_UNRESOLVED]


@pytest.mark.parametrize(
    ("state", "actor", "reason"),
    [
        (S.AWAITING_SUPPLIER, R.BUYER, "role"),
        (S.AWAITING_SUPPLIER, R.SUPPLIER, "role"),
        (S.NEGOTIATION, R.SYSTEM, "state"),
        (S.DRAFT, R.SYSTEM, "state"),
    ],
)
def test_only_the_bot_lets_a_waiting_claim_lapse(
    state: CaseState, actor: Role, reason: str
) -> None:
    with pytest.raises(IllegalTransition, match=reason):
        check_transition(facts(state, **NOT_INVITED), A.EXPIRE_CLAIM, actor, LATER)


def test_escalation_from_negotiation_does_not_depend_on_the_invitation() -> None:
    case = facts(S.NEGOTIATION, **NOT_INVITED)  # e.g. a case filed before invitations counted
    assert check_transition(case, A.ESCALATE, R.SYSTEM, LATER).target is S.MEDIATION


def test_every_way_to_close_a_case_names_its_reason() -> None:
    closing = {t.action for t in TRANSITIONS if t.target is S.CLOSED}
    assert closing == set(CLOSING_REASONS)


def test_buyer_mediation_needs_a_filing_time() -> None:
    with pytest.raises(IllegalTransition, match="too early"):
        check_transition(CaseFacts(S.NEGOTIATION), A.REQUEST_MEDIATION, R.BUYER, LATER)


DECIDED_AT = FILED + timedelta(days=30)


@pytest.mark.parametrize(
    ("state", "decided", "elapsed", "done", "actor", "reason"),
    [
        (S.DECIDED, True, timedelta(hours=1), 0, R.BUYER, None),
        (S.CLOSED, True, timedelta(days=3), 0, R.SUPPLIER, None),  # fulfilled or dismissed
        (S.DECIDED, True, timedelta(days=3, seconds=1), 0, R.BUYER, "window passed"),
        (S.CLOSED, True, timedelta(days=3, seconds=1), 0, R.BUYER, "window passed"),
        (S.DECIDED, True, timedelta(hours=1), 1, R.BUYER, "already reconsidered"),
        (S.DECIDED, True, timedelta(hours=1), 0, R.MEDIATOR, "role"),
        (S.DECIDED, True, timedelta(hours=1), 0, R.SYSTEM, "role"),
        (S.CLOSED, False, timedelta(hours=1), 0, R.BUYER, "only decided"),  # withdrawn, expired
        (S.SETTLED, True, timedelta(hours=1), 0, R.BUYER, "not allowed in this state"),
        (S.ARBITRATION, True, timedelta(hours=1), 0, R.BUYER, "not allowed in this state"),
    ],
)
def test_reconsideration(
    state: CaseState,
    decided: bool,
    elapsed: timedelta,
    done: int,
    actor: Role,
    reason: str | None,
) -> None:
    """Within the window from the decision (not from the closing), once, by a party."""
    case = facts(
        state,
        decided_at=DECIDED_AT if decided else None,
        closed_at=DECIDED_AT + timedelta(days=2) if state is S.CLOSED else None,
        reconsiderations=done,
    )
    if reason is None:
        transition = check_transition(case, A.RECONSIDER, actor, DECIDED_AT + elapsed)
        assert (transition.target, transition.starts) == (S.ARBITRATION, K.MEDIATOR_ASSIGNMENT)
    else:
        with pytest.raises(IllegalTransition, match=reason):
            check_transition(case, A.RECONSIDER, actor, DECIDED_AT + elapsed)


def test_a_reconsideration_is_taken_from_the_pool_in_arbitration() -> None:
    waiting = facts(S.ARBITRATION, decided_at=DECIDED_AT, reconsiderations=1)
    move = check_transition(waiting, A.ASSIGN_MEDIATOR, R.MEDIATOR, LATER)
    assert (move.target, move.starts) == (S.ARBITRATION, K.ARBITRATION_DECISION)
    with pytest.raises(IllegalTransition, match="not a reconsideration"):
        check_transition(facts(S.ARBITRATION), A.ASSIGN_MEDIATOR, R.MEDIATOR, LATER)


def test_reconsideration_limits_are_configuration() -> None:
    case = facts(S.CLOSED, decided_at=DECIDED_AT, reconsiderations=1)
    policy = LifecyclePolicy(reconsideration_window=timedelta(days=10), max_reconsiderations=2)
    check_transition(case, A.RECONSIDER, R.BUYER, DECIDED_AT + timedelta(days=9), policy)


def test_legal_actions_offers_what_is_allowed_under_the_given_policy() -> None:
    case = facts(S.NEGOTIATION)
    early = FILED + timedelta(days=1)
    assert legal_actions(case, R.BUYER, early) == [A.ACCEPT_PROPOSAL, A.WITHDRAW]
    eager = LifecyclePolicy(buyer_mediation_after=timedelta(0))
    assert A.REQUEST_MEDIATION in legal_actions(case, R.BUYER, early, eager)
    assert legal_actions(case, R.SYSTEM, early) == [A.ESCALATE, A.CLOSE_UNRESOLVED]
    assert legal_actions(facts(S.CLOSED, previous_state=S.SETTLED), R.BUYER, early) == []


# ---------------------------------------------------------------- the graph


def _reachable(start: CaseState) -> set[CaseState]:
    seen, queue = {start}, deque([start])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS:
            if state in t.sources and t.target not in seen:
                seen.add(t.target)
                queue.append(t.target)
    return seen


def test_every_state_is_reachable_from_draft() -> None:
    assert _reachable(S.DRAFT) == set(CaseState)


@pytest.mark.parametrize("state", sorted(set(CaseState) - TERMINAL_STATES))
def test_every_open_state_has_a_way_out_and_can_end(state: CaseState) -> None:
    exits = [t for t in TRANSITIONS if state in t.sources and t.target is not state]
    assert exits, f"{state} has no way out"
    assert TERMINAL_STATES & _reachable(state)
    # nobody can hold a case hostage: a party or the bot itself can always move it on
    assert any(t.actors & {R.BUYER, R.SUPPLIER, R.SYSTEM} for t in exits)


def test_closed_is_left_only_by_reconsideration() -> None:
    leaving = {t.action for t in TRANSITIONS if S.CLOSED in t.sources}
    assert leaving == {A.RECONSIDER}


def test_every_action_is_in_the_table() -> None:
    assert {t.action for t in TRANSITIONS} == set(Action)


def test_each_move_is_unambiguous() -> None:
    for state in CaseState:
        for action in Action:
            for actor in Role:
                matching = [
                    t
                    for t in TRANSITIONS
                    if t.action is action and state in t.sources and actor in t.actors
                ]
                assert len(matching) <= 1, (state, action, actor)


def test_every_deadline_kind_has_a_default_outcome() -> None:
    assert set(DEADLINE_OUTCOMES) == set(DeadlineKind)
    assert set(OUTCOME_ACTIONS) == set(DeadlineOutcome)


def test_every_deadline_kind_is_started_somewhere() -> None:
    started = {t.starts for t in TRANSITIONS if t.starts is not None}
    started.add(K.DRAFT_EXPIRY)  # on creating the draft
    started.add(K.ARBITRATION_DECISION)  # START_DECISION_PERIOD, after the statements
    started.add(K.EVIDENCE_REQUEST)  # the mediator's request, beside the case's own deadline
    assert started == set(DeadlineKind)


@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.starts], ids=str)
def test_each_default_outcome_is_a_legal_move_where_the_deadline_runs(transition: object) -> None:
    assert hasattr(transition, "starts")
    kind = transition.starts
    action = OUTCOME_ACTIONS[DEADLINE_OUTCOMES[kind]]
    if action is None:
        return
    invited = transition.action is not A.SUBMIT  # only filing leaves the supplier uninvited
    case = facts(transition.target, closed_at=LATER, invited_at=LATER if invited else None)
    moved = check_transition(case, action, R.SYSTEM, LATER + timedelta(days=30))
    assert moved.target is not transition.target


# ---------------------------------------------------------------- deadline dates


@pytest.mark.parametrize(
    ("kind", "length"),
    [
        (K.DRAFT_EXPIRY, timedelta(days=7)),
        (K.SUPPLIER_INVITATION, timedelta(days=7)),
        (K.SUPPLIER_RESPONSE, timedelta(days=3)),
        (K.NEGOTIATION, timedelta(days=7)),
        (K.MEDIATION, timedelta(days=7)),
        (K.ARBITRATION_STATEMENTS, timedelta(days=3)),
        (K.ARBITRATION_DECISION, timedelta(days=5)),
        (K.FULFILMENT, timedelta(days=7)),
        (K.RECONSIDERATION, timedelta(days=3)),
    ],
)
def test_due_at_defaults(kind: DeadlineKind, length: timedelta) -> None:
    assert DeadlinePolicy().due_at(kind, FILED) == FILED + length


@pytest.mark.parametrize(
    ("responded_after", "due_after_filing"),
    [
        (timedelta(hours=12), timedelta(days=7, hours=12)),  # 7 days after the response
        (timedelta(days=1), timedelta(days=8)),  # exactly at the cap
        (timedelta(days=2, hours=6), timedelta(days=8)),  # capped: day 8 after filing
        (timedelta(days=3), timedelta(days=8)),
    ],
)
def test_negotiation_is_capped_at_day_8_after_filing(
    responded_after: timedelta, due_after_filing: timedelta
) -> None:
    due = DeadlinePolicy().due_at(K.NEGOTIATION, FILED + responded_after, filed_at=FILED)
    assert due == FILED + due_after_filing


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (datetime(2026, 11, 16, 10, tzinfo=UTC), datetime(2026, 11, 18, 10, tzinfo=UTC)),  # Mon
        (datetime(2026, 11, 19, 10, tzinfo=UTC), datetime(2026, 11, 23, 10, tzinfo=UTC)),  # Thu
        (datetime(2026, 11, 20, 15, tzinfo=UTC), datetime(2026, 11, 24, 15, tzinfo=UTC)),  # Fri
        (datetime(2026, 11, 21, 9, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)),  # Sat
        (datetime(2026, 11, 22, 9, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)),  # Sun
    ],
)
def test_mediator_assignment_counts_working_days(start: datetime, due: datetime) -> None:
    assert DeadlinePolicy().due_at(K.MEDIATOR_ASSIGNMENT, start) == due


def test_add_working_days() -> None:
    friday = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(friday, 1) == friday + timedelta(days=3)
    assert add_working_days(friday, 5) == friday + timedelta(days=7)


def test_policy_lengths_are_configuration() -> None:
    policy = DeadlinePolicy(
        supplier_invitation=timedelta(days=2),
        supplier_response=timedelta(days=5),
        mediator_assignment_working_days=1,
    )
    assert policy.due_at(K.SUPPLIER_INVITATION, FILED) == FILED + timedelta(days=2)
    assert policy.due_at(K.SUPPLIER_RESPONSE, FILED) == FILED + timedelta(days=5)
    assert policy.due_at(K.MEDIATOR_ASSIGNMENT, FILED) == FILED + timedelta(days=1)


# ---------------------------------------------------------------- reminders

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(days=7), [timedelta(days=3, hours=12), timedelta(days=6)]),
        (timedelta(days=3), [timedelta(days=1, hours=12), timedelta(days=2)]),
        (timedelta(hours=48), [timedelta(hours=24)]),  # half time is 24 h before: once
        (timedelta(hours=48, minutes=20), [timedelta(hours=24, minutes=10)]),  # too close: once
        (timedelta(hours=12), [timedelta(hours=6)]),  # 24 h before would be before the start
        (timedelta(hours=24), [timedelta(hours=12)]),  # 24 h before is the start itself
        (timedelta(0), []),
    ],
)
def test_reminder_times(span: timedelta, expected: list[timedelta]) -> None:
    assert DeadlinePolicy().reminder_times(FILED, FILED + span) == [FILED + e for e in expected]


def test_reminders_use_elapsed_time_across_a_dst_change() -> None:
    la = ZoneInfo("America/Los_Angeles")
    start = datetime(2026, 10, 31, 12, 0, tzinfo=la)  # DST ends on 1 Nov 2026
    due = start + timedelta(days=3)  # same wall-clock time: 73 hours elapse
    half, before = DeadlinePolicy().reminder_times(start, due)
    assert half.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=36, minutes=30)
    assert due.astimezone(UTC) - before.astimezone(UTC) == timedelta(hours=24)
    assert half.tzinfo is la


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    st.lists(st.floats(min_value=0, max_value=1), max_size=4),
    st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)), max_size=4),
)
def test_reminders_are_inside_sorted_and_never_twice(
    start: datetime, span: timedelta, fractions: list[float], befores: list[timedelta]
) -> None:
    policy = DeadlinePolicy(reminder_fractions=tuple(fractions), reminder_before=tuple(befores))
    due = start + span
    times = policy.reminder_times(start, due)
    assert all(start < t < due for t in times)
    assert times == sorted(set(times))
    assert all(b - a >= policy.reminder_min_gap for a, b in pairwise(times))
