"""Logging that says which update and which case every line is about.

Handlers set the case they work on with `bind_case`; a filter stamps `update_id` and `case_id`
on every record. httpx is kept at WARNING because it logs request URLs, token included.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

update_id_var: ContextVar[int | None] = ContextVar("update_id", default=None)
case_id_var: ContextVar[int | None] = ContextVar("case_id", default=None)

FORMAT = "%(asctime)s %(levelname)s %(name)s [update=%(update_id)s case=%(case_id)s] %(message)s"


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = update_id_var.get() or "-"
        record.case_id = case_id_var.get() or "-"
        return True


def bind_update(update_id: int | None) -> None:
    update_id_var.set(update_id)
    case_id_var.set(None)


def bind_case(case_id: int | None) -> None:
    case_id_var.set(case_id)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
