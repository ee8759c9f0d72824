"""The claim as filed: one typed model, read from and written to the case's `claim` column.

The claim form collects answers step by step in a draft (a plain mapping, since a half-filled
form is not yet a claim); filing turns the answers into a `Claim`, and from then on everything
that reads a filed claim reads this model, never the stored mapping by key. `record()` gives
the exact mapping stored on the case and hash-chained in the filing's history event (amounts as
decimal strings, dates as ISO strings). It holds the keys the claim was given and no others:
filing leaves unset answers out, and a claim read back from the column records exactly what was
stored, explicit nulls of older claims included, so `Claim.from_record(m).record() == m` and the
chain of claims filed before this model existed stays valid.

Claims filed by older forms lack what later forms ask for (the agreed delivery date of a late
delivery, the size of a discount): those fields are optional and stay unset, never invented.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flows.rules.validation import Category, DesiredOutcome

__all__ = ["Claim"]

_Text = Annotated[str, Field(min_length=1)]
_Amount = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
_Percent = Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)]


class Claim(BaseModel):
    """What the buyer filed: the order, the problem, and what they want."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_number: _Text = Field(description="the order number as the buyer gave it")
    order_date: date = Field(description="when the order was placed")
    product: _Text = Field(description="what was ordered")
    quantity: int = Field(ge=1, description="how many were ordered")
    currency: str = Field(pattern="^[A-Z]{3}$", description="ISO 4217 code of the amount paid")
    amount: _Amount = Field(description="the amount paid, in `currency`")
    supplier_name: _Text
    supplier_contact: _Text
    category: Category
    key_date: date = Field(
        description="when the goods arrived, or (not received) the agreed delivery date",
    )
    agreed_date: date | None = Field(
        default=None,
        description="late delivery: the delivery date that was agreed (claims filed before "
        "the form asked for it have none)",
    )
    description: _Text = Field(description="the problem in the buyer's own words")
    outcome: DesiredOutcome = Field(description="what the buyer wants")
    outcome_amount: _Amount | None = Field(
        default=None, description="partial refund: the amount asked for, in `currency`"
    )
    outcome_percent: _Percent | None = Field(
        default=None, description="partial refund: the share of the amount paid, in percent"
    )
    discount_amount: _Amount | None = Field(
        default=None,
        description="discount on a future order: its amount, in `currency` (claims filed "
        "before the form asked for the size have neither this nor `discount_percent`)",
    )
    discount_percent: _Percent | None = Field(
        default=None, description="discount on a future order: its size in percent"
    )
    outcome_text: str | None = Field(default=None, description="other outcome: in words")

    @model_validator(mode="after")
    def _outcome_complete(self) -> Claim:
        """The follow-up answers an outcome has always been asked with are there."""
        if self.outcome is DesiredOutcome.PARTIAL_REFUND and not (
            self.outcome_percent or self.outcome_amount
        ):
            raise ValueError("a partial refund needs its amount or its percentage")
        if self.outcome is DesiredOutcome.OTHER and not self.outcome_text:
            raise ValueError("another outcome needs its text")
        return self

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Claim:
        """The claim stored on a case (`cases.claim`), as filed; pydantic's ValidationError
        (a ValueError) when the mapping is not a claim."""
        return cls.model_validate(record)

    def record(self) -> dict[str, Any]:
        """The mapping stored on the case and hash-chained at filing: the keys the claim was
        given, in JSON types."""
        return self.model_dump(mode="json", exclude_unset=True)

    @property
    def partial_refund(self) -> tuple[Decimal | None, Decimal | None]:
        """A partial refund as asked: (percent, amount), the percentage first when an older
        claim holds both (as it was shown)."""
        if self.outcome_percent:
            return self.outcome_percent, None
        return None, self.outcome_amount

    @property
    def discount(self) -> tuple[Decimal | None, Decimal | None]:
        """A discount's size as asked: (percent, amount), both None for a claim filed before
        the form asked for it."""
        if self.discount_percent:
            return self.discount_percent, None
        return None, self.discount_amount
