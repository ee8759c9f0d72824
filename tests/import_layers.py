"""The layers of the house, checked over the import statements (docs/ARCHITECTURE.md's picture).

An update walks one way: `bot/` (the Telegram shell) -> `flows/` -> `storage/` -> `flows/rules/`,
with `locales/` (the catalogs and the translator) beside, under the flows. `bot/sandbox/` is a
fake Telegram that knows nothing of the bot, and nothing shipped imports `tests/`. Every import
statement counts, also one inside a function (a local import hides a cycle, it does not
remove it) and one under `if TYPE_CHECKING:` for the layers. Two rules:

1. a module may import only from its own package and the packages `ALLOWED` below it;
2. no cycle between modules. Here an import under `if TYPE_CHECKING:` does not count: it never
   runs (the sandbox's parts name their `Sandbox` in annotations that way).

`python -m tests.import_layers [ROOT]` prints what breaks them (exit status 1); the test suite
runs it (`tests/unit/test_import_layers.py`). A short script rather than import-linter: the
two rules fit in a page, and the layers stay written next to their check.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Each package (the most specific prefix of a module's name) and the packages it may import.
ALLOWED: dict[str, frozenset[str]] = {
    "bot": frozenset({"bot.sandbox", "flows", "storage", "flows.rules", "locales"}),
    "bot.sandbox": frozenset(),
    "flows": frozenset({"storage", "flows.rules", "locales"}),
    "storage": frozenset({"flows.rules"}),
    "flows.rules": frozenset(),
    "locales": frozenset(),
}
SHIPPED = ("bot", "flows", "storage", "locales")
KNOWN = (*SHIPPED, "tests")  # imports of anything else (the standard library, PyPI) are free


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module of the project
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


def package_of(module: str) -> str:
    """The most specific package of `ALLOWED` that holds `module` (`tests` for the tests)."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in ALLOWED:
            return prefix
    return parts[0]


def modules(root: Path) -> dict[str, Path]:
    """Every module of the project under `root`, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for top in KNOWN:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module `name` is, or is in (`flows.common.keyboard` -> `flows.common`)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(child) for statement in node.body for child in ast.walk(statement))
    return inside


def imports(root: Path) -> Iterator[Import]:
    """Every import of one project module by another, wherever the statement stands."""
    known = modules(root)
    for module, path in known.items():
        if package_of(module) not in ALLOWED:
            continue  # the tests may import anything: known only as what may not be imported
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        type_only = _type_checking_nodes(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = module.split(".") if is_package else module.split(".")[:-1]
                    package = package[: len(package) - (node.level - 1)]
                    base = ".".join([*package, base] if base else package)
                # `from flows import start` imports the module flows.start; `from flows.common
                # import keyboard` the module flows.common.
                names = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                    for alias in node.names
                ]
            for name in names:
                target = _resolve(name, known)
                if target is not None and target != module:
                    yield Import(module, target, node.lineno, id(node) in type_only)


def layer_problems(found: list[Import]) -> list[str]:
    problems = []
    for edge in found:
        source, target = package_of(edge.source), package_of(edge.target)
        if source == target:
            continue
        if target not in ALLOWED[source]:
            problems.append(
                f"{edge.source}:{edge.line} imports {edge.target}: "
                f"{source} may import only {', '.join(sorted(ALLOWED[source])) or 'nothing'}"
            )
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def cycle_problems(found: list[Import]) -> list[str]:
    graph: dict[str, set[str]] = {}
    for edge in found:
        if not edge.type_only:
            graph.setdefault(edge.source, set()).add(edge.target)
    return [f"import cycle: {' <-> '.join(group)}" for group in cycles(graph)]


def check(root: Path) -> list[str]:
    """Everything under `root` that goes against the layers or closes a cycle."""
    found = list(imports(root))
    return layer_problems(found) + cycle_problems(found)


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
