"""How proposals and obligations read, for one reader: whole sentences from the catalogs."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from babel.dates import get_timezone_gmt

from flows.rules.lifecycle import Role
from flows.rules.money import percent_of
from flows.rules.proposals import (
    Discount,
    FullRefund,
    Other,
    PartialRefund,
    PartialReturn,
    Proposal,
    Replacement,
    ReturnAndRefund,
    Term,
)
from flows.rules.terms import zone
from locales.i18n import N_, Translator

ROLE_KEYS = {
    Role.BUYER: N_("role.buyer"),
    Role.SUPPLIER: N_("role.supplier"),
    Role.MEDIATOR: N_("role.mediator"),
    Role.SYSTEM: N_("role.system"),
    Role.STRANGER: N_("role.stranger"),
}
OBLIGATION_KEYS = {
    "refund": N_("obligation.refund"),
    "return_goods": N_("obligation.return_goods"),
    "return_part": N_("obligation.return_part"),
    "ship_replacement": N_("obligation.ship_replacement"),
    "grant_discount": N_("obligation.grant_discount"),
    "other": N_("obligation.other"),
}


def role_name(tr: Translator, role: Role | str) -> str:
    return tr.t(ROLE_KEYS[Role(role)])


def proposal_number(number: int) -> str:
    return f"P{number}"


def obligation_number(number: int) -> str:
    return f"O{number}"


def zone_of_day(tr: Translator, day: date, tz: str) -> str:
    """The proposer's zone `tz` as its offset from GMT on `day`, in the reader's language: a
    ship-by date is a date there, shown as that date with its zone (never moved into the
    reader's zone, where its end may fall on another day)."""
    return str(get_timezone_gmt(datetime.combine(day, time(12), zone(tz)), "long", tr.locale))


def _refund_amount(term: PartialRefund | PartialReturn, paid: Decimal, currency: str) -> Decimal:
    if term.percent is not None:
        return percent_of(paid, term.percent, currency)
    assert term.amount is not None
    return term.amount


def term_text(term: Term, tr: Translator, paid: Decimal, currency: str) -> str:
    if isinstance(term, FullRefund):
        return tr.t("term.full_refund", amount=tr.money(paid, currency))
    if isinstance(term, PartialRefund):
        if term.percent is not None:
            amount = percent_of(paid, term.percent, currency)
            return tr.t(
                "term.partial_percent",
                percent=tr.number(term.percent),
                amount=tr.money(amount, currency),
            )
        assert term.amount is not None
        return tr.t("term.partial_amount", amount=tr.money(term.amount, currency))
    if isinstance(term, ReturnAndRefund):
        return tr.t(
            "term.return_refund",
            amount=tr.money(paid, currency),
            party=role_name(tr, term.freight_paid_by),
        )
    if isinstance(term, PartialReturn):
        return tr.t(
            "term.partial_return",
            items=term.items,
            amount=tr.money(_refund_amount(term, paid, currency), currency),
            party=role_name(tr, term.freight_paid_by),
        )
    if isinstance(term, Replacement):
        return tr.t(
            "term.replacement",
            quantity=tr.number(term.quantity),
            date=tr.date(term.ship_by),
            zone=zone_of_day(tr, term.ship_by, term.tz),
        )
    if isinstance(term, Discount):
        if term.amount is not None:
            return tr.t("term.discount_amount", amount=tr.money(term.amount, currency))
        if term.percent is None:
            return tr.t("term.discount_open")
        return tr.t("term.discount", percent=tr.number(term.percent))
    assert isinstance(term, Other)
    return tr.t("term.other", text=term.description, party=role_name(tr, term.by))


def terms_text(proposal: Proposal, tr: Translator, paid: Decimal, currency: str) -> str:
    return "\n".join(f"• {term_text(t, tr, paid, currency)}" for t in proposal.terms)


def obligation_text(
    tr: Translator,
    number: int,
    party: Role | str,
    kind: str,
    amount: Decimal | None,
    currency: str | None,
    due: datetime,
    details: dict[str, Any],
) -> str:
    ship_by = date.fromisoformat(details["ship_by"]) if "ship_by" in details else None
    params: dict[str, object] = {
        "number": obligation_number(number),
        "party": role_name(tr, party),
        "due": tr.datetime(due),
        "amount": tr.money(amount, currency) if amount is not None and currency else "",
        "freight": role_name(tr, details["freight_paid_by"])
        if "freight_paid_by" in details
        else "",
        "quantity": details.get("quantity", ""),
        # A ship-by date is the proposer's calendar date, shown as that date with their zone.
        "date": tr.date(ship_by) if ship_by else "",
        "zone": zone_of_day(tr, ship_by, details.get("ship_by_tz", "UTC")) if ship_by else "",
        "percent": details.get("percent", ""),
        "items": details.get("items", ""),
        "text": details.get("description", ""),
    }
    key = OBLIGATION_KEYS[kind]
    if kind == "grant_discount" and "discount_amount" in details:
        money = Decimal(details["discount_amount"])
        params["amount"] = tr.money(money, details.get("currency") or currency or "")
        key = N_("obligation.grant_discount_amount")
    elif kind == "grant_discount" and "percent" not in details:
        key = N_("obligation.grant_discount_open")  # a claim's discount, its size not named
    return tr.t(key, **params)
