"""The claim form as data: its questions in order, how each answer is parsed, what comes next.

No Telegram here: the handlers in `claim_form` ask the question of the current step, hand the
reader's answer to `parse_answer`, and store the result with the next step in the draft row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flows.rules import validation as v
from flows.rules.claim import Claim
from flows.rules.term_input import is_percent, parse_discount, parse_percent
from flows.rules.validation import Category, ClaimPolicy, DesiredOutcome, ValidationError


class Step(StrEnum):
    ORDER_NUMBER = "order_number"
    ORDER_DATE = "order_date"
    PRODUCT = "product"
    QUANTITY = "quantity"
    CURRENCY = "currency"
    AMOUNT = "amount"
    SUPPLIER_NAME = "supplier_name"
    SUPPLIER_CONTACT = "supplier_contact"
    CATEGORY = "category"
    KEY_DATE = "key_date"  # receipt of goods, or the agreed delivery date for non-delivery
    AGREED_DATE = "agreed_date"  # late delivery: the date that was agreed (before receipt)
    DESCRIPTION = "description"
    OUTCOME = "outcome"
    OUTCOME_AMOUNT = "outcome_amount"
    OUTCOME_DISCOUNT = "outcome_discount"  # a discount on a future order: its size
    OUTCOME_TEXT = "outcome_text"
    EVIDENCE = "evidence"
    EVIDENCE_LABEL = "evidence_label"
    EVIDENCE_TAG = "evidence_tag"
    CONFIRM = "confirm"


FIRST_STEP = Step.ORDER_NUMBER

# The main questions, for the "step n of m" line; the follow-ups share their parent's number.
MAIN_STEPS: tuple[Step, ...] = (
    Step.ORDER_NUMBER,
    Step.ORDER_DATE,
    Step.PRODUCT,
    Step.QUANTITY,
    Step.CURRENCY,
    Step.AMOUNT,
    Step.SUPPLIER_NAME,
    Step.SUPPLIER_CONTACT,
    Step.CATEGORY,
    Step.KEY_DATE,
    Step.DESCRIPTION,
    Step.OUTCOME,
    Step.EVIDENCE,
    Step.CONFIRM,
)
PARENT = {
    Step.AGREED_DATE: Step.KEY_DATE,
    Step.OUTCOME_AMOUNT: Step.OUTCOME,
    Step.OUTCOME_DISCOUNT: Step.OUTCOME,
    Step.OUTCOME_TEXT: Step.OUTCOME,
    Step.EVIDENCE_LABEL: Step.EVIDENCE,
    Step.EVIDENCE_TAG: Step.EVIDENCE,
}

CHOICE_STEPS = frozenset({Step.CATEGORY, Step.OUTCOME, Step.EVIDENCE_TAG})

# The parts of the summary, each with "Change": the questions it asks again, in order. Changing
# a part walks through its questions (follow-ups included) and returns to the summary.
PARTS: dict[str, tuple[Step, ...]] = {
    "order": (Step.ORDER_NUMBER, Step.ORDER_DATE),
    "product": (Step.PRODUCT, Step.QUANTITY),
    "paid": (Step.CURRENCY, Step.AMOUNT),
    "supplier": (Step.SUPPLIER_NAME, Step.SUPPLIER_CONTACT),
    "category": (Step.CATEGORY, Step.KEY_DATE, Step.AGREED_DATE),
    "description": (Step.DESCRIPTION,),
    "outcome": (Step.OUTCOME, Step.OUTCOME_AMOUNT, Step.OUTCOME_DISCOUNT, Step.OUTCOME_TEXT),
    "evidence": (Step.EVIDENCE, Step.EVIDENCE_LABEL, Step.EVIDENCE_TAG),
}
COMMON_CURRENCIES = ("USD", "EUR", "CNY", "GBP", "HKD", "JPY")


def progress(step: Step) -> tuple[int, int]:
    main = PARENT.get(step, step)
    return MAIN_STEPS.index(main) + 1, len(MAIN_STEPS)


def next_step(step: Step, answers: dict[str, Any]) -> Step:
    """The step after `step`, given what has been answered."""
    if step is Step.OUTCOME:
        outcome = answers.get("outcome")
        if outcome == DesiredOutcome.PARTIAL_REFUND:
            return Step.OUTCOME_AMOUNT
        if outcome == DesiredOutcome.DISCOUNT:
            return Step.OUTCOME_DISCOUNT
        if outcome == DesiredOutcome.OTHER:
            return Step.OUTCOME_TEXT
        return Step.EVIDENCE
    if step in (Step.OUTCOME_AMOUNT, Step.OUTCOME_DISCOUNT, Step.OUTCOME_TEXT):
        return Step.EVIDENCE
    if step is Step.EVIDENCE_LABEL:
        return Step.EVIDENCE_TAG
    if step is Step.EVIDENCE_TAG:
        return Step.EVIDENCE
    if step is Step.EVIDENCE:
        return Step.CONFIRM
    if step is Step.KEY_DATE and answers.get("category") == Category.LATE_DELIVERY:
        return Step.AGREED_DATE
    if step is Step.AGREED_DATE:
        return Step.DESCRIPTION
    index = MAIN_STEPS.index(step)
    return MAIN_STEPS[index + 1]


@dataclass(frozen=True)
class FormContext:
    now: datetime
    tz: ZoneInfo
    policy: ClaimPolicy
    answers: dict[str, Any]


def _date(answers: dict[str, Any], key: str) -> date | None:
    raw = answers.get(key)
    return date.fromisoformat(raw) if raw else None


def parse_partial_refund(text: str, ctx: FormContext) -> dict[str, Any]:
    """A partial refund is an amount in the claim's currency or a percentage of what was paid
    (the other of the two is cleared: a new answer replaces the saved one whatever its form)."""
    if is_percent(text):
        return {"outcome_percent": str(parse_percent(text)), "outcome_amount": None}
    currency = ctx.answers["currency"]
    amount = v.parse_amount(text, currency)
    paid = Decimal(ctx.answers["amount"])
    if amount > paid:
        raise ValidationError("refund.exceeds_paid")
    return {"outcome_amount": str(amount), "outcome_percent": None, "_refund_currency": currency}


def parse_discount_size(text: str, ctx: FormContext) -> dict[str, Any]:
    """The discount on a future order: a percentage or an amount in the claim's currency, read
    as the proposal builder reads it (at most what was paid); the other of the two is cleared."""
    currency = ctx.answers["currency"]
    discount = parse_discount(text, currency, Decimal(ctx.answers["amount"]))
    if discount.percent is not None:
        return {"discount_percent": str(discount.percent), "discount_amount": None}
    return {
        "discount_amount": str(discount.amount),
        "discount_percent": None,
        "_discount_currency": currency,
    }


def parse_answer(step: Step, text: str, ctx: FormContext) -> dict[str, Any]:
    """Parse a typed answer for `step`; returns the answers to store, or raises ValidationError."""
    policy = ctx.policy
    if step is Step.ORDER_NUMBER:
        return {"order_number": v.parse_text(text, max_len=policy.max_order_number)}
    if step is Step.ORDER_DATE:
        return {"order_date": v.parse_date(text, ctx.now, ctx.tz).isoformat()}
    if step is Step.PRODUCT:
        return {"product": v.parse_text(text, max_len=policy.max_product)}
    if step is Step.QUANTITY:
        return {"quantity": v.parse_quantity(text)}
    if step is Step.CURRENCY:
        return {"currency": v.parse_currency(text)}
    if step is Step.AMOUNT:
        # The currency it was given in, so a saved amount reads right after a currency change.
        currency = ctx.answers["currency"]
        return {"amount": str(v.parse_amount(text, currency)), "_amount_currency": currency}
    if step is Step.SUPPLIER_NAME:
        return {"supplier_name": v.parse_text(text, max_len=policy.max_supplier_name)}
    if step is Step.SUPPLIER_CONTACT:
        return {"supplier_contact": v.parse_text(text, max_len=policy.max_supplier_contact)}
    if step is Step.KEY_DATE:
        return {"key_date": parse_key_date(text, ctx).isoformat()}
    if step is Step.AGREED_DATE:
        return {"agreed_date": parse_agreed_date(text, ctx).isoformat()}
    if step is Step.DESCRIPTION:
        return {"description": v.parse_text(text, max_len=policy.max_description)}
    if step is Step.OUTCOME_AMOUNT:
        return parse_partial_refund(text, ctx)
    if step is Step.OUTCOME_DISCOUNT:
        return parse_discount_size(text, ctx)
    if step is Step.OUTCOME_TEXT:
        return {"outcome_text": v.parse_text(text, max_len=policy.max_statement)}
    if step is Step.EVIDENCE_LABEL:
        return {"pending_label": v.parse_label(text)}
    raise ValidationError("answer.use_buttons")


def recheck_saved(step: Step, ctx: FormContext) -> None:
    """A kept answer is checked again against the answers it depends on, which may have changed
    since it was given (a new category's claim window, a new currency's decimals, a lower
    amount paid); ValidationError when it no longer fits."""
    answers = ctx.answers
    if step in (Step.KEY_DATE, Step.AGREED_DATE, Step.AMOUNT):
        parse_answer(step, str(answers[str(step)]), ctx)
    elif step in (Step.OUTCOME_AMOUNT, Step.OUTCOME_DISCOUNT):
        refund = step is Step.OUTCOME_AMOUNT
        percent = answers.get("outcome_percent" if refund else "discount_percent")
        if percent:
            parse_answer(step, f"{percent}%", ctx)
            return
        # An amount given in another currency is not the same amount in this one.
        currency = answers["currency"]
        given_in = answers.get("_refund_currency" if refund else "_discount_currency", currency)
        if given_in != currency:
            raise ValidationError("amount.currency_mismatch", currency=currency)
        parse_answer(step, str(answers["outcome_amount" if refund else "discount_amount"]), ctx)


def parse_key_date(text: str, ctx: FormContext) -> date:
    key_date = v.parse_date(text, ctx.now, ctx.tz)
    order_date = _date(ctx.answers, "order_date")
    if order_date is not None and key_date < order_date:
        raise ValidationError("date.before_order")
    category = Category(ctx.answers["category"])
    not_received = category is Category.NOT_RECEIVED
    v.check_claim_window(
        category,
        order_date or key_date,
        None if not_received else key_date,
        key_date if not_received else None,
        ctx.now,
        ctx.policy,
    )
    return key_date


def parse_agreed_date(text: str, ctx: FormContext) -> date:
    """The delivery date agreed for a late delivery: not before the order, and before the goods
    arrived (delivered on or before it, they were not late)."""
    agreed = v.parse_date(text, ctx.now, ctx.tz)
    order_date = _date(ctx.answers, "order_date")
    if order_date is not None and agreed < order_date:
        raise ValidationError("date.before_order")
    received = _date(ctx.answers, "key_date")
    if received is not None and agreed >= received:
        raise ValidationError("date.agreed_not_before_receipt", received=received)
    return agreed


def continue_description(text: str, ctx: FormContext) -> dict[str, Any]:
    """A second message right after the description continues it (Telegram cuts a long text
    into messages of 4,096 characters), within `max_description` in all."""
    added = v.parse_text(text, max_len=ctx.policy.max_description)
    joined = f"{ctx.answers['description']}\n{added}"
    if len(joined) > ctx.policy.max_description:
        raise ValidationError("text.too_long", max=ctx.policy.max_description, length=len(joined))
    return {"description": joined}


# The follow-up answers that belong to one choice: an answer kept from an earlier choice (a
# partial refund's amount, then the outcome changed to a full refund) is not part of the claim,
# as the summary the buyer confirmed did not show it.
FOLLOW_UPS: dict[str, tuple[str, str]] = {
    "agreed_date": ("category", Category.LATE_DELIVERY),
    "outcome_amount": ("outcome", DesiredOutcome.PARTIAL_REFUND),
    "outcome_percent": ("outcome", DesiredOutcome.PARTIAL_REFUND),
    "discount_amount": ("outcome", DesiredOutcome.DISCOUNT),
    "discount_percent": ("outcome", DesiredOutcome.DISCOUNT),
    "outcome_text": ("outcome", DesiredOutcome.OTHER),
}


def claim_from_answers(answers: dict[str, Any]) -> Claim:
    """The claim the answers make, as it is filed (and shown for confirmation): the answers
    without working fields (the item in progress, `pending_*`, and the form's own bookkeeping,
    `_*`), without unset ones (a cleared percentage) and without follow-ups of another choice.
    pydantic's ValidationError (a ValueError) when they do not make a claim."""
    given = {
        key: value
        for key, value in answers.items()
        if not key.startswith(("pending_", "_")) and value is not None
    }
    return Claim.from_record(
        {
            key: value
            for key, value in given.items()
            if key not in FOLLOW_UPS or given.get(FOLLOW_UPS[key][0]) == FOLLOW_UPS[key][1]
        }
    )
