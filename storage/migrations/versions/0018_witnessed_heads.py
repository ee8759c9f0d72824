"""The chain's head witnessed outside the database (issue 10, part 2).

At every milestone of a case (filed, settled, decided, closed) the bot posts the history's
head (event count and hash) in the dispute chat and to each party; `witnessed_heads` records
each posting, so `disputebot verify` checks the chain against what the parties hold.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "witnessed_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("milestone", sa.String(16), nullable=False),
        sa.Column("witnessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_witnessed_heads_case_id", "witnessed_heads", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_witnessed_heads_case_id", table_name="witnessed_heads")
    op.drop_table("witnessed_heads")
