"""A Hypothesis state machine over the case lifecycle.

Random actors try random actions at random times (a simulated clock moves forward), deadlines
fire with their default outcomes, and accepted proposals pay refunds. Every move goes through
`check_transition`; the model applies a move only when it is allowed, exactly as the storage
layer must. The invariants are PRODUCT.md's rules.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from flows.rules.deadlines import DeadlinePolicy
from flows.rules.lifecycle import (
    DEADLINE_OUTCOMES,
    OUTCOME_ACTIONS,
    SIDE_DEADLINE_STATES,
    SIDE_DEADLINES,
    TERMINAL_STATES,
    Action,
    CaseFacts,
    CaseState,
    DeadlineKind,
    DeadlineOutcome,
    IllegalTransition,
    Role,
    Transition,
    check_transition,
    legal_actions,
)
from flows.rules.proposals import (
    Discount,
    FullRefund,
    PartialRefund,
    Proposal,
    Replacement,
    ReturnAndRefund,
)
from flows.rules.validation import ValidationError

S, A, R = CaseState, Action, Role
START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
# The spec's numbers (PRODUCT.md), written out here so that the model does not trust the code.
BUYER_WAIT = timedelta(days=3)  # the buyer may ask for a mediator from day 4 after filing
INVITE_WITHIN = timedelta(days=7)  # after filing, the buyer has this long to invite the supplier
RESPOND_WITHIN = timedelta(days=3)  # the supplier's time, from the FIRST invitation
RECONSIDER_WINDOW = timedelta(days=3)
MAX_RECONSIDERATIONS = 1
DEADLINES = DeadlinePolicy()
PARTIES = {R.BUYER, R.SUPPLIER}
SETTLING = {S.SETTLED, S.DECIDED}
TICK = timedelta(microseconds=1)
ENDINGS = {A.ABANDON, A.EXPIRE_DRAFT, A.WITHDRAW, A.DISMISS}
D = Decimal

terms = st.one_of(
    st.just(FullRefund()),
    st.builds(PartialRefund, amount=st.decimals(min_value=D("0.01"), max_value=D(2000), places=2)),
    st.builds(PartialRefund, percent=st.decimals(min_value=D(1), max_value=D(100), places=1)),
    st.builds(ReturnAndRefund, st.sampled_from(["buyer", "supplier"])),
    st.builds(Replacement, st.integers(1, 50), st.just(START.date() + timedelta(days=400))),
    st.builds(Discount, st.decimals(min_value=D(1), max_value=D(50), places=0)),
)
proposals = st.lists(terms, min_size=1, max_size=3).map(lambda ts: Proposal(tuple(ts)))
# Terms that pass validation whatever was paid: one refund at most, percentages, a future date.
acceptable = st.builds(
    lambda refund, others: Proposal(tuple(t for t in (refund, *others) if t is not None)),
    st.one_of(
        st.none(),
        st.just(FullRefund()),
        st.builds(PartialRefund, percent=st.decimals(min_value=D(1), max_value=D(100), places=1)),
        st.builds(ReturnAndRefund, st.sampled_from(["buyer", "supplier"])),
    ),
    st.lists(
        st.one_of(
            st.builds(Replacement, st.integers(1, 50), st.just(START.date() + timedelta(days=400))),
            st.builds(Discount, st.decimals(min_value=D(1), max_value=D(50), places=0)),
        ),
        max_size=2,
        unique_by=type,
    ),
).filter(lambda proposal: bool(proposal.terms))


MEDIATOR_ID = 3_000_000_003


class CaseLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.facts = CaseFacts(S.DRAFT)
        self.deadline: tuple[DeadlineKind, datetime] | None = (
            DeadlineKind.DRAFT_EXPIRY,
            DEADLINES.due_at(DeadlineKind.DRAFT_EXPIRY, START),
        )
        self.paid = D("1000.00")
        self.refunded = D(0)  # paid out over the whole case
        self.pending_refund = D(0)  # owed under the agreement or decision in force
        self.visited = {S.DRAFT}
        # The mediator's requests for evidence: deadlines beside the case's own.
        self.requests: list[datetime] = []

    @initialize(
        paid=st.decimals(min_value=D("0.01"), max_value=D(10**6), places=2),
        submit=st.booleans(),
    )
    def file_the_claim(self, paid: Decimal, submit: bool) -> None:
        """Half the runs start from a filed claim, so that they get further."""
        self.paid = paid
        if submit:
            self._apply(check_transition(self.facts, A.SUBMIT, R.BUYER, self.now), None)

    # -------------------------------------------------------------- applying a move

    def _apply(self, transition: Transition, proposal: Proposal | None) -> None:
        """What the storage layer does with an allowed move."""
        before = self.facts
        target = transition.target
        if target in SETTLING:
            # Nothing settles or is decided without terms that pass validation against what
            # is still refundable.
            terms = proposal or Proposal((FullRefund(),))
            remaining = self.paid - self.refunded
            if remaining > 0:
                try:
                    terms.validate(remaining, "USD", self.now)
                except ValidationError:
                    return  # the flow refuses the acceptance: the case stays as it was
                self.pending_refund = terms.refund_total(remaining, "USD")
            else:
                self.pending_refund = D(0)  # everything was refunded already
            event(f"{target}: refund {'all' if self.pending_refund == remaining else 'part'}")
        if transition.action is A.CONFIRM_FULFILMENT:
            self.refunded += self.pending_refund
            self.pending_refund = D(0)
        elif transition.action in {A.DISPUTE_FULFILMENT, A.MARK_UNFULFILLED}:
            self.pending_refund = D(0)  # never paid
        elif transition.action is A.RECONSIDER:
            self.pending_refund = D(0)  # on hold, then replaced (or confirmed: owed again)
        if transition.action is A.ASSIGN_MEDIATOR and before.state is S.ARBITRATION:
            assert before.reconsiderations > 0  # arbitration waits for the pool only then
        if transition.action is A.EXPIRE_CLAIM:
            assert before.invited_at is None  # only a claim never passed on lapses
        if transition.action is A.ESCALATE and before.state is S.AWAITING_SUPPLIER:
            assert before.invited_at is not None  # only an invited supplier can be silent
        first_invitation = transition.action is A.INVITE_SUPPLIER
        assert not (first_invitation and before.invited_at is not None)  # the clock starts once
        self.facts = replace(
            before,
            state=target,
            previous_state=before.state,
            submitted_at=self.now if transition.action is A.SUBMIT else before.submitted_at,
            invited_at=self.now if first_invitation else before.invited_at,
            closed_at=self.now if target is S.CLOSED else None,
            reconsiderations=before.reconsiderations + (transition.action is A.RECONSIDER),
            mediator_id=MEDIATOR_ID
            if transition.action is A.ASSIGN_MEDIATOR
            else None
            if transition.action in {A.RELEASE_MEDIATOR, A.RECONSIDER}
            else before.mediator_id,
            # a decision (a dismissal in arbitration too) opens the reconsideration window
            decided_at=self.now
            if transition.action is A.DECIDE
            or (transition.action is A.DISMISS and before.state is S.ARBITRATION)
            else before.decided_at,
        )
        if transition.starts is not None:
            due = DEADLINES.due_at(transition.starts, self.now, filed_at=before.submitted_at)
            self.deadline = (transition.starts, due)
        elif target is not before.state:
            self.deadline = None
        if target not in SIDE_DEADLINE_STATES:  # as apply_transition: they end with the step
            self.requests = []
        self.visited.add(target)
        event(f"reached {target} from {before.state}")

    def _reconsideration_open(self, at: datetime | None = None) -> bool:
        """Issue 9: a decision may be reconsidered within 3 days of the decision (not of the
        closing), once per case, while it is fulfilled or after the case closed."""
        f, at = self.facts, at or self.now
        return (
            f.state in {S.DECIDED, S.CLOSED}
            and f.decided_at is not None
            and at <= f.decided_at + RECONSIDER_WINDOW
            and f.reconsiderations < MAX_RECONSIDERATIONS
        )

    def _buyer_mediation_open(self, at: datetime | None = None) -> bool:
        """PRODUCT.md: the buyer may ask for a mediator from day 4 after filing."""
        f, at = self.facts, at or self.now
        return (
            f.state in {S.AWAITING_SUPPLIER, S.NEGOTIATION}
            and f.submitted_at is not None
            and at >= f.submitted_at + BUYER_WAIT
        )

    def _probe_times(self, boundary: datetime | None) -> list[datetime]:
        """Now, and the instants around a guard's boundary (the rules are pure: probe freely)."""
        times = [self.now]
        if boundary is not None:
            times += [boundary - TICK, boundary, boundary + TICK]
        return times

    # -------------------------------------------------------------- rules

    @rule(elapsed=st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=5)))
    def advance_clock(self, elapsed: timedelta) -> None:
        self.now += elapsed

    @rule(
        which=st.integers(0, 2),
        offset=st.sampled_from([-timedelta(minutes=1), timedelta(0), timedelta(minutes=1)]),
    )
    def approach_a_boundary(self, which: int, offset: timedelta) -> None:
        """Move the clock to just before, at or just after a time a guard depends on."""
        f = self.facts
        boundaries = [
            f.submitted_at + BUYER_WAIT if f.submitted_at else None,
            f.decided_at + RECONSIDER_WINDOW if f.decided_at else None,
            self.deadline[1] if self.deadline else None,
        ]
        boundary = boundaries[which]
        if boundary is not None and boundary + offset > self.now:
            self.now = boundary + offset

    @rule(action=st.sampled_from(Action), actor=st.sampled_from(Role), proposal=proposals)
    def try_any_move(self, action: Action, actor: Role, proposal: Proposal) -> None:
        before = self.facts
        try:
            transition = check_transition(before, action, actor, self.now)
        except IllegalTransition as refused:
            assert self.facts is before  # nothing was applied
            assert refused.state is before.state
            if action is A.RECONSIDER and actor in PARTIES:
                assert not self._reconsideration_open()
            if action is A.REQUEST_MEDIATION and actor is R.BUYER:
                assert not self._buyer_mediation_open()
            if action is A.ASSIGN_MEDIATOR and actor is R.MEDIATOR and before.state is S.MEDIATION:
                assert before.mediator_id is not None  # refused only while someone has it
            return
        assert before.state in transition.sources
        assert actor in transition.actors
        assert transition.action is action
        if before.state is S.CLOSED:
            # a closed case accepts nothing but a timely reconsideration of a decided case
            assert action is A.RECONSIDER
            assert actor in PARTIES
            assert self._reconsideration_open()
        if action is A.REQUEST_MEDIATION and actor is R.BUYER:
            assert self._buyer_mediation_open()  # never before day 4 after filing
        if action is A.ASSIGN_MEDIATOR:
            assert before.mediator_id is None  # the first Take wins; nobody takes it twice
        if action is A.RELEASE_MEDIATOR:
            assert before.mediator_id is not None  # only a case someone has is handed back
        self._apply(transition, proposal)

    @precondition(lambda self: self.facts.state is S.AWAITING_SUPPLIER)
    @rule()
    def buyer_makes_an_invitation(self) -> None:
        """The buyer makes an invitation, maybe again: only the first one starts the clock."""
        before, deadline = self.facts, self.deadline
        try:
            transition = check_transition(before, A.INVITE_SUPPLIER, R.BUYER, self.now)
        except IllegalTransition:
            assert before.invited_at is not None
            assert (self.facts, self.deadline) == (before, deadline)  # nothing restarted
            return
        assert before.invited_at is None
        self._apply(transition, None)

    @rule(data=st.data())
    def make_a_legal_move(self, data: st.DataObject) -> None:
        """A move `legal_actions` offers; mostly one that keeps the case going, to get deep."""
        options = [(a, r) for r in Role for a in legal_actions(self.facts, r, self.now)]
        if not options:
            assert self.facts.state in TERMINAL_STATES
            return
        if data.draw(st.integers(0, 9), label="may end the case") > 0:
            # People keep the case going; the bot acts on its own only when a deadline passes.
            onward = [o for o in options if o[0] not in ENDINGS and o[1] is not R.SYSTEM]
            options = onward or options
        action, actor = data.draw(st.sampled_from(options))
        transition = check_transition(self.facts, action, actor, self.now)
        self._apply(transition, data.draw(acceptable | proposals))

    @precondition(
        lambda self: self.facts.state in SIDE_DEADLINE_STATES and self.facts.mediator_id is not None
    )
    @rule(days=st.integers(min_value=1, max_value=30))
    def the_mediator_requests_evidence(self, days: int) -> None:
        self.requests.append(self.now + timedelta(days=days))

    @precondition(lambda self: bool(self.requests))
    @rule()
    def a_request_lapses(self) -> None:
        """Its outcome moves nothing: the mediator goes on without the evidence."""
        due = self.requests.pop(0)
        self.now = max(self.now, due)
        before = self.facts
        assert OUTCOME_ACTIONS[DEADLINE_OUTCOMES[DeadlineKind.EVIDENCE_REQUEST]] is None
        assert self.facts == before

    @precondition(lambda self: self.deadline is not None)
    @rule()
    def deadline_passes(self) -> None:
        assert self.deadline is not None
        kind, due = self.deadline
        self.now = max(self.now, due)
        outcome = DEADLINE_OUTCOMES[kind]
        action = OUTCOME_ACTIONS[outcome]
        if action is not None:
            # the default outcome is always a legal move for the bot where the deadline runs
            self._apply(check_transition(self.facts, action, R.SYSTEM, self.now), None)
            return
        if outcome is DeadlineOutcome.START_DECISION_PERIOD:
            kind = DeadlineKind.ARBITRATION_DECISION
        elif outcome is DeadlineOutcome.CLOSE_RECONSIDERATION:
            assert self.facts.state is S.CLOSED
            self.deadline = None
            return
        self.deadline = (kind, DEADLINES.due_at(kind, self.now))  # reminded: runs again

    # -------------------------------------------------------------- invariants

    @invariant()
    def state_is_a_case_state(self) -> None:
        assert isinstance(self.facts.state, CaseState)
        assert self.facts.state in self.visited

    @invariant()
    def refunds_never_exceed_paid(self) -> None:
        assert D(0) <= self.refunded <= self.paid
        assert self.refunded + self.pending_refund <= self.paid

    @invariant()
    def deadlines_have_default_outcomes(self) -> None:
        if self.deadline is not None:
            assert self.deadline[0] in DEADLINE_OUTCOMES

    @invariant()
    def open_cases_can_move_and_closed_ones_only_reopen(self) -> None:
        f = self.facts
        if f.state in TERMINAL_STATES:
            window_ends = f.decided_at + RECONSIDER_WINDOW if f.decided_at else None
            for at in self._probe_times(window_ends):
                allowed = {a for r in Role for a in legal_actions(f, r, at)}
                assert allowed == ({A.RECONSIDER} if self._reconsideration_open(at) else set())
        else:
            later = self.now + timedelta(days=30)
            assert any(legal_actions(f, r, later) for r in Role)

    @invariant()
    def a_decision_is_reconsidered_exactly_within_its_window(self) -> None:
        f = self.facts
        if f.state is S.DECIDED:
            ends = f.decided_at + RECONSIDER_WINDOW if f.decided_at else None
            for at in self._probe_times(ends):
                for party in PARTIES:
                    offered = A.RECONSIDER in legal_actions(f, party, at)
                    assert offered == self._reconsideration_open(at)

    @invariant()
    def buyer_is_offered_a_mediator_exactly_from_day_4(self) -> None:
        f = self.facts
        if f.state in {S.AWAITING_SUPPLIER, S.NEGOTIATION}:
            opens = f.submitted_at + BUYER_WAIT if f.submitted_at else None
            for at in self._probe_times(opens):
                offered = A.REQUEST_MEDIATION in legal_actions(f, R.BUYER, at)
                assert offered == self._buyer_mediation_open(at)

    @invariant()
    def the_suppliers_clock_runs_from_the_first_invitation(self) -> None:
        """Waiting for the supplier: the buyer's time to invite until the first invitation,
        then the supplier's time counted from it, never from filing or a later invitation."""
        f = self.facts
        if f.state is not S.AWAITING_SUPPLIER:
            return
        assert f.submitted_at is not None
        if f.invited_at is None:
            assert self.deadline == (
                DeadlineKind.SUPPLIER_INVITATION,
                f.submitted_at + INVITE_WITHIN,
            )
        else:
            assert self.deadline == (DeadlineKind.SUPPLIER_RESPONSE, f.invited_at + RESPOND_WITHIN)

    @invariant()
    def a_waiting_case_either_lapses_or_escalates_never_both(self) -> None:
        f = self.facts
        if f.state is S.AWAITING_SUPPLIER:
            system = set(legal_actions(f, R.SYSTEM, self.now + timedelta(days=30)))
            # An invited supplier's silence escalates (or, on a service without mediators,
            # closes the case unresolved: NO_MEDIATOR_OUTCOMES); an uninvited claim lapses.
            escalates = {A.ESCALATE, A.CLOSE_UNRESOLVED}
            assert system == (escalates if f.invited_at else {A.EXPIRE_CLAIM})

    @invariant()
    def requests_run_only_beside_a_mediators_case(self) -> None:
        if self.requests:
            assert self.facts.state in SIDE_DEADLINE_STATES
        if self.deadline is not None:
            assert self.deadline[0] not in SIDE_DEADLINES  # the case's own is never a side one

    @invariant()
    def every_open_case_has_a_running_deadline(self) -> None:
        if self.facts.state not in TERMINAL_STATES:
            assert self.deadline is not None


CaseLifecycle.TestCase.settings = settings(max_examples=80, stateful_step_count=100, deadline=None)
TestCaseLifecycle = CaseLifecycle.TestCase
