"""The evidence store: `evidence.store_key` (the file's key in the store, its SHA-256) and
`evidence_blobs` (the files themselves when EVIDENCE_STORE is `database:`).

Rows stored before this migration keep their `stored_path` (a path on one machine) and get no
key here: a migration cannot reach the configured store. `disputebot migrate` (and every start)
then moves each such file into the store, checks it against the row's SHA-256, sets the key and
clears the path (`flows/evidence_store.py`: `move_legacy_files`).

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("evidence", sa.Column("store_key", sa.String(64), nullable=True))
    op.create_table(
        "evidence_blobs",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_evidence_blobs")),
    )


def downgrade() -> None:
    op.drop_table("evidence_blobs")
    op.drop_column("evidence", "store_key")
