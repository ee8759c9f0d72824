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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from storage.types import JSONDocument, UTCDateTime

__all__ = [
    "bid_rounds",
    "blind_biddings",
    "case_chats",
    "cases",
    "chat_invite_links",
    "counters",
    "deadlines",
    "decisions",
    "drafts",
    "evidence",
    "evidence_blobs",
    "handled_updates",
    "history_events",
    "invite_tokens",
    "metadata",
    "obligations",
    "outbox",
    "pending_inputs",
    "pool_posts",
    "proposals",
    "ratings",
    "users",
    "witnessed_heads",
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
    Column("mediator_id", BigInteger, ForeignKey("users.id"), nullable=True),  # 0002
    Column("invited_at", UTCDateTime, nullable=True),  # 0003: the supplier's clock started
    Column("closed_reason", String(16), nullable=True),  # 0003: a ClosingReason
    # 0008: the number people see, given when the claim is filed (`counters`); a draft has none
    Column("number", Integer, nullable=True),
    # 0015: when the decision in force was issued (the reconsideration window runs from it),
    # and how many reconsiderations were accepted (once per case, by either party)
    Column("decided_at", UTCDateTime, nullable=True),
    Column("reconsiderations", Integer, nullable=False, default=0, server_default="0"),
    Index(None, "number", unique=True),
    Index(None, "buyer_id"),
    Index(None, "supplier_id"),
    Index(None, "state"),
    Index(None, "mediator_id"),
    Index(None, "closed_at"),  # the sweep's rating questions: recently closed cases (0019)
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
    # Before 0010: the file's path on the machine that stored it; `disputebot migrate` moves
    # the file into the evidence store and clears it. New rows never set it.
    Column("stored_path", Text, nullable=True),
    Column("store_key", String(64), nullable=True),  # 0010: the file's key in the store
    Column("mediator_only", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("stored_at", UTCDateTime, nullable=True),
    Column("removed_at", UTCDateTime, nullable=True),
    # A screenshot of an outside chat, answered by the other party (migration 0012):
    Column("authenticity", String(16), nullable=True),  # "confirmed" / "disputed"
    Column("authenticity_by", BigInteger, nullable=True),
    Column("authenticity_at", UTCDateTime, nullable=True),
    Column("authenticity_reason", Text, nullable=True),
    # 0014: an item that answered a request for evidence after its deadline: "late" until the
    # mediator accepts it ("accepted") or leaves it out ("left_out"); NULL for every other item.
    Column("lateness", String(16), nullable=True),
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
    Column("revoked_at", UTCDateTime, nullable=True),  # 0003
    Column("revoked_reason", String(16), nullable=True),  # 0003: storage.access.RevokeReason
    Index(None, "case_id"),
)

# ---------------------------------------------------------------- 0002: the dispute chat and after

case_chats = Table(
    "case_chats",
    metadata,
    # One row per case: a case that lost its chat may bind another, which replaces the row.
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, nullable=False),  # Telegram chat id (negative for groups)
    Column("status", String(16), nullable=False),
    Column("can_record", Boolean, nullable=False),
    Column("bound_by", BigInteger, nullable=False),
    Column("bound_at", UTCDateTime, nullable=False),
    Column("title", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    # 0003: the basic group's id, once Telegram upgraded it to the supergroup in chat_id; what
    # was said there and reaches the bot only after the move still belongs to the case.
    Column("former_chat_id", BigInteger, nullable=True),
    CheckConstraint("status IN ('bound', 'left')", name="status"),
    UniqueConstraint("chat_id"),
    Index(None, "former_chat_id", unique=True),
)

pending_inputs = Table(
    "pending_inputs",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("step", String(64), nullable=False),
    Column("data", JSONDocument, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "case_id"),
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("number", Integer, nullable=False),  # P1, P2, ... within the case
    Column("author_id", BigInteger, nullable=False),
    Column("author_role", String(16), nullable=False),
    Column("terms", JSONDocument, nullable=False),  # flows.rules.proposals.Proposal.to_dict()
    Column("status", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", BigInteger, nullable=True),
    Column("superseded_by", Integer, ForeignKey("proposals.id"), nullable=True),
    CheckConstraint(
        "status IN ('open', 'superseded', 'accepted', 'rejected', 'withdrawn')", name="status"
    ),
    UniqueConstraint("case_id", "number"),
    Index(None, "case_id", "status"),
)

obligations = Table(
    "obligations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=True),
    Column("number", Integer, nullable=False),  # 1, 2, ... within the case
    Column("party_role", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("amount", String(40), nullable=True),  # a Decimal as text: exact on both databases
    Column("currency", String(3), nullable=True),
    Column("due_at", UTCDateTime, nullable=False),
    Column("details", JSONDocument, nullable=False),
    Column("status", String(16), nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    Column("done_by", BigInteger, nullable=True),
    Column("proof_evidence_number", Integer, nullable=True),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("confirmed_by", BigInteger, nullable=True),
    Column("disputed_at", UTCDateTime, nullable=True),
    Column("disputed_by", BigInteger, nullable=True),
    Column("dispute_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # 0015: the decision that states it (NULL for a settlement's, which name their proposal)
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=True),
    CheckConstraint(
        "status IN ('pending', 'done', 'confirmed', 'disputed', 'cancelled')", name="status"
    ),
    UniqueConstraint("case_id", "number"),
)

# 0015: a mediator's binding decisions, D1, D2, ... per case; a reconsideration's decision
# replaces the one in force (`replaces`), whose status becomes "replaced".
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("mediator_id", BigInteger, ForeignKey("users.id"), nullable=False),
    Column("outcome", String(16), nullable=False),  # "terms" or "dismissal"
    Column("terms", JSONDocument, nullable=True),  # flows.rules.proposals.Proposal.to_dict()
    Column("reasons", Text, nullable=False),
    Column("cited", JSONDocument, nullable=False),  # the evidence numbers the reasons cite
    Column("no_evidence", Boolean, nullable=False),  # the reasons say why no evidence applies
    Column("created_at", UTCDateTime, nullable=False),
    Column("replaces", Integer, ForeignKey("decisions.id"), nullable=True),
    Column("status", String(16), nullable=False),
    CheckConstraint("outcome IN ('terms', 'dismissal')", name="outcome"),
    CheckConstraint("status IN ('in_force', 'replaced')", name="status"),
    UniqueConstraint("case_id", "number"),
)

blind_biddings = Table(
    "blind_biddings",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("offered_by_role", String(16), nullable=False),
    Column("buyer_opted_in", Boolean, nullable=False),
    Column("supplier_opted_in", Boolean, nullable=False),
    Column("rounds_done", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "status IN ('offered', 'active', 'settled', 'exhausted', 'declined')", name="status"
    ),
)

bid_rounds = Table(
    "bid_rounds",
    metadata,
    Column(
        "case_id",
        Integer,
        ForeignKey("blind_biddings.case_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("round_no", Integer, primary_key=True, autoincrement=False),
    Column("status", String(24), nullable=False),
    # The private figures, as Decimal text. Only BidRepo._figures reads them.
    Column("buyer_bid", String(40), nullable=True),
    Column("supplier_bid", String(40), nullable=True),
    Column("midpoint", String(40), nullable=True),
    Column("buyer_midpoint_answer", Boolean, nullable=True),
    Column("supplier_midpoint_answer", Boolean, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    CheckConstraint(
        "status IN ('collecting', 'settled', 'offer_midpoint', 'no_overlap',"
        " 'midpoint_accepted', 'midpoint_declined')",
        name="status",
    ),
)

# ---------------------------------------------------------------- 0003: the chat links the bot made

chat_invite_links = Table(
    "chat_invite_links",
    metadata,
    # Every one-time link into a dispute chat, so that it can be revoked on Telegram when a
    # newer one replaces it, when someone else used it, or when the case closes.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),  # the party it was made for
    Column("invite_link", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_by", BigInteger, nullable=True),
    Column("used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('live', 'used', 'revoked')", name="status"),
    UniqueConstraint("invite_link"),
    Index(None, "case_id", "status"),
)

handled_updates = Table(
    "handled_updates",
    metadata,
    # The update ledger (storage/ledger.py): a Telegram update handled with effects, written in
    # the same transaction as its first effect, so a re-delivered copy changes nothing.
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("handled_at", UTCDateTime, nullable=False),
    Index(None, "handled_at"),  # pruning: Telegram keeps an unconfirmed update 24 hours
)

# ---------------------------------------------------------------- 0007: messages still to be sent

outbox = Table(
    "outbox",
    metadata,
    # Every message about a change of a case, written in the change's own transaction and
    # delivered from here (flows/outbox.py), so a crash between the commit and the send loses
    # nothing. `message_id` marks a delivered row: it is never sent again.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("dedupe_key", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Column("buttons", JSONDocument, nullable=True),  # [[[label, data], ...], ...]
    Column("shared", Boolean, nullable=False),  # the dispute chat, not one reader privately
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("message_id", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
    UniqueConstraint("dedupe_key"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "chat_id", "status"),
)

# ---------------------------------------------------------------- 0008: numbers of filed cases

counters = Table(
    "counters",
    metadata,
    # Named sequences that commit with the step using them: `case_number` is the last number
    # given to a filed case (storage/repos/transitions.py: `next_case_number`). A row, not a
    # database sequence, so that a filing rolled back gives its number back: no gaps.
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

# ---------------------------------------------------------------- 0009: messages carrying buttons

button_messages = Table(
    "button_messages",
    metadata,
    # Every message the bot sent (or edited) with inline buttons, and its buttons now, so that
    # buttons that no longer apply (an accepted proposal, an answered invitation, a closed case's
    # obligations) can be taken off it (bot/buttons_off.py), also after a restart. A row goes
    # once its message has no button left that could apply.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("buttons", JSONDocument, nullable=False),  # [[[label, data], ...], ...]
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("chat_id", "message_id"),
    # 0016: the case the buttons are about (NULL: recorded before 0016), so that the pass after
    # an update reads only the messages of the cases it touched
    Column("case_id", Integer, nullable=True),
    Index(None, "case_id"),
)

# ---------------------------------------------------------------- 0010: the evidence store

evidence_blobs = Table(
    "evidence_blobs",
    metadata,
    # The evidence files themselves when EVIDENCE_STORE is `database:` (flows/evidence_store.py):
    # content-addressed, the key is the SHA-256 of `data`; written once, never changed.
    Column("key", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

pool_posts = Table(  # 0011: an escalated case's post in the mediators' staff chat
    "pool_posts",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=True),  # its forum topic, when the chat is a forum
    Column("message_id", BigInteger, nullable=True),
    Column("posted_at", UTCDateTime, nullable=True),
    Column("case_version", Integer, nullable=True),  # older than the case's: a post is owed
)

proposal_acceptances = Table(  # 0013: each party's acceptance of a mediator's proposal
    "proposal_acceptances",
    metadata,
    # A mediator's proposal settles only once both parties accepted it: the first acceptance
    # is kept here (one row per party and proposal), the second settles the case.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", Integer, ForeignKey("proposals.id"), nullable=False),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("party_role", String(16), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("accepted_at", UTCDateTime, nullable=False),
    UniqueConstraint("proposal_id", "party_role"),
)

evidence_requests = Table(  # 0014: the mediator asks a party for evidence by a date (R1, R2...)
    "evidence_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("number", Integer, nullable=False),  # R1, R2, ... within the case
    Column("mediator_id", BigInteger, nullable=False),
    Column("party_role", String(16), nullable=False),
    Column("what", Text, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("deadline_id", Integer, ForeignKey("deadlines.id"), nullable=True),
    Column("status", String(16), nullable=False),  # open / met / lapsed
    Column("answers", JSONDocument, nullable=False),  # the evidence numbers that answered it
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    UniqueConstraint("case_id", "number"),
)

ratings = Table(  # 0017: each party's rating of the process, asked once after the case closed
    "ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("party_role", String(16), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("asked_at", UTCDateTime, nullable=False),  # the question queued (once)
    Column("score", Integer, nullable=True),  # 1-5; the first press counts
    Column("rated_at", UTCDateTime, nullable=True),
    Column("comment", Text, nullable=True),
    Column("comment_done", Boolean, nullable=False),  # a comment given or skipped
    CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score"),
    UniqueConstraint("case_id", "party_role"),
)

witnessed_heads = Table(  # 0018: the chain's head as the bot posted it at a milestone
    "witnessed_heads",
    metadata,
    # The posted message is what the parties hold outside our database; this row says that it
    # was posted (and where), so `disputebot verify` can check the chain against it.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),  # the event count at the milestone
    Column("hash", String(64), nullable=False),  # the hash of event `seq`
    Column("milestone", String(16), nullable=False),  # filed, settled, decided, closed
    Column("witnessed_at", UTCDateTime, nullable=False),
    Column("chat_id", BigInteger, nullable=False),  # where it was posted
    Column("audience", String(16), nullable=False),  # "chat", or the party's role
    Index(None, "case_id"),
)
