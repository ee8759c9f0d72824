"""The mediator's requests for evidence (issue 9, part 2): `evidence_requests`, one row per
request (R1, R2... within the case), the party asked, what, by when, its deadline row, its
status (open / met / lapsed) and the evidence numbers that answered it; and
`evidence.lateness`, set on an item that came after its request lapsed ("late", then
"accepted" or "left_out" by the mediator).

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("lateness", sa.String(16), nullable=True))
    op.create_table(
        "evidence_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.BigInteger(), nullable=False),
        sa.Column("party_role", sa.String(16), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_id", sa.Integer(), sa.ForeignKey("deadlines.id"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("case_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("evidence_requests")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("lateness")
