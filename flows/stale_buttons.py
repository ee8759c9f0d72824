"""Which buttons no longer apply: decided from the database alone, by their callback data.

A button applies while pressing it could still do what it says: a proposal's Accept / Reject /
Counter while the proposal is open; the supplier's answers while the case waits for them; the
invitation's Yes / No while its token is live; "Invite the supplier" until a supplier accepted;
"Replace supplier" while that supplier has not answered; an obligation's "Mark done" while it
is to do, its "Confirm" / "Not done" while it is marked done, and none of them once the case
left fulfilment (closed, or gone to mediation); a proposal builder's buttons only on its newest
message, while the builder is open; a mediator's proposal's Accept / Reject while it is open and
the case in mediation, and no longer in the private chat of a party who accepted it.
Buttons of other kinds (the claim form, languages, zones, links) are never taken off here.
The data is read through the codec (flows/callbacks.py); a managed button whose data no
handler would accept does not apply either.

`bot/buttons_off.py` asks `Judge.stale` about each recorded message; the handlers still check
every press on the server, so a button that is slow to go is refused as before. `case_of` says
which case a message's buttons are about, recorded with it so that the pass after an update
reads only the messages of the cases that update touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flows import proposal_builder, proposal_reasons
from flows.buttons import (
    AskMediator,
    BidJoin,
    BuildButton,
    FulfilAction,
    FulfilButton,
    InviteSupplier,
    Midpoint,
    ProposalAction,
    ProposalButton,
    ReplaceSupplier,
    SupplierAnswer,
    SupplierJoin,
    Withdraw,
)
from flows.callbacks import (
    Callback,
    MediatorProposalAccept,
    MediatorProposalConfirm,
    MediatorProposalKeep,
    MediatorProposalReject,
    decode,
    kind_of,
    subject,
)
from flows.case_context import OPEN_STATES
from flows.common import LINK_PREFIXES
from flows.rules.lifecycle import CaseState
from flows.settlement import FULFILMENT_STATES, OBLIGATED_ACTIONS
from storage import (
    Database,
    InviteToken,
    Obligation,
    ObligationStatus,
    Proposal,
    ProposalStatus,
)
from storage.ledger import touch_case
from storage.repos.buttons import CaseGlance

# Kinds whose first field is a case id, and which go when the case is closed.
CASE_KINDS: frozenset[type[Callback]] = frozenset(
    {
        SupplierAnswer,
        InviteSupplier,
        ReplaceSupplier,
        Withdraw,
        AskMediator,
        BidJoin,
        Midpoint,
        BuildButton,
    }
)
TO_DO = (ObligationStatus.PENDING, ObligationStatus.DISPUTED)
# A mediator's proposal's Accept / Reject and the confirmation of an Accept.
MEDIATOR_PROPOSAL_KINDS = (
    MediatorProposalAccept,
    MediatorProposalReject,
    MediatorProposalConfirm,
    MediatorProposalKeep,
)
MANAGED: frozenset[type[Callback]] = frozenset(
    {ProposalButton, FulfilButton, SupplierJoin, *CASE_KINDS, *MEDIATOR_PROPOSAL_KINDS}
)


def managed(data: str) -> bool:
    """Whether a button with `data` may ever be taken off here (only such messages are
    recorded: a message of the claim form or a language choice is not)."""
    return not data.startswith(LINK_PREFIXES) and kind_of(data) in MANAGED


class Judge:
    """Decides for one pass, reading each case, proposal, obligation or token once."""

    def __init__(
        self, db: Database, now: datetime, newest_builders: dict[tuple[int, int], int]
    ) -> None:
        self.db = db
        self.now = now
        # (chat id, case id) -> the message id of the newest builder message there
        self.newest_builders = newest_builders
        self._cases: dict[int, CaseGlance | None] = {}
        # one read of each thing per pass: many messages show one proposal's buttons
        self._proposals: dict[int, Proposal | None] = {}
        self._obligations: dict[int, Obligation | None] = {}
        self._tokens: dict[str, InviteToken | None] = {}

    async def prefetch(self, datas: Sequence[str]) -> None:
        """Read the cases named in these callback data at once (a start-up pass meets thousands:
        one query, not one each)."""
        wanted = set()
        for data in datas:
            kind = kind_of(data)
            pressed = decode(data, kind) if kind in CASE_KINDS else None
            if pressed is not None:
                case_id = subject(pressed)
                if case_id not in self._cases:
                    wanted.add(case_id)
        if wanted:
            found = await self.db.buttons.case_glances(wanted)
            self._cases.update({case_id: found.get(case_id) for case_id in wanted})

    async def _case(self, case_id: int) -> CaseGlance | None:
        if case_id not in self._cases:
            self._cases[case_id] = (await self.db.buttons.case_glances([case_id])).get(case_id)
        return self._cases[case_id]

    async def _open_case(self, case_id: int) -> CaseGlance | None:
        case = await self._case(case_id)
        return case if case is not None and case.state in OPEN_STATES else None

    async def stale(self, chat_id: int, message_id: int, data: str) -> bool:
        """Whether the button with `data` on this message no longer applies."""
        kind = kind_of(data)
        if data.startswith(LINK_PREFIXES) or kind not in MANAGED:
            return False
        assert kind is not None
        pressed = decode(data, kind)
        if pressed is None:
            return True  # no handler would take it: nothing it says can happen
        if isinstance(pressed, ProposalButton):
            if pressed.action is ProposalAction.SKIP_REASON:  # while the reason is asked
                return await self._reason_stale(chat_id, pressed.proposal_id)
            return await self._proposal_stale(pressed.proposal_id)
        if isinstance(pressed, MEDIATOR_PROPOSAL_KINDS):
            return await self._mediator_proposal_stale(chat_id, pressed.proposal_id)
        if isinstance(pressed, FulfilButton):
            return await self._obligation_stale(pressed.obligation_id, pressed.action)
        if isinstance(pressed, SupplierJoin):
            if pressed.token not in self._tokens:
                self._tokens[pressed.token] = await self.db.tokens.get(pressed.token)
            token = self._tokens[pressed.token]
            return token is None or not token.live(self.now)
        case = await self._open_case(subject(pressed))
        if case is None:
            return True
        waiting = case.state is CaseState.AWAITING_SUPPLIER
        if isinstance(pressed, SupplierAnswer):
            return not waiting
        if isinstance(pressed, InviteSupplier):
            return not waiting or case.supplier_id is not None
        if isinstance(pressed, ReplaceSupplier):
            return not waiting or case.supplier_id != pressed.supplier_id
        if isinstance(pressed, BuildButton):
            return await self._builder_stale(chat_id, message_id, case.id)
        return False

    async def _proposal_stale(self, proposal_id: int) -> bool:
        if proposal_id not in self._proposals:
            self._proposals[proposal_id] = await self.db.proposals.get(proposal_id)
        proposal = self._proposals[proposal_id]
        if proposal is None or proposal.status != ProposalStatus.OPEN:
            return True
        return await self._open_case(proposal.case_id) is None

    async def _mediator_proposal_stale(self, chat_id: int, proposal_id: int) -> bool:
        """A mediator's proposal is answered while it is open and the case in mediation; a
        party who accepted it has answered (their private copy's buttons go, the shared
        chat's stay for the other party)."""
        proposal = await self.db.proposals.get(proposal_id)
        if proposal is None or proposal.status != ProposalStatus.OPEN:
            return True
        case = await self._case(proposal.case_id)
        if case is None or case.state is not CaseState.MEDIATION:
            return True
        accepted = await self.db.mediator_proposals.acceptances(proposal.id)
        return any(a.user_id == chat_id for a in accepted)

    async def _reason_stale(self, chat_id: int, proposal_id: int) -> bool:
        """A rejection's reason is asked of a proposal no longer open: its Skip applies until
        the reason is given or skipped (the pending input in that private chat)."""
        pending = await self.db.inputs.get(chat_id, chat_id)
        return (
            pending is None
            or pending.kind != proposal_reasons.REJECT_REASON
            or str(pending.data.get("proposal_id")) != str(proposal_id)
        )

    async def _obligation_stale(self, obligation_id: int, action: FulfilAction) -> bool:
        if obligation_id not in self._obligations:
            self._obligations[obligation_id] = await self.db.obligations.get(obligation_id)
        duty = self._obligations[obligation_id]
        if duty is None:
            return True
        case = await self._case(duty.case_id)
        if case is None or case.state not in FULFILMENT_STATES:
            return True  # closed, or gone to mediation: the mediator takes over
        if action in OBLIGATED_ACTIONS:  # marking it done
            return duty.status not in TO_DO
        return duty.status != ObligationStatus.DONE  # confirming it, or saying it is not

    async def _builder_stale(self, chat_id: int, message_id: int, case_id: int) -> bool:
        """Only the builder's newest message in its chat is live, and only while it is open."""
        if self.newest_builders.get((chat_id, case_id)) != message_id:
            return True
        pending = await self.db.inputs.get(chat_id, chat_id)
        return (
            pending is None or pending.kind != proposal_builder.KIND or pending.case_id != case_id
        )


async def case_of(db: Database, datas: Sequence[str]) -> int | None:
    """The case the buttons with these callback data are about (None: not known)."""
    for data in datas:
        kind = kind_of(data)
        pressed = decode(data, kind) if kind is not None else None
        if pressed is None:
            continue
        found: int | None = None
        if isinstance(pressed, (ProposalButton, *MEDIATOR_PROPOSAL_KINDS)):
            found = await db.proposals.case_of(pressed.proposal_id)
        elif isinstance(pressed, FulfilButton):
            found = await db.obligations.case_of(pressed.obligation_id)
        elif isinstance(pressed, SupplierJoin):
            token = await db.tokens.get(pressed.token)
            found = token.case_id if token is not None else None
        else:  # the other kinds name their case (`case_id`, their first field)
            case_id = getattr(pressed, "case_id", None)
            found = case_id if isinstance(case_id, int) else None
        if found is not None:
            return found
    return None


def note_recorded(case_id: int | None, datas: Sequence[str]) -> None:
    """A message with these buttons was just recorded: a builder's new menu makes its older
    ones stale, so the pass after this update looks at the case (`touch_case`)."""
    if case_id is not None and any(kind_of(data) is BuildButton for data in datas):
        touch_case(case_id)


def newest_builders(
    messages: Sequence[tuple[int, int, Sequence[str]]],
) -> dict[tuple[int, int], int]:
    """(chat id, case id) -> the newest message id carrying a builder button there, from
    (chat id, message id, callback data of its buttons)."""
    newest: dict[tuple[int, int], int] = {}
    for chat_id, message_id, datas in messages:
        for data in datas:
            pressed = decode(data, BuildButton)
            if pressed is not None:
                key = (chat_id, pressed.case_id)
                newest[key] = max(newest.get(key, 0), message_id)
    return newest
