"""A ship-by date is a calendar date in the proposer's time zone: judged, due and shown there.

A Shanghai proposer and a Hamburg reader (and the other way round), around midnight: the date
each reader is shown is the date the proposer typed, with the proposer's zone, and the deadline
is the end of that day where the proposer is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from flows.proposal_render import obligation_text, term_text
from flows.rules.proposals import (
    Discount,
    FullRefund,
    ObligationKind,
    PartialReturn,
    Proposal,
    Replacement,
    obligations,
)
from flows.rules.validation import ValidationError
from locales.i18n import Catalogs, Translator

PAID = Decimal("1000.00")
SHANGHAI, HAMBURG = "Asia/Shanghai", "Europe/Berlin"


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


def readers(catalogs: Catalogs) -> list[Translator]:
    """English and Chinese readers in Hamburg and in Shanghai."""
    return [
        catalogs.translator(language, zone)
        for language in ("en", "zh_Hans")
        for zone in (HAMBURG, SHANGHAI)
    ]


def _replacement_duty(tr: Translator, term: Replacement, settled: datetime) -> str:
    [duty] = obligations(Proposal((term,)), PAID, "USD", settled, 7)
    return obligation_text(
        tr, 1, duty.party, duty.kind, duty.amount, "USD", duty.due, dict(duty.details)
    )


def test_a_shanghai_proposer_just_before_midnight_may_name_their_today() -> None:
    # 23:30 on 26 November in Shanghai is 16:30 UTC and 17:30 in Hamburg, the same day...
    late = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)
    Proposal((Replacement(1, date(2026, 11, 26), SHANGHAI),)).validate(PAID, "USD", late)
    # ...and half an hour later it is the 27th in Shanghai: the 26th has passed there.
    after = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)
    with pytest.raises(ValidationError, match="ship_by_past"):
        Proposal((Replacement(1, date(2026, 11, 26), SHANGHAI),)).validate(PAID, "USD", after)
    # The zone that judges is the proposer's, whatever zone the caller passes.
    with pytest.raises(ValidationError, match="ship_by_past"):
        Proposal((Replacement(1, date(2026, 11, 26), SHANGHAI),)).validate(
            PAID, "USD", after, tz=UTC
        )


def test_a_hamburg_proposer_just_after_midnight_names_a_date_that_is_yesterday_in_utc() -> None:
    # 00:30 on 27 November in Hamburg is 23:30 UTC on the 26th: the 27th is their today.
    early = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    Proposal((Replacement(1, date(2026, 11, 27), HAMBURG),)).validate(PAID, "USD", early)
    with pytest.raises(ValidationError, match="ship_by_past"):
        Proposal((Replacement(1, date(2026, 11, 26), HAMBURG),)).validate(PAID, "USD", early)


@pytest.mark.parametrize(
    ("zone", "due"),
    [
        (SHANGHAI, datetime(2026, 12, 15, 15, 59, 59, tzinfo=UTC)),
        (HAMBURG, datetime(2026, 12, 15, 22, 59, 59, tzinfo=UTC)),
        ("UTC", datetime(2026, 12, 15, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_the_deadline_is_the_end_of_the_day_where_the_proposer_is(zone: str, due: datetime) -> None:
    settled = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    [duty] = obligations(
        Proposal((Replacement(2, date(2026, 12, 15), zone),)), PAID, "USD", settled, 7
    )
    assert duty.kind is ObligationKind.SHIP_REPLACEMENT
    assert duty.due == due
    assert duty.details == {"quantity": "2", "ship_by": "2026-12-15", "ship_by_tz": zone}


@pytest.mark.parametrize("proposer", [SHANGHAI, HAMBURG])
def test_every_reader_is_shown_the_proposers_date_with_the_proposers_zone(
    catalogs: Catalogs, proposer: str
) -> None:
    term = Replacement(3, date(2026, 12, 15), proposer)
    settled = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    offset = {SHANGHAI: "GMT+08:00", HAMBURG: "GMT+01:00"}[proposer]
    for tr in readers(catalogs):
        shown = tr.date(date(2026, 12, 15))
        wrong = {tr.date(date(2026, 12, 14)), tr.date(date(2026, 12, 16))}
        for text in (term_text(term, tr, PAID, "USD"), _replacement_duty(tr, term, settled)):
            assert shown in text and offset in text, text
            assert not any(day in text for day in wrong), text


def test_a_term_stored_before_the_zone_was_kept_reads_as_a_utc_date(catalogs: Catalogs) -> None:
    stored = {
        "version": 1,
        "terms": [{"kind": "replacement", "quantity": 1, "ship_by": "2026-12-15"}],
    }
    [term] = Proposal.from_dict(stored).terms
    assert term == Replacement(1, date(2026, 12, 15), "UTC")
    tr = catalogs.translator("en", SHANGHAI)
    assert "Dec 15, 2026 (GMT+00:00)" in term_text(term, tr, PAID, "USD")


def test_a_zone_that_is_none_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Replacement(1, date(2026, 12, 15), "Mars/Olympus")
    with pytest.raises(ValueError, match="time zone"):
        Proposal.from_dict(
            {
                "version": 1,
                "terms": [
                    {"kind": "replacement", "quantity": 1, "ship_by": "2026-12-15", "tz": "x/y"}
                ],
            }
        )


# ---------------------------------------------------------------- partial return, discount


def test_a_partial_return_is_checked_like_a_partial_refund() -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    ok = PartialReturn("120 cracked units", "supplier", amount=Decimal("300.00"))
    Proposal((ok,)).validate(PAID, "USD", now)
    for bad, code in (
        (PartialReturn("  ", "buyer", amount=Decimal(300)), "text.empty"),
        (PartialReturn("x", "buyer"), "proposal.partial_refund_needs_one"),
        (PartialReturn("x", "buyer", amount=Decimal(2000)), "proposal.refund_exceeds_paid"),
        (PartialReturn("x", "buyer", amount=Decimal("0.001")), "amount.too_many_decimals"),
        (PartialReturn("x", "buyer", percent=Decimal(120)), "proposal.percent_range"),
    ):
        with pytest.raises(ValidationError) as info:
            Proposal((bad,)).validate(PAID, "USD", now)
        assert info.value.code == code
    with pytest.raises(ValueError, match="party"):
        PartialReturn("x", "mediator")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        PartialReturn("x", "buyer", amount=Decimal(1), percent=Decimal(1))


def test_a_partial_return_is_a_refund_term_and_owes_the_return_then_the_refund() -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    part = PartialReturn("120 cracked units", "buyer", percent=Decimal(30))
    with pytest.raises(ValidationError, match="duplicate_term"):
        Proposal((part, PartialReturn("y", "buyer", amount=Decimal(1)))).validate(PAID, "USD", now)
    with pytest.raises(ValidationError, match="conflicting_refunds"):
        Proposal((part, FullRefund())).validate(PAID, "USD", now)
    proposal = Proposal((part,))
    assert proposal.refund_total(PAID, "USD") == Decimal("300.00")
    assert Proposal.from_json(proposal.to_json()) == proposal
    back, refund = obligations(proposal, PAID, "USD", now, 7)
    assert (back.party, back.kind) == ("buyer", ObligationKind.RETURN_PART)
    assert back.details == {"items": "120 cracked units", "freight_paid_by": "buyer"}
    assert (refund.party, refund.kind, refund.amount) == (
        "supplier",
        ObligationKind.REFUND,
        Decimal("300.00"),
    )
    assert refund.due > back.due and refund.details["after"] == "return_part"


def test_a_discount_amount_is_stored_checked_and_reads_as_money(catalogs: Catalogs) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    discount = Discount(amount=Decimal("250.00"))
    proposal = Proposal((discount,))
    proposal.validate(PAID, "USD", now)
    assert Proposal.from_json(proposal.to_json()) == proposal
    with pytest.raises(ValidationError, match="not_positive"):
        Proposal((Discount(amount=Decimal(0)),)).validate(PAID, "USD", now)
    [duty] = obligations(proposal, PAID, "USD", now, 7)
    assert duty.details == {"discount_amount": "250.00", "currency": "USD"}
    for tr in readers(catalogs):
        money = tr.money(Decimal(250), "USD")
        assert money in term_text(discount, tr, PAID, "USD")
        text = obligation_text(tr, 1, duty.party, duty.kind, None, None, duty.due, duty.details)
        assert money in text and "discount_amount" not in text and "{" not in text
