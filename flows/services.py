"""What every handler needs, created once in `post_init` and kept in `application.bot_data`.

Nothing here is a module-level global: the engine, clock and catalogs are handed to the flows
through the application's context. The configuration is `bot/`'s (`bot/config.py: Settings`,
read from the environment); the flows name what they read of it (`ServiceSettings`), so they
need not import the shell above them. A setting read through `services.settings` is added there.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import SecretStr
from telegram import User as TelegramUser
from telegram.ext import CallbackContext

from flows.clock import Clock
from flows.evidence_files import EvidenceFiles
from flows.rules.deadlines import DeadlinePolicy
from flows.rules.lifecycle import DeadlineKind, LifecyclePolicy
from flows.rules.validation import ClaimPolicy
from locales.i18n import Catalogs, Translator, language_from_telegram
from storage import Case, Database, Draft, NewDeadline, PendingInput, User
from storage.ledger import current_update
from storage.repos.updates import FirstLook
from storage.repos.users import UNREAD, Unread

SERVICES_KEY = "services"
# Until a reader sets /timezone: Simplified Chinese readers are almost all on China Standard
# Time; everyone else gets DEFAULT_TIMEZONE. Every time shown names its UTC offset anyway.
LANGUAGE_TIMEZONES = {"zh_Hans": "Asia/Shanghai"}


class ServiceSettings(Protocol):
    """What is read of the configuration through `Services` (`bot/config.py: Settings` is it)."""

    @property
    def default_language(self) -> str: ...
    @property
    def default_timezone(self) -> str: ...
    @property
    def error_chat_id(self) -> int | None: ...
    @property
    def mediator_chat_id(self) -> int | None: ...
    @property
    def mediator_ids(self) -> frozenset[int]: ...
    @property
    def invitation_days(self) -> float: ...
    @property
    def fulfilment_days(self) -> float: ...
    @property
    def blind_bid_gap_percent(self) -> float: ...
    @property
    def blind_bid_rounds(self) -> int: ...
    @property
    def similar_cases_min(self) -> int: ...
    # Masked in the operators' error report (bot/errors.py).
    @property
    def telegram_bot_token(self) -> SecretStr | None: ...
    @property
    def database_url(self) -> str: ...

    def claim_policy(self) -> ClaimPolicy: ...


@dataclass
class Services:
    settings: ServiceSettings
    db: Database
    clock: Clock
    catalogs: Catalogs
    policy: DeadlinePolicy
    files: EvidenceFiles
    lifecycle: LifecyclePolicy

    @property
    def has_mediators(self) -> bool:
        """Whether the service has mediators (a staff chat): without them nobody ever takes a
        case, so nothing may be offered "for the mediator" (NO_MEDIATOR_OUTCOMES)."""
        return self.settings.mediator_chat_id is not None

    def translator_for(self, user: User | None) -> Translator:
        """A translator for a stored user: their chosen language, else Telegram's, else default."""
        default = self.settings.default_language
        if user is None:
            return self.catalogs.translator(default, self.settings.default_timezone)
        language = user.language or language_from_telegram(user.telegram_language, default)
        zone = user.timezone or LANGUAGE_TIMEZONES.get(language, self.settings.default_timezone)
        return self.catalogs.translator(language, zone)

    async def reader(self, tg_user: TelegramUser) -> tuple[User, Translator]:
        """Record who is talking to us and how to speak to them."""
        looked = _first_look.get()
        known: User | Unread | None = UNREAD
        if looked is not None and looked.user_id == tg_user.id and looked.user_unread:
            # read with the ledger check (`flows/ledger.py`); once only: a later reader of the
            # same update may follow a write of it (a language chosen)
            looked.user_unread = False
            known = looked.found.user
        user = await self.db.users.upsert(
            tg_user.id,
            tg_user.full_name,
            tg_user.username,
            tg_user.language_code,
            self.clock.now(),
            known=known,
        )
        return user, self.translator_for(user)

    def deadline(
        self,
        kind: DeadlineKind,
        now: datetime,
        *,
        filed_at: datetime | None = None,
        due: datetime | None = None,
    ) -> NewDeadline:
        """A deadline of `kind` starting now: its due time from the policy (or `due`) and its
        reminder times."""
        if (
            due is None
            and kind is DeadlineKind.MEDIATOR_ASSIGNMENT
            and self.settings.mediator_chat_id is None
        ):
            # No mediators: nobody is assigned, and the time is the parties' last to agree
            # before the case closes unresolved (`NO_MEDIATOR_OUTCOMES`), as long as mediation.
            due = now + self.policy.mediation
        due = due or self.policy.due_at(kind, now, filed_at)
        return NewDeadline(kind, now, due, self.policy.reminder_times(now, due))

    async def active_draft(self, user_id: int) -> tuple[Case, Draft] | None:
        """The user's claim in progress (`CaseRepo.active_draft_for`): as the update's first look
        read it in their private chat, once, else read now."""
        looked = _first_draft(user_id)
        if not isinstance(looked, Unread):
            return looked
        return await self.db.cases.active_draft_for(user_id)

    async def translator_for_id(self, user_id: int) -> Translator:
        return self.translator_for(await self.db.users.get(user_id))


@dataclass
class Looked:
    """What `flows/ledger.py: stamp_update` read before any handler ran, each part for its
    first reader only (a later one may follow a write of the same update)."""

    user_id: int
    chat_id: int | None
    found: FirstLook
    user_unread: bool = True
    pending_unread: bool = True
    draft_unread: bool = True


_first_look: ContextVar[Looked | None] = ContextVar("first_look", default=None)


def remember_first_look(looked: Looked | None) -> None:
    """Keep (None: forget) the update's first look, for its first readers."""
    _first_look.set(looked)


def first_seen(user_id: int) -> bool:
    """Whether the update's first look found no row of `user_id`: someone new, with nothing
    of theirs (a claim draft, a case) in the database when their update arrived."""
    looked = _first_look.get()
    return looked is not None and looked.user_id == user_id and looked.found.user is None


def first_pending(user_id: int, chat_id: int) -> PendingInput | Unread | None:
    """The pending input of (user, chat) as the first look read it, once (UNREAD: not read)."""
    looked = _first_look.get()
    if looked is None or not looked.pending_unread:
        return UNREAD
    entry = current_update()
    if entry is not None and entry.commits:  # a recorder wrote since (a group's move): read again
        return UNREAD
    if (looked.user_id, looked.chat_id) != (user_id, chat_id):
        return UNREAD
    looked.pending_unread = False
    return looked.found.pending


def _first_draft(user_id: int) -> tuple[Case, Draft] | Unread | None:
    """The user's claim in progress as the first look read it (in their private chat), once,
    and only while nothing of the update was written since (UNREAD: read it now)."""
    looked = _first_look.get()
    if looked is None or not looked.draft_unread or looked.user_id != user_id:
        return UNREAD
    if looked.chat_id != user_id:
        return UNREAD
    entry = current_update()
    if entry is not None and entry.commits:
        return UNREAD
    looked.draft_unread = False
    return looked.found.draft


def get_services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    services = context.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("services are not initialised; post_init did not run")
    return services
