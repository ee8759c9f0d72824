"""Which buttons no longer apply: decided from the database alone, by their callback data.

A button applies while pressing it could still do what it says: a proposal's Accept / Reject /
Counter while the proposal is open; the supplier's answers while the case waits for them; the
invitation's Yes / No while its token is live; "Invite the supplier" until a supplier accepted;
"Replace supplier" while that supplier has not answered; an obligation's "Mark done" while it
is to do, its "Confirm" / "Not done" while it is marked done, and none of them once the case
left fulfilment (closed, or gone to mediation); a proposal builder's buttons only on its newest
message, while the builder is open.
Buttons of other kinds (the claim form, languages, zones, links) are never taken off here.

`bot/buttons_off.py` asks `Judge.stale` about each recorded message; the handlers still check
every press on the server, so a button that is slow to go is refused as before. `case_of` says
which case a message's buttons are about, recorded with it so that the pass after an update
reads only the messages of the cases that update touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flows import (
    blind_bidding,
    escalation,
    proposal_builder,
    proposal_reasons,
    supplier_invite,
    supplier_join,
    supplier_replace,
)
from flows.case_context import OPEN_STATES
from flows.common import LINK_PREFIXES, parse_id, unpack
from flows.proposal_submit import DECIDE
from flows.rules.lifecycle import CaseState
from flows.settlement import FULFIL, FULFILMENT_STATES
from flows.supplier_answer import ANSWER
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

# Codes whose second part is a case id, and which go when the case is closed.
CASE_CODES = frozenset(
    {
        ANSWER,
        supplier_invite.INVITE,
        supplier_replace.REPLACE,
        escalation.WITHDRAW,
        escalation.MEDIATOR,
        blind_bidding.JOIN,
        blind_bidding.MIDPOINT,
        proposal_builder.BUILD,
    }
)
TO_DO = (ObligationStatus.PENDING, ObligationStatus.DISPUTED)
MANAGED = frozenset({DECIDE, FULFIL, supplier_join.JOIN, *CASE_CODES})


def managed(data: str) -> bool:
    """Whether a button with `data` may ever be taken off here (only such messages are
    recorded: a message of the claim form or a language choice is not)."""
    return unpack(data)[0] in MANAGED if data and not data.startswith(LINK_PREFIXES) else False


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
            parts = unpack(data) if data and not data.startswith(LINK_PREFIXES) else []
            if len(parts) >= 2 and parts[0] in CASE_CODES:
                case_id = parse_id(parts[1])
                if case_id is not None and case_id not in self._cases:
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
        if data.startswith(LINK_PREFIXES):
            return False
        parts = unpack(data)
        if len(parts) < 2:
            return False
        code, subject = parts[0], parts[1]
        if code == DECIDE:
            if len(parts) > 2 and parts[2] == "s":  # Skip the reason: while it is asked
                return await self._reason_stale(chat_id, subject)
            return await self._proposal_stale(subject)
        if code == FULFIL:
            return await self._obligation_stale(subject, parts[2] if len(parts) > 2 else "")
        if code == supplier_join.JOIN:
            if subject not in self._tokens:
                self._tokens[subject] = await self.db.tokens.get(subject)
            token = self._tokens[subject]
            return token is None or not token.live(self.now)
        if code not in CASE_CODES:
            return False
        case_id = parse_id(subject)
        case = await self._open_case(case_id) if case_id is not None else None
        if case is None:
            return True
        waiting = case.state is CaseState.AWAITING_SUPPLIER
        if code == ANSWER:
            return not waiting
        if code == supplier_invite.INVITE:
            return not waiting or case.supplier_id is not None
        if code == supplier_replace.REPLACE:
            return not waiting or str(case.supplier_id) != (parts[2] if len(parts) > 2 else "")
        if code == proposal_builder.BUILD:
            return await self._builder_stale(chat_id, message_id, case.id)
        return False

    async def _proposal_stale(self, subject: str) -> bool:
        proposal_id = parse_id(subject)
        if proposal_id is None:
            return True
        if proposal_id not in self._proposals:
            self._proposals[proposal_id] = await self.db.proposals.get(proposal_id)
        proposal = self._proposals[proposal_id]
        if proposal is None or proposal.status != ProposalStatus.OPEN:
            return True
        return await self._open_case(proposal.case_id) is None

    async def _reason_stale(self, chat_id: int, subject: str) -> bool:
        """A rejection's reason is asked of a proposal no longer open: its Skip applies until
        the reason is given or skipped (the pending input in that private chat)."""
        pending = await self.db.inputs.get(chat_id, chat_id)
        return (
            pending is None
            or pending.kind != proposal_reasons.REJECT_REASON
            or str(pending.data.get("proposal_id")) != subject
        )

    async def _obligation_stale(self, subject: str, action: str) -> bool:
        obligation_id = parse_id(subject)
        if obligation_id is None:
            return True
        if obligation_id not in self._obligations:
            self._obligations[obligation_id] = await self.db.obligations.get(obligation_id)
        duty = self._obligations[obligation_id]
        if duty is None:
            return True
        case = await self._case(duty.case_id)
        if case is None or case.state not in FULFILMENT_STATES:
            return True  # closed, or gone to mediation: the mediator takes over
        if action in ("d", "n"):
            return duty.status not in TO_DO
        if action in ("c", "x", "k"):
            return duty.status != ObligationStatus.DONE
        return False

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
        if not data or data.startswith(LINK_PREFIXES):
            continue
        parts = unpack(data)
        if len(parts) < 2:
            continue
        code, subject = parts[0], parts[1]
        if code in CASE_CODES:
            found = parse_id(subject)
        elif code == DECIDE:
            proposal_id = parse_id(subject)
            proposal = await db.proposals.get(proposal_id) if proposal_id is not None else None
            found = proposal.case_id if proposal is not None else None
        elif code == FULFIL:
            obligation_id = parse_id(subject)
            duty = await db.obligations.get(obligation_id) if obligation_id is not None else None
            found = duty.case_id if duty is not None else None
        elif code == supplier_join.JOIN:
            token = await db.tokens.get(subject)
            found = token.case_id if token is not None else None
        else:
            continue
        if found is not None:
            return found
    return None


def note_recorded(case_id: int | None, datas: Sequence[str]) -> None:
    """A message with these buttons was just recorded: a builder's new menu makes its older
    ones stale, so the pass after this update looks at the case (`touch_case`)."""
    if case_id is None:
        return
    for data in datas:
        parts = unpack(data) if data and not data.startswith(LINK_PREFIXES) else []
        if parts and parts[0] == proposal_builder.BUILD:
            touch_case(case_id)
            return


def newest_builders(
    messages: Sequence[tuple[int, int, Sequence[str]]],
) -> dict[tuple[int, int], int]:
    """(chat id, case id) -> the newest message id carrying a builder button there, from
    (chat id, message id, callback data of its buttons)."""
    newest: dict[tuple[int, int], int] = {}
    for chat_id, message_id, datas in messages:
        for data in datas:
            parts = unpack(data)
            if len(parts) >= 2 and parts[0] == proposal_builder.BUILD:
                case_id = parse_id(parts[1])
                if case_id is not None:
                    key = (chat_id, case_id)
                    newest[key] = max(newest.get(key, 0), message_id)
    return newest
