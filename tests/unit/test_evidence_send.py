"""Sending an evidence file: by file_id; when Telegram refuses the file_id, the stored copy,
checked against its SHA-256; a copy the store lacks or that does not match is not sent."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import InputFile
from telegram.error import BadRequest, Forbidden

from flows.evidence_files import EvidenceFiles
from flows.evidence_send import send_evidence_file
from flows.evidence_store import FolderStore
from flows.rules.lifecycle import Role
from storage.records import Evidence

PDF = b"%PDF-1.4 report"
SHA = hashlib.sha256(PDF).hexdigest()


class FakeBot:
    def __init__(self, refuse: Exception | None = None) -> None:
        self.refuse = refuse
        self.sent: list[tuple[str, int, Any, str]] = []

    async def _sent(self, method: str, chat_id: int, file: Any, caption: str) -> str:
        if isinstance(file, str) and self.refuse is not None:
            raise self.refuse
        self.sent.append((method, chat_id, file, caption))
        return "message"

    async def send_photo(
        self, chat_id: int, file: Any, caption: str, reply_markup: Any = None
    ) -> str:
        return await self._sent("photo", chat_id, file, caption)

    async def send_document(
        self, chat_id: int, file: Any, caption: str, reply_markup: Any = None
    ) -> str:
        return await self._sent("document", chat_id, file, caption)


def item(kind: str = "document", file_id: str | None = "BQAC-id") -> Evidence:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return Evidence(
        id=1,
        case_id=7,
        number=2,
        submitter_id=1,
        submitter_role=Role.BUYER,
        kind=kind,
        label="report",
        tag="contract",
        text=None,
        telegram_file_id=file_id,
        telegram_file_unique_id="AQAD",
        file_name="report.pdf",
        mime_type="application/pdf",
        size=len(PDF),
        sha256=SHA,
        store_key=SHA,
        mediator_only=False,
        created_at=now,
        stored_at=now,
    )


async def services(tmp_path: Path, data: bytes | None = PDF) -> Any:
    store = FolderStore(tmp_path)
    if data is not None:
        path = store.path_for(SHA)
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    return cast(Any, SimpleNamespace(files=EvidenceFiles(store)))


async def test_by_file_id_when_telegram_takes_it(tmp_path: Path) -> None:
    bot = FakeBot()
    await send_evidence_file(await services(tmp_path), cast(Any, bot), 5, item(), "E2")
    assert bot.sent == [("document", 5, "BQAC-id", "E2")]


@pytest.mark.parametrize("kind", ["photo", "document"])
async def test_a_refused_file_id_is_sent_from_the_store(tmp_path: Path, kind: str) -> None:
    bot = FakeBot(BadRequest("Wrong file identifier/http url specified"))
    await send_evidence_file(await services(tmp_path), cast(Any, bot), 5, item(kind), "E2")
    [(method, chat, file, caption)] = bot.sent
    assert (method, chat, caption) == (kind, 5, "E2")
    assert isinstance(file, InputFile)
    assert file.input_file_content == PDF and file.filename == "report.pdf"


async def test_no_file_id_sends_the_stored_copy(tmp_path: Path) -> None:
    bot = FakeBot()
    await send_evidence_file(await services(tmp_path), cast(Any, bot), 5, item(file_id=None), "")
    assert bot.sent[0][2].input_file_content == PDF


async def test_other_refusals_are_not_retried_from_the_store(tmp_path: Path) -> None:
    bot = FakeBot(Forbidden("bot was blocked by the user"))
    with pytest.raises(Forbidden):
        await send_evidence_file(await services(tmp_path), cast(Any, bot), 5, item(), "")
    assert bot.sent == []


@pytest.mark.parametrize("data", [None, b"other bytes under its key"])
async def test_a_missing_or_altered_copy_is_not_sent(tmp_path: Path, data: bytes | None) -> None:
    bot = FakeBot(BadRequest("Wrong file identifier/http url specified"))
    with pytest.raises(LookupError, match="matching its SHA-256"):
        await send_evidence_file(await services(tmp_path, data), cast(Any, bot), 5, item(), "")
    assert bot.sent == []


async def test_an_unstored_item_keeps_telegrams_refusal(tmp_path: Path) -> None:
    bot = FakeBot(BadRequest("Wrong file identifier/http url specified"))
    unstored = replace(item(), sha256=None, store_key=None)
    with pytest.raises(BadRequest):
        await send_evidence_file(await services(tmp_path), cast(Any, bot), 5, unstored, "")
