"""The time a mediator's decision gives to fulfil it, typed in whole days."""

from __future__ import annotations

import pytest

from flows.rules.decisions import FULFILMENT_DAYS_MAX, parse_fulfilment_days
from flows.rules.validation import ValidationError


@pytest.mark.parametrize(
    ("text", "days"),
    [("14", 14), (" 1 ", 1), ("90", 90), ("14 days", 14), ("1 day", 1), ("10天", 10), ("１４", 14)],
)
def test_days_are_read_in_either_language(text: str, days: int) -> None:
    assert parse_fulfilment_days(text) == days


@pytest.mark.parametrize(
    "text",
    ["0", "91", "-3", "1.5", "two weeks", "", "14 days later", "²", "①", "١٤", "1000", "14 hours"],
)
def test_anything_else_is_refused_with_the_range(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_fulfilment_days(text)
    assert refused.value.code == "decision.days_range"
    assert refused.value.params == {"max": FULFILMENT_DAYS_MAX}
