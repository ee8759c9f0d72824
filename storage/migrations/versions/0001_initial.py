"""Initial schema: users, cases, drafts, evidence, deadlines, history events, invite tokens.

Handwritten to match `storage/tables.py` exactly (tests compare the two). History events are
append-only, enforced by the database: triggers abort every UPDATE and DELETE on them.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)

_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER history_events_no_update BEFORE UPDATE ON history_events
    BEGIN SELECT RAISE(ABORT, 'history_events is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER history_events_no_delete BEFORE DELETE ON history_events
    BEGIN SELECT RAISE(ABORT, 'history_events is append-only: DELETE refused'); END
    """,
)

_POSTGRES_TRIGGERS = (
    """
    CREATE FUNCTION history_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'history_events is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER history_events_no_update_delete BEFORE UPDATE OR DELETE ON history_events
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only()
    """,
    """
    CREATE TRIGGER history_events_no_truncate BEFORE TRUNCATE ON history_events
    FOR EACH STATEMENT EXECUTE FUNCTION history_events_append_only()
    """,
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("telegram_language", sa.String(16), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("previous_state", sa.String(32), nullable=True),
        sa.Column("claim", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("submitted_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("last_activity_at", TZ, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name="fk_cases_buyer_id_users"),
        sa.ForeignKeyConstraint(["supplier_id"], ["users.id"], name="fk_cases_supplier_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_buyer_id", "cases", ["buyer_id"])
    op.create_index("ix_cases_supplier_id", "cases", ["supplier_id"])
    op.create_index("ix_cases_state", "cases", ["state"])

    op.create_table(
        "drafts",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("back_stack", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_drafts_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", name="pk_drafts"),
    )
    op.create_index("ix_drafts_user_id", "drafts", ["user_id"])

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("submitter_id", sa.BigInteger(), nullable=False),
        sa.Column("submitter_role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("telegram_file_id", sa.Text(), nullable=True),
        sa.Column("telegram_file_unique_id", sa.Text(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("stored_path", sa.Text(), nullable=True),
        sa.Column("mediator_only", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("stored_at", TZ, nullable=True),
        sa.Column("removed_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_evidence_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.UniqueConstraint("case_id", "number", name="uq_evidence_case_id_number"),
    )

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_reminder_at", TZ, nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("reminder_times", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("closed_at", TZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'met', 'cancelled', 'fired')", name="ck_deadlines_status"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_deadlines_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
    )
    op.create_index("ix_deadlines_case_id", "deadlines", ["case_id"])
    op.create_index("ix_deadlines_status_due_at", "deadlines", ["status", "due_at"])
    op.create_index(
        "ix_deadlines_status_next_reminder_at", "deadlines", ["status", "next_reminder_at"]
    )

    op.create_table(
        "history_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_history_events_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_history_events"),
        sa.UniqueConstraint("case_id", "seq", name="uq_history_events_case_id_seq"),
    )

    op.create_table(
        "invite_tokens",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_invite_tokens_case_id_cases"),
        sa.PrimaryKeyConstraint("token", name="pk_invite_tokens"),
    )
    op.create_index("ix_invite_tokens_case_id", "invite_tokens", ["case_id"])

    triggers = (
        _POSTGRES_TRIGGERS if op.get_context().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS history_events_no_truncate ON history_events")
        op.execute("DROP TRIGGER IF EXISTS history_events_no_update_delete ON history_events")
        op.execute("DROP FUNCTION IF EXISTS history_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS history_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS history_events_no_delete")
    for table in (
        "invite_tokens",
        "history_events",
        "deadlines",
        "evidence",
        "drafts",
        "cases",
        "users",
    ):
        op.drop_table(table)
