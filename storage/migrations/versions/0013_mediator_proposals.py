"""A mediator's settlement proposal needs both parties' acceptance (issue 9, part 2).

`proposal_acceptances` keeps each party's acceptance of a mediator's proposal (one row per
party and proposal, unique): the first is recorded and announced, the second settles the case.
The proposal itself is an ordinary `proposals` row (author_role "mediator", source
"mediator").

Handwritten to match `storage/tables.py` (tests compare the two).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposal_acceptances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("party_role", sa.String(16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "proposal_id", "party_role", name="uq_proposal_acceptances_proposal_id_party_role"
        ),
    )


def downgrade() -> None:
    op.drop_table("proposal_acceptances")
