"""Case numbers for filed claims only: `cases.number` and the `counters` row that gives them.

A draft takes no number; filing takes the next one from `counters` ("case_number") in the
filing's transaction. Cases filed before this migration are numbered 1, 2, ... in filing order
(`submitted_at`, then `id`), and the counter continues after the last of them.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("number", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE cases SET number = ("
        " SELECT COUNT(*) FROM cases AS earlier"
        " WHERE earlier.submitted_at IS NOT NULL AND ("
        "  earlier.submitted_at < cases.submitted_at"
        "  OR (earlier.submitted_at = cases.submitted_at AND earlier.id <= cases.id)))"
        " WHERE submitted_at IS NOT NULL"
    )
    op.create_index("ix_cases_number", "cases", ["number"], unique=True)
    op.create_table(
        "counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.execute(
        "INSERT INTO counters (name, value)"
        " SELECT 'case_number', COUNT(*) FROM cases WHERE submitted_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_index("ix_cases_number", table_name="cases")
    op.drop_column("cases", "number")
