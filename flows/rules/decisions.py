"""What a mediator's decision must say: reasons that cite evidence by number, checked here.

Pure rules (no telegram, no database): the flows pass the evidence numbers that exist in the
case and the mediator may see (all of them: mediator-only items too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from flows.rules.validation import ValidationError, parse_text

# The time a decision gives the parties to fulfil it, when the mediator sets it (whole days).
FULFILMENT_DAYS_MAX = 90
# "14", "14 days", "14天", full-width digits too (NFKC); "²" or "①" is no number.
DAYS = re.compile(r"([0-9]{1,3})\s*(?:days?|天)?", re.IGNORECASE)
REASONS_MAX_LEN = 4000  # a few paragraphs; Telegram's message limit is 4096
RECONSIDER_REASON_MAX_LEN = 2000
# "E1", "e12", "E1、E2": a citation is an E directly followed by digits, not inside a word.
CITATION = re.compile(r"(?<![0-9A-Za-z])[Ee](\d{1,6})(?![0-9])")


def cited_numbers(text: str) -> list[int]:
    """The evidence numbers `text` cites, in first-cited order, without repeats."""
    return list(dict.fromkeys(int(n) for n in CITATION.findall(text)))


def check_reasons(
    text: str, existing: Collection[int], *, no_evidence: bool
) -> tuple[str, list[int]]:
    """The reasons (stripped) and the numbers they cite. Refused (ValidationError): empty or
    too long; citing an item the case does not have; citing nothing unless the mediator said
    no evidence applies (then the reasons are that explanation)."""
    value = parse_text(text, max_len=REASONS_MAX_LEN)
    cited = cited_numbers(value)
    missing = [n for n in cited if n not in existing]
    if missing:
        raise ValidationError("decision.cites_missing", number=f"E{missing[0]}")
    if not cited and not no_evidence:
        raise ValidationError("decision.cite_evidence")
    return value, cited


def parse_fulfilment_days(text: str) -> int:
    """The decision's time to fulfil, in whole days from the decision: 1 to
    FULFILMENT_DAYS_MAX. Refused (ValidationError "decision.days_range") otherwise."""
    plain = not any(c.isdigit() and not c.isdecimal() for c in text)
    found = DAYS.fullmatch(unicodedata.normalize("NFKC", text).strip()) if plain else None
    days = int(found.group(1)) if found is not None else 0
    if not 1 <= days <= FULFILMENT_DAYS_MAX:
        raise ValidationError("decision.days_range", max=FULFILMENT_DAYS_MAX)
    return days
