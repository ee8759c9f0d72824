"""A dispute chat upgraded to a supergroup remembers the basic group it was.

`case_chats.former_chat_id`: Telegram gives the supergroup a new id; messages of the old group
that reach the bot only after the case followed the move are still found by their chat's id.
Unique (one case per chat, former chats included). SQLite adds the nullable column and the
index without rebuilding the table, and drops both again (DROP COLUMN, SQLite 3.35+).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_chats", sa.Column("former_chat_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_case_chats_former_chat_id", "case_chats", ["former_chat_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_case_chats_former_chat_id", table_name="case_chats")
    op.drop_column("case_chats", "former_chat_id")
