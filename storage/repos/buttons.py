"""Which sent message carries which buttons now (`button_messages`).

The bot's client records every message it sends or edits with inline buttons
(`bot/telegram_bot.py`); `bot/buttons_off.py` reads the record, decides from the database which
buttons no longer apply and edits them off. These writes are bookkeeping about Telegram, not an
effect of the update being handled, so they never take the update's ledger row (`ledger=False`).

Each row names the case its buttons are about (migration 0016), so that the pass after an update
reads only the messages that update could have made stale (`scoped`), not every one (`all`).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select

from flows.rules.lifecycle import CaseState
from storage.repos.base import Repo, dialect_insert
from storage.tables import button_messages, case_chats, cases

__all__ = ["ButtonMessage", "ButtonRepo", "CaseGlance", "Rows"]

GLANCE_CHUNK = 500  # ids per query (SQLite takes at most 32,766 parameters)

Rows = list[list[tuple[str, str]]]  # (label, callback data or link)


@dataclass(frozen=True)
class CaseGlance:
    """What the pass needs of a case: not its claim (thousands of them are read at start-up)."""

    id: int
    state: CaseState
    supplier_id: int | None


@dataclass(frozen=True)
class ButtonMessage:
    id: int
    chat_id: int
    message_id: int
    buttons: Rows


def _rows(value: object) -> Rows:
    assert isinstance(value, list)
    return [[(str(b[0]), str(b[1])) for b in line] for line in value]


class ButtonRepo(Repo):
    """Recording, reading and forgetting the buttons of sent messages."""

    async def record(
        self,
        chat_id: int,
        message_id: int,
        buttons: Sequence[Sequence[tuple[str, str]]],
        now: datetime,
        case_id: int | None = None,
    ) -> None:
        """The message now shows `buttons` (none: it is forgotten), about case `case_id`."""
        rows = [[list(b) for b in line] for line in buttons if line]
        if not rows:
            await self.forget(chat_id, message_id)
            return
        async with self._write(ledger=False) as conn:
            # one statement: a new message inserted, an edited one's buttons replaced
            insert = dialect_insert(conn, button_messages).values(
                chat_id=chat_id,
                message_id=message_id,
                buttons=rows,
                created_at=now,
                case_id=case_id,
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["chat_id", "message_id"],
                    set_={
                        "buttons": insert.excluded.buttons,
                        # an edit whose case is not known keeps the one recorded
                        "case_id": func.coalesce(
                            insert.excluded.case_id, button_messages.c.case_id
                        ),
                    },
                )
            )

    async def forget(self, chat_id: int, message_id: int) -> None:
        async with self._write(ledger=False) as conn:
            await conn.execute(
                delete(button_messages).where(
                    button_messages.c.chat_id == chat_id,
                    button_messages.c.message_id == message_id,
                )
            )

    async def all(self) -> builtins.list[ButtonMessage]:
        """Every recorded message, oldest first."""
        async with self._read() as conn:
            result = await conn.execute(select(button_messages).order_by(button_messages.c.id))
            return [
                ButtonMessage(row["id"], row["chat_id"], row["message_id"], _rows(row["buttons"]))
                for row in result.mappings()
            ]

    async def scoped(
        self, case_ids: Collection[int], user_ids: Collection[int], chat_ids: Collection[int]
    ) -> builtins.list[ButtonMessage]:
        """The recorded messages an update of these users in these chats may have made stale,
        oldest first: those about `case_ids`, about a case of one of the users (buyer, supplier
        or mediator) or of one of the chats, those in the chats, and those of unknown case."""
        of_users = select(cases.c.id).where(
            or_(
                cases.c.buyer_id.in_(user_ids),
                cases.c.supplier_id.in_(user_ids),
                cases.c.mediator_id.in_(user_ids),
            )
        )
        of_chats = select(case_chats.c.case_id).where(
            or_(case_chats.c.chat_id.in_(chat_ids), case_chats.c.former_chat_id.in_(chat_ids))
        )
        column = button_messages.c.case_id
        query = (
            select(button_messages)
            .where(
                or_(
                    column.in_(case_ids),
                    column.in_(of_users),
                    column.in_(of_chats),
                    column.is_(None),
                    button_messages.c.chat_id.in_(chat_ids),
                )
            )
            .order_by(button_messages.c.id)
        )
        async with self._read() as conn:
            result = await conn.execute(query)
            return [
                ButtonMessage(row["id"], row["chat_id"], row["message_id"], _rows(row["buttons"]))
                for row in result.mappings()
            ]

    async def get(self, chat_id: int, message_id: int) -> ButtonMessage | None:
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(button_messages).where(
                            button_messages.c.chat_id == chat_id,
                            button_messages.c.message_id == message_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            return ButtonMessage(
                row["id"], row["chat_id"], row["message_id"], _rows(row["buttons"])
            )

    async def case_glances(self, case_ids: Collection[int]) -> dict[int, CaseGlance]:
        """The state and supplier of these cases (an unknown id is left out), in one read."""
        found: dict[int, CaseGlance] = {}
        ids = sorted(set(case_ids))
        async with self._read() as conn:
            for start in range(0, len(ids), GLANCE_CHUNK):
                rows = await conn.execute(
                    select(cases.c.id, cases.c.state, cases.c.supplier_id).where(
                        cases.c.id.in_(ids[start : start + GLANCE_CHUNK])
                    )
                )
                for case_id, state, supplier_id in rows:
                    found[case_id] = CaseGlance(case_id, CaseState(state), supplier_id)
        return found
