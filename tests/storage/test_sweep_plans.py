"""The sweep's rating question reads recently closed cases through their index, also once the
database has been analysed (SQLite then knew that nearly every case shares a state and read
every case in id order: 62 ms of a 135 ms sweep over 100,000 open cases, tests/bench/sweep.py).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

from storage import Database
from tests.bench.seed import seed


async def test_the_rating_question_reads_by_index_on_an_analysed_sqlite(
    tmp_path: Path, now: datetime
) -> None:
    db = await Database.connect(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        await seed(db, 2_000, now, buttons=False)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
        seen: list[tuple[str, Any]] = []

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            seen.append((statement, parameters))

        assert await db.ratings.unasked(now) == []
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)
        assert len(seen) == 2  # buyers, then suppliers
        async with db.engine.connect() as conn:
            for statement, parameters in seen:
                plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                steps = [row[3] for row in plan]
                assert any("USING INDEX ix_cases_closed_at" in s for s in steps), steps
                assert not any(s.startswith("SCAN cases") for s in steps), steps
    finally:
        await db.dispose()
