"""The case of each message with buttons (`button_messages.case_id`), for speed (issue 11, part 3).

The pass that takes stale buttons off after an update reads only the messages of the cases the
update touched, instead of every recorded message. Rows recorded before this migration keep
NULL (their case is in their callback data, which only flows can read); every scoped pass reads
them too, and they go as their buttons stop applying.

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("button_messages") as batch:
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_index("ix_button_messages_case_id", ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("button_messages") as batch:
        batch.drop_index("ix_button_messages_case_id")
        batch.drop_column("case_id")
