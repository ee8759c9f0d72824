"""Start-up checks: a setting the bot cannot work with stops it before the first update.

Each check turns what would otherwise be a driver traceback, or a failure found only when a
buyer's evidence does not save, into a `ConfigError`: one line naming the variable and the
problem, the database shown without its password.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import ConfigError, Settings
from flows.evidence_files import EvidenceFiles
from flows.rules.lifecycle import LifecyclePolicy
from storage import Database, DatabaseUnavailable, display_url, migrate

__all__ = ["evidence_files", "migrate_database", "open_database", "where"]


def evidence_files(settings: Settings) -> EvidenceFiles:
    """The evidence store, its folder created and proven writable."""
    files = EvidenceFiles(settings.evidence_dir)
    try:
        files.check_writable()
    except OSError as exc:
        raise ConfigError(
            f"EVIDENCE_DIR: cannot write to {files.root.absolute()}: {_why(exc, files.root)}"
        ) from None
    return files


async def open_database(settings: Settings, lifecycle: LifecyclePolicy) -> Database:
    """The database, reachable and migrated."""
    try:
        return await Database.connect(settings.database_url, lifecycle_policy=lifecycle)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None


async def migrate_database(settings: Settings) -> None:
    """`disputebot migrate`: bring the database up to date."""
    try:
        await migrate(settings.database_url)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None


def where(settings: Settings) -> str:
    """The database (password hidden) and the evidence folder, for the start-up log."""
    return (
        f"database {display_url(settings.database_url)}, "
        f"evidence folder {settings.evidence_dir.absolute()}"
    )


def _why(exc: OSError, root: Path) -> str:
    if root.exists() and not root.is_dir():
        return "it is a file, not a folder"
    reason = exc.strerror or str(exc)
    if exc.filename and Path(exc.filename) != root:
        return f"{reason}: {exc.filename}"
    return reason
