"""Where evidence files are kept: one store shared by every worker, content-addressed by SHA-256.

`EVIDENCE_STORE` chooses it (`parse_store_url`):

- a folder: `file:///var/lib/disputebot/evidence` or a plain path (unset: `EVIDENCE_DIR`, the
  default `data/evidence`); several workers share it only if they share the folder (one machine
  or a network file system);
- `database:`: the bot's own database (`evidence_blobs`), so several workers on one PostgreSQL
  need nothing else;
- `s3://bucket/prefix?endpoint=https://...&region=...`: S3-compatible object storage through
  boto3 (credentials from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or boto3's other
  sources; `endpoint` for a server that is not AWS, such as MinIO or Ceph).

The key of a file is its SHA-256 in hex, so the same file stored twice is one object, and what
the store gives back is checked against the key before it is sent anywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flows.clock import Clock
from storage import Database

__all__ = [
    "DatabaseStore",
    "EvidenceStore",
    "FolderStore",
    "S3Store",
    "StoreError",
    "StoreSpec",
    "key_of",
    "move_legacy_files",
    "open_store",
    "parse_store_url",
]

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store setting is wrong, or the store cannot be reached; the message says which."""


def key_of(data: bytes) -> str:
    """The key of `data` in every store: its SHA-256, lowercase hex."""
    return hashlib.sha256(data).hexdigest()


class EvidenceStore(Protocol):
    """A content-addressed store of evidence files."""

    def describe(self) -> str:
        """Where the files are, for the start-up log (no secrets)."""
        ...

    async def check(self) -> None:
        """Prove the store usable (writable, reachable), or raise StoreError."""
        ...

    async def put(self, data: bytes) -> str:
        """Keep `data` (once, whatever the number of calls) and return its key."""
        ...

    async def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None if the store has no such file."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def replace(self, data: bytes) -> str:
        """Store `data` under its key even where a (bad) copy is already there (`verify`)."""
        ...


class FolderStore:
    """Files under a folder: `<root>/ab/abcdef...` (the layout before 0010 too)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"evidence folder {self.root.absolute()}"

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
                pass
        except OSError as exc:
            where = self.root.absolute()
            raise StoreError(f"cannot write to {where}: {_why(exc, self.root)}") from None

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def put(self, data: bytes) -> str:
        key = key_of(data)
        await asyncio.to_thread(self._write, self.path_for(key), data)
        return key

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per writer: two workers storing one file must not share a partial.
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as f:
            f.write(data)
        Path(f.name).replace(target)

    async def get(self, key: str) -> bytes | None:
        path = self.path_for(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_for(key).is_file)

    async def replace(self, data: bytes) -> str:
        key = key_of(data)
        target = self.path_for(key)
        await asyncio.to_thread(target.unlink, missing_ok=True)
        await asyncio.to_thread(self._write, target, data)
        return key


class DatabaseStore:
    """Files in the bot's own database (`evidence_blobs`)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def describe(self) -> str:
        return "evidence in the database"

    async def check(self) -> None:
        try:
            await self.db.blobs.exists("0" * 64)
        except Exception as exc:  # the driver's error, shown in one line
            raise StoreError(f"the evidence table cannot be read: {exc}") from None

    async def put(self, data: bytes) -> str:
        key = key_of(data)
        await self.db.blobs.put(key, data, self.clock.now())
        return key

    async def get(self, key: str) -> bytes | None:
        return await self.db.blobs.get(key)

    async def exists(self, key: str) -> bool:
        return await self.db.blobs.exists(key)

    async def replace(self, data: bytes) -> str:
        key = key_of(data)
        await self.db.blobs.replace(key, data, self.clock.now())
        return key


class S3Store:
    """Objects `<prefix>/ab/abcdef...` in an S3 bucket (boto3, each call in a thread)."""

    def __init__(self, bucket: str, prefix: str, client: Any, endpoint: str | None) -> None:
        self.bucket, self.prefix, self.client, self.endpoint = bucket, prefix, client, endpoint

    def describe(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"evidence in s3://{self.bucket}/{self.prefix}{where}"

    def object_key(self, key: str) -> str:
        return f"{self.prefix}{key[:2]}/{key}"

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
        except Exception as exc:  # botocore's ClientError / EndpointConnectionError / NoCredentials
            raise StoreError(f"bucket {self.bucket!r} cannot be reached: {exc}") from None

    async def put(self, data: bytes) -> str:
        key = key_of(data)
        if not await self.exists(key):
            await asyncio.to_thread(
                self.client.put_object, Bucket=self.bucket, Key=self.object_key(key), Body=data
            )
        return key

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            except self.client.exceptions.NoSuchKey:
                return None
            return bytes(answer["Body"].read())

        return await asyncio.to_thread(read)

    async def exists(self, key: str) -> bool:
        def head() -> bool:
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
            except self.client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
            return True

        return await asyncio.to_thread(head)

    async def replace(self, data: bytes) -> str:
        key = key_of(data)
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=self.object_key(key), Body=data
        )
        return key


@dataclass(frozen=True)
class StoreSpec:
    """A parsed EVIDENCE_STORE: the kind and what it needs to open."""

    kind: str  # "folder", "database", "s3"
    folder: Path | None = None
    bucket: str = ""
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None


def parse_store_url(value: str | None, default_folder: Path) -> StoreSpec:
    """EVIDENCE_STORE as a StoreSpec; ValueError naming the problem for a bad value."""
    text = (value or "").strip()
    if not text:
        return StoreSpec("folder", folder=default_folder)
    if text in ("database:", "database://"):
        return StoreSpec("database")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"a file URL names a folder on this machine, not {parts.netloc!r}")
        if not parts.path:
            raise ValueError("file:// needs a folder, e.g. file:///var/lib/disputebot/evidence")
        return StoreSpec("folder", folder=Path(unquote(parts.path)))
    if scheme == "s3":
        if not parts.netloc:
            raise ValueError("s3:// needs a bucket, e.g. s3://evidence/disputebot")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - {"endpoint", "region"})
        if unknown:
            raise ValueError(f"unknown s3 option {unknown[0]!r} (known: endpoint, region)")
        endpoint = query.get("endpoint")
        if endpoint is not None and urlsplit(endpoint).scheme not in ("http", "https"):
            raise ValueError(f"the s3 endpoint must be an http(s) URL, not {endpoint!r}")
        prefix = parts.path.strip("/")
        return StoreSpec(
            "s3",
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=endpoint,
            region=query.get("region"),
        )
    if scheme and len(scheme) > 1:  # not a Windows drive letter
        raise ValueError(f"unknown kind {scheme!r} (a folder, file://, database: or s3://)")
    return StoreSpec("folder", folder=Path(text))


def open_store(spec: StoreSpec, db: Database, clock: Clock) -> EvidenceStore:
    """The store a spec names (not yet checked: see `EvidenceStore.check`)."""
    if spec.kind == "database":
        return DatabaseStore(db, clock)
    if spec.kind == "s3":
        try:
            import boto3
        except ImportError:
            raise StoreError(
                "s3:// needs boto3: pip install 'disputebot[s3]' (or pip install boto3)"
            ) from None
        from botocore.config import Config

        # A few quick retries, not botocore's minute-long connect timeout: a store that does
        # not answer is a start-up refusal or a failed send, not a hung worker.
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})
        client = boto3.client(
            "s3", endpoint_url=spec.endpoint, region_name=spec.region, config=config
        )
        return S3Store(spec.bucket, spec.prefix, client, spec.endpoint)
    assert spec.folder is not None
    return FolderStore(spec.folder)


async def move_legacy_files(db: Database, store: EvidenceStore) -> tuple[int, int]:
    """Move the files of rows stored before 0010 (a local path) into `store`.

    Each file is read from its recorded path, checked against the row's SHA-256, put into the
    store and the row given its key (the path cleared). A missing or altered file is logged
    and left for the operator (its row keeps the path). Returns (moved, left).
    """
    moved = left = last = 0
    while batch := await db.blobs.legacy_files(after=last):
        for legacy in batch:
            last = legacy.evidence_id
            try:
                data = await asyncio.to_thread(Path(legacy.path).read_bytes)
            except OSError as exc:
                log.error("evidence %s not moved: %s", legacy.evidence_id, exc)
                left += 1
                continue
            if key_of(data) != legacy.sha256:
                log.error(
                    "evidence %s not moved: %s does not match its SHA-256",
                    legacy.evidence_id,
                    legacy.path,
                )
                left += 1
                continue
            key = await store.put(data)
            await db.blobs.moved(legacy.evidence_id, key)
            moved += 1
    return moved, left


def _why(exc: OSError, root: Path) -> str:
    if root.exists() and not root.is_dir():
        return "it is a file, not a folder"
    reason = exc.strerror or str(exc)
    if exc.filename and Path(exc.filename) != root:
        return f"{reason}: {exc.filename}"
    return reason
