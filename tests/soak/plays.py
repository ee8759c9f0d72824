"""One case played from the filed claim to its close by its buyer and supplier, in one of three
ways: the supplier accepts the request; counter-proposes and the buyer accepts; or contests,
then proposes and the buyer accepts. Then the supplier marks the refund done and the buyer
confirms it, which closes the case. Every step goes through `Person`, so it survives a bot that
dies at any moment (see `tests/soak/people.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.demo_dispute import LINK
from bot.sandbox import TranscriptEntry
from flows.rules.lifecycle import CaseState
from storage import Database
from tests.soak.people import Done, Person

STATEMENT = "The casings were intact when they left our warehouse; see the loading photos."
VARIANTS = ("accept", "counter", "contest")
START_LINK = re.compile(r"start=")


@dataclass
class Referee:
    """Reads the shared database to tell whether a step went through."""

    db: Database

    async def state(self, case_id: int) -> CaseState | None:
        try:
            case = await self.db.cases.get(case_id)
        except Exception:  # a read racing the writer: look again later
            return None
        return None if case is None else case.state

    async def kinds(self, case_id: int) -> list[str]:
        try:
            return [event.kind for event in await self.db.history.list(case_id)]
        except Exception:  # a read racing the writer: look again later
            return []

    def in_state(self, case_id: int, *states: CaseState) -> Done:
        async def done() -> bool:
            return await self.state(case_id) in states

        return done

    def more_of(self, case_id: int, kind: str, before: int) -> Done:
        async def done() -> bool:
            return (await self.kinds(case_id)).count(kind) > before

        return done


@dataclass
class Play:
    referee: Referee
    buyer: Person
    supplier: Person
    variant: str
    amount: str = "800"

    @property
    def case_id(self) -> int:
        return self.buyer.case_id

    async def run(self) -> None:
        invitation = await self.invitation()
        await self.join(invitation)
        settled = self.referee.in_state(self.case_id, CaseState.SETTLED, CaseState.CLOSED)
        st = self.supplier.tr
        btr = self.buyer.tr
        # Accepting is confirmed first, privately ("Yes, accept P1").
        accept_yes = [btr.t("button.accept_yes", number=f"P{n}") for n in (1, 2, 3)]
        if self.variant == "accept":
            request_yes = [st.t("button.accept_request_yes")]
            await self.supplier.press_until([st.t("button.accept_request")], settled, request_yes)
        elif self.variant == "counter":
            await self.propose(counter=True)
            await self.buyer.press_until([btr.t("button.accept")], settled, accept_yes)
        else:
            await self.contest()
            await self.propose(counter=False)
            await self.buyer.press_until([btr.t("button.accept")], settled, accept_yes)
        await self.fulfil()

    async def invitation(self) -> str:
        """The buyer asks for the supplier's invitation until a link to forward arrives."""
        buyer, label = self.buyer, self.buyer.tr.t("button.invite_supplier")
        links: list[str] = []

        async def done() -> bool:
            return bool(links)

        async def attempt(tries: int) -> None:
            since = buyer.mark()
            source = await buyer.card() if tries else await buyer.fresh(0, _shows(label), 1)
            if source is None or not await buyer.press_on(source, [label]):
                return
            entry = await buyer.fresh(since, lambda e: bool(START_LINK.search(e.text)), 5)
            if entry is not None:
                links.extend(x for x in LINK.findall(entry.text) if START_LINK.search(x))

        await buyer.until(done, attempt)
        return links[-1]

    async def join(self, invitation: str) -> None:
        """The supplier opens the invitation and says "Yes, I am the supplier"; after a few
        fruitless tries they ask the buyer for a new link (the old one may have been replaced)."""
        supplier, label = self.supplier, self.supplier.tr.t("button.i_am_supplier")
        links = [invitation]
        done = self.referee.more_of(self.case_id, "case.supplier_joined", 0)

        async def attempt(tries: int) -> None:
            if tries and tries % 3 == 0:
                links.append(await self.invitation())
            since = supplier.mark()
            await supplier.user.open_link(links[-1])
            entry = await supplier.fresh(since, _shows(label), supplier.patience)
            if entry is not None:
                await supplier.press_on(entry, [label])

        await supplier.until(done, attempt)

    async def contest(self) -> None:
        """The supplier contests with a written statement: the case is in negotiation."""
        supplier, st = self.supplier, self.supplier.tr
        label, asked = st.t("button.contest"), st.t("supplier.ask_contest")

        async def attempt(tries: int) -> None:
            since = supplier.mark()
            source = await supplier.card() if tries else await supplier.fresh(0, _shows(label), 1)
            if source is None or not await supplier.press_on(source, [label]):
                return
            if await supplier.fresh(since, lambda e: e.text == asked, supplier.patience):
                await supplier.user.send(STATEMENT)

        await supplier.until(self.referee.in_state(self.case_id, CaseState.NEGOTIATION), attempt)

    async def propose(self, *, counter: bool) -> None:
        """The supplier builds a partial refund: from "Counter-propose" on the claim, or with
        /propose N once the case is in negotiation."""
        supplier, st = self.supplier, self.supplier.tr
        label = st.t("button.counter")
        before = (await self.referee.kinds(self.case_id)).count("proposal.made")

        async def attempt(tries: int) -> None:
            since = supplier.mark()
            if counter:
                source = (
                    await supplier.card() if tries else await supplier.fresh(0, _shows(label), 1)
                )
                if source is None or not await supplier.press_on(source, [label]):
                    return
            else:
                await supplier.user.send(f"/propose {supplier.number}")
            await self.build(since)

        await supplier.until(self.referee.more_of(self.case_id, "proposal.made", before), attempt)

    async def build(self, since: int) -> None:
        """The proposal builder: partial refund, the amount, Send."""
        supplier, st = self.supplier, self.supplier.tr
        partial, ask = st.t("outcome.partial_refund"), st.t("builder.ask.partial")
        entry = await supplier.fresh(since, _shows(partial), supplier.patience)
        if entry is None or not await supplier.press_on(entry, [partial]):
            return
        since = supplier.mark()
        if await supplier.fresh(since - 1, lambda e: e.text == ask, supplier.patience) is None:
            return
        since = supplier.mark()
        await supplier.user.send(self.amount)
        send = st.t("button.send_proposal")
        entry = await supplier.fresh(since, _shows(send), supplier.patience)
        if entry is not None:
            await supplier.press_on(entry, [send])

    async def fulfil(self) -> None:
        """The supplier marks O1 done (without proof); the buyer confirms: the case closes."""
        supplier, st = self.supplier, self.supplier.tr
        mark, no_proof = st.t("button.mark_done", number="O1"), st.t("button.no_proof")

        async def attempt(tries: int) -> None:
            since = supplier.mark()
            source = await supplier.card() if tries else await supplier.fresh(0, _shows(mark), 1)
            if source is None or not await supplier.press_on(source, [mark]):
                return
            entry = await supplier.fresh(since, _shows(no_proof), supplier.patience)
            if entry is not None:
                await supplier.press_on(entry, [no_proof])

        await supplier.until(self.referee.more_of(self.case_id, "obligation.done", 0), attempt)
        btr = self.buyer.tr
        confirm = [btr.t("button.confirm_done"), btr.t("button.confirm_numbered", number="O1")]
        await self.buyer.press_until(confirm, self.referee.in_state(self.case_id, CaseState.CLOSED))


def _shows(label: str) -> Callable[[TranscriptEntry], bool]:
    return lambda entry: label in entry.button_texts
