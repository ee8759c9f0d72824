"""The Chinese catalog speaks one terminology (GLOSSARY-zh.md), and the checker catches a slip.

The rules live in `tests/zh_glossary.py` as tables (forbidden wordings, English term →
Chinese term, placeholder classes), each row with the glossary's reason. The catalog is read
from the .po file as it is, so entries that are added later are checked too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.zh_glossary import (
    FORBIDDEN,
    FREE,
    ROLES,
    SPACED,
    TERMS,
    Entry,
    Forbidden,
    check_catalog,
    check_entry,
    check_text,
    load_entries,
)

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"


def test_every_chinese_message_follows_the_glossary() -> None:
    problems = check_catalog(LOCALES)
    assert not problems, "\n".join(str(p) for p in problems)


def test_every_entry_is_read_and_checked() -> None:
    """The scan covers the whole catalog, plural forms included, each with its English."""
    entries = load_entries(LOCALES)
    assert len(entries) > 250
    assert all(entry.en and entry.zh and all(entry.zh) for entry in entries)
    assert any(len(entry.en) == 2 for entry in entries)  # claim.evidence.count


def _rules(zh: str, en: str, key: str = "synthetic") -> set[str]:
    return {problem.rule for problem in check_entry(Entry(key, (zh,), (en,)))}


@pytest.mark.parametrize(
    ("zh", "en", "rule"),
    [
        # Meaning: a tag is never a 标签 (the supplier has just typed one).
        ("{number} 说明了什么？请选择一个标签。", "What does {number} show? Choose a tag.", "term"),
        (
            "您本轮已经提交过数额。",
            "You have already given your figure for this round.",
            "forbidden",
        ),
        ("您本轮已经提交过数额。", "You have already given your figure for this round.", "term"),
        ("请联系交易平台申请退单。", "Ask the marketplace about a chargeback.", "forbidden"),
        ("下次订单 {percent}% 折扣", "{percent}% discount on a future order", "forbidden"),
        ("提出反方案", "Counter-proposal", "forbidden"),
        ("全部发送后请点“完成”。", "Tap Done when you have sent everything.", "forbidden"),
        ("案件 {number} 将作出判决。", "Case {number} will be decided.", "forbidden"),
        # Punctuation next to Chinese.
        (
            "案件 {number} 已结案,感谢双方。",
            "Case {number} is closed, thank you.",
            "half-width punctuation",
        ),
        ("案件 {number} 已结案.", "Case {number} is closed.", "half-width punctuation"),
        ("有效期至 {expires}.", "Valid until {expires}.", "half-width punctuation"),
        ("请输入 USD 或 HKD?", "Type USD or HKD?", "half-width punctuation"),
        ("供应商(王芳)已加入。", "The supplier (Wang) joined.", "half-width punctuation"),
        ('请点击"完成"。', "Tap “Done”.", "quotes"),
        ("正在提交索赔...", "Filing the claim…", "ellipsis"),
        ("正在提交索赔…", "Filing the claim…", "ellipsis"),
        (
            "添加证据—照片或文件—每项附一个简短标签。",
            "Evidence — photos — each with a label.",
            "dash",
        ),
        # Spacing.
        ("案件{number}已结案。", "Case {number} is closed.", "spacing"),
        ("请上传PDF文件。", "Upload the PDF.", "spacing"),
        ("最多 {max}个字符。", "At most {max} characters.", "spacing"),
        (
            "案件 {number}：{by} 拒绝参加暗标出价。",
            "Case {number}: {by} declined blind bidding.",
            "spacing",
        ),
        ("案件 {number} ： 已结案。", "Case {number}: closed.", "spacing"),
        ("案件 已结案。", "The case is closed.", "spacing"),
        # Placeholders: the English ones, exactly, and each one classified.
        ("案件 {case} 已结案。", "Case {number} is closed.", "placeholders"),
        (
            "案件 {number} 已结案：{mystery}。",
            "Case {number} is closed: {mystery}.",
            "placeholder class",
        ),
    ],
)
def test_the_checker_reports_a_bad_entry(zh: str, en: str, rule: str) -> None:
    assert rule in _rules(zh, en), check_entry(Entry("synthetic", (zh,), (en,)))


def test_label_and_tag_are_never_the_same_word() -> None:
    """The supplier has just typed a 标签; asking them to choose one next is the clash."""
    tag_as_label = check_entry(
        Entry(
            "x",
            ("{number} 说明了什么？请选择一个标签。",),
            ("What does {number} show? Choose a tag.",),
        )
    )
    assert any("says 标签" in p.detail for p in tag_as_label)
    assert any("lacks 分类" in p.detail for p in tag_as_label)
    label_as_tag = check_entry(
        Entry("x", ("请为 {number} 写一个简短分类。",), ("Give {number} a short label.",))
    )
    assert any("says 分类" in p.detail for p in label_as_tag)
    both = Entry(
        "x",
        ("已添加 {number}：“{label}”（标签），分类：{tag}。",),
        ("Label and tag of {number}: {label}, {tag}.",),
    )
    assert check_entry(both) == []


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("案件 {number}：{by}拒绝参加暗标出价。", "Case {number}: {by} declined blind bidding."),
        ("{number} 涉及哪方面？请选择一个分类。", "What does {number} show? Choose a tag."),
        ("请为 {number} 写一个简短标签。", "Give {number} a short label."),
        ("后续订单优惠 {percent}%", "{percent}% discount on a future order"),
        ("请输入日期，例如 2026-11-20。", "Type the date, for example 2026-11-20."),
        ("金额过大：最多 1,250.00。", "Too large: at most 1,250.00."),
        ("1. 用 /new 提交索赔。", "1. File a claim with /new."),
        ("/new — 提交索赔", "/new — file a claim"),
        ("{number} · {kind} · “{label}” · {tag}", "{number} · {kind} · “{label}” · {tag}"),
        (
            "请将我设为本群管理员（群设置 → 管理员）。",
            "Make me an administrator (Group settings → Administrators).",
        ),
        (
            "添加证据——照片或文件——每项附一个简短标签。",
            "Evidence — photos or documents — each with a label.",
        ),
    ],
)
def test_the_checker_accepts_good_chinese(zh: str, en: str) -> None:
    assert check_entry(Entry("synthetic", (zh,), (en,))) == []


@pytest.mark.parametrize("rule", FORBIDDEN, ids=lambda rule: rule.pattern)
def test_every_forbidden_wording_is_caught_in_its_example(rule: Forbidden) -> None:
    """No dead row: each pattern catches the example written next to it."""
    found = [p for p in check_text(rule.example) if p.rule == "forbidden"]
    assert any(p.detail.endswith(rule.reason) for p in found), found


def test_every_term_row_is_a_valid_pattern_and_the_classes_do_not_overlap() -> None:
    for term in TERMS:
        for pattern in (term.english, term.chinese, term.never, term.unless):
            re.compile(pattern)
    assert not (SPACED & ROLES or SPACED & FREE or ROLES & FREE)


def test_a_bad_entry_added_to_the_po_file_later_is_reported(tmp_path: Path) -> None:
    """The check reads the catalog as it is on disk: a new entry is held to the same rules."""
    for language, text in (
        ("en", "Case {number}: your figure is recorded."),
        ("zh_Hans", "案件 {number}：您的数额已记录,谢谢。"),
    ):
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        source = (LOCALES / language / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        entry = f'\nmsgid "zz.added_later"\nmsgstr "{text}"\n'
        (target / "messages.po").write_text(source + entry, "utf-8")
    problems = [p for p in check_catalog(tmp_path) if p.key == "zz.added_later"]
    assert {p.rule for p in problems} >= {"forbidden", "half-width punctuation", "term"}
    assert any("金额" in p.detail for p in problems)
