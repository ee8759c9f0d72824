"""The claim as one model (flows/rules/claim.py): what is stored reads back exactly, claims
filed by older forms still load, and what is not a claim is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from flows.claim_steps import claim_from_answers
from flows.rules.claim import Claim
from flows.rules.validation import Category, DesiredOutcome

# A claim as the form files it today (printed from an end-to-end filing).
FULL: dict[str, Any] = {
    "order_number": "HB-20261102-77",
    "order_date": "2026-11-02",
    "product": "不锈钢保温杯 500ml",
    "quantity": 2000,
    "currency": "EUR",
    "amount": "3600.00",
    "supplier_name": "Hamburg Haushaltswaren GmbH",
    "supplier_contact": "+49 40 1234567",
    "category": "late_delivery",
    "key_date": "2026-11-20",
    "agreed_date": "2026-11-10",
    "description": "2000 个保温杯中有 300 个密封圈漏水。",
    "outcome": "discount",
    "discount_amount": "360.00",
}

# A claim filed before the form asked for the agreed date and a discount's size, when a
# cleared answer was stored as null (the percentage replaced by an amount).
OLDER: dict[str, Any] = {
    "order_number": "PO-1",
    "order_date": "2026-10-01",
    "product": "Tea sets",
    "quantity": 40,
    "currency": "USD",
    "amount": "1200.00",
    "supplier_name": "Jingdezhen Ceramics",
    "supplier_contact": "wang@example.com",
    "category": "late_delivery",
    "key_date": "2026-10-20",
    "description": "Arrived three weeks late.",
    "outcome": "discount",
    "outcome_percent": None,
    "outcome_amount": "100.00",
}


def test_a_full_claim_reads_typed_and_records_back_exactly() -> None:
    claim = Claim.from_record(FULL)
    assert claim.record() == FULL
    assert (claim.amount, claim.currency, claim.quantity) == (Decimal("3600.00"), "EUR", 2000)
    assert (claim.category, claim.outcome) == (Category.LATE_DELIVERY, DesiredOutcome.DISCOUNT)
    assert (claim.order_date, claim.agreed_date) == (date(2026, 11, 2), date(2026, 11, 10))
    assert claim.discount == (None, Decimal("360.00"))


def test_an_older_claim_loads_without_the_newer_keys_and_records_back_exactly() -> None:
    claim = Claim.from_record(OLDER)
    assert claim.record() == OLDER  # the null it was stored with included
    assert claim.agreed_date is None
    assert claim.discount == (None, None)  # "a discount", its size never asked: none invented
    assert "agreed_date" not in claim.record() and "discount_amount" not in claim.record()


def test_a_partial_refund_reads_its_percentage_first() -> None:
    both = {**OLDER, "outcome": "partial_refund", "outcome_percent": "30"}
    assert Claim.from_record(both).partial_refund == (Decimal(30), None)
    by_amount = {**OLDER, "outcome": "partial_refund"}
    assert Claim.from_record(by_amount).partial_refund == (None, Decimal("100.00"))


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": None},
        {"amount": "0"},
        {"amount": "-5.00"},
        {"amount": "NaN"},
        {"amount": "twelve"},
        {"currency": "usd"},
        {"quantity": 0},
        {"category": "broken"},
        {"outcome": "everything"},
        {"order_date": "2026-13-01"},
        {"product": ""},
        {"outcome": "partial_refund", "outcome_amount": None},
        {"outcome": "partial_refund", "outcome_percent": "140", "outcome_amount": None},
        {"outcome": "other"},
        {"discount_amount": "-1"},
    ],
)
def test_what_is_not_a_claim_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Claim.from_record({**OLDER, **bad})


@pytest.mark.parametrize("missing", ["order_number", "amount", "currency", "category", "key_date"])
def test_a_claim_missing_what_every_form_asked_is_refused(missing: str) -> None:
    with pytest.raises(ValidationError):
        Claim.from_record({k: v for k, v in FULL.items() if k != missing})


def test_filing_leaves_out_working_fields_cleared_answers_and_other_choices_follow_ups() -> None:
    answers = {
        **FULL,
        "category": "quality_defect",  # changed from late delivery: its agreed date goes
        "outcome": "partial_refund",  # changed from a discount: its size goes
        "outcome_percent": "25",
        "outcome_amount": None,  # cleared by the percentage
        "outcome_text": "stale text from 'other'",
        "pending_label": "half typed",
        "pending_evidence": {"kind": "photo"},
        "_amount_currency": "EUR",
        "_last_answer": {"message_id": 7, "step": "outcome_amount"},
    }
    claim = claim_from_answers(answers)
    expected = {
        k: v
        for k, v in FULL.items()
        if k not in ("agreed_date", "discount_amount", "category", "outcome")
    } | {"category": "quality_defect", "outcome": "partial_refund", "outcome_percent": "25"}
    assert claim.record() == expected
    assert Claim.from_record(claim.record()) == claim


def test_filing_keeps_the_follow_ups_of_the_choices_made() -> None:
    assert claim_from_answers(dict(FULL)).record() == FULL
    other = {**FULL, "outcome": "other", "outcome_text": "Send the missing seals"}
    assert claim_from_answers(other).outcome_text == "Send the missing seals"


def test_answers_that_make_no_claim_are_refused_at_filing() -> None:
    with pytest.raises(ValidationError):
        claim_from_answers({k: v for k, v in FULL.items() if k != "description"})
