"""How the claim form's draft moves between questions: forward, Back, and Change on the summary.

Every move is one compare-and-set save of the draft row (step, answers, back stack), so a
double press or a re-delivered update moves it once. Besides the answers the draft keeps a
little bookkeeping under keys starting with "_" (never part of the filed claim):
- `_last_answer`: the message that answered the question just before the current one, so an
  edit of that message replaces the answer (`claim_edits`);
- `_open`: "description" right after a description as long as a Telegram message can be
  (clients cut a longer text into messages of 4,096 characters), so the next message continues
  it; after a shorter one, text at the outcome question is a mistake, not a continuation;
- `_change`: while a part of the summary is being changed, which part and the back stack the
  summary had, so the form returns to the summary when the part is done;
- `_amount_currency`, `_refund_currency`, `_discount_currency`: the currency an amount was
  given in, so a saved amount reads right, and a refund or a discount in another currency than
  the one paid is asked again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flows.claim_render import MEDIATOR_ONLY
from flows.claim_steps import FIRST_STEP, PARTS, Step, next_step
from flows.evidence_intake import already_evidence, stored_from_json
from flows.rules.lifecycle import Role
from flows.rules.validation import DesiredOutcome, EvidenceTag
from flows.services import Services
from storage import Case, Draft, DuplicateEvidence

EVIDENCE_SUBSTEPS = frozenset({Step.EVIDENCE_LABEL, Step.EVIDENCE_TAG})
BOOKKEEPING = ("_last_answer", "_open")
ITEM_IN_PROGRESS = ("pending_evidence", "pending_label", MEDIATOR_ONLY)
# A description at least this long may have been cut by the client (4,096 at most per message,
# less when it cuts at a line or word break): the next message may continue it.
CUT_LENGTH = 3500


def _without(answers: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k not in keys}


async def save(
    services: Services, draft: Draft, to: Step, answers: dict[str, Any], stack: list[str]
) -> Draft:
    """Store the draft at `to`; arriving at the summary ends a change (its stack comes back)."""
    if to is Step.CONFIRM and "_change" in answers:
        change = answers.pop("_change")
        stack = list(change["stack"])
    return await services.db.drafts.save(
        draft.case_id, to, answers, stack, services.clock.now(), expected_version=draft.version
    )


async def move(
    services: Services,
    draft: Draft,
    to: Step,
    updates: dict[str, Any],
    *,
    push: bool = True,
    answer_id: int | None = None,
) -> Draft:
    """Go to `to` with `updates` saved; `answer_id` is the message that answered the step left."""
    answers = {**_without(draft.answers, BOOKKEEPING), **updates}
    current = Step(draft.step)
    if answer_id is not None:
        answers["_last_answer"] = {"message_id": answer_id, "step": str(current)}
        if current is Step.DESCRIPTION and len(updates.get("description", "")) >= CUT_LENGTH:
            answers["_open"] = "description"
    back_stack = list(draft.back_stack)
    if push and current not in EVIDENCE_SUBSTEPS and to not in EVIDENCE_SUBSTEPS:
        back_stack.append(current)
    return await save(services, draft, to, answers, back_stack)


def following(step: Step, answers: dict[str, Any]) -> Step:
    """The step after `step`; while a part is being changed, the summary once the part is done."""
    target = next_step(step, answers)
    change = answers.get("_change")
    if not change or target in PARTS[change["part"]]:
        return target
    if change["part"] == "paid" and _size_needs_asking(answers):
        # The refund or discount asked again, then back to the summary (not part of "paid").
        return next_step(Step.OUTCOME, answers)
    return Step.CONFIRM


# The outcomes sized by an amount: the answer that holds it, and the currency it was given in.
_SIZED: dict[str, tuple[str, str]] = {
    DesiredOutcome.PARTIAL_REFUND: ("outcome_amount", "_refund_currency"),
    DesiredOutcome.DISCOUNT: ("discount_amount", "_discount_currency"),
}


def _size_needs_asking(answers: dict[str, Any]) -> bool:
    """A partial refund or a discount given as an amount no longer fits when the currency or
    the amount paid changed under it: neither can exceed what was paid."""
    sized = _SIZED.get(str(answers.get("outcome")))
    if sized is None or not answers.get(sized[0]):
        return False
    currency = answers.get("currency")
    if answers.get(sized[1], currency) != currency:
        return True
    return Decimal(answers[sized[0]]) > Decimal(answers["amount"])


async def advance(
    services: Services,
    draft: Draft,
    step: Step,
    updates: dict[str, Any],
    *,
    answer_id: int | None = None,
) -> Draft:
    """Answer `step` and go on to the question after it."""
    target = following(step, {**draft.answers, **updates})
    return await move(services, draft, target, updates, answer_id=answer_id)


async def start_change(services: Services, draft: Draft, part: str) -> Draft:
    """Change on the summary: the part's first question, Back leading to the summary."""
    answers = {
        **_without(draft.answers, BOOKKEEPING),
        "_change": {"part": part, "stack": list(draft.back_stack)},
    }
    stack = [*draft.back_stack, str(Step.CONFIRM)]
    return await save(services, draft, PARTS[part][0], answers, stack)


async def back(services: Services, draft: Draft) -> Draft:
    """The previous question (from an evidence label or tag: the evidence question)."""
    step = Step(draft.step)
    answers = _without(draft.answers, (*BOOKKEEPING, *ITEM_IN_PROGRESS))
    if step in EVIDENCE_SUBSTEPS:
        target, stack = Step.EVIDENCE, list(draft.back_stack)
    elif draft.back_stack:
        target, stack = Step(draft.back_stack[-1]), list(draft.back_stack[:-1])
    else:
        target, stack = FIRST_STEP, []
    return await save(services, draft, target, answers, stack)


async def back_to_evidence(services: Services, draft: Draft) -> Draft:
    """The evidence question again, with the item in progress done or dropped."""
    answers = _without(draft.answers, (*BOOKKEEPING, *ITEM_IN_PROGRESS))
    return await save(services, draft, Step.EVIDENCE, answers, list(draft.back_stack))


async def replace_answer(
    services: Services, draft: Draft, updates: dict[str, Any], *, forget_edits: bool = False
) -> Draft:
    """An edited (or continued) answer replaces the saved one; the form stays at its question.
    `forget_edits`: later edits of the answer's message no longer replace it."""
    answers = {**draft.answers, **updates}
    if forget_edits:
        answers.pop("_last_answer", None)
    return await save(services, draft, Step(draft.step), answers, list(draft.back_stack))


async def add_pending_evidence(
    services: Services, case: Case, draft: Draft, tag: EvidenceTag
) -> Draft:
    """The item in progress, labelled and now tagged, becomes evidence; the evidence question."""
    pending = draft.answers.get("pending_evidence")
    label = draft.answers.get("pending_label")
    if not pending or not label:
        return await move(services, draft, Step.EVIDENCE, {}, push=False)
    stored = stored_from_json(pending["stored"]) if pending.get("stored") else None
    try:
        await services.db.evidence.add(
            case.id,
            case.buyer_id,
            Role.BUYER,
            pending["kind"],
            label,
            str(tag),
            services.clock.now(),
            text=pending.get("text"),
            telegram_file_id=pending.get("file_id"),
            telegram_file_unique_id=pending.get("file_unique_id"),
            file_name=pending.get("file_name"),
            mime_type=pending.get("mime_type"),
            size=stored.size if stored is not None else pending.get("size"),
            sha256=stored.sha256 if stored is not None else None,
            store_key=stored.key if stored is not None else None,
            mediator_only=bool(draft.answers.get(MEDIATOR_ONLY)),
        )
    except DuplicateEvidence as duplicate:
        # The same file became evidence since it arrived: drop this copy, keep the rest.
        await back_to_evidence(services, draft)
        raise already_evidence(case, duplicate.number) from None
    return await back_to_evidence(services, draft)
