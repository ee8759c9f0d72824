"""Benchmark: the case file's PDF of a large case; prints figures, asserts nothing.

    python -m tests.bench.case_file [--events 500] [--items 300] [--runs 3] [--language zh_Hans]

The case is built from the model (tests/case_files.py), every photo with a small thumbnail
(about 90 px, a few KB, as Telegram's are). Each run renders the PDF as `/casefile` does
(`render_pdf`, in this thread); the best and the median wall time (and the least CPU time, which
a busy machine moves less) are printed with the file's
size, its page count, the peak of Python's memory during a run (tracemalloc), and the same
without thumbnails (the form a file takes when they would exceed Telegram's limit).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc
from zoneinfo import ZoneInfo

import pypdf

from flows.case_file_pdf import MAX_BYTES, render_pdf
from locales.i18n import Catalogs
from tests.case_files import sample_case_file, thumbnail


def _run(label: str, runs: int, render: object) -> None:
    assert callable(render)
    times, cpu, pdf = [], [], b""
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        pdf = render()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    tracemalloc.start()
    render()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"{label}: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
        f"(CPU {min(cpu):.2f} s); "
        f"{len(pdf) / 1024:,.0f} KB ({len(pdf) / MAX_BYTES:.1%} of the limit), {pages} pages, "
        f"peak Python memory {peak / 1024 / 1024:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--language", default="zh_Hans", choices=("en", "zh_Hans"))
    args = parser.parse_args()

    case_file = sample_case_file(language=args.language, events=args.events, items=args.items)
    photos = [item.number for item in case_file.evidence if item.kind == "photo"]
    thumbnails = {n: thumbnail(n, noise=True) for n in photos}
    tr = Catalogs().translator(args.language)
    zone = ZoneInfo("Asia/Shanghai")
    print(
        f"case file: {args.events} events, {args.items} evidence items "
        f"({len(photos)} photos, thumbnails {sum(map(len, thumbnails.values())) / 1024:,.0f} KB "
        f"in all), reader in {args.language}"
    )
    _run("with thumbnails", args.runs, lambda: render_pdf(case_file, tr, zone, thumbnails))
    _run("without thumbnails", args.runs, lambda: render_pdf(case_file, tr, zone))


if __name__ == "__main__":
    main()
