"""The mediator's binding decisions and their reconsideration (issue 9, parts 2 and 3).

`decisions`: D1, D2, ... per case, with the outcome (terms or a dismissal of the claim), the
reasons and the evidence they cite; a reconsideration's decision replaces the one in force.
`obligations.decision_id` names the decision that states an obligation, and an obligation of
a replaced decision not yet confirmed becomes "cancelled". `cases.decided_at` is when the
decision in force was issued (the reconsideration window runs from it) and
`cases.reconsiderations` how many requests were accepted.

Handwritten to match `storage/tables.py` (tests compare the two). The merge chains it after
0013 (the arbitration round); on this branch it follows 0012.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('pending', 'done', 'confirmed', 'disputed')"
NEW_STATUSES = "status IN ('pending', 'done', 'confirmed', 'disputed', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("mediator_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("cited", sa.JSON(), nullable=False),
        sa.Column("no_evidence", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaces", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.CheckConstraint("outcome IN ('terms', 'dismissal')", name="ck_decisions_outcome"),
        sa.CheckConstraint("status IN ('in_force', 'replaced')", name="ck_decisions_status"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_decisions_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["users.id"], name="fk_decisions_mediator_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["replaces"], ["decisions.id"], name="fk_decisions_replaces_decisions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.UniqueConstraint("case_id", "number", name="uq_decisions_case_id_number"),
    )
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_obligations_decision_id_decisions", "decisions", ["decision_id"], ["id"]
        )
        batch.drop_constraint("ck_obligations_status", type_="check")
        batch.create_check_constraint("ck_obligations_status", NEW_STATUSES)
    # Plain ADD COLUMN (no table copy): older downgrades drop columns of `cases` in place.
    op.add_column("cases", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "cases",
        sa.Column("reconsiderations", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("cases", "reconsiderations")
    op.drop_column("cases", "decided_at")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_constraint("ck_obligations_status", type_="check")
        batch.create_check_constraint("ck_obligations_status", OLD_STATUSES)
        batch.drop_constraint("fk_obligations_decision_id_decisions", type_="foreignkey")
        batch.drop_column("decision_id")
    op.drop_table("decisions")
