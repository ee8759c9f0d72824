"""`GET /healthz`: the process is up and its database answers.

A load balancer or orchestrator takes a worker whose database does not answer out of rotation
(503) rather than letting Telegram's updates fail there; the check is one `SELECT 1`, bounded
by `TIMEOUT` so a hung connection counts as down.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from flows.services import Services

__all__ = ["TIMEOUT", "Health", "check"]

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds


@dataclass(frozen=True)
class Health:
    ok: bool
    database: str  # "ok", "starting", or why it is unreachable

    def as_json(self) -> dict[str, str]:
        return {"status": "ok" if self.ok else "unavailable", "database": self.database}


async def check(services: Services | None) -> Health:
    """The worker's health; `services` is None until start-up opened the database."""
    if services is None:
        return Health(False, "starting")
    try:
        async with asyncio.timeout(TIMEOUT):
            await services.db.ping()
    except Exception as exc:
        reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        log.warning("health check: the database is unreachable: %s", reason)
        return Health(False, f"unreachable ({exc.__class__.__name__})")
    return Health(True, "ok")
