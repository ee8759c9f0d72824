"""Claim validation: parse what a user typed, or say precisely what is wrong with it.

Every validator takes the raw text (plus what it needs: `now`, a currency, a policy) and returns
the parsed value or raises `ValidationError(code, **params)`. The code is a stable machine name
("amount.not_positive") that the UI maps to a translated sentence; the params are the values
that sentence needs. Nothing here is user-facing English, and nothing reads the clock.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from babel.numbers import get_currency_precision

from flows.rules.money import (
    AMBIGUOUS_SYMBOLS,
    currency_tokens,
    currency_words,
    current_currencies,
    is_currency_token,
    known_currencies,
)

ParamValue = str | int | Decimal | date


class ValidationError(Exception):
    """Bad input from a user; `code` names the problem, `params` fill in its message."""

    def __init__(self, code: str, **params: ParamValue) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params: dict[str, ParamValue] = params


class Category(StrEnum):
    NOT_RECEIVED = "not_received"
    LATE_DELIVERY = "late_delivery"
    QUALITY_DEFECT = "quality_defect"
    NOT_AS_DESCRIBED = "not_as_described"  # includes a wrong item
    SHORT_SHIPMENT = "short_shipment"  # short or incomplete shipment
    COUNTERFEIT = "counterfeit"
    BREACH_OF_TERMS = "breach_of_terms"
    OTHER = "other"


class EvidenceTag(StrEnum):
    DEFECT = "defect"
    DELIVERY = "delivery"
    CONTRACT = "contract"  # contract or specification
    PAYMENT = "payment"
    COMMUNICATION = "communication"
    CHAT_SCREENSHOT = "chat_screenshot"  # of an outside chat: the other party may confirm it
    OTHER = "other"


class EvidenceKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VIDEO = "video"
    VOICE = "voice"
    STATEMENT = "statement"  # written text, no file


class DesiredOutcome(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN_AND_REFUND = "return_and_refund"
    REPLACEMENT = "replacement"
    DISCOUNT = "discount"  # on a future order
    OTHER = "other"


_NEEDS_EVIDENCE = frozenset({Category.QUALITY_DEFECT, Category.NOT_AS_DESCRIBED})


def requires_evidence(category: Category) -> bool:
    """Quality and not-as-described claims need at least one evidence item."""
    return category in _NEEDS_EVIDENCE


@dataclass(frozen=True)
class ClaimPolicy:
    """Claim windows and input limits (configuration, not code)."""

    receipt_window_days: int = 30  # from receipt of the goods
    non_delivery_window_days: int = 90  # from the agreed delivery date, for non-delivery
    max_order_number: int = 64
    max_product: int = 200
    max_supplier_name: int = 200
    max_supplier_contact: int = 200
    # A description may be longer than one Telegram message (4,096 characters): a second
    # message sent right after it continues it, up to this limit (README, "Limits").
    max_description: int = 8000
    max_statement: int = 4000
    max_label: int = 100
    max_amount: Decimal = Decimal(10) ** 12
    max_quantity: int = 10**9
    max_date_age_days: int = 3 * 365  # an order date older than this is surely a typo
    max_evidence_bytes: int = 20 * 1024 * 1024  # the Bot API's download limit


_DEFAULT_POLICY = ClaimPolicy()


def _normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC), any script's digits to 0-9, dashes to '-', ’ to '."""
    text = unicodedata.normalize("NFKC", text)
    chars = []
    for char in text:
        if char in "\u2212\u2012\u2013":
            chars.append("-")
        elif char == "\u2019":  # the Swiss thousands separator, as Babel writes it
            chars.append("'")
        elif not char.isascii() and unicodedata.decimal(char, None) is not None:
            chars.append(str(unicodedata.decimal(char)))
        else:
            chars.append(char)
    return "".join(chars).strip()


# ---------------------------------------------------------------- text and numbers


def parse_text(text: str, *, min_len: int = 1, max_len: int) -> str:
    """The text with surrounding whitespace stripped; its length checked in characters."""
    value = text.strip()
    if not value:
        raise ValidationError("text.empty")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise ValidationError("text.invalid_characters")
    if len(value) < min_len:
        raise ValidationError("text.too_short", min=min_len)
    if len(value) > max_len:
        # The length too, so the reader knows how much to cut, not only where the limit is.
        raise ValidationError("text.too_long", max=max_len, length=len(value))
    return value


def parse_label(text: str, policy: ClaimPolicy = _DEFAULT_POLICY) -> str:
    """An evidence item's short label (1 to `policy.max_label` characters).

    Raises label.empty / label.too_long (not text.*): the UI says "a label" rather than "text".
    """
    try:
        return parse_text(text, max_len=policy.max_label)
    except ValidationError as error:
        code = error.code.replace("text.", "label.", 1)
        raise ValidationError(code, **error.params) from None


def parse_quantity(text: str, *, max_quantity: int = _DEFAULT_POLICY.max_quantity) -> int:
    """A positive whole number; tolerates '1,000', '1 000' and full-width digits."""
    value = _normalize(text)
    negative = value.startswith("-")
    digits = value.lstrip("+-").strip()
    if not digits:
        raise ValidationError("quantity.not_integer")
    if any(sep in digits for sep in ", '"):
        groups = re.split(r"[, ']+", digits)
        if not _valid_groups(groups):
            raise ValidationError("quantity.not_integer")
        digits = "".join(groups)
    if not digits.isdigit() or len(digits) > 30:
        raise ValidationError("quantity.not_integer")
    number = int(digits)
    if negative or number == 0:
        raise ValidationError("quantity.not_positive")
    if number > max_quantity:
        raise ValidationError("quantity.too_large", max=max_quantity)
    return number


def _valid_groups(groups: list[str]) -> bool:
    """Digit groups as written with thousands separators: 1,234,567 or Indian 12,34,567."""
    if len(groups) < 2 or not all(g.isdigit() for g in groups) or groups[0].startswith("0"):
        return False
    first, *rest = groups
    western = 1 <= len(first) <= 3 and all(len(g) == 3 for g in rest)
    indian = 1 <= len(first) <= 2 and len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1])
    return western or indian


_GROUP_SEPARATORS = frozenset({",", ".", " ", "'"})


def _split_number(number: str) -> tuple[str, str]:
    """Integer and fraction digits of a written number, or raise amount.not_a_number."""
    bad = ValidationError("amount.not_a_number")
    number = re.sub(r"\s+", " ", number)
    dots, commas = number.count("."), number.count(",")
    decimal_sep: str | None = None
    if dots and commas:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        if number.count(decimal_sep) != 1:
            raise bad
    elif dots == 1:
        decimal_sep = "."
    elif commas == 1:
        # "1,234" is a thousands separator; "1234,5" and "0,500" can only be decimal commas.
        head, tail = number.split(",")
        grouped = len(tail) == 3 and _valid_groups([*re.split(r"[ ']", head), tail])
        decimal_sep = None if grouped else ","
    whole, fraction = number.rsplit(decimal_sep, 1) if decimal_sep else (number, "")
    if fraction and not fraction.isdigit():
        raise bad
    separators = set(re.sub(r"\d", "", whole))
    if len(separators) > 1 or not separators <= _GROUP_SEPARATORS:
        raise bad
    if separators:
        groups = whole.split(separators.pop())
        if not _valid_groups(groups):
            raise bad
        whole = "".join(groups)
    if not whole.isdigit() and not (whole == "" and fraction):
        raise bad
    return whole, fraction


# ---------------------------------------------------------------- currencies


def parse_currency(text: str, *, on: date | None = None) -> str:
    """An ISO 4217 code from a code, an unambiguous symbol or a name ('usd', '€', '人民币').

    Codes that are no longer (or never were) legal tender are refused; pass `on` (the order date)
    to accept a currency that was still in use then.
    """
    word = _normalize(text).casefold()
    if word in AMBIGUOUS_SYMBOLS:
        raise ValidationError("currency.ambiguous", symbol=word)
    code = currency_words().get(word, word.upper())
    if code in current_currencies(on):
        return code
    if code in known_currencies():
        raise ValidationError("currency.withdrawn", currency=code)
    raise ValidationError("currency.unknown")


# ---------------------------------------------------------------- amounts


def parse_amount(
    text: str, currency: str, *, max_amount: Decimal = _DEFAULT_POLICY.max_amount
) -> Decimal:
    """A positive amount in `currency`, quantized to its minor unit ('1,234.50' -> 1234.50).

    Accepts thousands separators (',', '.', space, apostrophe), a decimal comma where it cannot be
    a thousands separator, full-width digits, and the currency's own code or symbol before or
    after the number. Refuses exponents, NaN/Infinity and more decimals than the currency has.
    """
    value = _normalize(text)
    digits = [i for i, char in enumerate(value) if char.isdigit()]
    if not digits or len(value) > 64:
        raise ValidationError("amount.not_a_number")
    prefix, number, suffix = (
        value[: digits[0]],
        value[digits[0] : digits[-1] + 1],
        value[digits[-1] + 1 :],
    )
    if prefix.endswith((".", ",")):  # ".5"
        prefix, number = prefix[:-1], prefix[-1] + number
    if suffix.startswith((".", ",")) and not suffix[1:2].isalnum():  # "120."
        suffix = suffix[1:]
    negative = False
    tokens = []
    for part in (prefix, suffix):
        part = part.strip()
        if part and part[0] in "+-":
            negative = negative or part[0] == "-"
            part = part[1:].strip()
        if part and part[-1] in "+-":
            negative = negative or part[-1] == "-"
            part = part[:-1].strip()
        if part:
            tokens.append(part.casefold())
    for token in tokens:
        if token not in currency_tokens(currency):
            if is_currency_token(token):
                raise ValidationError("amount.currency_mismatch", currency=currency)
            raise ValidationError("amount.not_a_number")
    whole, fraction = _split_number(number)
    if len(whole.lstrip("0")) > 18:
        raise ValidationError("amount.too_large", max=max_amount)
    amount = Decimal(f"{whole or '0'}.{fraction or '0'}")
    if negative or amount == 0:
        raise ValidationError("amount.not_positive")
    precision = get_currency_precision(currency)
    if len(fraction) > precision:
        raise ValidationError("amount.too_many_decimals", decimals=precision)
    if amount > max_amount:
        raise ValidationError("amount.too_large", max=max_amount)
    return amount.quantize(Decimal(1).scaleb(-precision))


# ---------------------------------------------------------------- dates

_DATE_PATTERNS = (
    # 2026-11-20, 2026/11/20, 2026.11.20 (one separator throughout)
    (re.compile(r"(?P<y>\d{4})\s*(?P<s>[-/.])\s*(?P<m>\d{1,2})\s*(?P=s)\s*(?P<d>\d{1,2})")),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),  # 20.11.2026
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),  # 20261120
)


def local_today(now: datetime, tz: tzinfo | None = None) -> date:
    """The calendar date at `now` in `tz` (or in `now`'s own time zone)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date() if tz is not None else now.date()


def parse_date(text: str, now: datetime, tz: tzinfo, *, max_age_days: int | None = None) -> date:
    """A calendar date, not in the future in the user's time zone `tz`.

    Accepts 2026-11-20, 2026/11/20, 2026.11.20, 20.11.2026, 2026年11月20日 and 20261120.
    Slash dates with the day or month first are refused: 03/04/2026 means two things.
    """
    value = _normalize(text)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            break
    else:
        raise ValidationError("date.format")
    try:
        parsed = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValidationError("date.invalid") from None
    today = local_today(now, tz)
    if parsed > today:
        raise ValidationError("date.future")
    if max_age_days is not None and parsed < today - timedelta(days=max_age_days):
        raise ValidationError("date.too_old", limit_days=max_age_days)
    return parsed


def check_claim_window(
    category: Category,
    order_date: date,
    received_date: date | None,
    agreed_delivery_date: date | None,
    now: datetime,
    policy: ClaimPolicy = _DEFAULT_POLICY,
    *,
    tz: tzinfo | None = None,
) -> None:
    """Refuse a claim filed too late (or, for non-delivery, before the goods are even late).

    Goods received: `receipt_window_days` from receipt. Not received (the category, or no
    receipt date): `non_delivery_window_days` from the agreed delivery date, or from the order
    date when no delivery date was agreed. The last day of the window still counts.
    """
    for later in (received_date, agreed_delivery_date):
        if later is not None and later < order_date:
            raise ValidationError("date.before_order")
    today = local_today(now, tz)
    if category is not Category.NOT_RECEIVED and received_date is not None:
        start, limit = received_date, policy.receipt_window_days
    else:
        start, limit = agreed_delivery_date or order_date, policy.non_delivery_window_days
        if category is Category.NOT_RECEIVED and today <= start:
            raise ValidationError("claim.too_early", available_from=start + timedelta(days=1))
    last_day = start + timedelta(days=limit)
    if today > last_day:
        raise ValidationError("claim.too_late", limit_days=limit, last_day=last_day)


# ---------------------------------------------------------------- evidence files

_IMAGES: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("jpg", "jpeg", "jfif"),
    "image/png": ("png",),
    "image/webp": ("webp",),
    "image/heic": ("heic",),
    "image/heif": ("heif",),
}
_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/msword": ("doc",),
    "application/vnd.ms-excel": ("xls",),
    "text/plain": ("txt",),
    "text/csv": ("csv",),
}
_VIDEOS: dict[str, tuple[str, ...]] = {"video/mp4": ("mp4",), "video/quicktime": ("mov",)}
_AUDIO: dict[str, tuple[str, ...]] = {
    "audio/ogg": ("ogg", "oga"),
    "audio/opus": ("opus",),
    "audio/mpeg": ("mp3",),
    "audio/mp4": ("m4a",),
    "audio/x-m4a": ("m4a",),
}
# A file sent "as a document" may be anything on the list: people send photos uncompressed.
ALLOWED_TYPES: dict[EvidenceKind, dict[str, tuple[str, ...]]] = {
    EvidenceKind.PHOTO: _IMAGES,
    EvidenceKind.DOCUMENT: {**_IMAGES, **_DOCUMENTS, **_VIDEOS, **_AUDIO},
    EvidenceKind.VIDEO: _VIDEOS,
    EvidenceKind.VOICE: _AUDIO,
}
# Telegram re-encodes these itself, so a missing MIME type and file name are fine.
_NATIVE_MEDIA = frozenset({EvidenceKind.PHOTO, EvidenceKind.VIDEO, EvidenceKind.VOICE})
_GENERIC_MIMES = frozenset({"", "application/octet-stream"})
_ZIP_BASED = frozenset({"docx", "xlsx"})  # some clients call these application/zip


def check_evidence_file(
    kind: EvidenceKind,
    mime_type: str | None,
    file_name: str | None,
    size: int | None,
    policy: ClaimPolicy = _DEFAULT_POLICY,
) -> None:
    """Refuse a file over the download limit or of a type not on the allow-list."""
    if kind is EvidenceKind.STATEMENT:
        raise ValueError("a written statement has no file to check")
    if size is not None and size <= 0:
        raise ValidationError("evidence.empty")
    if size is not None and size > policy.max_evidence_bytes:
        raise ValidationError("evidence.too_big", max_mb=policy.max_evidence_bytes // 2**20)
    allowed = ALLOWED_TYPES[kind]
    extensions = {ext for exts in allowed.values() for ext in exts}
    mime = (mime_type or "").split(";")[0].strip().lower()
    name = (file_name or "").strip().lower()
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    generic = mime in _GENERIC_MIMES or (mime == "application/zip" and ext in _ZIP_BASED)
    if mime in allowed and (not ext or ext in extensions):
        return
    if generic and ext in extensions:
        return
    if not mime and not ext and kind in _NATIVE_MEDIA:
        return
    raise ValidationError(
        "evidence.type_not_allowed", kind=kind.value, allowed=", ".join(sorted(extensions))
    )
