"""The operators' statistics in words and in a chart, in the reader's language: what /stats
sends the mediators and `disputebot stats` prints (flows/stats.py, bot/stats_cli.py), and the
names of the ways a case ends that the similar-cases hint uses (flows/stats_similar.py).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from babel.lists import format_list
from babel.numbers import format_percent

from flows.claim_render import CATEGORY_KEYS
from flows.rules.lifecycle import CaseState
from flows.rules.validation import Category
from flows.stats_chart import ChartLabels, render_png
from locales.i18n import N_, Translator
from storage.repos.stats import OUTCOMES, Figures

# The states' names (the keys /cases uses; not imported from flows.cases, which imports the
# proposal flows that show the similar-cases hint).
STATE_KEYS = {state: f"state.{state.value}" for state in CaseState}
OUTCOME_KEYS = {
    "agreement": N_("stats.outcome.agreement"),
    "blind_bidding": N_("stats.outcome.blind_bidding"),
    "mediation": N_("stats.outcome.mediation"),
    "decision": N_("stats.outcome.decision"),
    "withdrawn": N_("stats.outcome.withdrawn"),
    "other": N_("stats.outcome.other"),
}
SECONDS_PER_DAY = 86400


def percent(tr: Translator, share: float | Decimal) -> str:
    """A share (0..1) as a whole percentage in the reader's locale ("40%")."""
    return format_percent(Decimal(str(share)).quantize(Decimal("0.01")), locale=tr.locale)


def listed(tr: Translator, items: list[str]) -> str:
    """Items as the reader's language lists them ("a, b and c"; "a、b和c")."""
    return format_list(items, locale=tr.locale) if items else ""


def state_name(tr: Translator, state: str) -> str:
    try:
        return tr.t(STATE_KEYS[CaseState(state)])
    except ValueError:  # a state this version does not know: said as stored
        return state


def category_name(tr: Translator, category: str) -> str:
    try:
        return tr.t(CATEGORY_KEYS[Category(category)])
    except ValueError:
        return category


def _days(tr: Translator, seconds: float) -> str:
    days = Decimal(str(round(seconds / SECONDS_PER_DAY, 1)))
    return tr.t("stats.days", days=tr.number(days))


def render_text(tr: Translator, figures: Figures) -> str:
    """The statistics as a message (and, in English, the terminal's table)."""
    lines = [tr.t("stats.title"), tr.t("stats.filed", count=figures.filed), ""]
    lines.append(tr.t("stats.header.state"))
    for state in CaseState:
        if figures.by_state.get(state.value):
            lines.append(
                tr.t("stats.line", label=state_name(tr, state), count=figures.by_state[state])
            )
    lines.append(tr.t("stats.header.category"))
    for category, count in sorted(figures.by_category.items()):
        lines.append(tr.t("stats.line", label=category_name(tr, category), count=count))
    lines += ["", tr.t("stats.header.outcomes", count=figures.ended)]
    for outcome in OUTCOMES:
        lines.append(
            tr.t(
                "stats.share_line",
                label=tr.t(OUTCOME_KEYS[outcome]),
                count=figures.outcomes.get(outcome, 0),
                share=percent(tr, figures.share(outcome)),
            )
        )
    if figures.resolution_median_seconds is not None and figures.resolution_p90_seconds is not None:
        lines.append(
            tr.t(
                "stats.resolution",
                median=_days(tr, figures.resolution_median_seconds),
                p90=_days(tr, figures.resolution_p90_seconds),
            )
        )
    else:
        lines.append(tr.t("stats.resolution_none"))
    rate = figures.supplier_response_rate
    if rate is not None:
        lines.append(
            tr.t(
                "stats.supplier_rate",
                in_time=figures.supplier_in_time,
                total=figures.supplier_in_time + figures.supplier_late,
                share=percent(tr, rate),
            )
        )
    else:
        lines.append(tr.t("stats.supplier_rate_none"))
    lines.append(tr.t("stats.missed", count=figures.deadlines_missed))
    if figures.outcomes_by_category:
        lines += ["", tr.t("stats.header.outcomes_by_category")]
        for category, outcomes in sorted(figures.outcomes_by_category.items()):
            said = listed(
                tr,
                [
                    tr.t("stats.outcome_count", label=tr.t(OUTCOME_KEYS[o]), count=outcomes[o])
                    for o in OUTCOMES
                    if outcomes.get(o)
                ],
            )
            lines.append(
                tr.t("stats.category_line", category=category_name(tr, category), outcomes=said)
            )
    lines.append("")
    if figures.ratings_given and figures.rating_average is not None:
        average = Decimal(str(round(figures.rating_average, 1)))
        lines.append(
            tr.t(
                "stats.ratings",
                given=figures.ratings_given,
                asked=figures.ratings_asked,
                average=tr.number(average),
                comments=figures.comments,
            )
        )
        for score in range(5, 0, -1):
            lines.append(
                tr.t("stats.rating_line", score=score, count=figures.rating_counts.get(score, 0))
            )
    else:
        lines.append(tr.t("stats.ratings_none", asked=figures.ratings_asked))
    return "\n".join(lines)


def chart_labels(tr: Translator, figures: Figures) -> ChartLabels:
    return ChartLabels(
        outcomes_title=tr.t("stats.chart.outcomes"),
        outcomes=[(tr.t(OUTCOME_KEYS[o]), figures.outcomes.get(o, 0)) for o in OUTCOMES],
        states_title=tr.t("stats.chart.states"),
        states=[
            (state_name(tr, s), figures.by_state.get(s.value, 0))
            for s in CaseState
            if s is not CaseState.DRAFT
        ],
        axis=tr.t("stats.chart.axis"),
    )


async def chart(tr: Translator, figures: Figures) -> bytes:
    """The PNG, drawn in a worker thread so the bot keeps answering meanwhile."""
    return await asyncio.to_thread(render_png, chart_labels(tr, figures))
