"""What similar cases ended with: a hint for both parties (and the mediator) when a case enters
negotiation and when a proposal is made.

Similar: closed cases of the same category, in the same currency and amount band
(storage/repos/stats.py `AMOUNT_BANDS`). Shown only from SIMILAR_CASES_MIN such cases on
(default 20), and then only coarse figures, so that nothing can be read about one case:
- the number of cases floored to a multiple of ten ("20+"), so one more closed case does not
  change what is shown by one;
- each way of ending as a share rounded to 10 %, and a way that fewer than `FEW` cases ended
  folded into "otherwise" (so "1 of 20 was withdrawn" is never said);
- the median refund over the amount paid rounded to 10 %, never a single case's amount.
The hint goes where the case's news goes (flows/audience.py): the shared chat in every
participant's language, or each one privately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flows.audience import readers
from flows.claim_render import case_number
from flows.services import Services
from flows.stats_render import OUTCOME_KEYS, category_name, listed, percent
from locales.i18n import Translator
from storage import Case, OutboxMessage
from storage.repos.stats import OUTCOMES, Similar, amount_band

log = logging.getLogger(__name__)

FEW = 3  # a way of ending taken by fewer cases than this is folded into "otherwise"
STEP = 10  # shares and the count are said in steps of this many (percent, cases)

Hint = Callable[[str], list[OutboxMessage]]


@dataclass(frozen=True)
class Coarse:
    """What may be shown of similar cases."""

    at_least: int  # the number of cases, floored to a multiple of STEP
    shares: list[tuple[str, int]]  # (outcome, percent in steps of STEP), largest first
    median_refund_percent: int | None


def _round_step(value: float) -> int:
    return int(Decimal(str(value * 100 / STEP)).quantize(Decimal(1)) * STEP)


def coarsen(similar: Similar, minimum: int) -> Coarse | None:
    """The figures that may be shown, or None below `minimum` cases."""
    if similar.cases < max(minimum, STEP):
        return None
    folded: dict[str, int] = {}
    for outcome, count in similar.outcomes.items():
        key = outcome if count >= FEW else "other"
        folded[key] = folded.get(key, 0) + count
    if 0 < folded.get("other", 0) < FEW:
        # "otherwise" itself may not single out a case: fold it into the largest way instead.
        largest = max((o for o in folded if o != "other"), key=lambda o: folded[o])
        folded[largest] += folded.pop("other")
    shares = [
        (outcome, _round_step(folded[outcome] / similar.cases))
        for outcome in OUTCOMES
        if outcome in folded
    ]
    shares = sorted((s for s in shares if s[1] > 0), key=lambda s: -s[1])
    median = similar.median_refund_share
    return Coarse(
        at_least=similar.cases // STEP * STEP,
        shares=shares,
        median_refund_percent=_round_step(median) if median is not None else None,
    )


def render(tr: Translator, case: Case, coarse: Coarse) -> str:
    claim = case.filed_claim
    lower, upper = amount_band(claim.amount)
    currency = claim.currency
    band = (
        tr.t("similar.band", lower=tr.money(lower, currency), upper=tr.money(upper, currency))
        if upper is not None
        else tr.t("similar.band_open", lower=tr.money(lower, currency))
    )
    ways = listed(
        tr,
        [
            tr.t("similar.share", label=tr.t(OUTCOME_KEYS[o]), share=percent(tr, Decimal(p) / 100))
            for o, p in coarse.shares
        ],
    )
    lines = [
        tr.t(
            "similar.hint",
            number=case_number(case),
            count=coarse.at_least,
            category=category_name(tr, str(case.category or claim.category)),
            band=band,
            ways=ways,
        )
    ]
    if coarse.median_refund_percent is not None:
        value = percent(tr, Decimal(coarse.median_refund_percent) / 100)
        lines.append(tr.t("similar.refund", share=value))
    lines.append(tr.t("similar.note"))
    return "\n".join(lines)


async def similar_hint(services: Services, case: Case) -> Hint:
    """The hint's outbox rows for the case's readers, by news key: none when there are too few
    similar cases. Read and rendered before the step's transaction, queued in it."""
    claim = case.filed_claim
    similar = await services.db.stats.similar(
        str(case.category or claim.category),
        claim.currency,
        claim.amount,
        exclude_case_id=case.id,
    )
    coarse = coarsen(similar, services.settings.similar_cases_min)
    if coarse is None:
        return lambda key: []
    audience = await readers(services, case)

    def rows(key: str) -> list[OutboxMessage]:
        return audience.render(lambda tr: render(tr, case, coarse), None, key=f"{key}:similar")

    return rows
