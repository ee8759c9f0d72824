"""How a settlement's obligation cancelled by a mediator's decision is named (the mediator's
card, the case file) and the sentences that tell of it, in English and Chinese."""

from __future__ import annotations

import pytest

from flows.case_file_text import obligation_status
from flows.decision_text import settlement_replaced
from flows.mediator_card import obligation_status_key
from locales.i18n import Catalogs

CATALOGS = Catalogs()


def test_a_cancelled_obligation_says_what_cancelled_it() -> None:
    assert obligation_status_key("cancelled", by_decision=True) == "card.obligation.cancelled"
    assert (
        obligation_status_key("cancelled", by_decision=False)
        == "card.obligation.cancelled_settlement"
    )
    # Every other status reads the same, whoever stated the obligation.
    for status in ("pending", "done", "confirmed", "disputed", "unknown"):
        assert obligation_status_key(status, False) == obligation_status_key(status, True)


@pytest.mark.parametrize(
    ("language", "settlement", "decision"),
    [
        ("en", "the mediator's decision replaced the settlement", "the decision was replaced"),
        ("zh_Hans", "调解员的裁决已取代和解", "原裁决已被新的裁决取代"),
    ],
)
def test_the_case_file_names_the_settlements_cancellation(
    language: str, settlement: str, decision: str
) -> None:
    tr = CATALOGS.translator(language)
    assert settlement in obligation_status(tr, "cancelled", by_decision=False)
    assert decision in obligation_status(tr, "cancelled")


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "open obligation O1 is cancelled", "open obligations O1, O3 are cancelled"),
        ("zh_Hans", "义务 O1 已取消", "义务 O1, O3 已取消"),
    ],
)
def test_the_parties_are_told_the_settlement_is_replaced(language: str, one: str, two: str) -> None:
    tr = CATALOGS.translator(language)
    assert settlement_replaced(tr, []) == ""
    assert one in settlement_replaced(tr, [1])
    assert two in settlement_replaced(tr, [1, 3])
