"""Settings for the whole suite: the xdist workers of one run share a hash seed.

pytest-xdist (`-n auto` in pyproject's addopts) has each worker collect the suite and checks
that all of them found the same tests in the same order. Some test ids are made from sets
(`frozenset` reprs, e.g. tests/unit/test_lifecycle.py's transitions), whose order follows the
string hash seed, different in every Python process: the workers then disagree and the run
stops before it starts. So the controlling process picks one random seed for the run and hands
it to its workers; runs still differ from each other, as without xdist. A seed given in
PYTHONHASHSEED is kept, so `PYTHONHASHSEED=<seed from the header> pytest ...` repeats a run.
"""

from __future__ import annotations

import os
import random

import pytest

_SEED = "PYTHONHASHSEED"


def pytest_configure(config: pytest.Config) -> None:
    workers_to_start = bool(getattr(config.option, "numprocesses", None))
    is_worker = "PYTEST_XDIST_WORKER" in os.environ
    if workers_to_start and not is_worker and not os.environ.get(_SEED):
        os.environ[_SEED] = str(random.randint(1, 2**32 - 1))  # read by the workers at start


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = os.environ.get(_SEED)
    return f"xdist workers' {_SEED}: {seed}" if seed else None
