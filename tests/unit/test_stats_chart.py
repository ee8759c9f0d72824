"""The statistics chart is a valid PNG in the reader's language, its font has every Chinese
glyph it draws (no boxes), and the similar-cases figures are coarse enough to hide any case."""

from __future__ import annotations

import struct
import warnings
import zlib

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.stats_chart import FONT_PATH, render_png
from flows.stats_render import chart_labels, render_text
from flows.stats_similar import FEW, STEP, coarsen
from locales.i18n import Catalogs
from storage.repos.stats import OUTCOMES, Figures, Similar

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def figures() -> Figures:
    return Figures(
        filed=40,
        by_state={"closed": 30, "negotiation": 6, "mediation": 4},
        by_category={"quality_defect": 25, "late_delivery": 15},
        by_state_and_category={("closed", "quality_defect"): 30},
        ended=30,
        outcomes={
            "agreement": 12,
            "blind_bidding": 3,
            "mediation": 6,
            "decision": 4,
            "withdrawn": 5,
        },
        outcomes_by_category={"quality_defect": {"agreement": 12, "decision": 4}},
        resolution_median_seconds=6.5 * 86400,
        resolution_p90_seconds=20 * 86400,
        supplier_in_time=30,
        supplier_late=10,
        deadlines_missed=14,
        missed_by_kind={"supplier_response": 10, "negotiation": 4},
        ratings_asked=20,
        ratings_given=10,
        rating_average=4.2,
        rating_counts={5: 5, 4: 3, 3: 2},
        comments=3,
    )


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, each checked against its CRC."""
    assert data.startswith(PNG_SIGNATURE)
    kinds, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        kinds.append(kind)
        at += 12 + length
    return kinds


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_chart_is_a_valid_png_drawn_without_missing_glyphs(language: str) -> None:
    tr = Catalogs().translator(language)
    labels = chart_labels(tr, figures())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = render_png(labels)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message).lower()]
    assert missing == []  # matplotlib warns "Glyph ... missing from font(s)" for a box
    kinds = png_chunks(data)
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (800, 700)
    if language == "zh_Hans":
        assert "案件结果" in labels.texts()
        assert "通过暗标出价和解" in labels.texts()
    else:
        assert "How cases ended" in labels.texts()


def test_the_font_has_a_glyph_for_every_character_of_every_chinese_label() -> None:
    """A character the font lacks would render as a box: run scripts/subset_chart_font.py."""
    font = TTFont(str(FONT_PATH))
    cmap = font.getBestCmap()
    tr = Catalogs().translator("zh_Hans")
    texts = chart_labels(tr, figures()).texts()
    lacking = sorted({c for text in texts for c in text if not c.isspace() and ord(c) not in cmap})
    assert lacking == []
    assert any("\u4e00" <= c <= "\u9fff" for text in texts for c in text)


def test_the_chart_differs_by_language() -> None:
    en = render_png(chart_labels(Catalogs().translator("en"), figures()))
    zh = render_png(chart_labels(Catalogs().translator("zh_Hans"), figures()))
    assert en != zh


def test_the_text_in_both_languages() -> None:
    en = render_text(Catalogs().translator("en"), figures())
    zh = render_text(Catalogs().translator("zh_Hans"), figures())
    assert "settled by agreement: 12 (40%)" in en
    assert "Time to resolution: median 6.5 days, 90th percentile 20 days" in en
    assert "Suppliers who responded within the deadline: 30 of 40 (75%)" in en
    assert "average 4.2 of 5" in en
    assert "双方协商和解：12 件（40%）" in zh
    assert "中位数 6.5 天" in zh


def test_too_few_similar_cases_show_nothing() -> None:
    assert coarsen(Similar(19, {"agreement": 19}, 0.5), 20) is None
    shown = coarsen(Similar(20, {"agreement": 20}, 0.5), 20)
    assert shown is not None and shown.at_least == 20


def test_a_rare_outcome_is_folded_and_figures_are_rounded() -> None:
    shown = coarsen(Similar(23, {"agreement": 19, "withdrawn": 1, "decision": 3}, 0.37), 20)
    assert shown is not None
    assert shown.at_least == 20
    # The one withdrawal is folded into "otherwise", which, still one case, goes to the largest
    # way: agreement 20 of 23 (87 %, said 90 %), decision 3 of 23 (13 %, said 10 %).
    assert dict(shown.shares) == {"agreement": 90, "decision": 10}
    assert shown.median_refund_percent == 40


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(OUTCOMES), st.integers(1, 40), min_size=1),
    st.floats(0, 1),
)
def test_nothing_below_few_cases_and_no_exact_figure(
    outcomes: dict[str, int], share: float
) -> None:
    total = sum(outcomes.values())
    shown = coarsen(Similar(total, outcomes, share), 20)
    if total < 20:
        assert shown is None
        return
    assert shown is not None
    assert shown.at_least % STEP == 0 and shown.at_least <= total
    assert all(p % STEP == 0 for _, p in shown.shares)
    assert shown.median_refund_percent is not None and shown.median_refund_percent % STEP == 0
    for outcome, _ in shown.shares:  # a way of ending shown was taken by FEW cases or more
        assert (
            outcome == "other" or outcomes.get(outcome, 0) >= FEW or _folded_into(outcome, outcomes)
        )


def _folded_into(outcome: str, outcomes: dict[str, int]) -> bool:
    """The largest way may have taken in a small "otherwise"."""
    return outcomes.get(outcome, 0) == max(outcomes.values())
