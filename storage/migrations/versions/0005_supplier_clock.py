"""The supplier's clock and why a case closed: `cases.invited_at` and `cases.closed_reason`.

`invited_at` is when the buyer first invited the supplier; the supplier's response deadline runs
from it, and a claim without it lapses instead of escalating. Cases filed before this revision
had their supplier's clock started at filing, so they get `invited_at = submitted_at` and keep
the deadline they were promised (escalation when it passes).

`closed_reason` (a `flows.rules.lifecycle.ClosingReason`) is written by every transition that
closes a case. Cases closed before this revision keep NULL: the reason was not recorded then,
and /cases shows them as plainly closed.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("cases", sa.Column("closed_reason", sa.String(16), nullable=True))
    op.execute("UPDATE cases SET invited_at = submitted_at WHERE submitted_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("cases", "closed_reason")
    op.drop_column("cases", "invited_at")
