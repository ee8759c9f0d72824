"""The case file's JSON Schema, generated from its models (`flows/case_file_model.py`).

`docs/case-file.schema.json` is this output, committed so readers of a case file need nothing of
ours; it is never edited by hand:

    python -m flows.case_file_schema --write   # after changing a model
    python -m flows.case_file_schema --check   # exit 1 when the committed file differs (CI)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flows.case_file_model import CASE_FILE_FORMAT, CASE_FILE_VERSION, CaseFile

__all__ = ["SCHEMA_ID", "SCHEMA_PATH", "main", "schema", "schema_text"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "case-file.schema.json"
SCHEMA_ID = f"urn:disputebot:case-file:{CASE_FILE_VERSION}"


def schema() -> dict[str, Any]:
    """The JSON Schema of a version-1 case file (draft 2020-12, pydantic's validation mode)."""
    generated = CaseFile.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **generated,
        "title": f"{CASE_FILE_FORMAT}, version {CASE_FILE_VERSION}",
        "x-version": CASE_FILE_VERSION,
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH.name}")
    action.add_argument("--check", action="store_true", help="exit 1 when it is out of date")
    args = parser.parse_args(argv)
    wanted = schema_text()
    if args.write:
        SCHEMA_PATH.write_text(wanted, encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
        return 0
    current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.is_file() else ""
    if current != wanted:
        print(f"{SCHEMA_PATH} differs from the models: python -m flows.case_file_schema --write")
        return 1
    print(f"{SCHEMA_PATH.name} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
