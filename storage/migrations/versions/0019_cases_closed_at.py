"""An index on `cases.closed_at`, for the sweep's rating questions (issue 11, part 3).

Each sweep looks for the parties of cases closed within the last days who were not asked for a
rating yet (`storage/repos/ratings.py: unasked`). Once the database had been analysed (ANALYZE,
or PostgreSQL's autovacuum), the planner knew that nearly every case shares a few states, so the
state index looked useless and SQLite read all the cases in id order: 62 ms of each sweep's
135 ms over 100,000 open cases (`tests/bench/sweep.py`). The query now asks in the order of
this index (oldest closing first), and the planner reads from the cut-off on: the recently
closed cases only.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_closed_at", "cases", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_closed_at", table_name="cases")
