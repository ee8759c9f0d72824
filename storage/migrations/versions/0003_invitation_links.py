"""Revocable invitations and the chat links the bot made.

Invitation tokens get `revoked_at` and `revoked_reason` (a newer invitation replaced the token,
the person it reached declined it, or the case closed). `chat_invite_links` keeps every one-time
link into a dispute chat, so that the bot can revoke it on Telegram when it is replaced, used by
someone else, or the case closes.

Handwritten to match `storage/tables.py` exactly (tests compare the two). Adding nullable
columns needs no table rebuild on SQLite; dropping them again uses ALTER TABLE ... DROP COLUMN
(SQLite 3.35+), as 0002 does.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("invite_tokens", sa.Column("revoked_at", TZ, nullable=True))
    op.add_column("invite_tokens", sa.Column("revoked_reason", sa.String(16), nullable=True))

    op.create_table(
        "chat_invite_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("invite_link", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('live', 'used', 'revoked')", name="ck_chat_invite_links_status"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_chat_invite_links_case_id_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chat_invite_links"),
        sa.UniqueConstraint("invite_link", name="uq_chat_invite_links_invite_link"),
    )
    op.create_index(
        "ix_chat_invite_links_case_id_status", "chat_invite_links", ["case_id", "status"]
    )


def downgrade() -> None:
    op.drop_table("chat_invite_links")
    op.drop_column("invite_tokens", "revoked_reason")
    op.drop_column("invite_tokens", "revoked_at")
