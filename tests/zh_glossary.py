"""The Simplified Chinese house rules (../shared/design/GLOSSARY-zh.md) as data, and their checker.

`tests/unit/test_zh_glossary.py` runs `check_entry` over every entry of the zh_Hans catalog as
the file is now, so entries that other people add later are held to the same terms;
`tests/e2e/test_zh_wording.py` runs `check_text` over what Chinese-speaking users are really
shown. Each rule is a row that says what is wrong and why (the glossary's words); a failure
prints the entry, the rule and that reason, so it can be fixed without reading this code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"\{(\w+)\}")
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Full-width punctuation closes up to its neighbours: never a space next to it.
FULL_WIDTH = "，。、：；？！（）“”‘’《》【】…"
# Half-width punctuation that has no place next to Chinese text (the glossary's list).
HALF_WIDTH = ",.:;?!()"
LABEL, TAG = "标签", "分类"  # the two words the claim form must never mix up

# Placeholders by what they render, which decides the spacing around them.
# Latin letters or digits (#12, E3, O1, US$1,250.50, 2026年12月15日 09:30 (GMT+08:00), AUD,
# Asia/Shanghai) and user names, which may be Latin (Anna): one space next to Chinese.
SPACED = frozenset(
    {
        "age",
        "decision",  # D1
        "evidence",  # E1, E2
        "filed",  # a case number typed in a command
        "until",  # a date and time
        "amount",
        "asked",
        "available_from",
        "average",
        "band",
        "buyer",
        "case",
        "comments",
        "count",
        "currency",
        "current",
        "date",
        "days",
        "decimals",
        "default",
        "due",
        "example",
        "expires",
        "given",
        "hash",
        "item",  # E3, P2: the item an event of the case file's timeline is about
        "hours",
        "id",
        "in_time",
        "left",
        "length",
        "limit_days",
        "link",
        "lower",
        "max",
        "max_mb",
        "median",
        "min",
        "n",
        "name",
        "names",
        "now",
        "number",
        "numbers",
        "obligation",
        "opens",
        "order_date",
        "order_number",
        "others",
        "page",
        "pages",
        "p90",
        "paid",
        "percent",
        "proof",
        "quantity",
        "received",
        "request",
        "round",
        "rounds",
        "score",
        "seq",
        "share",
        "short",
        "size",
        "supplier",
        "symbol",
        "time",  # a date and time
        "total",
        "update",
        "upper",
        "zone",
    }
)
# Roles, rendered in Chinese (买家, 供应商): written close up, as in 由{party}承担.
ROLES = frozenset({"author", "by", "freight", "other", "party", "role"})
# Chinese labels or the users' own words, set off by punctuation or quotes: no rule.
FREE = frozenset(
    {
        "answer",
        "reasons",  # the mediator's own words, on lines of their own
        "category",
        "contact",
        "description",
        "detail",
        "event",  # what happened, in words (the case file's timeline)
        "items",
        "kind",
        "label",
        "languages",
        "line",
        "milestone",
        "obligations",
        "outcome",
        "outcomes",
        "product",
        "reason",
        "state",
        "statement",
        "status",
        "summary",  # an obligation in words
        "tag",
        "terms",
        "text",
        "title",
        "ways",
        "what",
        "why",
    }
)


@dataclass(frozen=True)
class Forbidden:
    """A wording the glossary rules out wherever it appears; `example` must be caught."""

    pattern: str
    reason: str
    example: str


FORBIDDEN: tuple[Forbidden, ...] = (
    Forbidden("数额", "money is 金额 everywhere, blind-bid figures included", "您的数额"),
    Forbidden("反方案|还盘", "a counter-proposal is 其他方案 (提出其他方案)", "提出反方案"),
    Forbidden("更换|替换", "replacement is 换货 (with reshipment: 换货或补发)", "替换商品"),
    Forbidden("卖家|商家", "the other side is the 供应商", "联系卖家"),
    Forbidden("当事人", "a party is a 当事方", "本案当事人"),
    Forbidden("投诉|申诉", "a claim is 索赔, filed with 提交索赔", "提交投诉"),
    Forbidden("申请调解员", "one asks for mediation: 申请调解", "您可以申请调解员"),
    Forbidden("退单", "退单 is cancelling an order; a chargeback is 拒付", "申请退单"),
    Forbidden(
        "点选|(?<![地重观特优缺焦终起要节])点(?!击)",
        "tap is 点击 (or 选择), never 点 or 点选",
        "请点“完成”",
    ),
    Forbidden("判决", "a decision is 裁决; 判决 is for courts", "作出判决"),
    Forbidden("终局裁决", "a binding decision can be reconsidered: 有约束力的裁决", "终局裁决"),
    Forbidden("上诉", "reconsideration is 复议 (申请复议)", "提起上诉"),
    Forbidden("升级", "a case is escalated by 转入调解 or 转交调解员", "案件已升级"),
    Forbidden("调解员池", "all mediators are the 调解员团队", "通知调解员池"),
    Forbidden("上下文卡片", "the context card is the 案件概要", "上下文卡片"),
    Forbidden("下次订单", "a future order is 后续订单 (下次 is too narrow)", "下次订单"),
    Forbidden("折扣", "a discount is 优惠 {percent}%: “10% 折扣” reads as paying 10%", "10% 折扣"),
    Forbidden("结构化", "jargon: 标准方案（退款、退货退款、换货或补发等）", "结构化方案"),
    Forbidden("你", "the reader is addressed as 您", "你的索赔"),
    Forbidden("我们", "the bot speaks as 我", "我们这边"),
    Forbidden(
        "(?<!群)(?<!→ )管理员",
        "运营人员 runs the service; 管理员 is only a group's administrator (本群管理员)",
        "请联系管理员",
    ),
    Forbidden(
        r"美元|人民币|(?<=[\d}])\s*元", "money comes from Babel: {amount}, never 元", "{amount} 元"
    ),
    Forbidden(
        r"\d\s*年\s*\d|\d\s*月\s*\d+\s*[日号]",
        "dates come from Babel ({due}); example inputs stay ISO (例如 2026-11-20)",
        "例如 2026年11月20日",
    ),
    Forbidden(
        r"第\s*(\{(case|number)\}|#)|号(案件|证据|方案|义务)",
        "identifiers stay as the code writes them: 案件 #12, 证据 E3, 方案 P2",
        "第{number}号案件",
    ),
)


@dataclass(frozen=True)
class Term:
    """Where the English says `english`, the Chinese says `chinese`: one concept, one word.

    `never` (if given) must not appear in the Chinese unless the English also matches
    `unless`: that keeps two terms apart (a tag is never a 标签)."""

    english: str
    chinese: str
    reason: str
    never: str = ""
    unless: str = ""


TERMS: tuple[Term, ...] = (
    Term(r"\bclaims?\b", "索赔", "a claim is 索赔"),
    Term(r"\bbuyer\b", "买家", "the buyer is the 买家"),
    Term(r"\bsuppliers?\b", "供应商", "the supplier is the 供应商"),
    Term(r"\bevidence\b", "证据", "evidence is 证据"),
    Term(r"\bproof\b", "凭证", "proof of fulfilment is 凭证"),
    Term(
        r"\blabel",
        LABEL,
        "a label is the 标签 the submitter types",
        never=TAG,
        unless=r"\btags?\b",
    ),
    Term(
        r"\btags?\b",
        TAG,
        "a tag is the 分类 chosen from the list, never 标签",
        never=LABEL,
        unless=r"\blabel",
    ),
    Term(r"\bproposals?\b", "方案", "a proposal is a 方案"),
    Term(r"\bcounter-propos", "其他方案", "a counter-proposal is 其他方案"),
    Term(r"\bsettle(d|s|ment)\b", "和解", "a settlement is 和解"),
    Term(r"\bobligations?\b", "义务", "an obligation is 义务"),
    Term(r"\bfulfil", "履行", "fulfilment is 履行"),
    Term(r"\bmediat", "调解", "mediation is 调解, the mediator 调解员"),
    Term(r"\barbitrat", "仲裁", "arbitration is 仲裁"),
    Term(r"\bdecision|\bdecide", "裁决", "a decision is 裁决"),
    Term(r"\bbinding\b", "有约束力", "a binding decision is 有约束力的裁决"),
    Term(r"\bfinal statements?\b", "最终陈述", "final statements are 最终陈述"),
    Term(r"\breconsideration", "复议", "reconsideration is 复议"),
    Term(r"\bdismiss", "驳回", "a dismissal is 驳回"),
    Term(r"\bwritten statement", "书面陈述", "a written statement is 书面陈述"),
    Term(r"\bblind bidding\b", "暗标出价", "blind bidding is 暗标出价"),
    Term(r"\bfigures?\b", "金额", "each blind-bid figure is a 金额"),
    Term(r"\bmidpoint\b", "中间值", "the midpoint is the 中间值"),
    Term(r"\bdeadlines?\b", "期限|截止", "a deadline is a 期限 (labels: …截止)"),
    Term(r"\breminder\b", "提醒", "a reminder is 提醒"),
    Term(r"\bwithdr[ae]w", "撤回", "to withdraw is 撤回"),
    Term(r"\binvit", "邀请", "an invitation is 邀请"),
    Term(r"\bnegotiat", "协商", "negotiation is 协商"),
    Term(r"\bcontest", "异议", "to contest a claim is 提出异议"),
    Term(r"\bescalat", "转入调解|转交调解员", "to escalate is 转入调解 or 转交调解员"),
    Term(r"\bbuyer's request\b|\bthe buyer asks for\b", "诉求", "the buyer's request is 诉求"),
    Term(r"\bfull refund\b", "全额退款", "a full refund is 全额退款"),
    Term(r"\bpartial refund\b", "部分退款", "a partial refund is 部分退款"),
    Term(r"\breturn and refund\b|\breturn of the goods\b", "退货", "return and refund is 退货退款"),
    Term(r"\breturn freight\b", "退货运费", "return freight is 退货运费"),
    Term(
        r"\bamount paid\b|\bwhat was paid\b|\bamount you paid\b",
        "已付金额",
        "the amount paid is 已付金额",
    ),
    Term(r"\breplacement|\breship", "换货或补发", "replacement or reshipment is 换货或补发"),
    Term(r"\bdiscount\b", "优惠", "a discount on a future order is 后续订单优惠"),
    Term(r"\bchargeback\b", "拒付", "a chargeback is 拒付"),
    Term(r"\bdispute chat\b", "纠纷群聊|本群", "the dispute chat is 纠纷群聊 (本群 inside it)"),
    Term(r"\bcase file\b", "案件档案", "the case file is 案件档案"),
    Term(r"\bstaff chat\b", "调解员工作群", "the staff chat is 调解员工作群"),
    Term(r"\bmediator pool\b|\bthe pool\b", "调解员团队", "the mediator pool is 调解员团队"),
    Term(r"\btake (the|this) case\b", "接手", "to take a case is 接手案件"),
    Term(r"\bcontext card\b", "案件概要", "the context card is 案件概要"),
    Term(r"\boperator", "运营人员", "the operator is 运营人员"),
    Term(r"\bstatistics\b|\bstats\b", "统计数据", "statistics are 统计数据"),
    Term(r"\bsettlement rate\b", "和解率", "the settlement rate is 和解率"),
    Term(r"\bratings?\b", "评分|评价", "a rating is 评分 (评价 with text)"),
    Term(r"\bverif", "核验", "to verify the case file is 核验"),
    Term(r"\btaps?\b", "点击|选择", "tap is 点击 (or 选择)"),
)


@dataclass(frozen=True)
class Entry:
    """One catalog entry: its key, its Chinese text(s) and its English text(s)."""

    key: str
    zh: tuple[str, ...]
    en: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    key: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.key}: [{self.rule}] {self.detail}"


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(s) for s in value)
    return (str(value),)


def load_entries(locales: Path) -> list[Entry]:
    """Every entry of the zh_Hans catalog under `locales`, with its English counterpart."""
    catalogs = {}
    for language in ("en", "zh_Hans"):
        with (locales / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalogs[language] = {
                _strings(m.id)[0]: _strings(m.string) for m in read_po(handle) if m.id
            }
    return [Entry(key, zh, catalogs["en"].get(key, ())) for key, zh in catalogs["zh_Hans"].items()]


def _is_cjk(char: str) -> bool:
    return bool(char) and (bool(re.match(f"[{HAN}]", char)) or char in FULL_WIDTH)


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest character from `index` in direction `step`, skipping spaces and masked
    placeholders (NUL); "" at the end of the line."""
    index += step
    while 0 <= index < len(text) and text[index] in " \x00":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def _punctuation(line: str) -> Iterator[tuple[str, str]]:
    masked = PLACEHOLDER.sub("\x00", line)
    for index, char in enumerate(masked):
        if char not in HALF_WIDTH + "\"'":
            continue
        before, after = masked[index - 1 : index], masked[index + 1 : index + 2]
        if (before.isascii() and before.isalnum()) and (after.isascii() and after.isalnum()):
            continue  # inside a number or a code: 1,250.00, 09:30
        if char == ":" and masked.startswith("//", index + 1):
            continue  # a URL
        if char == "." and after == " " and re.fullmatch(r"\s*\d+", masked[:index]):
            continue  # a numbered list: "1. 用 /new 提交索赔"
        left, right = _neighbour(masked, index, -1), _neighbour(masked, index, 1)
        if _is_cjk(left) or _is_cjk(right) or (right == "" and char in ",.:;?!"):
            rule = "quotes" if char in "\"'" else "half-width punctuation"
            why = "quotes are “” ‘’" if rule == "quotes" else "use full-width ，。：；？！（）"
            yield rule, f"{char!r} in {line!r}: {why}"
    if re.search(r"\.\.\.|(?<!…)…(?!…)", line):
        yield "ellipsis", f"{line!r}: the ellipsis is ……"
    if re.search(f"(?<!—)—(?!—)[{HAN}]|[{HAN}]—(?!—)", line):
        yield "dash", f"{line!r}: the dash is ——"


def check_text(text: str, key: str = "") -> list[Problem]:
    """The rules that hold for any Chinese text, also once rendered: terms and punctuation."""
    problems = [
        Problem(key, "forbidden", f"{match.group(0)!r}: {rule.reason}")
        for rule in FORBIDDEN
        for match in re.finditer(rule.pattern, text)
    ]
    for line in text.split("\n"):
        if re.search(f"[{HAN}]", line):
            problems += [Problem(key, rule, detail) for rule, detail in _punctuation(line)]
    return problems


def _spacing(text: str) -> Iterator[str]:
    han = f"[{HAN}]"
    for match in re.finditer(f"{han}[A-Za-z0-9]|[A-Za-z0-9]{han}", text):
        yield f"{match.group(0)!r}: one space between Chinese and Latin letters or digits"
    for match in re.finditer(rf"{han}\{{(\w+)\}}|\{{(\w+)\}}{han}", text):
        name = match.group(1) or match.group(2)
        if name in SPACED:
            yield f"{match.group(0)!r}: {{{name}}} renders Latin or digits, set it off by a space"
    for match in re.finditer(rf"{han} +\{{(\w+)\}}|\{{(\w+)\}} +{han}", text):
        name = match.group(1) or match.group(2)
        if name in ROLES:
            yield f"{match.group(0)!r}: {{{name}}} renders a role in Chinese, no space around it"
    for match in re.finditer(f"{han} +{han}", text):
        yield f"{match.group(0)!r}: no space between Chinese characters"
    # (Spaces around the list separator "·" are the separator's own.)
    for match in re.finditer(f"[{FULL_WIDTH}] +(?!·)|(?<!·) +[{FULL_WIDTH}]", text):
        yield f"{match.group(0)!r}: no space next to full-width punctuation"
    for match in re.finditer("  +|\u3000", text):
        yield f"{match.group(0)!r}: one half-width space, no more"


def _english(texts: Sequence[str]) -> str:
    """The English words of an entry: placeholders and commands (/case) are not words."""
    return re.sub(r"/\w+", " ", PLACEHOLDER.sub(" ", " ".join(texts)))


def check_entry(entry: Entry) -> list[Problem]:
    """Every rule for one catalog entry: the text rules, spacing, placeholders and terms."""
    key = entry.key
    problems: list[Problem] = []
    english = _english(entry.en)
    expected = Counter(PLACEHOLDER.findall(entry.en[0])) if entry.en else Counter()
    for text in entry.zh:
        problems += check_text(text, key)
        problems += [Problem(key, "spacing", detail) for detail in _spacing(text)]
        found = Counter(PLACEHOLDER.findall(text))
        if entry.en and found != expected:
            problems.append(
                Problem(
                    key,
                    "placeholders",
                    f"{sorted(found.elements())} in {text!r}, English "
                    f"has {sorted(expected.elements())}",
                )
            )
        for name in sorted(set(found) - SPACED - ROLES - FREE):
            problems.append(
                Problem(
                    key,
                    "placeholder class",
                    f"{{{name}}} is new: add it to SPACED, ROLES or FREE in tests/zh_glossary.py "
                    "by what it renders, so its spacing can be checked",
                )
            )
        for term in TERMS:
            if not re.search(term.english, english, re.IGNORECASE):
                continue
            if not re.search(term.chinese, text):
                problems.append(
                    Problem(key, "term", f"{text!r} lacks {term.chinese}: {term.reason}")
                )
            unless = term.unless and re.search(term.unless, english, re.IGNORECASE)
            if term.never and not unless and term.never in text:
                problems.append(Problem(key, "term", f"{text!r} says {term.never}: {term.reason}"))
    return problems


def check_catalog(locales: Path) -> list[Problem]:
    return [problem for entry in load_entries(locales) for problem in check_entry(entry)]
