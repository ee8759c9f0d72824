"""The benchmark scripts still run: they are not tests (they print figures and assert nothing),
so nothing else notices when a change to the bot breaks one (tests/bench/seed.py once imported
a helper that had been removed, and the sweep and memory benchmarks stopped running). Each
module imports, and the sweep benchmark runs end to end on a few deadlines."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tests.bench

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(m.name for m in pkgutil.iter_modules(tests.bench.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_each_benchmark_module_imports(name: str) -> None:
    importlib.import_module(f"tests.bench.{name}")


def test_the_sweep_benchmark_runs_on_a_few_seeded_deadlines() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.sweep", "--deadlines", "50", "--runs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "SQLite: median" in result.stdout
