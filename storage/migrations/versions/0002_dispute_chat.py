"""The shared dispute chat and what follows: chats, pending inputs, proposals, obligations,
blind bidding, and the case's mediator.

Handwritten to match `storage/tables.py` exactly (tests compare the two). SQLite cannot add a
foreign key with ALTER TABLE ... ADD CONSTRAINT, but it accepts one written on the new column
itself, and drops such a column again with ALTER TABLE ... DROP COLUMN (SQLite 3.35+), so no
table is rebuilt.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _add_mediator_column() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE cases ADD COLUMN mediator_id BIGINT"
            " CONSTRAINT fk_cases_mediator_id_users REFERENCES users (id)"
        )
    else:
        op.add_column("cases", sa.Column("mediator_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            "fk_cases_mediator_id_users", "cases", "users", ["mediator_id"], ["id"]
        )
    op.create_index("ix_cases_mediator_id", "cases", ["mediator_id"])


def upgrade() -> None:
    _add_mediator_column()

    op.create_table(
        "case_chats",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("can_record", sa.Boolean(), nullable=False),
        sa.Column("bound_by", sa.BigInteger(), nullable=False),
        sa.Column("bound_at", TZ, nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("status IN ('bound', 'left')", name="ck_case_chats_status"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_chats_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_chats"),
        sa.UniqueConstraint("chat_id", name="uq_case_chats_chat_id"),
    )

    op.create_table(
        "pending_inputs",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_pending_inputs_case_id_cases"),
        sa.PrimaryKeyConstraint("user_id", "chat_id", name="pk_pending_inputs"),
    )
    op.create_index("ix_pending_inputs_case_id", "pending_inputs", ["case_id"])

    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("author_role", sa.String(16), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'superseded', 'accepted', 'rejected', 'withdrawn')",
            name="ck_proposals_status",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_proposals_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["proposals.id"], name="fk_proposals_superseded_by_proposals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_proposals"),
        sa.UniqueConstraint("case_id", "number", name="uq_proposals_case_id_number"),
    )
    op.create_index("ix_proposals_case_id_status", "proposals", ["case_id", "status"])

    op.create_table(
        "obligations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("party_role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("amount", sa.String(40), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_at", TZ, nullable=True),
        sa.Column("done_by", sa.BigInteger(), nullable=True),
        sa.Column("proof_evidence_number", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", TZ, nullable=True),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("disputed_at", TZ, nullable=True),
        sa.Column("disputed_by", sa.BigInteger(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'confirmed', 'disputed')",
            name="ck_obligations_status",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_obligations_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_obligations_proposal_id_proposals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_obligations"),
        sa.UniqueConstraint("case_id", "number", name="uq_obligations_case_id_number"),
    )

    op.create_table(
        "blind_biddings",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("offered_by_role", sa.String(16), nullable=False),
        sa.Column("buyer_opted_in", sa.Boolean(), nullable=False),
        sa.Column("supplier_opted_in", sa.Boolean(), nullable=False),
        sa.Column("rounds_done", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'active', 'settled', 'exhausted', 'declined')",
            name="ck_blind_biddings_status",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_blind_biddings_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", name="pk_blind_biddings"),
    )

    op.create_table(
        "bid_rounds",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("round_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("buyer_bid", sa.String(40), nullable=True),
        sa.Column("supplier_bid", sa.String(40), nullable=True),
        sa.Column("midpoint", sa.String(40), nullable=True),
        sa.Column("buyer_midpoint_answer", sa.Boolean(), nullable=True),
        sa.Column("supplier_midpoint_answer", sa.Boolean(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('collecting', 'settled', 'offer_midpoint', 'no_overlap',"
            " 'midpoint_accepted', 'midpoint_declined')",
            name="ck_bid_rounds_status",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["blind_biddings.case_id"], name="fk_bid_rounds_case_id_blind_biddings"
        ),
        sa.PrimaryKeyConstraint("case_id", "round_no", name="pk_bid_rounds"),
    )


def downgrade() -> None:
    for table in (
        "bid_rounds",
        "blind_biddings",
        "obligations",
        "proposals",
        "pending_inputs",
        "case_chats",
    ):
        op.drop_table(table)
    op.drop_index("ix_cases_mediator_id", table_name="cases")
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("fk_cases_mediator_id_users", "cases", type_="foreignkey")
    op.drop_column("cases", "mediator_id")
