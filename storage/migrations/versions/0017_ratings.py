"""Each party's rating of the process after a case closed (issue 10, part 4).

`ratings` has one row per case and party: written when the party is asked (`asked_at`), then
the 1-5 score and the optional comment when they answer. The unique (case_id, party_role)
makes the question go out once, and a re-delivered press finds the score already there.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("party_role", sa.String(16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("comment_done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "party_role", name="uq_ratings_case_id_party_role"),
        sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="ck_ratings_score"),
    )


def downgrade() -> None:
    op.drop_table("ratings")
