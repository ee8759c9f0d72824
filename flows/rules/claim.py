"""The claim as filed: one typed model, read from and written to the case's `claim` column.

The claim form collects answers step by step in a draft (a plain mapping, since a half-filled
form is not yet a claim); filing turns the answers into a `Claim`, and from then on everything
that reads a filed claim reads this model, never the stored mapping by key. `record()` gives
the exact mapping stored on the case and hash-chained in the filing's history event (amounts as
decimal strings, dates as ISO strings, unset answers left out), so the chain of claims filed
before this model existed stays valid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flows.rules.validation import Category, DesiredOutcome

__all__ = ["Claim"]


class Claim(BaseModel):
    """What the buyer filed: the order, the problem, and what they want."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_number: str = Field(description="the order number as the buyer gave it")
    order_date: date | None = Field(default=None, description="when the order was placed")
    product: str = Field(description="what was ordered")
    quantity: int = Field(ge=1, description="how many were ordered")
    currency: str = Field(description="ISO 4217 code of the amount paid")
    amount: Decimal = Field(description="the amount paid, in `currency`")
    supplier_name: str
    supplier_contact: str
    category: Category
    key_date: date | None = Field(
        default=None,
        description="when the goods arrived, or (not received) the agreed delivery date",
    )
    agreed_date: date | None = Field(
        default=None, description="late delivery: the delivery date that was agreed"
    )
    description: str = Field(description="the problem in the buyer's own words")
    outcome: DesiredOutcome = Field(description="what the buyer wants")
    outcome_amount: Decimal | None = Field(
        default=None, description="partial refund: the amount asked for, in `currency`"
    )
    outcome_percent: Decimal | None = Field(
        default=None, description="partial refund: the share of the amount paid, in percent"
    )
    discount_amount: Decimal | None = Field(
        default=None, description="discount on a future order: its amount"
    )
    discount_percent: Decimal | None = Field(
        default=None, description="discount on a future order: its size in percent"
    )
    outcome_text: str | None = Field(default=None, description="other outcome: in words")

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Claim:
        """The claim stored on a case (`cases.claim`), as filed."""
        return cls.model_validate(record)

    def record(self) -> dict[str, Any]:
        """The mapping stored on the case and hash-chained at filing."""
        return self.model_dump(mode="json", exclude_none=True)
