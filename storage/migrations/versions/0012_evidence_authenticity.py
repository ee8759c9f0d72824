"""Screenshots of outside chats confirmed or disputed by the other party (issue 9, point 4).

`evidence.authenticity` is "confirmed" or "disputed" once the other party has answered (NULL
until then), with who answered, when and (for a dispute, optionally) why. Mediator-only items
already have `evidence.mediator_only` (0001).

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("authenticity", sa.String(16), nullable=True))
        batch.add_column(sa.Column("authenticity_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("authenticity_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("authenticity_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("authenticity_reason")
        batch.drop_column("authenticity_at")
        batch.drop_column("authenticity_by")
        batch.drop_column("authenticity")
