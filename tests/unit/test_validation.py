"""Claim validation: every parser's accepted forms, its refusals (by code), and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_currency, format_decimal, get_currency_precision
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.validation import (
    Category,
    ClaimPolicy,
    EvidenceKind,
    ValidationError,
    check_claim_window,
    check_evidence_file,
    parse_amount,
    parse_currency,
    parse_date,
    parse_label,
    parse_quantity,
    parse_text,
    requires_evidence,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# 20 Nov 2026, 20:00 UTC: already the 21st in Shanghai, still the 20th in Los Angeles.
NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
FAST = settings(max_examples=150, deadline=None)


def raises_code(code: str, **params: object) -> pytest.RaisesExc[ValidationError]:
    return pytest.raises(ValidationError, check=lambda e: e.code == code and _has(e, params))


def _has(error: ValidationError, params: dict[str, object]) -> bool:
    return all(error.params.get(name) == value for name, value in params.items())


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1234.50", "USD", "1234.50"),
        ("1,234.50", "USD", "1234.50"),
        ("1234,50", "USD", "1234.50"),
        ("1234,5", "USD", "1234.50"),
        ("1 234.50", "USD", "1234.50"),
        ("1\u00a0234,50", "EUR", "1234.50"),
        ("1.234,50", "EUR", "1234.50"),
        ("1'234.50", "CHF", "1234.50"),
        ("1’234.50", "CHF", "1234.50"),
        ("1,000,000", "USD", "1000000.00"),
        ("1.000.000", "EUR", "1000000.00"),
        ("12,34,567.00", "INR", "1234567.00"),
        ("1,234", "USD", "1234.00"),  # a thousands separator, not a decimal comma
        ("１２３４．５", "USD", "1234.50"),
        ("１，２３４．５０", "CNY", "1234.50"),
        ("$120", "USD", "120.00"),
        ("US$ 120", "USD", "120.00"),
        ("120 USD", "USD", "120.00"),
        ("120usd", "USD", "120.00"),
        ("¥120", "CNY", "120.00"),
        ("￥１２０", "CNY", "120.00"),
        ("120元", "CNY", "120.00"),
        ("RMB 120", "CNY", "120.00"),
        ("人民币120", "CNY", "120.00"),
        ("¥120", "JPY", "120"),
        ("120円", "JPY", "120"),
        ("€ 99.99", "EUR", "99.99"),
        ("HK$50", "HKD", "50.00"),
        ("$50", "HKD", "50.00"),  # the bare sign of a dollar currency is fine
        ("1.234", "KWD", "1.234"),
        ("+5", "USD", "5.00"),
        (".5", "USD", "0.50"),
        ("120.", "USD", "120.00"),
        ("  7  ", "USD", "7.00"),
        ("0001", "USD", "1.00"),
        ("1000000000000", "USD", "1000000000000.00"),
    ],
)
def test_parse_amount_accepts(text: str, currency: str, expected: str) -> None:
    result = parse_amount(text, currency)
    assert result == Decimal(expected)
    assert str(result) == expected  # quantized to the currency's minor unit


@pytest.mark.parametrize(
    ("text", "currency", "code", "params"),
    [
        ("", "USD", "amount.not_a_number", {}),
        ("abc", "USD", "amount.not_a_number", {}),
        ("NaN", "USD", "amount.not_a_number", {}),
        ("Infinity", "USD", "amount.not_a_number", {}),
        ("-Infinity", "USD", "amount.not_a_number", {}),
        ("1e5", "USD", "amount.not_a_number", {}),
        ("1E500", "USD", "amount.not_a_number", {}),
        ("1.5e3", "USD", "amount.not_a_number", {}),
        ("0x10", "USD", "amount.not_a_number", {}),
        ("12-5", "USD", "amount.not_a_number", {}),
        ("12 34", "USD", "amount.not_a_number", {}),
        ("1,2,3", "USD", "amount.not_a_number", {}),
        ("1.234.5", "USD", "amount.not_a_number", {}),
        ("1,234,56.00", "USD", "amount.not_a_number", {}),
        ("1_000", "USD", "amount.not_a_number", {}),
        ("5 dollars", "USD", "amount.not_a_number", {}),
        ("about 5", "USD", "amount.not_a_number", {}),
        ("1" * 80, "USD", "amount.not_a_number", {}),
        ("-5", "USD", "amount.not_positive", {}),
        ("−5", "USD", "amount.not_positive", {}),
        ("-$5", "USD", "amount.not_positive", {}),
        ("$-5", "USD", "amount.not_positive", {}),
        ("0", "USD", "amount.not_positive", {}),
        ("0.00", "USD", "amount.not_positive", {}),
        ("1.234", "USD", "amount.too_many_decimals", {"decimals": 2}),
        ("0,500", "USD", "amount.too_many_decimals", {"decimals": 2}),
        ("1.5", "JPY", "amount.too_many_decimals", {"decimals": 0}),
        ("1.2345", "KWD", "amount.too_many_decimals", {"decimals": 3}),
        ("1000000000000.01", "USD", "amount.too_large", {"max": Decimal(10**12)}),
        ("9" * 30, "USD", "amount.too_large", {}),
        ("€5", "USD", "amount.currency_mismatch", {"currency": "USD"}),
        ("5 EUR", "USD", "amount.currency_mismatch", {"currency": "USD"}),
        ("5元", "USD", "amount.currency_mismatch", {"currency": "USD"}),
        ("$5", "EUR", "amount.currency_mismatch", {"currency": "EUR"}),
    ],
)
def test_parse_amount_refuses(
    text: str, currency: str, code: str, params: dict[str, object]
) -> None:
    with raises_code(code, **params):
        parse_amount(text, currency)


def test_parse_amount_custom_maximum() -> None:
    assert parse_amount("500", "USD", max_amount=Decimal(500)) == Decimal(500)
    with raises_code("amount.too_large", max=Decimal(500)):
        parse_amount("500.01", "USD", max_amount=Decimal(500))


CURRENCIES = ["USD", "CNY", "JPY", "EUR", "KWD", "GBP", "HKD", "CHF", "INR"]


@st.composite
def money(draw: st.DrawFn, currencies: list[str] = CURRENCIES) -> tuple[Decimal, str]:
    currency = draw(st.sampled_from(currencies))
    precision = get_currency_precision(currency)
    units = draw(st.integers(min_value=1, max_value=10**12 * 10**precision))
    return Decimal(units).scaleb(-precision), currency


@FAST
@given(money(), st.sampled_from(["en", "zh_Hans"]))
def test_babel_formatted_currency_parses_back(value: tuple[Decimal, str], locale: str) -> None:
    amount, currency = value
    assert parse_amount(format_currency(amount, currency, locale=locale), currency) == amount


@FAST
@given(money(), st.sampled_from(["en", "zh_Hans"]))
def test_babel_formatted_decimal_parses_back(value: tuple[Decimal, str], locale: str) -> None:
    amount, currency = value
    text = format_decimal(amount, locale=locale, decimal_quantization=False)
    assert parse_amount(text, currency) == amount


@FAST
@given(money(["EUR", "CHF"]), st.sampled_from(["de", "fr", "es", "ru"]))
def test_european_formats_with_two_decimals_parse_back(
    value: tuple[Decimal, str], locale: str
) -> None:
    amount, currency = value
    assert parse_amount(format_currency(amount, currency, locale=locale), currency) == amount


@FAST
@given(money())
def test_full_width_input_parses_like_ascii(value: tuple[Decimal, str]) -> None:
    amount, currency = value
    ascii_text = format_decimal(amount, locale="en", decimal_quantization=False)
    full_width = ascii_text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert parse_amount(full_width, currency) == amount


@FAST
@given(st.text(max_size=40), st.sampled_from(CURRENCIES))
def test_parse_amount_raises_only_validation_errors(text: str, currency: str) -> None:
    try:
        result = parse_amount(text, currency)
    except ValidationError as error:
        assert error.code.startswith("amount.")
    else:
        assert 0 < result <= Decimal(10**12)
        assert -result.as_tuple().exponent == get_currency_precision(currency)


# ---------------------------------------------------------------- currencies


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USD", "USD"),
        ("usd", "USD"),
        (" eur ", "EUR"),
        ("ｕｓｄ", "USD"),
        ("€", "EUR"),
        ("¥", "CNY"),
        ("￥", "CNY"),
        ("元", "CNY"),
        ("人民币", "CNY"),
        ("RMB", "CNY"),
        ("rmb", "CNY"),
        ("US$", "USD"),
        ("美元", "USD"),
        ("美金", "USD"),
        ("US Dollar", "USD"),
        ("euro", "EUR"),
        ("日元", "JPY"),
        ("港元", "HKD"),
        ("港币", "HKD"),
        ("£", "GBP"),
        ("KWD", "KWD"),
        ("XCG", "XCG"),  # the Caribbean guilder that replaced ANG in 2025
    ],
)
def test_parse_currency_accepts(text: str, expected: str) -> None:
    assert parse_currency(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "params"),
    [
        ("", "currency.unknown", {}),
        ("ZZZ", "currency.unknown", {}),
        ("dollars", "currency.unknown", {}),
        ("US", "currency.unknown", {}),
        ("$", "currency.ambiguous", {"symbol": "$"}),
        ("DEM", "currency.withdrawn", {"currency": "DEM"}),
        ("hrk", "currency.withdrawn", {"currency": "HRK"}),
        ("ANG", "currency.withdrawn", {"currency": "ANG"}),
        ("XXX", "currency.withdrawn", {"currency": "XXX"}),
    ],
)
def test_parse_currency_refuses(text: str, code: str, params: dict[str, object]) -> None:
    with raises_code(code, **params):
        parse_currency(text)


def test_parse_currency_on_a_date_accepts_what_was_in_use_then() -> None:
    assert parse_currency("HRK", on=date(2020, 5, 1)) == "HRK"
    with raises_code("currency.withdrawn"):
        parse_currency("HRK", on=date(2024, 5, 1))


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ("2026/11/20", date(2026, 11, 20)),
        ("2026.11.20", date(2026, 11, 20)),
        ("2026-1-5", date(2026, 1, 5)),
        ("20.11.2026", date(2026, 11, 20)),
        ("5.1.2026", date(2026, 1, 5)),
        ("2026年11月20日", date(2026, 11, 20)),
        ("2026 年 11 月 20 日", date(2026, 11, 20)),
        ("2026年11月20号", date(2026, 11, 20)),
        ("２０２６年１１月２０日", date(2026, 11, 20)),
        ("２０２６－１１－２０", date(2026, 11, 20)),
        ("20261120", date(2026, 11, 20)),
        ("  2024-02-29 ", date(2024, 2, 29)),
    ],
)
def test_parse_date_accepts(text: str, expected: date) -> None:
    assert parse_date(text, NOW, LOS_ANGELES) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date.format"),
        ("yesterday", "date.format"),
        ("11/20/2026", "date.format"),
        ("20/11/2026", "date.format"),
        ("2026-11/20", "date.format"),
        ("26-11-20", "date.format"),
        ("2026-11-20T10:00", "date.format"),
        ("2026-02-30", "date.invalid"),
        ("2026-13-01", "date.invalid"),
        ("2025-02-29", "date.invalid"),
        ("2026-11-21", "date.future"),  # already the 21st in Shanghai, not in Los Angeles
        ("2027-01-01", "date.future"),
    ],
)
def test_parse_date_refuses(text: str, code: str) -> None:
    with raises_code(code):
        parse_date(text, NOW, LOS_ANGELES)


def test_parse_date_future_is_judged_in_the_users_time_zone() -> None:
    assert parse_date("2026-11-21", NOW, SHANGHAI) == date(2026, 11, 21)
    with raises_code("date.future"):
        parse_date("2026-11-21", NOW, LOS_ANGELES)


def test_parse_date_too_old() -> None:
    assert parse_date("2025-11-20", NOW, SHANGHAI, max_age_days=366) == date(2025, 11, 20)
    with raises_code("date.too_old", limit_days=30):
        parse_date("2026-10-01", NOW, SHANGHAI, max_age_days=30)


def test_parse_date_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_date("2026-11-20", NOW.replace(tzinfo=None), SHANGHAI)


# ---------------------------------------------------------------- claim window

D = date


@pytest.mark.parametrize(
    ("category", "order", "received", "agreed", "outcome"),
    [
        # 30 days from receipt, the 30th day included (today: 20 Nov 2026)
        (Category.QUALITY_DEFECT, D(2026, 9, 1), D(2026, 10, 21), None, None),
        (Category.QUALITY_DEFECT, D(2026, 9, 1), D(2026, 10, 20), None, ("claim.too_late", 30)),
        (Category.LATE_DELIVERY, D(2026, 1, 1), D(2026, 11, 1), D(2026, 3, 1), None),
        (Category.COUNTERFEIT, D(2026, 1, 1), D(2026, 10, 1), None, ("claim.too_late", 30)),
        # 90 days from the agreed delivery date for non-delivery
        (Category.NOT_RECEIVED, D(2026, 6, 1), None, D(2026, 8, 22), None),
        (Category.NOT_RECEIVED, D(2026, 6, 1), None, D(2026, 8, 21), ("claim.too_late", 90)),
        # no agreed date: from the order date
        (Category.NOT_RECEIVED, D(2026, 8, 22), None, None, None),
        (Category.NOT_RECEIVED, D(2026, 8, 21), None, None, ("claim.too_late", 90)),
        # non-delivery is not a claim before the goods are even due
        (Category.NOT_RECEIVED, D(2026, 11, 1), None, D(2026, 11, 20), ("claim.too_early", None)),
        # goods never received in another category: the non-delivery window applies
        (Category.BREACH_OF_TERMS, D(2026, 6, 1), None, D(2026, 9, 1), None),
        # dates that contradict each other
        (Category.OTHER, D(2026, 6, 1), D(2026, 5, 1), None, ("date.before_order", None)),
        (Category.NOT_RECEIVED, D(2026, 6, 1), None, D(2026, 5, 1), ("date.before_order", None)),
    ],
)
def test_check_claim_window(
    category: Category,
    order: date,
    received: date | None,
    agreed: date | None,
    outcome: tuple[str, int | None] | None,
) -> None:
    if outcome is None:
        check_claim_window(category, order, received, agreed, NOW, ClaimPolicy())
        return
    code, limit = outcome
    with raises_code(code) as info:
        check_claim_window(category, order, received, agreed, NOW, ClaimPolicy())
    if limit is not None:
        assert info.value.params["limit_days"] == limit


def test_claim_window_reports_the_last_day_and_follows_the_policy() -> None:
    policy = ClaimPolicy(receipt_window_days=10)
    with raises_code("claim.too_late", limit_days=10, last_day=D(2026, 11, 9)):
        check_claim_window(Category.OTHER, D(2026, 10, 1), D(2026, 10, 30), None, NOW, policy)


def test_claim_window_today_in_the_users_time_zone() -> None:
    # Received 21 Oct: in Shanghai it is already 21 Nov, day 31, so too late there only.
    args = (Category.QUALITY_DEFECT, D(2026, 10, 1), D(2026, 10, 21), None, NOW, ClaimPolicy())
    check_claim_window(*args, tz=LOS_ANGELES)
    with raises_code("claim.too_late"):
        check_claim_window(*args, tz=SHANGHAI)


@pytest.mark.parametrize("category", list(Category))
def test_requires_evidence(category: Category) -> None:
    expected = category in {Category.QUALITY_DEFECT, Category.NOT_AS_DESCRIBED}
    assert requires_evidence(category) is expected


# ---------------------------------------------------------------- text, quantity, labels


@pytest.mark.parametrize(
    ("text", "kwargs", "outcome"),
    [
        ("  PO-123  ", {"max_len": 64}, "PO-123"),
        ("line 1\n\nline 2", {"max_len": 64}, "line 1\n\nline 2"),
        ("a  b", {"max_len": 64}, "a  b"),  # inner whitespace is kept as typed
        ("订单号", {"max_len": 3}, "订单号"),  # characters, not bytes
        ("", {"max_len": 64}, ("text.empty", {})),
        (" \n\t ", {"max_len": 64}, ("text.empty", {})),
        ("x" * 65, {"max_len": 64}, ("text.too_long", {"max": 64})),
        ("ab", {"min_len": 3, "max_len": 64}, ("text.too_short", {"min": 3})),
        ("a\x00b", {"max_len": 64}, ("text.invalid_characters", {})),
    ],
)
def test_parse_text(text: str, kwargs: dict[str, int], outcome: object) -> None:
    if isinstance(outcome, str):
        assert parse_text(text, **kwargs) == outcome
        return
    assert isinstance(outcome, tuple)
    code, params = outcome
    with raises_code(code, **params):
        parse_text(text, **kwargs)


def test_claim_policy_text_limits() -> None:
    policy = ClaimPolicy()
    limits = (
        policy.max_order_number,
        policy.max_product,
        policy.max_supplier_name,
        policy.max_supplier_contact,
        policy.max_description,
    )
    assert limits == (64, 200, 200, 200, 8000)
    assert parse_text("x" * 8000, max_len=policy.max_description) == "x" * 8000
    with raises_code("text.too_long", max=8000, length=10_000_000):
        parse_text("x" * 10_000_000, max_len=policy.max_description)  # "a 10 MB essay"


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("1", 1),
        ("  42 ", 42),
        ("1,000", 1000),
        ("1 000 000", 1_000_000),
        ("１２０", 120),
        ("１，０００", 1000),
        ("+3", 3),
        ("1000000000", 10**9),
        ("0", "quantity.not_positive"),
        ("-5", "quantity.not_positive"),
        ("1.5", "quantity.not_integer"),
        ("1.000", "quantity.not_integer"),
        ("ten", "quantity.not_integer"),
        ("", "quantity.not_integer"),
        ("1e3", "quantity.not_integer"),
        ("1,00", "quantity.not_integer"),
        ("5 pcs", "quantity.not_integer"),
        ("1000000001", "quantity.too_large"),
    ],
)
def test_parse_quantity(text: str, outcome: int | str) -> None:
    if isinstance(outcome, int):
        assert parse_quantity(text) == outcome
        return
    with raises_code(outcome):
        parse_quantity(text)


@FAST
@given(st.integers(min_value=1, max_value=10**9), st.sampled_from(["en", "zh_Hans", "fr"]))
def test_quantity_formatted_by_babel_parses_back(number: int, locale: str) -> None:
    assert parse_quantity(format_decimal(number, locale=locale)) == number


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Invoice", "Invoice"),
        ("  破损照片 ", "破损照片"),
        ("x" * 100, "x" * 100),
        ("", ("label.empty", {})),
        ("x" * 101, ("label.too_long", {"max": 100})),
    ],
)
def test_parse_label(text: str, outcome: object) -> None:
    if isinstance(outcome, str):
        assert parse_label(text) == outcome
        return
    assert isinstance(outcome, tuple)
    code, params = outcome
    with raises_code(code, **params):
        parse_label(text)


# ---------------------------------------------------------------- evidence files

MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("kind", "mime", "name"),
    [
        (EvidenceKind.PHOTO, None, None),  # a Telegram photo: always JPEG, no name
        (EvidenceKind.PHOTO, "image/jpeg", "IMG_0001.JPG"),
        (EvidenceKind.DOCUMENT, "image/png", "screenshot.png"),
        (EvidenceKind.DOCUMENT, "image/heic", "IMG_0002.HEIC"),
        (EvidenceKind.DOCUMENT, "image/webp", None),
        (EvidenceKind.DOCUMENT, "application/pdf", "invoice.pdf"),
        (EvidenceKind.DOCUMENT, DOCX, "contract.docx"),
        (EvidenceKind.DOCUMENT, XLSX, "packing list.xlsx"),
        (EvidenceKind.DOCUMENT, "application/msword", "old.doc"),
        (EvidenceKind.DOCUMENT, "application/vnd.ms-excel", "old.xls"),
        (EvidenceKind.DOCUMENT, "text/plain; charset=utf-8", "chat.txt"),
        (EvidenceKind.DOCUMENT, "text/csv", "shipments.csv"),
        (EvidenceKind.DOCUMENT, "application/octet-stream", "report.pdf"),
        (EvidenceKind.DOCUMENT, None, "report.pdf"),
        (EvidenceKind.DOCUMENT, "application/zip", "contract.docx"),
        (EvidenceKind.VIDEO, "video/mp4", "unboxing.mp4"),
        (EvidenceKind.VIDEO, "video/quicktime", "IMG_0003.MOV"),
        (EvidenceKind.VIDEO, None, None),  # a video note
        (EvidenceKind.VOICE, "audio/ogg", None),
        (EvidenceKind.VOICE, "audio/mpeg", "call.mp3"),
        (EvidenceKind.VOICE, "audio/x-m4a", "memo.m4a"),
    ],
)
def test_evidence_types_allowed(kind: EvidenceKind, mime: str | None, name: str | None) -> None:
    check_evidence_file(kind, mime, name, 1 * MB, ClaimPolicy())


@pytest.mark.parametrize(
    ("kind", "mime", "name"),
    [
        (EvidenceKind.DOCUMENT, "application/zip", "photos.zip"),
        (EvidenceKind.DOCUMENT, "application/x-msdownload", "setup.exe"),
        (EvidenceKind.DOCUMENT, "image/jpeg", "setup.exe"),  # the name gives it away
        (EvidenceKind.DOCUMENT, "application/octet-stream", "archive.rar"),
        (EvidenceKind.DOCUMENT, None, None),
        (EvidenceKind.DOCUMENT, "text/html", "page.html"),
        (EvidenceKind.DOCUMENT, "image/svg+xml", "logo.svg"),
        (EvidenceKind.PHOTO, "application/pdf", "invoice.pdf"),
        (EvidenceKind.VIDEO, "video/x-msvideo", "clip.avi"),
        (EvidenceKind.VOICE, "audio/wav", "memo.wav"),
    ],
)
def test_evidence_types_refused(kind: EvidenceKind, mime: str | None, name: str | None) -> None:
    with raises_code("evidence.type_not_allowed", kind=kind.value) as info:
        check_evidence_file(kind, mime, name, 1 * MB, ClaimPolicy())
    assert isinstance(info.value.params["allowed"], str)


@pytest.mark.parametrize(
    ("size", "code"),
    [
        (20 * MB, None),
        (20 * MB + 1, "evidence.too_big"),
        (0, "evidence.empty"),
        (None, None),  # unknown size: the download enforces the limit
    ],
)
def test_evidence_size(size: int | None, code: str | None) -> None:
    args = (EvidenceKind.DOCUMENT, "application/pdf", "a.pdf", size, ClaimPolicy())
    if code is None:
        check_evidence_file(*args)
        return
    with raises_code(code):
        check_evidence_file(*args)


def test_evidence_too_big_reports_the_limit_in_mb() -> None:
    with raises_code("evidence.too_big", max_mb=20):
        check_evidence_file(EvidenceKind.PHOTO, None, None, 50 * MB, ClaimPolicy())
    with raises_code("evidence.too_big", max_mb=5):
        policy = ClaimPolicy(max_evidence_bytes=5 * MB)
        check_evidence_file(EvidenceKind.PHOTO, None, None, 6 * MB, policy)


def test_statement_has_no_file_to_check() -> None:
    with pytest.raises(ValueError, match="statement"):
        check_evidence_file(EvidenceKind.STATEMENT, None, None, None, ClaimPolicy())


def test_validation_error_carries_code_and_params() -> None:
    error = ValidationError("text.too_long", max=64)
    assert error.code == "text.too_long"
    assert error.params == {"max": 64}
    assert "text.too_long" in str(error)
