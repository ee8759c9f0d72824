"""Generate the compact Bot API schema used by the sandbox (``bot/sandbox/bot_api_schema.json``).

Input is the machine-readable Bot API description (``api.json``): ``$DISPUTEBOT_BOT_API_SPEC``
if set, else ``../shared/telegram-bot-api/api.json`` beside the project root (where CI and the
team keep the shared folder), or ``--input``. The output keeps, per method and per type, the
field names with their types and required flags, the documented limits, and the constant
discriminators of union members (``"type": "photo"``), but no descriptions. The generated
file is committed so that the project works where the input file does not exist.

Limits are derived from the descriptions ("1-4096 characters after entities parsing",
"1-64 bytes", "; 1-99999", "must include 2-10 items") and completed by a small explicit
table (``EXTRA_LIMITS``, ``RULES``) for what the descriptions do not say in a parseable way.

Usage: ``python scripts/gen_bot_api_schema.py [--input api.json] [-o output.json] [--check]``;
``--check`` writes nothing and exits 1 when the committed file differs from what the spec
gives (``tests/sandbox/test_schema.py`` runs it; under CI a missing spec fails that test).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SPEC_ENV = "DISPUTEBOT_BOT_API_SPEC"
DEFAULT_OUTPUT = PROJECT_ROOT / "bot" / "sandbox" / "bot_api_schema.json"

# (kind, owner, field) -> limits merged over the derived ones.
EXTRA_LIMITS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("methods", "setMyCommands", "commands"): {"min": 0, "max": 100, "unit": "items"},
    ("types", "BotCommand", "command"): {"pattern": "^[a-z0-9_]+$"},
    ("methods", "setWebhook", "secret_token"): {"pattern": "^[A-Za-z0-9_-]+$"},
    ("methods", "deleteMessages", "message_ids"): {"min": 1, "max": 100, "unit": "items"},
}

# Method-level rules that involve more than one field.
RULES: dict[str, list[dict[str, str]]] = {
    "createChatInviteLink": [{"if_true": "creates_join_request", "forbids": "member_limit"}],
    "editChatInviteLink": [{"if_true": "creates_join_request", "forbids": "member_limit"}],
}

_RANGE = re.compile(r"(?<![\d-])(\d+)-(\d+)(?![\d-])( characters| bytes)?")
_CONST = re.compile(r'(?:must be|always) "?([a-z_]+)"?\.?$')
_PRIMITIVES = {"Integer", "Float", "Boolean", "String", "InputFile"}


def default_input(root: Path = PROJECT_ROOT, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the spec is: ``$DISPUTEBOT_BOT_API_SPEC``, else the shared folder beside `root`.

    Relative to the project, never an absolute path of one machine: a clone anywhere finds
    the spec as long as ``shared/`` sits next to it.
    """
    override = environ.get(SPEC_ENV, "").strip()
    if override:
        return Path(override)
    return root.parent / "shared" / "telegram-bot-api" / "api.json"


def derive_limits(types: list[str], description: str) -> dict[str, Any] | None:
    """Limits stated in a field description, or None."""
    for match in _RANGE.finditer(description):
        low, high, unit = int(match.group(1)), int(match.group(2)), match.group(3)
        if low > high:
            continue
        if types == ["String"] and unit:
            limits: dict[str, Any] = {
                "min": low,
                "max": high,
                "unit": "bytes" if unit.strip() == "bytes" else "chars",
            }
            if re.search(r"after entit(y|ies) parsing", description):
                limits["parsed"] = True
            return limits
        if unit:
            continue
        if all(t in ("Integer", "Float") for t in types):
            return {"min": low, "max": high, "unit": "value"}
        if all(t.startswith("Array of ") for t in types):
            return {"min": low, "max": high, "unit": "items"}
    return None


def _formatting_siblings(name: str, field_names: set[str]) -> dict[str, str]:
    """The parse_mode / entities fields that belong to a formatted text field."""
    out: dict[str, str] = {}
    if f"{name}_parse_mode" in field_names:
        out["parse_mode"] = f"{name}_parse_mode"
    elif "parse_mode" in field_names and name in ("text", "caption"):
        out["parse_mode"] = "parse_mode"
    for candidate in (f"{name}_entities", "entities" if name == "text" else ""):
        if candidate and candidate in field_names:
            out["entities"] = candidate
            break
    return out


def compact_fields(kind: str, owner: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """Field name -> {types, required[, limits][, const]}."""
    names = {f["name"] for f in fields}
    out: dict[str, Any] = {}
    for index, field in enumerate(fields):
        spec: dict[str, Any] = {"types": list(field["types"]), "required": bool(field["required"])}
        description = field.get("description", "")
        limits = derive_limits(spec["types"], description)
        extra = EXTRA_LIMITS.get((kind, owner, field["name"]))
        if extra:
            limits = {**(limits or {}), **extra}
        if limits:
            if limits.get("parsed"):
                limits.update(_formatting_siblings(field["name"], names))
            spec["limits"] = limits
        if (
            kind == "types"
            and index == 0
            and spec["types"] == ["String"]
            and field["name"] in ("type", "status", "source")
        ):
            const = _CONST.search(description)
            if const:
                spec["const"] = const.group(1)
        out[field["name"]] = spec
    return out


def _referenced(type_expr: str) -> str:
    while type_expr.startswith("Array of "):
        type_expr = type_expr[len("Array of ") :]
    return type_expr


def generate(api: dict[str, Any]) -> dict[str, Any]:
    """Build the compact schema from the full api.json structure."""
    methods: dict[str, Any] = {}
    for name, method in sorted(api["methods"].items()):
        entry: dict[str, Any] = {
            "returns": list(method.get("returns", [])),
            "fields": compact_fields("methods", name, method.get("fields", [])),
        }
        if name in RULES:
            entry["rules"] = RULES[name]
        methods[name] = entry
    types: dict[str, Any] = {}
    for name, type_ in sorted(api["types"].items()):
        if "subtypes" in type_:
            types[name] = {"subtypes": list(type_["subtypes"])}
        else:
            types[name] = {"fields": compact_fields("types", name, type_.get("fields", []))}
    missing = sorted(
        {
            _referenced(t)
            for section in (methods, types)
            for entry in section.values()
            for spec in entry.get("fields", {}).values()
            for t in spec["types"]
        }
        - _PRIMITIVES
        - set(types)
    )
    if missing:
        raise SystemExit(f"unknown types referenced: {missing}")
    return {"version": api.get("version", ""), "methods": methods, "types": types}


def dump(schema: dict[str, Any]) -> str:
    """One method / type per line: compact, yet readable in diffs."""

    def section(items: dict[str, Any]) -> str:
        return ",\n".join(
            f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'), sort_keys=True)}"
            for k, v in items.items()
        )

    return (
        "{\n"
        f'"version":{json.dumps(schema["version"])},\n'
        f'"methods":{{\n{section(schema["methods"])}\n}},\n'
        f'"types":{{\n{section(schema["types"])}\n}}\n'
        "}\n"
    )


def differences(expected: str, actual: str) -> list[str]:
    """The methods and types (``methods.sendMessage``) in which two schema texts differ.

    When the data are equal but the texts are not, the difference is ``layout`` (the file was
    edited or reformatted by hand).
    """
    if expected == actual:
        return []
    try:
        old, new = json.loads(actual), json.loads(expected)
    except json.JSONDecodeError:
        return ["layout (not valid JSON)"]
    found = [] if old.get("version") == new.get("version") else ["version"]
    for section in ("methods", "types"):
        before, after = old.get(section, {}), new.get(section, {})
        found += [
            f"{section}.{name}"
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        ]
    return found or ["layout"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-i",
        "--input",
        type=Path,
        default=None,
        help=f"api.json (default: ${SPEC_ENV}, else ../shared/telegram-bot-api/api.json "
        "beside the project)",
    )
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when OUTPUT differs from what the spec gives",
    )
    args = parser.parse_args(argv)
    source: Path = args.input or default_input()
    try:
        api = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        print(
            f"--input: cannot read the Bot API spec {source}: {error.strerror}; pass --input "
            f"or set ${SPEC_ENV}",
            file=sys.stderr,
        )
        return 2
    text = dump(generate(api))
    if args.check:
        try:
            committed = args.output.read_text(encoding="utf-8")
        except OSError as error:
            committed = f"(unreadable: {error.strerror})"
        found = differences(text, committed)
        if found:
            print(
                f"{args.output} does not match {source} ({api.get('version', '')}): differs in "
                f"{', '.join(found)}; run: python scripts/gen_bot_api_schema.py",
                file=sys.stderr,
            )
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
