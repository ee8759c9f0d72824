"""The update ledger: `handled_updates`, one row per Telegram update handled with effects.

A re-delivered update (the bot was killed before confirming it) finds its row and changes
nothing (`storage/ledger.py`). Rows older than Telegram's 24-hour retention are pruned.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name="pk_handled_updates"),
    )
    op.create_index(
        "ix_handled_updates_handled_at", "handled_updates", ["handled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_handled_updates_handled_at", table_name="handled_updates")
    op.drop_table("handled_updates")
