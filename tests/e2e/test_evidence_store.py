"""Evidence added through one bot process is sent by another, on each kind of evidence store.

Two real `disputebot run` processes, one after the other, in folders of their own, sharing one
PostgreSQL database and one evidence store: a folder both name by path, the database itself
(`database:`), or S3 (moto's local server, `s3://...?endpoint=`). Process A takes the buyer's
claim with a photo and a PDF and stores them; process B sends them to the supplier who joins.
Telegram refuses the file_ids once (a 400 "wrong file identifier", as when Telegram no longer has
the file), so B must read each file from the shared store, check it against its SHA-256 and
upload it again: the supplier gets the very bytes the buyer sent, with the caption in the
supplier's language.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo import JPEG, PDF, SCRIPTS, add_evidence, answer_questions, press
from bot.demo_dispute import invite_supplier
from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.state import TranscriptEntry
from bot.sandbox.users import SandboxUser
from flows.clock import FrozenClock
from flows.evidence_index import evidence_line
from locales.i18n import Catalogs, Translator
from storage import Database
from tests.bot_process import BotProcess
from tests.e2e.dispute_steps import showing
from tests.s3_server import client, make_bucket, s3_server
from tests.storage.dbs import (
    fresh_postgres_url,
    usable_postgres_admin,
)

pytestmark = pytest.mark.postgres

WRONG_FILE_ID = "wrong file identifier/HTTP URL specified"


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    admin = await usable_postgres_admin()
    async with fresh_postgres_url(admin) as url:
        yield url


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        make_bucket(endpoint, "evidence")
        yield endpoint


def store_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "folder":
        return f"file://{tmp_path / 'shared-evidence'}"
    if kind == "database":
        return "database:"
    endpoint = request.getfixturevalue("s3_endpoint")
    return f"s3://evidence/{tmp_path.name}?endpoint={endpoint}&region=us-east-1"


async def file_claim(buyer: SandboxUser, tr: Translator, clock: FrozenClock) -> None:
    script = SCRIPTS["en"]
    await answer_questions(buyer, tr, script, clock, 30)
    await add_evidence(buyer, tr, buyer.send_photo(JPEG), script.photo_label, "tag.defect", 30)
    document = buyer.send_document(PDF, "inspection.pdf", "application/pdf")
    await add_evidence(buyer, tr, document, script.document_label, "tag.contract", 30)
    await press(buyer, tr.t("button.done"), 30)
    await buyer.next_message(timeout=30)  # the summary to confirm
    await press(buyer, tr.t("button.submit"), 30)
    await buyer.wait_for(showing(tr.t("button.create_chat")), timeout=30)


def sent_bytes(sandbox: Sandbox, entry: TranscriptEntry) -> tuple[str, bytes]:
    """The file_id and the bytes of the file a message carries (a photo's largest size)."""
    media: Any = entry.message.get("photo") or entry.message.get("document")
    file = media[-1] if isinstance(media, list) else media
    return file["file_id"], sandbox.files.by_id[file["file_id"]].data


@pytest.mark.parametrize(
    ("kind", "supplier_language"),
    [("folder", "zh-hans"), ("database", "en"), ("database", "zh-hans"), ("s3", "zh-hans")],
)
async def test_evidence_added_through_one_process_is_sent_by_another(
    sandbox: Sandbox,
    server: SandboxServer,
    database_url: str,
    catalogs: Catalogs,
    clock: FrozenClock,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    kind: str,
    supplier_language: str,
) -> None:
    store = {"EVIDENCE_STORE": store_url(kind, request, tmp_path)}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = BotProcess(sandbox, server, database_url, tmp_path / "a", store)
    second = BotProcess(sandbox, server, database_url, tmp_path / "b", store)
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("Wang", language_code=supplier_language)
    btr = catalogs.translator("en")
    st = catalogs.translator("zh_Hans" if supplier_language == "zh-hans" else "en")

    try:
        await first.start()
        await file_claim(buyer, btr, clock)
        await first.stop()
        buyer_files = {
            entry.kind: sent_bytes(sandbox, entry)[0]
            for entry in buyer.transcript()
            if not entry.from_bot and entry.kind in ("photo", "document")
        }
        assert len(buyer_files) == 2
        # Nothing of the files in process B's own folder: only the shared store has them.
        assert not (tmp_path / "b" / "evidence").exists()

        for method in ("sendPhoto", "sendDocument"):
            sandbox.faults.inject(method, "400", chat_id=supplier.id, reason=WRONG_FILE_ID)
        await second.start()
        invitation = await invite_supplier(buyer, btr, timeout=30)
        await supplier.open_link(invitation)
        await supplier.next_message(timeout=30)  # the claim, "are you the supplier?"
        await supplier.press(st.t("button.i_am_supplier"), timeout=30)
        await supplier.wait_for(showing(st.t("button.contest")), timeout=30)
        photo = await supplier.wait_for(lambda e: e.kind == "photo", timeout=30)
        document = await supplier.wait_for(lambda e: e.kind == "document", timeout=30)
    finally:
        await first.stop()
        await second.stop()

    assert sorted(method for method, _ in sandbox.faults.fired) == ["sendDocument", "sendPhoto"]
    db = await Database.connect(database_url, migrate=False)
    try:
        [case] = await db.cases.list_for_user(buyer.id)
        items = {item.kind: item for item in await db.evidence.list(case.id)}
        keys = sorted(item.sha256 or "" for item in items.values())
        in_database = [await db.blobs.exists(key) for key in keys]
    finally:
        await db.dispose()
    # Each file is where the setting says, and only there.
    assert in_database == [kind == "database"] * 2
    shared = tmp_path / "shared-evidence"
    assert sorted(p.name for p in shared.glob("*/*")) == (keys if kind == "folder" else [])
    if kind == "s3":
        listed = client(request.getfixturevalue("s3_endpoint")).list_objects_v2(
            Bucket="evidence", Prefix=f"{tmp_path.name}/"
        )
        assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]) == keys
    for entry, data in ((photo, JPEG), (document, PDF)):
        item = items[entry.kind]
        assert item.store_key == item.sha256
        file_id, sent = sent_bytes(sandbox, entry)
        assert sent == data  # the buyer's very bytes, from the store
        assert file_id != buyer_files[entry.kind]  # uploaded again, not the refused file_id
        assert entry.text == evidence_line(item, st)  # the caption in the supplier's language
    assert document.file_name == "inspection.pdf"
    assert "Traceback" not in first.log() + second.log()
