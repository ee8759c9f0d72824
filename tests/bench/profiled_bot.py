"""`disputebot run` under cProfile, switched on and off by the benchmark (not a test).

    python -m tests.bench.profiled_bot OUT_PREFIX

SIGUSR1 starts profiling the event loop's thread; SIGUSR2 stops it and writes what was
collected since the last SIGUSR1 to OUT_PREFIX.<n>.prof (n = 1, 2, ...), so each measured
batch of `tests/bench/updates.py --profile-bot` gets a profile of its own, without the set-up
work between batches. Read one with `python -m pstats` or `tests.bench.profile_report`.
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType

from bot.cli import main as cli_main


def main() -> int:
    prefix = sys.argv[1]
    profiler = cProfile.Profile()
    written = 0

    def start(signum: int, frame: FrameType | None) -> None:
        profiler.enable()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal profiler, written
        profiler.disable()
        written += 1
        profiler.dump_stats(f"{prefix}.{written}.prof")
        profiler = cProfile.Profile()

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return cli_main(["run"])


if __name__ == "__main__":
    raise SystemExit(main())
