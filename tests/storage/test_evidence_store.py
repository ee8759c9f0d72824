"""The evidence store contract, the same test over the three kinds: a folder, the database
(SQLite and PostgreSQL) and S3 (moto's local server). And the move of rows stored before
migration 0010 (a path on one machine) into each kind of store."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.clock import SystemClock
from flows.evidence_files import EvidenceFiles
from flows.evidence_store import (
    DatabaseStore,
    EvidenceStore,
    FolderStore,
    StoreError,
    move_legacy_files,
    open_store,
    parse_store_url,
)
from flows.rules.lifecycle import Role
from storage import Database
from tests.s3_server import REGION, client, make_bucket, s3_server
from tests.storage.factory import draft_case

PDF = b"%PDF-1.4 inspection report\n"
JPEG = b"\xff\xd8\xff\xe0 a photo of the dented box"
KINDS = ["folder", "database", "s3"]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        make_bucket(endpoint, "evidence")
        yield endpoint


@pytest.fixture(params=KINDS)
async def store(
    request: pytest.FixtureRequest, db: Database, tmp_path: Path
) -> AsyncIterator[EvidenceStore]:
    if request.param == "folder":
        url = str(tmp_path / "evidence")
    elif request.param == "database":
        url = "database:"
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        url = f"s3://evidence/{tmp_path.name}?endpoint={endpoint}&region={REGION}"
    opened = open_store(parse_store_url(url, tmp_path / "unused"), db, SystemClock())
    await opened.check()
    yield opened


async def test_put_get_exists_by_sha256(store: EvidenceStore) -> None:
    key = hashlib.sha256(PDF).hexdigest()
    assert not await store.exists(key)
    assert await store.get(key) is None
    assert await store.put(PDF) == key
    assert await store.exists(key)
    assert await store.get(key) == PDF
    assert await store.get(hashlib.sha256(JPEG).hexdigest()) is None


async def test_the_same_file_twice_at_once_is_one_file(store: EvidenceStore) -> None:
    keys = await asyncio.gather(*(store.put(JPEG) for _ in range(5)))
    assert set(keys) == {hashlib.sha256(JPEG).hexdigest()}
    assert await store.get(keys[0]) == JPEG


async def test_a_copy_that_does_not_match_its_hash_is_not_given_back(
    store: EvidenceStore,
) -> None:
    files = EvidenceFiles(store)
    stored = await files.store_bytes(PDF)
    assert (stored.sha256, stored.size, stored.key) == (
        hashlib.sha256(PDF).hexdigest(),
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    assert await files.load(stored.key, stored.sha256) == PDF
    assert await files.load(stored.key, hashlib.sha256(JPEG).hexdigest()) is None


async def test_legacy_rows_move_into_the_store(
    store: EvidenceStore, db: Database, tmp_path: Path, now: datetime
) -> None:
    """Rows stored before 0010 name a local path: the move puts the file in the store, gives
    the row its key and clears the path; a missing or altered file stays as it was."""
    case = await draft_case(db, now)
    old = tmp_path / "old-machine"
    old.mkdir()
    rows = []
    for name, data, on_disk in [
        ("a.pdf", PDF, PDF),
        ("b.jpg", JPEG, JPEG),
        ("gone.pdf", b"gone", None),
        ("altered.pdf", b"original", b"altered"),
    ]:
        path = old / name
        if on_disk is not None:
            path.write_bytes(on_disk)
        item = await db.evidence.add(case.id, 1, Role.BUYER, "document", name, "other", now)
        digest = hashlib.sha256(data).hexdigest()
        async with db.engine.begin() as conn:  # as a bot before 0010 left it
            await conn.execute(
                text("UPDATE evidence SET sha256 = :s, stored_path = :p WHERE id = :i"),
                {"s": digest, "p": str(path), "i": item.id},
            )
        rows.append((item.number, digest))

    assert await move_legacy_files(db, store) == (2, 2)
    assert await move_legacy_files(db, store) == (0, 2)  # nothing moved twice
    items = {item.number: item for item in await db.evidence.list(case.id)}
    for number, digest in rows[:2]:
        assert items[number].store_key == digest
        assert await store.get(digest) == (PDF if number == rows[0][0] else JPEG)
    for number, _ in rows[2:]:
        assert items[number].store_key is None
    async with db.engine.connect() as conn:
        paths = (await conn.execute(text("SELECT stored_path FROM evidence ORDER BY id"))).all()
    assert [p[0] is None for p in paths] == [True, True, False, False]


async def test_unreachable_stores_say_why(db: Database, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="it is a file, not a folder"):
        await FolderStore(blocker).check()
    with s3_server() as endpoint:
        s3 = open_store(
            parse_store_url(f"s3://missing?endpoint={endpoint}", tmp_path), db, SystemClock()
        )
        with pytest.raises(StoreError, match="bucket 'missing' cannot be reached"):
            await s3.check()
    assert isinstance(
        open_store(parse_store_url("database:", tmp_path), db, SystemClock()), DatabaseStore
    )


def test_s3_objects_are_under_the_prefix(s3_endpoint: str, tmp_path: Path) -> None:
    async def put() -> str:
        spec = parse_store_url(f"s3://evidence/cases/?endpoint={s3_endpoint}", tmp_path)
        return await open_store(spec, None, SystemClock()).put(PDF)  # type: ignore[arg-type]

    key = asyncio.run(put())
    listed = client(s3_endpoint).list_objects_v2(Bucket="evidence", Prefix="cases/")
    assert [o["Key"] for o in listed["Contents"]] == [f"cases/{key[:2]}/{key}"]


@pytest.mark.parametrize(
    ("value", "kind", "detail"),
    [
        ("", "folder", "default"),
        ("/srv/evidence", "folder", "/srv/evidence"),
        ("file:///srv/evidence", "folder", "/srv/evidence"),
        ("database:", "database", ""),
        ("s3://bucket/a/b?endpoint=http://127.0.0.1:9000&region=eu-central-1", "s3", "a/b/"),
    ],
)
def test_store_urls(value: str, kind: str, detail: str) -> None:
    spec = parse_store_url(value, Path("default"))
    assert spec.kind == kind
    if kind == "folder":
        assert spec.folder == Path(detail)
    if kind == "s3":
        assert (spec.bucket, spec.prefix, spec.endpoint, spec.region) == (
            "bucket",
            detail,
            "http://127.0.0.1:9000",
            "eu-central-1",
        )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://host/evidence", "unknown kind 'ftp'"),
        ("s3://", "s3:// needs a bucket"),
        ("s3://bucket?endpoint=localhost:9000", "the s3 endpoint must be an http(s) URL"),
        ("s3://bucket?secret=x", "unknown s3 option 'secret'"),
        ("file://otherhost/evidence", "a file URL names a folder on this machine"),
    ],
)
def test_bad_store_urls_are_refused(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_store_url(value, Path("default"))
