"""Messages carrying buttons: which sent message shows which buttons now.

Buttons that no longer apply (an accepted or superseded proposal, an answered invitation, the
obligations of a closed case) are taken off their messages from this record (bot/buttons_off.py),
at start-up, on every sweep and after every update, so a restart between the change and the
edit still removes them.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0009
Revises: 0008 (0008 is being written on another branch: chain it after that one when merging)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "button_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_button_messages"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_button_messages_chat_id_message_id"),
    )


def downgrade() -> None:
    op.drop_table("button_messages")
