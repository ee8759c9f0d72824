"""`disputebot stats` prints the table in the chosen language and, with --json, the figures."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from storage import Database
from tests.storage.stats_data import CaseSpec, insert


def _database(path: Path) -> str:
    url = f"sqlite:///{path / 'bot.db'}"

    async def fill() -> None:
        db = await Database.connect(url)
        specs = [CaseSpec(), CaseSpec(ended_by="decide", closed_reason="unfulfilled")]
        await insert(db, specs, datetime(2026, 1, 5, tzinfo=UTC))
        await db.dispose()

    asyncio.run(fill())
    return url


def test_stats_prints_a_table_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", _database(tmp_path))
    assert main(["stats"]) == 0
    table = capsys.readouterr().out
    assert "Cases filed: 2" in table and "• by a decision: 1 (50%)" in table
    assert main(["stats", "--language", "zh_Hans"]) == 0
    assert "已提交的案件：2" in capsys.readouterr().out
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["filed"] == 2
    assert figures["outcomes"]["decision"] == 1 and figures["outcomes"]["agreement"] == 1
    assert figures["resolution_seconds"]["median"] == pytest.approx(10 * 86400, abs=1)
