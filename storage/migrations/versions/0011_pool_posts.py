"""The mediators' pool: each escalated case's post in the staff chat (`pool_posts`).

The post is made after the escalation commits; a case in mediation with no mediator and no
post made at its current version (a hand-back moves the version on) is owed one, so a crash
between the two loses nothing: the next sweep posts it. `thread_id` keeps the case's forum
topic across hand-backs.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pool_posts",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("pool_posts")
