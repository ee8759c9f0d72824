"""`disputebot run` under a profiler, switched on and off by the benchmark (not a test).

    python -m tests.bench.profiled_bot OUT_PREFIX [cprofile|sample]

SIGUSR1 starts profiling; SIGUSR2 stops it and writes what was collected since the last
SIGUSR1 (n = 1, 2, ...), so each measured batch of `tests/bench/updates.py --profile-bot` gets
a profile of its own, without the set-up work between batches:

- `cprofile` (the default): cProfile of the event loop's thread, OUT_PREFIX.<n>.prof (read it
  with `python -m pstats`). Its own times are right; its cumulative times are not, because
  SQLAlchemy's greenlets switch stacks without the calls returning.
- `sample`: the event loop thread's stack every millisecond (samples where it waits in the
  selector are left out), OUT_PREFIX.<n>.txt: for each function the share of the busy samples
  it was on the stack, largest first (inclusive time), then the innermost frames (own time).
  The sampling thread runs when the loop's thread lets go of the GIL, so system calls (socket
  writes, getpeername, the self-pipe) are over-counted: a hint where to look, not a measure.
"""

from __future__ import annotations

import collections
import cProfile
import signal
import sys
import threading
import time
from types import FrameType

from bot.cli import main as cli_main

INTERVAL = 0.001
IDLE = ("selectors.py", "select")


class Sampler:
    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        self.on = threading.Event()
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.own: collections.Counter[str] = collections.Counter()
        self.busy = self.idle = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.on.wait()
            time.sleep(INTERVAL)
            frame = sys._current_frames().get(self.thread_id)
            if frame is None:
                continue
            code = frame.f_code
            if code.co_filename.endswith(IDLE[0]) and code.co_name == IDLE[1]:
                self.idle += 1
                continue
            self.busy += 1
            seen = set()
            leaf = True
            while frame is not None:
                name = f"{_short(frame.f_code.co_filename)}:{frame.f_code.co_name}"
                if leaf:
                    self.own[name] += 1
                    leaf = False
                if name not in seen:
                    seen.add(name)
                    self.inclusive[name] += 1
                frame = frame.f_back

    def dump(self, path: str) -> None:
        lines = [f"busy samples {self.busy}, idle {self.idle}", "", "inclusive:"]
        total = max(self.busy, 1)
        lines += [f"{100 * c / total:6.1f}%  {n}" for n, c in self.inclusive.most_common(150)]
        lines += ["", "own:"]
        lines += [f"{100 * c / total:6.1f}%  {n}" for n, c in self.own.most_common(60)]
        with open(path, "w") as out:
            out.write("\n".join(lines) + "\n")
        self.inclusive.clear()
        self.own.clear()
        self.busy = self.idle = 0


def _short(filename: str) -> str:
    for marker in ("site-packages/", "python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/perf/", 1)[-1] if "/perf/" in filename else filename


def main() -> int:
    prefix = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) > 2 else "cprofile"
    written = 0
    if mode == "sample":
        sampler = Sampler(threading.get_ident())

        def start_sampling(signum: int, frame: FrameType | None) -> None:
            sampler.on.set()

        def stop_sampling(signum: int, frame: FrameType | None) -> None:
            nonlocal written
            sampler.on.clear()
            written += 1
            sampler.dump(f"{prefix}.{written}.txt")

        signal.signal(signal.SIGUSR1, start_sampling)
        signal.signal(signal.SIGUSR2, stop_sampling)
        return cli_main(["run"])

    profiler = cProfile.Profile()

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
