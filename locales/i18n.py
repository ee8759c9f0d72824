"""Messages in the reader's language: gettext catalogs compiled at start-up, Babel formatting.

Message ids are stable keys (``claim.ask.amount``); the English catalog holds the English text.
Catalogs are compiled from the `.po` files in memory when the bot starts, so a stale `.mo` can
never be in use; a process keeps what it compiled by the `.po` file's content (`_COMPILED`),
so a second start (the tests start the bot hundreds of times) reads the file but compiles it
again only if it changed. Placeholders are named (``{amount}``) and filled after translation.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import logging
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format, get_timezone_gmt
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

log = logging.getLogger(__name__)

LANGUAGES = ("en", "zh_Hans")
SIMPLIFIED_CHINESE_CODES = frozenset(
    {"zh", "zh-hans", "zh-cn", "zh-sg", "zh-hans-cn", "zh-hans-sg"}
)


def N_(key: str) -> str:
    """Mark a catalog key kept in a table, so extraction finds it; returns it unchanged."""
    return key


def language_from_telegram(code: str | None, default: str = "en") -> str:
    """Map Telegram's `language_code` to one of our catalogs."""
    if not code:
        return default
    normalised = code.strip().lower().replace("_", "-")
    if normalised in SIMPLIFIED_CHINESE_CODES:
        return "zh_Hans"
    if normalised == "en" or normalised.startswith("en-"):
        return "en"
    return default


def locales_dir() -> Path:
    return Path(str(resources.files("locales")))


class MissingTranslation(LookupError):
    """A key has no entry in a catalog."""


class Translator:
    """Everything needed to speak to one reader: their language and time zone."""

    def __init__(
        self,
        language: str,
        translations: gettext.GNUTranslations,
        timezone: str = "UTC",
        substitutes: Mapping[str, str] | None = None,
    ) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self.tz = ZoneInfo(timezone)
        self._translations = translations
        self._substitutes = substitutes or {}

    def t(self, key: str, **params: object) -> str:
        """The message `key` in the reader's language, with placeholders filled (or the message
        this service says instead of it: `Catalogs(substitutes=...)`)."""
        key = self._substitutes.get(key, key)
        text = self._translations.gettext(key)
        if text == key:
            log.error("missing translation for %r in %s", key, self.language)
        return text.format(**params) if params else text

    def tn(self, key: str, plural_key: str, n: int, **params: object) -> str:
        """A message with a plural form chosen for `n` by the catalog's plural rule."""
        key = self._substitutes.get(key, key)
        plural_key = self._substitutes.get(plural_key, plural_key)
        text = self._translations.ngettext(key, plural_key, n)
        return text.format(n=self.number(n), **params)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def file_size(self, size: int) -> str:
        """Bytes as B, KB or MB with the locale's number format (units are international)."""
        if size < 1024:
            return f"{self.number(size)} B"
        if size < 1024 * 1024:
            return f"{format_decimal(size / 1024, '#,##0.#', locale=self.locale)} KB"
        return f"{format_decimal(size / 1024 / 1024, '#,##0.#', locale=self.locale)} MB"

    def money(self, amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=self.locale)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A moment in the reader's time zone, with the zone named so nobody guesses."""
        local = value.astimezone(self.tz)
        # CLDR's own way of joining a medium date and a short time (no seconds) for the locale.
        pattern = get_datetime_format("medium", locale=self.locale)
        day = format_date(local, format="medium", locale=self.locale)
        time = format_time(local, format="short", tzinfo=self.tz, locale=self.locale)
        zone = get_timezone_gmt(local, width="long", locale=self.locale)
        return str(pattern).replace("{1}", day).replace("{0}", time) + f" ({zone})"

    def with_timezone(self, timezone: str) -> Translator:
        return Translator(self.language, self._translations, timezone, self._substitutes)


MAX_TRANSLATORS = 4096

# Compiled catalogs of this process by the digest of their .po file's bytes: a GNUTranslations
# is never changed once compiled and its fallback set (Catalogs.__init__), so every Catalogs of
# the same files shares them. Keyed by content, not by path or time, so an edited .po is
# compiled again however quickly it changed. A handful of entries in practice (two languages,
# and the tests' edited copies).
_COMPILED: dict[tuple[str, bytes, bytes], gettext.GNUTranslations] = {}


class Catalogs:
    """The compiled catalogs of every supported language."""

    def __init__(
        self,
        directory: Path | None = None,
        domain: str = "messages",
        substitutes: Mapping[str, str] | None = None,
    ) -> None:
        """`substitutes` maps a message key to the key said instead of it by every translator,
        for a service configured otherwise (one without mediators says what happens then);
        each substitute's placeholders are a subset of its original's."""
        self.directory = directory or locales_dir()
        self.domain = domain
        self.substitutes = dict(substitutes or {})
        self._compiled: dict[str, gettext.GNUTranslations] = {}
        # A translator holds nothing of its reader but language and zone, so one per pair is
        # made and kept (babel's Locale.parse alone cost about 0.3 ms on every update).
        self._translators: dict[tuple[str, str], Translator] = {}
        sources = {language: self._read(language) for language in LANGUAGES}
        english_digest = hashlib.blake2b(sources["en"]).digest()
        for language in LANGUAGES:
            source = sources[language]
            # A translation's fallback is English: its entry is for the pair of files.
            fallback = b"" if language == "en" else english_digest
            key = (language, hashlib.blake2b(source).digest(), fallback)
            compiled = _COMPILED.get(key)
            if compiled is None:
                compiled = self._compile(language, source)
                if language != "en":
                    compiled.add_fallback(self._compiled["en"])
                _COMPILED[key] = compiled
            self._compiled[language] = compiled

    def _read(self, language: str) -> bytes:
        return (self.directory / language / "LC_MESSAGES" / f"{self.domain}.po").read_bytes()

    @staticmethod
    def _compile(language: str, source: bytes) -> gettext.GNUTranslations:
        catalog = read_po(io.BytesIO(source), locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)

    def translator(self, language: str, timezone: str = "UTC") -> Translator:
        if language not in self._compiled:
            language = "en"
        made = self._translators.get((language, timezone))
        if made is None:
            made = Translator(language, self._compiled[language], timezone, self.substitutes)
            if len(self._translators) < MAX_TRANSLATORS:  # languages x zones in use
                self._translators[(language, timezone)] = made
        return made
