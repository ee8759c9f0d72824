"""The committed docs/case-file.schema.json is the one generated from the case file's models,
and `python -m flows.case_file_schema --check` says so (and fails when it is not)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from flows import case_file_schema
from flows.case_file_model import CASE_FILE_VERSION
from flows.case_file_schema import SCHEMA_PATH, main, schema_text


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:disputebot:case-file:{CASE_FILE_VERSION}"
    assert schema["x-version"] == CASE_FILE_VERSION
    assert schema["properties"]["version"]["const"] == CASE_FILE_VERSION


def test_check_fails_on_a_stale_file_and_write_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "case-file.schema.json"
    stale.write_text(SCHEMA_PATH.read_text(encoding="utf-8").replace('"Ended At"', '"Ended"'))
    monkeypatch.setattr(case_file_schema, "SCHEMA_PATH", stale)
    assert main(["--check"]) == 1
    assert "--write" in capsys.readouterr().out
    assert main(["--write"]) == 0
    assert main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == schema_text()
