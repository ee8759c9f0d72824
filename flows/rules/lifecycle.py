"""Case states, who may move a case from one state to another, and which deadline starts.

The table mirrors PRODUCT.md's lifecycle. `check_transition` is the only gate: a move that is not
in the table raises `IllegalTransition` and is never applied.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CaseState(StrEnum):
    DRAFT = "draft"  # the buyer is filling in the claim form
    # claim filed: waiting for the buyer to invite the supplier, then for the supplier to respond
    AWAITING_SUPPLIER = "awaiting_supplier"
    NEGOTIATION = "negotiation"  # both sides talk and exchange proposals
    MEDIATION = "mediation"  # escalated: a mediator is (being) assigned and mediates
    ARBITRATION = "arbitration"  # mediation failed: final statements, then a binding decision
    SETTLED = "settled"  # the parties agreed; obligations being fulfilled
    DECIDED = "decided"  # a binding decision was issued; obligations being fulfilled
    CLOSED = "closed"  # fulfilled, withdrawn, dismissed or expired


class Role(StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    MEDIATOR = "mediator"
    SYSTEM = "system"  # the bot itself, acting on a deadline
    STRANGER = "stranger"  # someone in the dispute chat who has no part in the case; acts never


class Action(StrEnum):
    SUBMIT = "submit"
    ABANDON = "abandon"  # buyer cancels the draft
    EXPIRE_DRAFT = "expire_draft"
    INVITE_SUPPLIER = "invite_supplier"  # the buyer's FIRST invitation starts the supplier's clock
    EXPIRE_CLAIM = "expire_claim"  # no invitation was made in time: the claim lapses
    SUPPLIER_RESPOND = "supplier_respond"  # counter-proposal or contest
    SUPPLIER_ACCEPT = "supplier_accept"  # supplier accepts the requested outcome at once
    ACCEPT_PROPOSAL = "accept_proposal"
    REQUEST_MEDIATION = "request_mediation"
    ESCALATE = "escalate"  # a deadline passed with nobody acting
    ASSIGN_MEDIATOR = "assign_mediator"  # a mediator of the pool takes the case (first wins)
    RELEASE_MEDIATOR = "release_mediator"  # the mediator hands the case back to the pool
    MEDIATION_SETTLE = "mediation_settle"
    TO_ARBITRATION = "to_arbitration"
    DECIDE = "decide"
    CONFIRM_FULFILMENT = "confirm_fulfilment"
    DISPUTE_FULFILMENT = "dispute_fulfilment"
    MARK_UNFULFILLED = "mark_unfulfilled"
    WITHDRAW = "withdraw"
    DISMISS = "dismiss"
    RECONSIDER = "reconsider"
    # A service with no mediators (no staff chat): where a case would go to a mediator, it ends
    # instead, so that no case waits for somebody who will never come.
    CLOSE_UNRESOLVED = "close_unresolved"
    CLOSE_UNFULFILLED = "close_unfulfilled"
    # A decision whose obligations were all already confirmed (a reconsideration that
    # confirms a fulfilled decision, or replaces it leaving nothing open): nothing is left to
    # fulfil, so the case closes as fulfilled in the decision's own transaction.
    CLOSE_FULFILLED = "close_fulfilled"


class DeadlineKind(StrEnum):
    DRAFT_EXPIRY = "draft_expiry"
    SUPPLIER_INVITATION = "supplier_invitation"  # the buyer's time to make the invitation
    SUPPLIER_RESPONSE = "supplier_response"  # runs from the first invitation
    NEGOTIATION = "negotiation"
    MEDIATOR_ASSIGNMENT = "mediator_assignment"
    MEDIATION = "mediation"
    ARBITRATION_STATEMENTS = "arbitration_statements"
    ARBITRATION_DECISION = "arbitration_decision"
    FULFILMENT = "fulfilment"
    RECONSIDERATION = "reconsideration"
    # The mediator asked a party for evidence by a date; runs beside the case's own deadline.
    EVIDENCE_REQUEST = "evidence_request"


class DeadlineOutcome(StrEnum):
    """What happens when a deadline passes and nobody acted."""

    DELETE_DRAFT = "delete_draft"
    CLOSE_AS_EXPIRED = "close_as_expired"
    ESCALATE_TO_MEDIATION = "escalate_to_mediation"
    REMIND_POOL = "remind_pool"
    MOVE_TO_ARBITRATION = "move_to_arbitration"
    START_DECISION_PERIOD = "start_decision_period"
    MARK_UNFULFILLED = "mark_unfulfilled"
    CLOSE_RECONSIDERATION = "close_reconsideration"
    CLOSE_UNRESOLVED = "close_unresolved"  # no mediators: the case ends without an agreement
    CLOSE_UNFULFILLED = "close_unfulfilled"  # no mediators: a settlement's duties went undone
    LAPSE_REQUEST = "lapse_request"  # the mediator goes on without the evidence asked for


DEADLINE_OUTCOMES: dict[DeadlineKind, DeadlineOutcome] = {
    DeadlineKind.DRAFT_EXPIRY: DeadlineOutcome.DELETE_DRAFT,
    DeadlineKind.SUPPLIER_INVITATION: DeadlineOutcome.CLOSE_AS_EXPIRED,
    DeadlineKind.SUPPLIER_RESPONSE: DeadlineOutcome.ESCALATE_TO_MEDIATION,
    DeadlineKind.NEGOTIATION: DeadlineOutcome.ESCALATE_TO_MEDIATION,
    DeadlineKind.MEDIATOR_ASSIGNMENT: DeadlineOutcome.REMIND_POOL,
    DeadlineKind.MEDIATION: DeadlineOutcome.MOVE_TO_ARBITRATION,
    DeadlineKind.ARBITRATION_STATEMENTS: DeadlineOutcome.START_DECISION_PERIOD,
    DeadlineKind.ARBITRATION_DECISION: DeadlineOutcome.REMIND_POOL,
    DeadlineKind.FULFILMENT: DeadlineOutcome.MARK_UNFULFILLED,
    DeadlineKind.RECONSIDERATION: DeadlineOutcome.CLOSE_RECONSIDERATION,
    DeadlineKind.EVIDENCE_REQUEST: DeadlineOutcome.LAPSE_REQUEST,
}

# Deadlines that run beside the case's own (one per request, several at once) and are started
# outside a transition. A transition keeps them while the case stays with its mediator
# (mediation, arbitration): opening the final statements round does not cancel a request for
# evidence. Any other move (settled, decided, closed) ends them.
SIDE_DEADLINES = frozenset({DeadlineKind.EVIDENCE_REQUEST})
SIDE_DEADLINE_STATES = frozenset({CaseState.MEDIATION, CaseState.ARBITRATION})

# The action the bot takes, as Role.SYSTEM, for an outcome that moves the case; None where the
# case stays where it is (the pool is reminded, the decision period starts, the window closes).
OUTCOME_ACTIONS: dict[DeadlineOutcome, Action | None] = {
    DeadlineOutcome.DELETE_DRAFT: Action.EXPIRE_DRAFT,
    DeadlineOutcome.CLOSE_AS_EXPIRED: Action.EXPIRE_CLAIM,
    DeadlineOutcome.ESCALATE_TO_MEDIATION: Action.ESCALATE,
    DeadlineOutcome.REMIND_POOL: None,
    DeadlineOutcome.MOVE_TO_ARBITRATION: Action.TO_ARBITRATION,
    DeadlineOutcome.START_DECISION_PERIOD: None,
    DeadlineOutcome.MARK_UNFULFILLED: Action.MARK_UNFULFILLED,
    DeadlineOutcome.CLOSE_RECONSIDERATION: None,
    DeadlineOutcome.CLOSE_UNRESOLVED: Action.CLOSE_UNRESOLVED,
    DeadlineOutcome.CLOSE_UNFULFILLED: Action.CLOSE_UNFULFILLED,
    DeadlineOutcome.LAPSE_REQUEST: None,
}

# Where the service has no mediators, the outcomes that would hand the case to one end it
# instead; every other deadline keeps its outcome above.
NO_MEDIATOR_OUTCOMES: dict[DeadlineKind, DeadlineOutcome] = {
    DeadlineKind.SUPPLIER_RESPONSE: DeadlineOutcome.CLOSE_UNRESOLVED,
    DeadlineKind.NEGOTIATION: DeadlineOutcome.CLOSE_UNRESOLVED,
    # A case that reached mediation anyway (a disputed obligation, or a staff chat removed
    # from the configuration): the parties' last time to agree, then the end.
    DeadlineKind.MEDIATOR_ASSIGNMENT: DeadlineOutcome.CLOSE_UNRESOLVED,
    DeadlineKind.FULFILMENT: DeadlineOutcome.CLOSE_UNFULFILLED,
}


def deadline_outcome(kind: DeadlineKind, *, mediators: bool) -> DeadlineOutcome:
    """What happens when a deadline of `kind` passes, on a service with or without mediators."""
    if not mediators and kind in NO_MEDIATOR_OUTCOMES:
        return NO_MEDIATOR_OUTCOMES[kind]
    return DEADLINE_OUTCOMES[kind]


S = CaseState
R = Role
PARTIES = frozenset({R.BUYER, R.SUPPLIER})


@dataclass(frozen=True)
class Transition:
    """One legal move: from any of `sources` to `target`, by one of `actors`."""

    action: Action
    sources: frozenset[CaseState]
    target: CaseState
    actors: frozenset[Role]
    starts: DeadlineKind | None  # the deadline that starts on arrival, if any


def _t(
    action: Action,
    sources: Set[CaseState],
    target: CaseState,
    actors: Set[Role],
    starts: DeadlineKind | None,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(actors), starts)


TRANSITIONS: tuple[Transition, ...] = (
    # Filing starts the buyer's time to invite the supplier, not the supplier's time to respond:
    # nobody can answer an invitation that does not exist yet.
    _t(Action.SUBMIT, {S.DRAFT}, S.AWAITING_SUPPLIER, {R.BUYER}, DeadlineKind.SUPPLIER_INVITATION),
    _t(Action.ABANDON, {S.DRAFT}, S.CLOSED, {R.BUYER}, None),
    _t(Action.EXPIRE_DRAFT, {S.DRAFT}, S.CLOSED, {R.SYSTEM}, None),
    _t(
        Action.INVITE_SUPPLIER,
        {S.AWAITING_SUPPLIER},
        S.AWAITING_SUPPLIER,
        {R.BUYER},
        DeadlineKind.SUPPLIER_RESPONSE,
    ),
    _t(Action.EXPIRE_CLAIM, {S.AWAITING_SUPPLIER}, S.CLOSED, {R.SYSTEM}, None),
    _t(
        Action.SUPPLIER_RESPOND,
        {S.AWAITING_SUPPLIER},
        S.NEGOTIATION,
        {R.SUPPLIER},
        DeadlineKind.NEGOTIATION,
    ),
    _t(
        Action.SUPPLIER_ACCEPT,
        {S.AWAITING_SUPPLIER},
        S.SETTLED,
        {R.SUPPLIER},
        DeadlineKind.FULFILMENT,
    ),
    _t(Action.ACCEPT_PROPOSAL, {S.NEGOTIATION}, S.SETTLED, PARTIES, DeadlineKind.FULFILMENT),
    _t(
        Action.REQUEST_MEDIATION,
        {S.AWAITING_SUPPLIER, S.NEGOTIATION},
        S.MEDIATION,
        PARTIES,
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
    _t(
        Action.ESCALATE,
        {S.AWAITING_SUPPLIER, S.NEGOTIATION},
        S.MEDIATION,
        {R.SYSTEM},
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
    _t(Action.ASSIGN_MEDIATOR, {S.MEDIATION}, S.MEDIATION, {R.MEDIATOR}, DeadlineKind.MEDIATION),
    # A reconsideration waits in arbitration for a different mediator of the pool, who then
    # has the decision period to confirm or replace the decision.
    _t(
        Action.ASSIGN_MEDIATOR,
        {S.ARBITRATION},
        S.ARBITRATION,
        {R.MEDIATOR},
        DeadlineKind.ARBITRATION_DECISION,
    ),
    # Handed back: the pool's time to assign someone starts again.
    _t(
        Action.RELEASE_MEDIATOR,
        {S.MEDIATION},
        S.MEDIATION,
        {R.MEDIATOR},
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
    _t(Action.MEDIATION_SETTLE, {S.MEDIATION}, S.SETTLED, PARTIES, DeadlineKind.FULFILMENT),
    _t(
        Action.TO_ARBITRATION,
        {S.MEDIATION},
        S.ARBITRATION,
        {R.MEDIATOR, R.SYSTEM},
        DeadlineKind.ARBITRATION_STATEMENTS,
    ),
    _t(Action.DECIDE, {S.ARBITRATION}, S.DECIDED, {R.MEDIATOR}, DeadlineKind.FULFILMENT),
    _t(Action.CONFIRM_FULFILMENT, {S.SETTLED}, S.CLOSED, PARTIES, None),
    # A decided case that closes may still be reconsidered until the window that runs from
    # the decision (not from the closing: the guard below checks it) ends.
    _t(
        Action.CONFIRM_FULFILMENT,
        {S.DECIDED},
        S.CLOSED,
        PARTIES,
        DeadlineKind.RECONSIDERATION,
    ),
    _t(
        Action.DISPUTE_FULFILMENT,
        {S.SETTLED},
        S.MEDIATION,
        PARTIES,
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
    _t(
        Action.MARK_UNFULFILLED,
        {S.SETTLED},
        S.MEDIATION,
        {R.SYSTEM},
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
    _t(
        Action.MARK_UNFULFILLED,
        {S.DECIDED},
        S.CLOSED,
        {R.SYSTEM},
        DeadlineKind.RECONSIDERATION,
    ),
    _t(
        Action.WITHDRAW,
        {S.AWAITING_SUPPLIER, S.NEGOTIATION, S.MEDIATION, S.ARBITRATION},
        S.CLOSED,
        {R.BUYER},
        None,
    ),
    _t(Action.DISMISS, {S.MEDIATION, S.ARBITRATION}, S.CLOSED, {R.MEDIATOR}, None),
    # Reconsidered while its obligations are being fulfilled or after the case closed: back to
    # arbitration without a mediator, for the pool (the first mediator excluded) to take.
    _t(
        Action.CLOSE_UNRESOLVED,
        {S.AWAITING_SUPPLIER, S.NEGOTIATION, S.MEDIATION},
        S.CLOSED,
        {R.SYSTEM},
        None,
    ),
    _t(Action.CLOSE_UNFULFILLED, {S.SETTLED}, S.CLOSED, {R.SYSTEM}, None),
    # Right after DECIDE, in the same transaction, when no obligation is left open; the
    # reconsideration window runs as after the last confirmation of a decided case.
    _t(
        Action.CLOSE_FULFILLED,
        {S.DECIDED},
        S.CLOSED,
        {R.MEDIATOR},
        DeadlineKind.RECONSIDERATION,
    ),
    _t(
        Action.RECONSIDER,
        {S.DECIDED, S.CLOSED},
        S.ARBITRATION,
        PARTIES,
        DeadlineKind.MEDIATOR_ASSIGNMENT,
    ),
)

# The transitions of an action from a state, in TRANSITIONS' order: check_transition looks here
# instead of scanning the table (the UI asks legal_actions, every action, on every update).
_BY_MOVE: dict[tuple[Action, CaseState], tuple[Transition, ...]] = {}
for _move in TRANSITIONS:
    for _source in _move.sources:
        _BY_MOVE[_move.action, _source] = (*_BY_MOVE.get((_move.action, _source), ()), _move)
del _move, _source

TERMINAL_STATES = frozenset({S.CLOSED})


class ClosingReason(StrEnum):
    """Why a case was closed, as PRODUCT.md names it (shown in /cases)."""

    FULFILLED = "fulfilled"  # every obligation confirmed
    UNFULFILLED = "unfulfilled"  # a decision's obligations were not confirmed in time
    WITHDRAWN = "withdrawn"  # by the buyer
    DISMISSED = "dismissed"  # by the mediator
    EXPIRED = "expired"  # a draft not submitted, or a claim whose supplier was never invited
    ABANDONED = "abandoned"  # the buyer cancelled the draft
    UNRESOLVED = "unresolved"  # no agreement, and the service has no mediators to decide


CLOSING_REASONS: dict[Action, ClosingReason] = {
    Action.ABANDON: ClosingReason.ABANDONED,
    Action.EXPIRE_DRAFT: ClosingReason.EXPIRED,
    Action.EXPIRE_CLAIM: ClosingReason.EXPIRED,
    Action.CONFIRM_FULFILMENT: ClosingReason.FULFILLED,
    Action.CLOSE_FULFILLED: ClosingReason.FULFILLED,
    Action.MARK_UNFULFILLED: ClosingReason.UNFULFILLED,
    Action.WITHDRAW: ClosingReason.WITHDRAWN,
    Action.DISMISS: ClosingReason.DISMISSED,
    Action.CLOSE_UNRESOLVED: ClosingReason.UNRESOLVED,
    Action.CLOSE_UNFULFILLED: ClosingReason.UNFULFILLED,
}


class IllegalTransition(Exception):
    """Raised for a move the lifecycle does not allow; the case stays as it was."""

    def __init__(self, state: CaseState, action: Action, actor: Role, reason: str) -> None:
        super().__init__(f"{action} by {actor} not allowed in state {state}: {reason}")
        self.state = state
        self.action = action
        self.actor = actor
        self.reason = reason


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case besides its state."""

    state: CaseState
    previous_state: CaseState | None = None
    submitted_at: datetime | None = None
    invited_at: datetime | None = None  # the buyer's first invitation to the supplier
    closed_at: datetime | None = None
    reconsiderations: int = 0  # how many times the case was already reconsidered
    mediator_id: int | None = None  # the mediator who took the case, if one has
    decided_at: datetime | None = None  # when the decision in force was issued, if one was


@dataclass(frozen=True)
class LifecyclePolicy:
    """Timing rules that gate transitions (configuration, not code)."""

    buyer_mediation_after: timedelta = timedelta(days=3)  # the buyer may ask from day 4
    reconsideration_window: timedelta = timedelta(days=3)
    max_reconsiderations: int = 1  # otherwise a losing party could reopen a case forever


def check_transition(
    facts: CaseFacts,
    action: Action,
    actor: Role,
    now: datetime,
    policy: LifecyclePolicy | None = None,
) -> Transition:
    """Return the transition `action` by `actor` makes from `facts.state`, or raise."""
    policy = policy or LifecyclePolicy()
    candidates = _BY_MOVE.get((action, facts.state), ())
    if not candidates:
        raise IllegalTransition(facts.state, action, actor, "not allowed in this state")
    allowed = [t for t in candidates if actor in t.actors]
    if not allowed:
        raise IllegalTransition(facts.state, action, actor, "not allowed for this role")
    transition = allowed[0]
    if action is Action.REQUEST_MEDIATION and actor is Role.BUYER:
        opens = (
            None
            if facts.submitted_at is None
            else facts.submitted_at + policy.buyer_mediation_after
        )
        if opens is None or now < opens:
            raise IllegalTransition(facts.state, action, actor, "too early for the buyer")
    # The supplier's clock starts once, at the first invitation: a new invitation never restarts
    # it (a buyer could otherwise stall forever), and only a supplier who was invited can have
    # failed to respond, while only a claim never passed on can lapse.
    if action is Action.INVITE_SUPPLIER and facts.invited_at is not None:
        raise IllegalTransition(facts.state, action, actor, "the supplier was already invited")
    if action is Action.EXPIRE_CLAIM and facts.invited_at is not None:
        raise IllegalTransition(facts.state, action, actor, "the supplier was invited")
    if (
        action in (Action.ESCALATE, Action.CLOSE_UNRESOLVED)
        and facts.state is S.AWAITING_SUPPLIER
        and facts.invited_at is None
    ):
        raise IllegalTransition(facts.state, action, actor, "the supplier was never invited")
    # First Take wins: a case with a mediator is not taken again until it is handed back.
    if action is Action.ASSIGN_MEDIATOR and facts.mediator_id is not None:
        raise IllegalTransition(facts.state, action, actor, "a mediator has the case")
    if action is Action.RELEASE_MEDIATOR and facts.mediator_id is None:
        raise IllegalTransition(facts.state, action, actor, "no mediator has the case")
    # Arbitration without a mediator is only a reconsideration waiting for the pool.
    if (
        action is Action.ASSIGN_MEDIATOR
        and facts.state is S.ARBITRATION
        and facts.reconsiderations == 0
    ):
        raise IllegalTransition(facts.state, action, actor, "not a reconsideration")
    if action is Action.RECONSIDER:
        if facts.decided_at is None:
            raise IllegalTransition(facts.state, action, actor, "only decided cases")
        if now > facts.decided_at + policy.reconsideration_window:
            raise IllegalTransition(facts.state, action, actor, "reconsideration window passed")
        if facts.reconsiderations >= policy.max_reconsiderations:
            raise IllegalTransition(facts.state, action, actor, "already reconsidered")
    return transition


def legal_actions(
    facts: CaseFacts, actor: Role, now: datetime, policy: LifecyclePolicy | None = None
) -> list[Action]:
    """Every action `actor` may take now; used by the UI to offer only what is allowed."""
    result: list[Action] = []
    for action in Action:
        if (action, facts.state) not in _BY_MOVE:
            continue  # not allowed in this state (check_transition's first refusal)
        try:
            check_transition(facts, action, actor, now, policy)
        except IllegalTransition:
            continue
        result.append(action)
    return result
