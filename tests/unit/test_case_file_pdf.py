"""The case file's PDF: read back with pypdf (its text) and pypdfium2 (a page as an image).

Case files are built directly from the model (tests/case_files.py): a Chinese buyer's claim,
an English supplier's statement, a decision's English reasons; one copy for an English reader
and one for a Chinese reader.
"""

from __future__ import annotations

import io
import logging
import math
from zoneinfo import ZoneInfo

import pypdf
import pypdfium2
import pytest
from fpdf.enums import WrapMode

from flows.case_file_layout import Layout
from flows.case_file_model import CaseFile, EvidenceEntry
from flows.case_file_pdf import CaseFileTooLarge, render_pdf
from locales.i18n import Catalogs, Translator
from tests.case_files import (
    BID_AMOUNTS,
    DESCRIPTION,
    REASONS,
    START,
    SUPPLIER_STATEMENT,
    colour,
    sample_case_file,
    thumbnail,
)

ZONE = ZoneInfo("Asia/Shanghai")
# 210 x 297 mm is 595.3 x 841.9 pt; pdfium makes whole pixels of it at 72 dpi, rounding up.
A4_POINTS = (math.ceil(210 / 25.4 * 72), math.ceil(297 / 25.4 * 72))


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture(scope="module")
def english(catalogs: Catalogs) -> tuple[CaseFile, bytes]:
    """The buyer's copy, in English, with E1's thumbnail."""
    case_file = sample_case_file(language="en")
    return case_file, _render(case_file, catalogs, thumbnails={1: thumbnail(1)})


@pytest.fixture(scope="module")
def chinese(catalogs: Catalogs) -> tuple[CaseFile, bytes]:
    """The supplier's copy, in Chinese, with E1's thumbnail."""
    case_file = sample_case_file(language="zh_Hans", role="supplier")
    return case_file, _render(case_file, catalogs, thumbnails={1: thumbnail(1)})


def _tr(catalogs: Catalogs, language: str) -> Translator:
    return catalogs.translator(language)


def _reader(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in _reader(pdf).pages)


def _squeezed(text: str) -> str:
    """Text without whitespace: a paragraph that wraps reads back with line breaks in it."""
    return "".join(text.split())


def _images(pdf: bytes) -> int:
    return sum(len(page.images) for page in _reader(pdf).pages)


def _render(case_file: CaseFile, catalogs: Catalogs, **kwargs: object) -> bytes:
    tr = _tr(catalogs, case_file.reader.language)
    return render_pdf(case_file, tr, ZONE, **kwargs)  # type: ignore[arg-type]


def _hashes(case_file: CaseFile) -> list[str]:
    return [item.sha256 for item in case_file.evidence if item.sha256]


def _no_bid_figure(text: str) -> None:
    squeezed = _squeezed(text)
    for amount in BID_AMOUNTS:
        whole, cents = amount.split(".")
        # However it might be formatted: 4321.87, 4,321.87, US$4,321.87
        assert whole not in squeezed.replace(",", ""), amount
        assert f"{whole[-3:]}.{cents}" not in squeezed, amount


def test_english_copy_has_english_headings_and_the_chinese_that_was_written(
    english: tuple[CaseFile, bytes],
) -> None:
    text = _text(english[1])
    squeezed = _squeezed(text)
    for heading in ("Case file: case #12", "Timeline", "Evidence index", "Decisions"):
        assert heading in text
    for heading in ("The mediator's requests for evidence", "Obligations", "Blind bidding"):
        assert heading in text
    assert _squeezed(DESCRIPTION) in squeezed  # the buyer wrote it in Chinese
    assert "裂纹照片" in text and "微信聊天截图" in text  # labels as written
    assert _squeezed(REASONS) in squeezed
    assert "This copy was made for the buyer." in text
    assert "Buyer: 王芳 (@wangfang)" in text
    assert "Outcome: Closed (fulfilled)" in text
    assert "证据目录" not in text and "时间线" not in text


def test_chinese_copy_has_chinese_headings_and_the_english_that_was_written(
    chinese: tuple[CaseFile, bytes],
) -> None:
    text = _text(chinese[1])
    squeezed = _squeezed(text)
    for heading in ("案件档案：案件 #12", "时间线", "证据目录", "方案", "暗标出价", "裁决", "义务"):
        assert heading in text
    assert "记录及其核验方法" in text
    assert "本副本为供应商制作。" in text
    assert _squeezed(SUPPLIER_STATEMENT) in squeezed
    assert _squeezed(REASONS) in squeezed
    assert "Please send the courier's damage report." in text
    assert _squeezed(DESCRIPTION) in squeezed
    assert "Evidence index" not in text and "Timeline" not in text


@pytest.mark.parametrize("copy", ["english", "chinese"])
def test_every_hash_is_one_string_and_the_verify_command_is_on_the_last_page(
    request: pytest.FixtureRequest, copy: str
) -> None:
    case_file, pdf = request.getfixturevalue(copy)
    text = _text(pdf)
    hashes = _hashes(case_file)
    assert len(hashes) == 3
    for sha256 in hashes:
        assert sha256 in text  # whole: not broken over two lines
    last = _reader(pdf).pages[-1].extract_text()
    assert case_file.head.hash in last
    assert str(case_file.head.seq) in last
    assert case_file.verify_command in last
    _no_bid_figure(text)


def test_times_are_in_the_readers_zone_and_pages_are_numbered(
    english: tuple[CaseFile, bytes], chinese: tuple[CaseFile, bytes]
) -> None:
    pdf = english[1]
    pages = len(_reader(pdf).pages)
    text = _text(pdf)
    # START is 08:30 UTC: 4:30 PM in Shanghai.
    filed = text[text.index("Filed on ") :].splitlines()[0]
    assert filed.startswith("Filed on Mar 2, 2026, 4:30") and filed.endswith("PM (GMT+08:00)")
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    text = _text(chinese[1])
    assert "提交时间：2026年3月2日 16:30" in text
    assert "第 1 页，共" in text


def test_every_event_is_on_the_timeline_in_words(english: tuple[CaseFile, bytes]) -> None:
    case_file, pdf = english
    text = _text(pdf)
    assert "The case is now: Waiting for the supplier" in text
    assert "A proposal was made (about P1)" in text
    assert "Event a.kind_this_version_does_not_know" in text  # a newer bot's kind: its code
    withheld = [event for event in case_file.events if event.withheld]
    assert withheld
    assert text.count("Its details are not in this copy.") == len(withheld)
    table = text[text.index("What happened") : text.index("Evidence index")]
    for event in case_file.events:
        assert f"\n{event.seq} " in table


def test_bidding_says_how_it_ended_never_a_figure(english: tuple[CaseFile, bytes]) -> None:
    text = _text(english[1])
    assert "Blind bidding: took place and ended without a settlement" in text
    assert "3 rounds resolved" in text
    _no_bid_figure(text)


def test_mediator_only_items_are_marked_in_the_mediators_copy(catalogs: Catalogs) -> None:
    base = sample_case_file(language="en", role="mediator")
    private = EvidenceEntry(
        number=5, kind="document", label="Bank statement", tag="payment",
        submitter_role="buyer", submitted_at=START, sha256="ab" * 32, mediator_only=True,
    )  # fmt: skip
    case_file = base.model_copy(update={"evidence": [*base.evidence, private]})
    text = _text(_render(case_file, catalogs))
    assert "for the mediator only" in text
    assert "ab" * 32 in text
    assert "This copy was made for the mediator." in text


def test_what_the_font_cannot_draw_is_left_out_and_a_chinese_path_still_shows(
    catalogs: Catalogs,
) -> None:
    """Emoji (not in the font) are dropped, not drawn as gaps; Courier has Latin-1 only, so a
    verify command naming a Chinese file is set in the CJK font."""
    base = sample_case_file(language="en", items=3, verify_command="disputebot verify 案件12.json")
    claim = base.claim.model_copy(update={"description": "杯子裂了 😡 cups cracked ✅"})
    pdf = _render(base.model_copy(update={"claim": claim}), catalogs)
    text = _text(pdf)
    assert "杯子裂了" in text and "cups cracked" in text
    assert "😡" not in text and "✅" not in text
    assert "disputebot verify 案件12.json" in _reader(pdf).pages[-1].extract_text()


def test_a_page_renders_to_a_non_blank_a4_image(chinese: tuple[CaseFile, bytes]) -> None:
    document = pypdfium2.PdfDocument(chinese[1])
    try:
        cover = document[0].render(scale=1).to_pil().convert("RGB")
        assert cover.size == A4_POINTS
        dark = sum(1 for r, g, b in cover.get_flattened_data() if r + g + b < 600)
        assert 2_000 < dark < cover.size[0] * cover.size[1] // 4  # text, not a blank page
        # The evidence index shows E1's thumbnail in its own colour.
        pages = [document[i].render(scale=1).to_pil().convert("RGB") for i in range(len(document))]
        red, green, blue = colour(1)
        shown = [
            page
            for page in pages
            if sum(
                1
                for r, g, b in page.get_flattened_data()
                if abs(r - red) < 12 and abs(g - green) < 12 and abs(b - blue) < 12
            )
            > 1_000
        ]
        assert len(shown) == 1
    finally:
        document.close()


def test_a_broken_thumbnail_is_left_out_with_a_log_line(
    catalogs: Catalogs, caplog: pytest.LogCaptureFixture
) -> None:
    base = sample_case_file(language="en", items=6)
    with caplog.at_level(logging.WARNING, logger="flows.case_file_pdf"):
        pdf = _render(base, catalogs, thumbnails={1: b"\x89PNG not really", 5: thumbnail(5)})
    assert _images(pdf) == 1
    assert any("E1" in record.getMessage() for record in caplog.records)
    assert all(sha256 in _text(pdf) for sha256 in _hashes(base))


def test_thumbnails_are_dropped_when_the_file_would_be_too_large(catalogs: Catalogs) -> None:
    case_file = sample_case_file(language="en", items=8)
    thumbnails = {n: thumbnail(n, (240, 180), noise=True) for n in range(1, 9)}
    full = _render(case_file, catalogs, thumbnails=thumbnails)
    assert _images(full) == 5  # the photos: E1 and E5 to E8 (E2 is a video, E4 a document)
    bare = _render(case_file, catalogs)
    assert len(bare) < len(full)
    limit = (len(bare) + len(full)) // 2
    dropped = _render(case_file, catalogs, thumbnails=thumbnails, max_bytes=limit)
    assert len(dropped) <= limit
    assert _images(dropped) == 0
    assert "Photo thumbnails are left out of this copy" in _text(dropped)
    assert "left out of this copy" not in _text(full)
    with pytest.raises(CaseFileTooLarge):
        _render(case_file, catalogs, max_bytes=len(bare) - 1)


def test_a_large_case_fits_with_its_thumbnails_and_without(catalogs: Catalogs) -> None:
    """500 events and 300 evidence items, each photo with a small thumbnail."""
    case_file = sample_case_file(language="zh_Hans", events=500, items=300)
    photos = [item.number for item in case_file.evidence if item.kind == "photo"]
    thumbnails = {n: thumbnail(n, noise=True) for n in photos}
    pdf = _render(case_file, catalogs, thumbnails=thumbnails)
    assert len(pdf) <= 48 * 1024 * 1024
    assert _images(pdf) == len(photos)
    text = _text(pdf)
    assert all(sha256 in text for sha256 in _hashes(case_file))
    assert case_file.head.hash in text
    # Below what the thumbnails alone take: made at once without them.
    tiny = sum(len(data) for data in thumbnails.values()) // 2
    small = _render(case_file, catalogs, thumbnails=thumbnails, max_bytes=tiny)
    assert len(small) <= tiny
    assert _images(small) == 0
    assert "本副本未包含照片缩略图" in _text(small)


def test_english_words_stay_whole_in_a_chinese_copy(catalogs: Catalogs) -> None:
    """The claim's lines start with a Chinese label ("经过："); what the buyer wrote in English
    after it wraps at spaces, never inside a word; a Chinese paragraph wraps at characters."""
    written = (
        "The speakers were paid on 2 November and never shipped; the tracking number the "
        "supplier gave does not exist, and three messages since then went unanswered."
    )
    case_file = sample_case_file(language="zh_Hans", role="supplier")
    claim = case_file.claim.model_copy(update={"description": written})
    text = _text(_render(case_file.model_copy(update={"claim": claim}), catalogs))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("经过："))
    words = " ".join(lines[start : start + 3]).removeprefix("经过：").split()
    assert words[: len(written.split())] == written.split()
    assert Layout.wrapmode("供应商在十一月三日以书面形式确认发货，但至今未发货。") is WrapMode.CHAR
    assert Layout.wrapmode("经过：" + written) is WrapMode.WORD
