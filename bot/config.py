"""Typed configuration, read once at start-up from the environment and an optional `.env`.

A bad value stops start-up with one line naming the variable and the problem
(`ConfigError`), never a silent default.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from flows.evidence_store import StoreSpec, parse_store_url
from flows.rules.deadlines import DeadlinePolicy
from flows.rules.lifecycle import LifecyclePolicy
from flows.rules.validation import ClaimPolicy
from flows.rules.working_days import WorkingDays, supported_countries
from storage import to_async_url

SUPPORTED_LANGUAGES = ("en", "zh_Hans")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What @BotFather hands out: the bot's numeric id, a colon, then letters, digits, - and _.
_BOT_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# setWebhook's secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Telegram posts only to HTTPS; plain http is for a Bot API server on this machine (the sandbox).
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""


class Settings(BaseSettings):
    """Every knob of the bot. Deadline lengths are in hours unless the name says days."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite:///data/disputebot.db"
    evidence_dir: Path = Path("data/evidence")
    # Where evidence files are kept (flows/evidence_store.py): a folder (a path or file://...;
    # unset: EVIDENCE_DIR), `database:` (the bot's own database) or s3://bucket/prefix?endpoint=...
    evidence_store: str | None = None
    default_language: str = "en"
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    # A chat (usually a group the bot was added to) where every unhandled error is reported in
    # one short line; None: the logs only.
    error_chat_id: int | None = None
    # The mediators' staff chat (a group, a forum where possible): escalated cases are posted
    # there and every member is a mediator, narrowed to MEDIATOR_IDS (comma-separated Telegram
    # user ids) when set. None: the service has no mediators, and escalation says so.
    mediator_chat_id: int | None = None
    mediator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Whose public holidays the mediators' working days skip (ISO 3166 code, e.g. CN); None:
    # weekends only.
    mediator_holidays_country: str | None = None

    draft_expiry_days: float = Field(7, gt=0)
    invitation_make_days: float = Field(7, gt=0)  # filing to the first supplier invitation
    supplier_response_days: float = Field(3, gt=0)
    negotiation_days: float = Field(7, gt=0)
    negotiation_cap_days: float = Field(8, gt=0)
    mediator_assignment_working_days: int = Field(2, gt=0)
    mediation_days: float = Field(7, gt=0)
    arbitration_statements_days: float = Field(3, gt=0)
    arbitration_decision_days: float = Field(5, gt=0)
    fulfilment_days: float = Field(7, gt=0)
    reconsideration_days: float = Field(3, gt=0)
    evidence_request_days: float = Field(2, gt=0)  # a mediator's request, unless they say
    blind_bid_gap_percent: float = Field(10, ge=0, le=100)  # of the amount paid
    blind_bid_rounds: int = Field(3, gt=0, le=10)
    # What similar cases ended with is shown only from this many closed cases on (issue 10).
    similar_cases_min: int = Field(20, ge=10)
    buyer_mediation_after_days: float = Field(3, ge=0)  # the buyer may ask from day 4
    reminder_hours_before: float = Field(24, gt=0)
    claim_window_days: int = Field(30, gt=0)
    non_delivery_window_days: int = Field(90, gt=0)
    max_evidence_mb: int = Field(20, gt=0, le=20)
    invitation_days: float = Field(7, gt=0)
    rate_limit_per_second: float = Field(30, gt=0)  # Telegram's overall limit for a bot
    rate_limit_group_per_minute: float = Field(20, gt=0)  # Telegram's limit per group
    rate_limit_private_per_second: float = Field(1, gt=0)  # Telegram's limit per private chat
    # Where the rate limits are counted for every worker together (bot/rate_limits.py); none:
    # in each process (one worker).
    rate_limit_redis_url: str | None = None
    sweep_interval_seconds: float = Field(30, ge=0)  # 0: no scheduler (tests sweep by hand)
    # `disputebot run --webhook` (bot/webhook.py): Telegram posts to WEBHOOK_URL (public, behind
    # a reverse proxy) and the bot listens on WEBHOOK_LISTEN:WEBHOOK_PORT at the URL's path.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=0, le=65535)  # 0: any free port (tests)
    webhook_secret_token: SecretStr | None = None
    webhook_max_connections: int = Field(40, ge=1, le=100)  # setWebhook's limit

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        token = value.get_secret_value().strip() if value is not None else ""
        if not token:
            return None  # `require_token` says so where a token is needed
        if not _BOT_TOKEN.fullmatch(token):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError(
                "is not a bot token: expected digits, a colon and letters, digits, - or _ "
                "(123456:ABC-DEF...), as @BotFather gives it"
            )
        return SecretStr(token)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if not parts.hostname or parts.scheme not in ("http", "https"):
            raise ValueError("must be a URL such as https://bot.example.com/telegram")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError("must start with https:// (Telegram posts updates only over HTTPS)")
        return value.strip()

    @field_validator("rate_limit_redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if urlsplit(value.strip()).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a Redis URL such as redis://127.0.0.1:6379/0")
        return value.strip()

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if not secret:
            return None
        if not _SECRET_TOKEN.fullmatch(secret):
            raise ValueError(  # never echo it
                "must be 1 to 256 characters, each a letter A-Z or a-z, a digit, _ or - "
                "(Telegram's rule for the secret token)"
            )
        return SecretStr(secret)

    @field_validator("mediator_ids", mode="before")
    @classmethod
    def _mediator_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        ids = set()
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isascii() or not part.isdigit():
                raise ValueError(
                    f"{part!r} is not a Telegram user id: give ids separated by commas "
                    "(123456789,987654321)"
                )
            ids.add(int(part))
        return frozenset(ids)

    @field_validator("mediator_holidays_country")
    @classmethod
    def _holidays_country(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        code = value.strip().upper()
        if code not in supported_countries():
            raise ValueError(
                f"{value.strip()!r} is not a country the holidays calendar knows; give an "
                "ISO 3166 code such as CN, DE or US"
            )
        return code

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return to_async_url(value)

    @field_validator("evidence_store")
    @classmethod
    def _evidence_store(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_store_url(value, Path("."))  # ValueError naming the problem
        return value.strip()

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not a known IANA time zone (e.g. Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _negotiation_within_cap(self) -> Self:
        # The cap counts from filing, negotiation from the supplier's later response: above
        # the cap, NEGOTIATION_DAYS could never take effect. The message names the variable
        # itself (a model check has no field of its own).
        if self.negotiation_days > self.negotiation_cap_days:
            raise ValueError(
                f"NEGOTIATION_DAYS: {self.negotiation_days:g} is above NEGOTIATION_CAP_DAYS "
                f"({self.negotiation_cap_days:g}), the last day of negotiation after filing; "
                "lower NEGOTIATION_DAYS or raise NEGOTIATION_CAP_DAYS"
            )
        return self

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_base_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(
            draft_expiry=timedelta(days=self.draft_expiry_days),
            supplier_invitation=timedelta(days=self.invitation_make_days),
            supplier_response=timedelta(days=self.supplier_response_days),
            negotiation=timedelta(days=self.negotiation_days),
            negotiation_cap_after_filing=timedelta(days=self.negotiation_cap_days),
            mediator_assignment_working_days=self.mediator_assignment_working_days,
            working_days=WorkingDays(self.mediator_holidays_country),
            mediation=timedelta(days=self.mediation_days),
            arbitration_statements=timedelta(days=self.arbitration_statements_days),
            arbitration_decision=timedelta(days=self.arbitration_decision_days),
            fulfilment=timedelta(days=self.fulfilment_days),
            reconsideration=timedelta(days=self.reconsideration_days),
            evidence_request=timedelta(days=self.evidence_request_days),
            reminder_before=(timedelta(hours=self.reminder_hours_before),),
        )

    def claim_policy(self) -> ClaimPolicy:
        return ClaimPolicy(
            receipt_window_days=self.claim_window_days,
            non_delivery_window_days=self.non_delivery_window_days,
            max_evidence_bytes=self.max_evidence_mb * 1024 * 1024,
        )

    def lifecycle_policy(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            buyer_mediation_after=timedelta(days=self.buyer_mediation_after_days),
            reconsideration_window=timedelta(days=self.reconsideration_days),
        )

    def store_spec(self) -> StoreSpec:
        """EVIDENCE_STORE parsed (validated at load), EVIDENCE_DIR when it is unset."""
        return parse_store_url(self.evidence_store, self.evidence_dir)

    def require_token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN: not set; get a token from @BotFather (against the "
                "sandbox: 123456:SANDBOX-TOKEN)"
            )
        return self.telegram_bot_token.get_secret_value()

    def require_webhook(self) -> tuple[str, str]:
        """The webhook's public URL and secret token, both needed for `run --webhook`."""
        missing = []
        if self.webhook_url is None:
            missing.append(
                "WEBHOOK_URL: not set; the public HTTPS URL Telegram posts updates to "
                "(https://bot.example.com/telegram)"
            )
        if self.webhook_secret_token is None:
            missing.append(
                "WEBHOOK_SECRET_TOKEN: not set; a random string of letters, digits, _ and - "
                "(e.g. from `openssl rand -hex 32`) that every update must carry"
            )
        if missing or self.webhook_url is None or self.webhook_secret_token is None:
            raise ConfigError("; ".join(missing))
        return self.webhook_url, self.webhook_secret_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            # A check across fields has no location; its message starts with the variable.
            problems.append(
                f"{str(error['loc'][0]).upper()}: {message}" if error["loc"] else message
            )
        raise ConfigError("; ".join(problems)) from None
