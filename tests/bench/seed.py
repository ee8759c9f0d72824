"""Many open cases written straight into a migrated database, for the benchmarks of the sweep
(`tests/bench/sweep.py`) and of memory (`tests/bench/memory.py`).

Each case is filed and waits for its supplier's answer, as most open cases do: a buyer, the
claim, one pending deadline (due in days, its reminder in hours: none due now) and the message
with the buyer's "Invite the supplier" button recorded as the bot's client records it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from flows.buttons import InviteSupplier
from flows.callbacks import encode
from flows.rules.claim import Claim
from flows.rules.lifecycle import CaseState, DeadlineKind
from storage import Database
from storage.tables import button_messages, cases, deadlines, users

# Buyer n's Telegram id is BUYERS + n: the id of the n-th user a fresh sandbox makes, so the
# sandbox's first users are the seeded buyers (`tests/bench/memory.py`).
BUYERS = 100_000_000
CHUNK = 5_000


def claim(n: int) -> dict[str, Any]:
    """Claim n as filed (`Claim.record()`), as the bot reads it back."""
    return Claim.from_record(
        {
            "order_number": f"PO-2026-{n:06d}",
            "order_date": "2026-10-01",
            "product": "Stainless steel vacuum flasks, 500 ml, model VF-500",
            "quantity": 2000,
            "currency": "USD",
            "amount": "4250.00",
            "supplier_name": "Ningbo Example Housewares Co., Ltd.",
            "supplier_contact": "sales@example.com",
            "category": "quality_defect",
            "key_date": "2026-10-20",
            "description": "300 of 2000 flasks leak at the seal; photos and an inspection "
            "report are attached. The supplier has not answered for two weeks. " * 3,
            "outcome": "partial_refund",
            "outcome_amount": "540.00",
        }
    ).record()


async def seed(db: Database, count: int, now: datetime, *, buttons: bool = True) -> None:
    """`count` open cases with their deadline (and button message), in chunks."""
    async with db.engine.begin() as conn:
        for start in range(0, count, CHUNK):
            numbers = range(start + 1, min(count, start + CHUNK) + 1)
            await conn.execute(
                insert(users),
                [
                    {
                        "id": BUYERS + n,
                        "first_name": f"Buyer {n}",
                        "telegram_language": "en",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
            rows = (
                await conn.execute(
                    insert(cases).returning(cases.c.id),
                    [
                        {
                            "buyer_id": BUYERS + n,
                            "state": CaseState.AWAITING_SUPPLIER.value,
                            "claim": claim(n),
                            "category": "quality_defect",
                            "created_at": now,
                            "submitted_at": now,
                            "updated_at": now,
                            "last_activity_at": now,
                            "version": 2,
                            "invited_at": now,
                            "number": n,
                        }
                        for n in numbers
                    ],
                )
            ).scalars()
            ids = list(rows)
            await conn.execute(
                insert(deadlines),
                [
                    {
                        "case_id": case_id,
                        "kind": DeadlineKind.SUPPLIER_RESPONSE.value,
                        "started_at": now,
                        "due_at": now + timedelta(days=3, seconds=i % 3600),
                        "status": "pending",
                        "next_reminder_at": now + timedelta(hours=12, seconds=i % 3600),
                        "reminders_sent": 0,
                        "reminder_times": [],
                        "created_at": now,
                    }
                    for i, case_id in enumerate(ids)
                ],
            )
            if buttons:
                await conn.execute(
                    insert(button_messages),
                    [
                        {
                            "chat_id": BUYERS + n,
                            "message_id": 10,
                            "buttons": [[["Invite the supplier", encode(InviteSupplier(case_id))]]],
                            "created_at": now,
                            "case_id": case_id,
                        }
                        for n, case_id in zip(numbers, ids, strict=True)
                    ],
                )
