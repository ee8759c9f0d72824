"""A test-only hook that kills the bot at a named moment, to prove nothing is lost by a crash.

`DISPUTEBOT_CRASH_AT=<point>` (read once, at import) makes `crash_point(<point>)` kill this
process with SIGKILL: no cleanup, no flush, exactly like the OOM killer or a power cut. Unset
(always, outside the crash tests), `crash_point` does nothing. The points:

- `outbox.after_commit`: a change and its news are committed, nothing is sent yet;
- `sweep.reminder_committed`: a reminder is marked sent and queued, nothing is sent yet;
- `sweep.deadline_in_transaction`: a due deadline is claimed and its outcome applied, but the
  transaction has not committed.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

CRASH_AT = os.environ.get("DISPUTEBOT_CRASH_AT", "")


def crash_point(name: str) -> None:
    """Die here, at once, when the crash tests asked for this point."""
    if CRASH_AT and name == CRASH_AT:
        log.warning("crash point %s reached: killing the process", name)
        os.kill(os.getpid(), signal.SIGKILL)
