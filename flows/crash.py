"""A test-only hook that kills the bot at a named moment, to prove nothing is lost by a crash.

`DISPUTEBOT_CRASH_AT=<point>` (read once, at import) makes `crash_point(<point>)` kill this
process with SIGKILL: no cleanup, no flush, exactly like the OOM killer or a power cut. Unset
(always, outside the crash tests), `crash_point` does nothing. The points:

- `outbox.after_commit`: a change and its news are committed, nothing is sent yet (any flow;
  `outbox.after_commit:<step>` for one: `filed`, `joined`, `settled`, `proposed`);
- `proposal.in_transaction`: a proposal (with a counter-proposal's response and the builder
  it was made in) is written, but the transaction has not committed;
- `sweep.reminder_committed`: a reminder is marked sent and queued, nothing is sent yet;
- `sweep.deadline_in_transaction`: a due deadline is claimed and its outcome applied, but the
  transaction has not committed.

`hold_point(<point>)` is the in-process twin for tests that must act in a moment rather than
die there: a test installs a coroutine with `holding(<point>, hold)` and the code awaits it at
that point (nothing installed: nothing happens). The points:

- `sweep.deadline_claimed`: the sweep took a due deadline and read its case, and is about to
  apply the outcome (a party who acts now keeps their action: the outcome is not applied).

`DISPUTEBOT_CLOCK_OFFSET_SECONDS` (test-only too) runs `disputebot run` that far ahead of the
wall clock, so a crash test can bring a bot process to a reminder or a due deadline without
waiting days. Unset, the bot runs on the plain wall clock.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flows.clock import Clock, SystemClock

log = logging.getLogger(__name__)

CRASH_AT = os.environ.get("DISPUTEBOT_CRASH_AT", "")
CLOCK_OFFSET = "DISPUTEBOT_CLOCK_OFFSET_SECONDS"


def crash_point(name: str, step: str = "") -> None:
    """Die here, at once, when the crash tests asked for this point (or this step of it)."""
    if CRASH_AT and (name == CRASH_AT or (step and f"{name}:{step}" == CRASH_AT)):
        log.warning("crash point %s reached: killing the process", CRASH_AT)
        os.kill(os.getpid(), signal.SIGKILL)


Hold = Callable[[], Awaitable[None]]
_holds: dict[str, Hold] = {}


async def hold_point(name: str) -> None:
    """Wait here for the test that installed a hold at this point (see the module docstring)."""
    hold = _holds.get(name)
    if hold is not None:
        await hold()


@contextmanager
def holding(name: str, hold: Hold) -> Iterator[None]:
    """Install `hold` at the point `name` for the block (tests only)."""
    _holds[name] = hold
    try:
        yield
    finally:
        del _holds[name]


class OffsetClock(SystemClock):
    """The wall clock, moved by a fixed offset (crash tests only)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + self.offset


def run_clock() -> Clock:
    """The clock `disputebot run` uses: the wall clock, unless a crash test moved it."""
    offset = os.environ.get(CLOCK_OFFSET, "")
    if not offset:
        return SystemClock()
    log.warning("test clock: %s seconds ahead of the wall clock", offset)
    return OffsetClock(timedelta(seconds=float(offset)))
