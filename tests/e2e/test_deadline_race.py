"""A party who acts in the moment between the sweep's claim of a due deadline and its outcome
keeps their action: the sweep is held at that point (`flows.crash.holding`), the supplier
accepts the request meanwhile, and the default outcome (escalation for a silent supplier) is
not applied; both sides read the settlement, in English and in Chinese, and nobody reads that
the supplier was silent."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.crash import holding
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import accept_request, open_case, saying, settled_text


@pytest.mark.parametrize("supplier_language", ["zh-hans", "en"])
async def test_a_supplier_who_accepts_while_the_sweep_claims_the_deadline_keeps_it(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    supplier_language: str,
) -> None:
    case = await open_case(
        bot, sandbox, catalogs, clock, with_chat=False, supplier_language=supplier_language
    )
    services = bot.services
    assert bot.app is not None
    [response] = await services.db.deadlines.pending_for_case(case.case_id)
    assert response.kind is DeadlineKind.SUPPLIER_RESPONSE
    clock.advance(timedelta(days=3, minutes=1))  # the supplier's time is up

    held, go = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        held.set()
        await go.wait()

    with holding("sweep.deadline_claimed", hold):
        sweeping = asyncio.create_task(sweep(services, bot.app.bot))
        await asyncio.wait_for(held.wait(), timeout=10)
        await accept_request(case.supplier, case.str_)  # in that very moment
        due = clock.now() + timedelta(days=7)
        amount = Decimal("1020.00")  # the partial refund the English script asks for
        for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
            await user.wait_for(saying(settled_text(tr, case, "P1", "role.supplier", amount, due)))
        go.set()
        report = await asyncio.wait_for(sweeping, timeout=20)

    assert report.fired == []
    assert await case.state() is CaseState.SETTLED
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        silent = tr.t(
            "outcome_applied.supplier_silent",
            number=f"#{case.number}",
            due=tr.datetime(response.due_at),
        )
        assert [e.text for e in user.transcript() if e.text == silent] == []
    # The next sweep has nothing left to do with it either.
    assert (await sweep(services, bot.app.bot)).fired == []
    assert await case.state() is CaseState.SETTLED
    events = await services.db.history.list(case.case_id)
    assert [e for e in events if "deadline passed" in str(e.payload.get("reason", ""))] == []
    assert (await services.db.history.verify(case.case_id)).ok
