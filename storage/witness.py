"""Witnessed heads: the history's head posted to the parties at every milestone, and recorded.

Anyone with database access can rewrite a case's history and recompute every hash after the
change; the chain alone cannot show that. So at each milestone (filed, settled, decided, closed)
the bot posts the chain's head (event count and last hash) in the dispute chat and to each
party, in the milestone's own transaction and outbox: the parties keep it outside our
database, and `disputebot verify` checks the chain against it (`witnessed_heads` says where it
was posted).

Storage renders no text: the flows register how the notice reads for a database
(`register_head_news`, done by `bot/app.py` with the service's catalogs). A database with no
renderer (a bare storage test) posts and records nothing at its milestones.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from weakref import WeakKeyDictionary

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import Pool

from flows.rules.lifecycle import Action, CaseState
from storage.records import Case, ChatStatus, User
from storage.repos.base import BEFORE_COMMIT, Repo
from storage.repos.outbox import OutboxMessage, enqueue
from storage.rows import case_from_row, user_from_row
from storage.tables import case_chats, cases, history_events, users, witnessed_heads

__all__ = [
    "HeadNews",
    "HeadNotice",
    "Milestone",
    "WitnessRepo",
    "WitnessedHead",
    "milestone_of",
    "note_milestone",
    "register_head_news",
    "witness_head",
    "witnessed_rows",
]


class Milestone(StrEnum):
    FILED = "filed"
    SETTLED = "settled"
    DECIDED = "decided"
    CLOSED = "closed"


@dataclass(frozen=True)
class HeadNotice:
    """What a head notice says and to whom, read inside the milestone's transaction."""

    case_id: int
    number: int | None
    milestone: Milestone
    seq: int  # the number of events so far
    hash: str  # the hash of event `seq`
    chat_id: int | None  # the bound dispute chat
    chat_readers: list[User | None]  # every participant (the chat's languages)
    parties: list[tuple[int, str, User | None]]  # (user id, role, user) of each party


@dataclass(frozen=True)
class WitnessedHead:
    case_id: int
    seq: int
    hash: str
    milestone: str
    witnessed_at: datetime
    chat_id: int
    audience: str  # "chat", "buyer" or "supplier"


# The rows of a notice: the shared chat's copy (`shared`) and one per party (by chat id).
HeadNews = Callable[[HeadNotice], Sequence[OutboxMessage]]

# By the engine's connection pool, which every engine a Database's repositories use shares:
# each Database (a test's, a worker's) posts in its own service's words, or not at all.
_renderers: WeakKeyDictionary[Pool, HeadNews] = WeakKeyDictionary()


def register_head_news(engine: AsyncEngine, render: HeadNews | None) -> None:
    """How head notices of the database on `engine` read (None: post none)."""
    if render is None:
        _renderers.pop(engine.sync_engine.pool, None)
    else:
        _renderers[engine.sync_engine.pool] = render


def milestone_of(action: Action, before: Case, target: CaseState) -> Milestone | None:
    """The milestone a transition reaches, if any: a filing, or entering settled, decided or
    closed (a draft that is abandoned closes no filed case)."""
    if action is Action.SUBMIT:
        return Milestone.FILED
    if target is before.state or before.number is None:
        return None
    return {
        CaseState.SETTLED: Milestone.SETTLED,
        CaseState.DECIDED: Milestone.DECIDED,
        CaseState.CLOSED: Milestone.CLOSED,
    }.get(target)


class _Pending:
    """The milestones a transaction reached, witnessed when it is about to commit: so the head
    covers everything the step writes (a settlement's obligations after its transition) and
    the notice follows the step's own news in every chat."""

    def __init__(self) -> None:
        self.milestones: dict[int, tuple[Milestone, datetime]] = {}

    async def __call__(self, conn: AsyncConnection) -> None:
        for case_id, (milestone, now) in self.milestones.items():
            row = (await conn.execute(select(cases).where(cases.c.id == case_id))).mappings().one()
            await witness_head(conn, case_from_row(row), milestone, now)


def note_milestone(
    conn: AsyncConnection, case_id: int, milestone: Milestone, now: datetime
) -> None:
    """Witness the head of `case_id` at the end of the caller's write transaction (the last
    milestone of a case in one transaction names it)."""
    if conn.sync_engine.pool not in _renderers:
        return
    hooks = conn.info.setdefault(BEFORE_COMMIT, [])
    pending = next((hook for hook in hooks if isinstance(hook, _Pending)), None)
    if pending is None:
        pending = _Pending()
        hooks.append(pending)
    pending.milestones[case_id] = (milestone, now)


async def witness_head(
    conn: AsyncConnection, case: Case, milestone: Milestone, now: datetime
) -> builtins.list[OutboxMessage]:
    """Queue the head notice of `case` (as the transition left it) and record each posting,
    inside the milestone's transaction."""
    render = _renderers.get(conn.sync_engine.pool)
    if render is None:
        return []
    head = (
        (
            await conn.execute(
                select(history_events.c.seq, history_events.c.hash)
                .where(history_events.c.case_id == case.id)
                .order_by(history_events.c.seq.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    if head is None:
        return []
    chat_id = await conn.scalar(
        select(case_chats.c.chat_id).where(
            case_chats.c.case_id == case.id, case_chats.c.status == ChatStatus.BOUND
        )
    )
    people = [uid for uid in (case.buyer_id, case.supplier_id, case.mediator_id) if uid]
    found = {
        int(row["id"]): user_from_row(row)
        for row in (await conn.execute(select(users).where(users.c.id.in_(people)))).mappings()
    }
    roles = [("buyer", case.buyer_id), ("supplier", case.supplier_id)]
    notice = HeadNotice(
        case_id=case.id,
        number=case.number,
        milestone=milestone,
        seq=int(head["seq"]),
        hash=str(head["hash"]),
        chat_id=None if chat_id is None else int(chat_id),
        chat_readers=[found.get(uid) for uid in people],
        parties=[(uid, role, found.get(uid)) for role, uid in roles if uid is not None],
    )
    messages = list(render(notice))
    audience = {uid: role for uid, role, _ in notice.parties}
    await enqueue(conn, messages, now)
    for message in messages:
        await conn.execute(
            insert(witnessed_heads).values(
                case_id=case.id,
                seq=notice.seq,
                hash=notice.hash,
                milestone=milestone.value,
                witnessed_at=now,
                chat_id=message.chat_id,
                audience="chat" if message.shared else audience.get(message.chat_id, "other"),
            )
        )
    return messages


async def witnessed_rows(conn: AsyncConnection, case_id: int) -> builtins.list[WitnessedHead]:
    """The heads posted for the case, oldest first, inside the caller's transaction."""
    result = await conn.execute(
        select(witnessed_heads)
        .where(witnessed_heads.c.case_id == case_id)
        .order_by(witnessed_heads.c.seq, witnessed_heads.c.id)
    )
    return [
        WitnessedHead(
            case_id=int(row["case_id"]),
            seq=int(row["seq"]),
            hash=str(row["hash"]),
            milestone=str(row["milestone"]),
            witnessed_at=row["witnessed_at"],
            chat_id=int(row["chat_id"]),
            audience=str(row["audience"]),
        )
        for row in result.mappings()
    ]


class WitnessRepo(Repo):
    """The heads the bot posted, for `verify`."""

    async def list(self, case_id: int) -> builtins.list[WitnessedHead]:
        async with self._read() as conn:
            return await witnessed_rows(conn, case_id)
