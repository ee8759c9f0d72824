"""How the claim form and a claim read: questions with their buttons, the summary, evidence lines.

Everything is rendered for one reader (a `Translator`), from catalog keys; nothing is glued
from fragments of sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup

from flows.buttons import ClaimForm
from flows.callbacks import encode
from flows.claim_steps import COMMON_CURRENCIES, Step, claim_from_answers, progress
from flows.common import Button, chunk, keyboard
from flows.evidence_index import TAG_KEYS, index_lines
from flows.evidence_index import evidence_number as evidence_number  # re-exported
from flows.rules.claim import Claim
from flows.rules.lifecycle import ClosingReason, Role
from flows.rules.validation import Category, DesiredOutcome
from locales.i18n import N_, Translator
from storage import Case, Evidence

# The item in progress is for the mediator only: its answer key, and the tag step's toggle.
MEDIATOR_ONLY = "pending_mediator_only"
PRIVATE_VALUE, SHARED_VALUE = "private", "shared"

# A closed case says why it closed (PRODUCT.md: fulfilled, withdrawn, dismissed or expired);
# cases closed before the reason was recorded show plain "Closed".
CLOSED_KEYS = {
    ClosingReason.FULFILLED: N_("closed.fulfilled"),
    ClosingReason.UNFULFILLED: N_("closed.unfulfilled"),
    ClosingReason.WITHDRAWN: N_("closed.withdrawn"),
    ClosingReason.DISMISSED: N_("closed.dismissed"),
    ClosingReason.EXPIRED: N_("closed.expired"),
    ClosingReason.ABANDONED: N_("closed.abandoned"),
    ClosingReason.UNRESOLVED: N_("closed.unresolved"),
}

CATEGORY_KEYS = {
    Category.NOT_RECEIVED: N_("category.not_received"),
    Category.LATE_DELIVERY: N_("category.late_delivery"),
    Category.QUALITY_DEFECT: N_("category.quality_defect"),
    Category.NOT_AS_DESCRIBED: N_("category.not_as_described"),
    Category.SHORT_SHIPMENT: N_("category.short_shipment"),
    Category.COUNTERFEIT: N_("category.counterfeit"),
    Category.BREACH_OF_TERMS: N_("category.breach_of_terms"),
    Category.OTHER: N_("category.other"),
}
OUTCOME_KEYS = {
    DesiredOutcome.FULL_REFUND: N_("outcome.full_refund"),
    DesiredOutcome.PARTIAL_REFUND: N_("outcome.partial_refund"),
    DesiredOutcome.RETURN_AND_REFUND: N_("outcome.return_and_refund"),
    DesiredOutcome.REPLACEMENT: N_("outcome.replacement"),
    DesiredOutcome.DISCOUNT: N_("outcome.discount"),
    DesiredOutcome.OTHER: N_("outcome.other"),
}
QUESTION_KEYS = {
    Step.ORDER_NUMBER: N_("claim.ask.order_number"),
    Step.ORDER_DATE: N_("claim.ask.order_date"),
    Step.PRODUCT: N_("claim.ask.product"),
    Step.QUANTITY: N_("claim.ask.quantity"),
    Step.CURRENCY: N_("claim.ask.currency"),
    Step.SUPPLIER_NAME: N_("claim.ask.supplier_name"),
    Step.SUPPLIER_CONTACT: N_("claim.ask.supplier_contact"),
    Step.CATEGORY: N_("claim.ask.category"),
    Step.DESCRIPTION: N_("claim.ask.description"),
    Step.OUTCOME: N_("claim.ask.outcome"),
    Step.OUTCOME_TEXT: N_("claim.ask.outcome_text"),
}


# The summary's "Change" buttons, one per part, in the order the summary lists them.
CHANGE_KEYS = {
    "order": N_("button.change.order"),
    "product": N_("button.change.product"),
    "paid": N_("button.change.paid"),
    "supplier": N_("button.change.supplier"),
    "category": N_("button.change.category"),
    "outcome": N_("button.change.outcome"),
    "description": N_("button.change.description"),
    "evidence": N_("button.change.evidence"),
}
CHANGE_PREFIX = "chg_"  # callback value of a Change button: chg_<part>
KEEP_ANSWER = "same"  # callback value of "keep the saved answer"
SAVED_PREVIEW = 300  # a long saved answer is shown cut, so the question stays one message


def case_number(case: Case) -> str:
    """The number people see for a filed case, "#12" (`Case.number`, given at filing).

    A draft has no number and its messages name none ("your draft claim"); should one reach
    here anyway it reads as "—", never as the internal id."""
    return "—" if case.number is None else f"#{case.number}"


def _question_text(
    step: Step, answers: dict[str, Any], tr: Translator, items: int, mediators: bool = True
) -> str:
    if step in QUESTION_KEYS:
        return tr.t(QUESTION_KEYS[step])
    if step is Step.AMOUNT:
        return tr.t("claim.ask.amount", currency=answers["currency"])
    if step is Step.KEY_DATE:
        if answers.get("category") == Category.NOT_RECEIVED:
            return tr.t("claim.ask.delivery_date")
        return tr.t("claim.ask.received_date")
    if step is Step.AGREED_DATE:
        received = _date_text(tr, answers.get("key_date"))
        return tr.t("claim.ask.agreed_date", received=received)
    if step is Step.OUTCOME_AMOUNT:
        paid = tr.money(Decimal(answers["amount"]), answers["currency"])
        return tr.t("claim.ask.outcome_amount", currency=answers["currency"], paid=paid)
    if step is Step.OUTCOME_DISCOUNT:
        paid = tr.money(Decimal(answers["amount"]), answers["currency"])
        return tr.t("claim.ask.outcome_discount", currency=answers["currency"], paid=paid)
    if step is Step.EVIDENCE:
        lines = [tr.t("claim.ask.evidence")]
        if Category(answers["category"]) in (Category.QUALITY_DEFECT, Category.NOT_AS_DESCRIBED):
            lines.append(tr.t("claim.ask.evidence_required"))
        lines.append(tr.tn("claim.evidence.count", "claim.evidence.count.plural", items))
        return "\n\n".join(lines)
    if step is Step.EVIDENCE_LABEL:
        return tr.t("claim.ask.evidence_label", number=evidence_number(items + 1))
    if step is Step.EVIDENCE_TAG:
        number = evidence_number(items + 1)
        if not mediators:  # nobody would read an item for the mediator only: not offered
            return tr.t("claim.ask.evidence_tag", number=number)
        private = (
            tr.t("claim.evidence.private_marked", number=number)
            if answers.get(MEDIATOR_ONLY)
            else tr.t("claim.evidence.private_hint")
        )
        return tr.t("claim.ask.evidence_tag", number=number) + "\n\n" + private
    raise ValueError(f"no question for step {step}")


def _choices(step: Step, case_id: int, tr: Translator) -> list[list[Button]]:
    def button(key: str, value: str) -> Button:
        return tr.t(key), encode(ClaimForm(case_id, step, value))

    if step is Step.CURRENCY:
        return chunk(
            [(code, encode(ClaimForm(case_id, step, code))) for code in COMMON_CURRENCIES], 3
        )
    if step is Step.CATEGORY:
        return chunk([button(key, value) for value, key in CATEGORY_KEYS.items()], 2)
    if step is Step.OUTCOME:
        return chunk([button(key, value) for value, key in OUTCOME_KEYS.items()], 2)
    if step is Step.EVIDENCE_TAG:
        return chunk([button(key, value) for value, key in TAG_KEYS.items()], 3)
    if step is Step.EVIDENCE:
        return [[button(N_("button.done"), "done")]]
    return []


def saved_answer(step: Step, answers: dict[str, Any], tr: Translator) -> str | None:
    """The answer already saved for `step` as the reader reads it, or None."""
    if step is Step.OUTCOME_AMOUNT:
        if answers.get("outcome_percent"):
            return f"{answers['outcome_percent']}%"
        if answers.get("outcome_amount"):
            currency = answers.get("_refund_currency", answers["currency"])
            return tr.money(Decimal(answers["outcome_amount"]), currency)
        return None
    if step is Step.OUTCOME_DISCOUNT:
        if answers.get("discount_percent"):
            return f"{tr.number(Decimal(answers['discount_percent']))}%"
        if answers.get("discount_amount"):
            currency = answers.get("_discount_currency", answers["currency"])
            return tr.money(Decimal(answers["discount_amount"]), currency)
        return None
    raw = answers.get(str(step))
    if raw is None or step in (Step.EVIDENCE, Step.EVIDENCE_LABEL, Step.EVIDENCE_TAG):
        return None
    if step in (Step.ORDER_DATE, Step.KEY_DATE, Step.AGREED_DATE):
        return _date_text(tr, raw)
    if step is Step.QUANTITY:
        return tr.number(int(raw))
    if step is Step.AMOUNT:
        return tr.money(Decimal(raw), answers.get("_amount_currency", answers["currency"]))
    if step is Step.CATEGORY:
        return tr.t(CATEGORY_KEYS[Category(raw)])
    if step is Step.OUTCOME:
        return tr.t(OUTCOME_KEYS[DesiredOutcome(raw)])
    text = str(raw)
    return text if len(text) <= SAVED_PREVIEW else text[:SAVED_PREVIEW] + "…"


# The steps whose question names the number of evidence items (`items` of `render_question`).
COUNTS_EVIDENCE = frozenset({Step.EVIDENCE, Step.EVIDENCE_LABEL, Step.EVIDENCE_TAG})


def render_question(
    step: Step,
    answers: dict[str, Any],
    tr: Translator,
    case_id: int,
    items: int,
    *,
    mediators: bool = True,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question for `step` with its progress line and its buttons (`items`: the evidence
    added so far, read only for `COUNTS_EVIDENCE`); when the step has an answer already (Back,
    or Change on the summary), the saved answer and a button to keep it. Without `mediators`
    the evidence tag step does not offer "for the mediator only"."""
    if step is Step.CONFIRM:
        raise ValueError("the confirm step is rendered by render_confirmation")
    number, total = progress(step)
    text = (
        tr.t("claim.progress", n=number, total=total)
        + "\n"
        + _question_text(step, answers, tr, items, mediators)
    )
    rows = _choices(step, case_id, tr)
    if step is Step.EVIDENCE_TAG and mediators:  # marked as the item is added, before its tag
        toggle = (
            (N_("button.evidence_shared"), SHARED_VALUE)
            if answers.get(MEDIATOR_ONLY)
            else (N_("button.evidence_private"), PRIVATE_VALUE)
        )
        rows.append([(tr.t(toggle[0]), encode(ClaimForm(case_id, step, toggle[1])))])
    saved = saved_answer(step, answers, tr)
    if saved is not None:
        text += "\n\n" + tr.t("claim.saved", answer=saved)
        rows.append([(tr.t("button.keep_answer"), encode(ClaimForm(case_id, step, KEEP_ANSWER)))])
    navigation: list[Button] = []
    if step is not Step.ORDER_NUMBER:
        navigation.append((tr.t("button.back"), encode(ClaimForm(case_id, step, "back"))))
    navigation.append((tr.t("button.cancel"), encode(ClaimForm(case_id, step, "cancel"))))
    return text, keyboard([*rows, navigation])


def _date_text(tr: Translator, raw: str | None) -> str:
    return tr.date(date.fromisoformat(raw)) if raw else "—"


def outcome_text(claim: Claim, tr: Translator) -> str:
    outcome = claim.outcome
    if outcome is DesiredOutcome.PARTIAL_REFUND:
        percent, amount = claim.partial_refund
        if percent is not None:
            return tr.t("outcome.partial_refund_percent", percent=str(percent))
        if amount is not None:
            money = tr.money(amount, claim.currency)
            return tr.t("outcome.partial_refund_amount", amount=money)
    if outcome is DesiredOutcome.DISCOUNT:
        # A claim filed before the form asked for the size has neither: "a discount".
        percent, amount = claim.discount
        if percent is not None:
            return tr.t("outcome.discount_percent", percent=tr.number(percent))
        if amount is not None:
            return tr.t("outcome.discount_amount", amount=tr.money(amount, claim.currency))
    if outcome is DesiredOutcome.OTHER:
        return tr.t("outcome.other_text", text=claim.outcome_text or "")
    return tr.t(OUTCOME_KEYS[outcome])


def _day(tr: Translator, day: date | None) -> str:
    return tr.date(day) if day is not None else "—"


def render_summary(
    claim: Claim,
    evidence: Sequence[Evidence],
    tr: Translator,
    reader: Role | None = Role.BUYER,
    *,
    with_evidence: bool = True,
) -> str:
    """The claim as `reader` reads it (see flows/evidence_index.py: SHARED for the dispute
    chat); used for the confirmation (a claim made from the draft's answers, as it will be
    filed), for /case and for the supplier's view. Without its evidence
    (`with_evidence=False`) where the whole evidence index follows it."""
    category = claim.category
    date_key = (
        N_("claim.summary.delivery_due")
        if category is Category.NOT_RECEIVED
        else N_("claim.summary.received")
    )
    lines = [
        tr.t(
            "claim.summary.order",
            order_number=claim.order_number,
            order_date=_day(tr, claim.order_date),
        ),
        tr.t(
            "claim.summary.product",
            product=claim.product,
            quantity=tr.number(claim.quantity),
        ),
        tr.t("claim.summary.paid", amount=tr.money(claim.amount, claim.currency)),
        tr.t(
            "claim.summary.supplier",
            name=claim.supplier_name,
            contact=claim.supplier_contact,
        ),
        tr.t("claim.summary.category", category=tr.t(CATEGORY_KEYS[category])),
        tr.t(date_key, date=_day(tr, claim.key_date)),
        *(
            [tr.t("claim.summary.agreed_date", date=_day(tr, claim.agreed_date))]
            if category is Category.LATE_DELIVERY and claim.agreed_date is not None
            else []
        ),
        tr.t("claim.summary.outcome", outcome=outcome_text(claim, tr)),
        tr.t("claim.summary.description", description=claim.description),
    ]
    if with_evidence and evidence:
        lines.append(tr.t("claim.summary.evidence_header"))
        lines.extend(index_lines(evidence, reader, tr))
    elif with_evidence:
        lines.append(tr.t("claim.summary.no_evidence"))
    return "\n".join(lines)


def render_confirmation(
    answers: dict[str, Any], evidence: Sequence[Evidence], tr: Translator, case_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The summary to confirm: the claim the answers make, rendered as the filed claim is."""
    claim = claim_from_answers(answers)
    number, total = progress(Step.CONFIRM)
    text = "\n\n".join(
        [
            tr.t("claim.progress", n=number, total=total) + "\n" + tr.t("claim.confirm.intro"),
            render_summary(claim, evidence, tr),
        ]
    )
    changes = [
        (tr.t(key), encode(ClaimForm(case_id, Step.CONFIRM, CHANGE_PREFIX + part)))
        for part, key in CHANGE_KEYS.items()
    ]
    rows = [
        [(tr.t("button.submit"), encode(ClaimForm(case_id, Step.CONFIRM, "submit")))],
        *chunk(changes, 2),
        [
            (tr.t("button.back"), encode(ClaimForm(case_id, Step.CONFIRM, "back"))),
            (tr.t("button.cancel"), encode(ClaimForm(case_id, Step.CONFIRM, "cancel"))),
        ],
    ]
    return text, keyboard(rows)
