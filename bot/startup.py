"""Start-up checks: a setting the bot cannot work with stops it before the first update.

Each check turns what would otherwise be a driver traceback, or a failure found only when a
buyer's evidence does not save, into a `ConfigError`: one line naming the variable and the
problem, the database shown without its password.
"""

from __future__ import annotations

import logging

from telegram import Bot, ChatMemberAdministrator
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.config import ConfigError, Settings
from flows.clock import Clock
from flows.evidence_files import EvidenceFiles
from flows.evidence_store import EvidenceStore, StoreError, move_legacy_files, open_store
from flows.rules.lifecycle import LifecyclePolicy
from storage import Database, DatabaseUnavailable, display_url, migrate

__all__ = ["check_staff_chat", "evidence_files", "migrate_database", "open_database", "where"]

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)


async def evidence_files(settings: Settings, db: Database, clock: Clock) -> EvidenceFiles:
    """The evidence store, proven usable (a folder created and written to, a bucket reached),
    with the files of rows stored before migration 0010 moved into it."""
    store = await _store(settings, db, clock)
    await _move_legacy(db, store)
    return EvidenceFiles(store)


async def open_database(settings: Settings, lifecycle: LifecyclePolicy) -> Database:
    """The database, reachable and migrated."""
    try:
        return await Database.connect(settings.database_url, lifecycle_policy=lifecycle)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None


async def migrate_database(settings: Settings, clock: Clock) -> None:
    """`disputebot migrate`: bring the database up to date, and move the evidence files of rows
    stored before migration 0010 (a path on one machine) into the configured store."""
    try:
        await migrate(settings.database_url)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None
    db = await Database.connect(settings.database_url, migrate=False)
    try:
        await _move_legacy(db, await _store(settings, db, clock))
    finally:
        await db.dispose()


async def check_staff_chat(bot: Bot, settings: Settings) -> None:
    """The mediators' staff chat is a group the bot is in, with the rights it needs there: to
    post (a member), and in a forum to open a topic per case (an administrator who may manage
    topics). Without one, the bot runs and says so: nobody is promised a mediator."""
    chat_id = settings.mediator_chat_id
    if chat_id is None:
        log.warning(
            "MEDIATOR_CHAT_ID is not set: escalated cases have no mediators; the parties are "
            "told so plainly (set it to the mediators' staff group)"
        )
        return
    name = "MEDIATOR_CHAT_ID"
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as exc:
        raise ConfigError(
            f"{name}: the bot cannot reach chat {chat_id} ({exc.message}); add the bot to the "
            "mediators' staff group"
        ) from None
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise ConfigError(f"{name}: chat {chat_id} is a {chat.type}, not a group")
    if member.status not in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
        raise ConfigError(
            f"{name}: the bot is not a member of chat {chat_id} ({member.status}); add it"
        )
    if chat.is_forum and not (
        isinstance(member, ChatMemberAdministrator) and member.can_manage_topics
    ):
        raise ConfigError(
            f"{name}: chat {chat_id} is a forum; make the bot an administrator with the right "
            "to manage topics, so that each case gets its own topic"
        )


def where(settings: Settings) -> str:
    """The database (password hidden) and the evidence store, for the start-up log."""
    spec = settings.store_spec()
    if spec.kind == "folder" and spec.folder is not None:
        store = f"evidence folder {spec.folder.absolute()}"
    elif spec.kind == "s3":
        store = f"evidence in s3://{spec.bucket}/{spec.prefix}"
    else:
        store = "evidence in the database"
    return f"database {display_url(settings.database_url)}, {store}"


async def _store(settings: Settings, db: Database, clock: Clock) -> EvidenceStore:
    name = "EVIDENCE_STORE" if settings.evidence_store else "EVIDENCE_DIR"
    try:
        store = open_store(settings.store_spec(), db, clock)
        await store.check()
    except StoreError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    return store


async def _move_legacy(db: Database, store: EvidenceStore) -> None:
    moved, left = await move_legacy_files(db, store)
    if moved:
        log.info("moved %d evidence file(s) into the %s", moved, store.describe())
    if left:
        log.error(
            "%d evidence file(s) stored before the evidence store could not be moved (see above)",
            left,
        )
