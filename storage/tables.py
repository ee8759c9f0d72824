"""The schema, written once: every table storage uses, as SQLAlchemy Core metadata.

The migrations under `storage/migrations/versions` create exactly these tables (a test compares
the migrated database with this metadata). Change both together.

Telegram user ids are BigInteger. Enum values from the case rules (states, roles, deadline
kinds) are stored as their string values so a new value needs no schema change.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import JSONDocument, UTCDateTime

__all__ = [
    "cases",
    "deadlines",
    "drafts",
    "evidence",
    "history_events",
    "invite_tokens",
    "metadata",
    "users",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # Telegram user id
    Column("first_name", Text, nullable=False),
    Column("username", Text, nullable=True),
    Column("telegram_language", String(16), nullable=True),
    Column("language", String(16), nullable=True),  # explicit choice only
    Column("timezone", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("buyer_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("supplier_id", BigInteger, ForeignKey("users.id"), nullable=True),
    Column("state", String(32), nullable=False),
    Column("previous_state", String(32), nullable=True),
    Column("claim", JSONDocument, nullable=False),
    Column("category", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_activity_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index(None, "buyer_id"),
    Index(None, "supplier_id"),
    Index(None, "state"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, nullable=False),
    Column("step", String(64), nullable=False),
    Column("answers", JSONDocument, nullable=False),
    Column("back_stack", JSONDocument, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "user_id"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("number", Integer, nullable=False),  # E1, E2, ... within the case
    Column("submitter_id", BigInteger, nullable=False),
    Column("submitter_role", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("label", Text, nullable=False),
    Column("tag", String(32), nullable=False),
    Column("text", Text, nullable=True),
    Column("telegram_file_id", Text, nullable=True),
    Column("telegram_file_unique_id", Text, nullable=True),
    Column("file_name", Text, nullable=True),
    Column("mime_type", Text, nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("stored_path", Text, nullable=True),
    Column("mediator_only", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stored_at", UTCDateTime, nullable=True),
    Column("removed_at", UTCDateTime, nullable=True),
    UniqueConstraint("case_id", "number"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("next_reminder_at", UTCDateTime, nullable=True),
    Column("reminders_sent", Integer, nullable=False),
    Column("reminder_times", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'met', 'cancelled', 'fired')", name="status"),
    Index(None, "case_id"),
    Index(None, "status", "due_at"),
    Index(None, "status", "next_reminder_at"),
)

history_events = Table(
    "history_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # 1..n within the case
    Column("actor_id", BigInteger, nullable=True),
    Column("actor_role", String(16), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq"),
)

invite_tokens = Table(
    "invite_tokens",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_by", BigInteger, nullable=True),
    Column("used_at", UTCDateTime, nullable=True),
    Index(None, "case_id"),
)
