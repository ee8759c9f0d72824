"""The house walks one way: the import checker passes on the project, and fails on a
deliberately wrong import, an import cycle hidden in a function, and shipped code importing
the tests (`tests/import_layers.py`, docs/ARCHITECTURE.md's picture)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.import_layers import ALLOWED, SHIPPED, check, cycles

ROOT = Path(__file__).resolve().parents[2]


def test_the_project_keeps_its_layers_and_has_no_import_cycle() -> None:
    assert check(ROOT) == []


def test_the_layers_themselves_are_one_way() -> None:
    graph = {package: set(allowed) for package, allowed in ALLOWED.items()}
    assert cycles(graph) == []
    assert all(package.split(".")[0] in SHIPPED for package in ALLOWED)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's packages to break."""
    for package in (*SHIPPED, "tests"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + code + "\n", encoding="utf-8")


def test_a_flow_importing_from_bot_fails(tree: Path) -> None:
    _append(tree / "flows" / "start.py", "from bot.config import Settings")
    [problem] = check(tree)
    assert problem.startswith("flows.start:")
    assert "imports bot.config: flows may import only flows.rules, locales, storage" in problem


@pytest.mark.parametrize(
    ("module", "code", "package"),
    [
        ("storage/repos/cases.py", "from flows.services import Services", "storage"),
        ("flows/rules/money.py", "import storage", "flows.rules"),
        ("locales/i18n.py", "from flows import logs", "locales"),
        ("bot/sandbox/state.py", "from storage import Case", "bot.sandbox"),
        ("bot/demo.py", "from tests.e2e.dispute_steps import accept_request", "bot"),
    ],
)
def test_an_import_against_the_layers_fails(
    tree: Path, module: str, code: str, package: str
) -> None:
    _append(tree / module, code)
    problems = check(tree)
    # (the first two close a cycle too: storage and the rules are imported by what they import)
    assert problems[0].startswith(module.removesuffix(".py").replace("/", ".") + ":")
    assert f"{package} may import only" in problems[0]


def test_a_type_only_import_against_the_layers_fails_too(tree: Path) -> None:
    _append(
        tree / "flows" / "cases.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import Any",
    )
    [problem] = check(tree)
    assert problem.startswith("flows.cases:") and "imports bot.app" in problem


def test_a_cycle_hidden_in_a_local_import_fails(tree: Path) -> None:
    # flows.start imports flows.supplier_join at the top; the way back hides in a function.
    _append(
        tree / "flows" / "supplier_join.py",
        "def _back() -> None:\n    from flows import start  # noqa: F401",
    )
    problems = check(tree)
    assert len(problems) == 1
    assert problems[0].startswith("import cycle: ")
    assert "flows.start" in problems[0] and "flows.supplier_join" in problems[0]


def test_the_script_exits_with_the_problems(tree: Path) -> None:
    _append(tree / "flows" / "common.py", "import bot.app")
    result = subprocess.run(
        [sys.executable, "-m", "tests.import_layers", str(tree)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("flows.common:")
