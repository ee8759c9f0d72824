"""Case numbers: given at filing from the `counters` row, in filing order, without gaps; a draft
takes none. Race-free with several workers filing at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import Case, Database, OutboxMessage
from tests.storage.factory import BUYER, claim, deadline, draft_case

CLAIM = claim(amount="100.00")


async def _file(db: Database, case: Case, now: datetime, **extra: object) -> Case:
    return await db.cases.transition(
        case.id,
        Action.SUBMIT,
        BUYER,
        Role.BUYER,
        now,
        claim=CLAIM,
        category="quality",
        new_deadline=deadline(DeadlineKind.SUPPLIER_INVITATION, now),
        **extra,  # type: ignore[arg-type]
    )


async def test_drafts_take_no_number_and_filings_are_numbered_in_order(
    db: Database, now: datetime
) -> None:
    abandoned = await draft_case(db, now)
    await db.cases.transition(abandoned.id, Action.ABANDON, BUYER, Role.BUYER, now)
    first_draft = await draft_case(db, now + timedelta(minutes=1))
    second_draft = await draft_case(db, now + timedelta(minutes=2))
    assert {abandoned.number, first_draft.number, second_draft.number} == {None}

    # Filed in the other order than drafted: the number follows the filing.
    second = await _file(db, second_draft, now + timedelta(minutes=3))
    first = await _file(db, first_draft, now + timedelta(minutes=4))
    assert (second.number, first.number) == (1, 2)
    assert second.id != 1  # the internal id is another thing
    assert await db.cases.by_number(1) == second
    assert await db.cases.by_number(2) == first
    assert await db.cases.by_number(3) is None
    closed = await db.cases.get(abandoned.id)
    assert closed is not None and closed.state is CaseState.CLOSED and closed.number is None
    filing = [e for e in await db.history.list(second.id) if e.payload.get("action") == "submit"]
    assert filing[0].payload["number"] == 1  # on the hash-chained record


async def test_a_filing_rolled_back_gives_its_number_back(db: Database, now: datetime) -> None:
    draft = await draft_case(db, now)

    def broken_news(moved: Case) -> list[OutboxMessage]:
        assert moved.number == 1  # the news is rendered with the number the filing takes
        raise RuntimeError("killed inside the filing's transaction")

    with pytest.raises(RuntimeError):
        await _file(db, draft, now, news=broken_news)
    unfiled = await db.cases.get(draft.id)
    assert unfiled is not None and (unfiled.state, unfiled.number) == (CaseState.DRAFT, None)

    sent: list[int | None] = []

    def news(moved: Case) -> list[OutboxMessage]:
        sent.append(moved.number)
        return [OutboxMessage(BUYER, f"filed #{moved.number}", f"filed:{moved.id}", moved.id)]

    filed = await _file(db, draft, now, news=news)
    assert filed.number == 1 and sent == [1]


async def test_concurrent_filings_by_several_workers_get_distinct_numbers(
    db: Database, other_worker: Database, now: datetime
) -> None:
    drafts = [await draft_case(db, now + timedelta(seconds=n)) for n in range(8)]
    workers = [db, other_worker]
    filed = await asyncio.gather(
        *(
            _file(workers[n % 2], draft, now + timedelta(minutes=1))
            for n, draft in enumerate(drafts)
        )
    )
    assert sorted(case.number or 0 for case in filed) == list(range(1, 9))
    # the same filing twice at once (two workers, one draft): one number, once
    again = await draft_case(db, now + timedelta(minutes=2))
    results = await asyncio.gather(
        *(_file(worker, again, now + timedelta(minutes=3), expected_version=again.version)
          for worker in workers),
        return_exceptions=True,
    )  # fmt: skip
    won = [r for r in results if isinstance(r, Case)]
    assert len(won) == 1 and won[0].number == 9
    later = await _file(db, await draft_case(db, now + timedelta(minutes=4)), now)
    assert later.number == 10  # the loser's number was given back
