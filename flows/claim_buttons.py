"""Which values a claim-form button can carry at each step.

Callback data can be forged by a modified client; a value the form never offers at a step is
refused with "not available" instead of being taken as a choice (or crashing the conversion
to a category, an outcome or a tag).
"""

from __future__ import annotations

from flows.claim_render import CHANGE_PREFIX, KEEP_ANSWER, PRIVATE_VALUE, SHARED_VALUE
from flows.claim_steps import PARTS, Step
from flows.rules.validation import Category, DesiredOutcome, EvidenceTag

__all__ = ["made_here"]

NAVIGATION = frozenset({"cancel", "discard", "keep", "back", KEEP_ANSWER})
CHOICES: dict[Step, frozenset[str]] = {
    Step.CATEGORY: frozenset(Category),
    Step.OUTCOME: frozenset(DesiredOutcome),
    Step.EVIDENCE_TAG: frozenset(EvidenceTag) | {PRIVATE_VALUE, SHARED_VALUE},
    Step.EVIDENCE: frozenset({"done"}),
    Step.CONFIRM: frozenset({"submit"} | {CHANGE_PREFIX + part for part in PARTS}),
}


# Marking an item for the mediator only (and unmarking it): offered only where there are
# mediators to read such an item.
MEDIATOR_ONLY_VALUES = frozenset({PRIVATE_VALUE, SHARED_VALUE})


def made_here(step: Step, value: str, *, mediators: bool = True) -> bool:
    """Whether a form button at `step` can carry `value` (a currency is checked when chosen:
    the buttons offer common ones, and the rules know every code) on a service with or
    without mediators."""
    if not mediators and value in MEDIATOR_ONLY_VALUES:
        return False
    return value in NAVIGATION or step is Step.CURRENCY or value in CHOICES.get(step, ())
