"""The statistics chart: a PNG of how cases ended and of the cases by state, in one language.

matplotlib with its Agg backend (no display), and a font that has the Chinese glyphs: the
machine's fonts usually have none (DejaVu only), and a label in a font without them renders as
boxes. The package ships `flows/fonts/chart-cjk.ttf` (WenQuanYi Micro Hei cut down to the
Chinese catalog's characters and ASCII by scripts/subset_chart_font.py; Apache-2.0), used for
every label in both languages.

`render_png` is CPU work of a tenth of a second or more: callers run it off the event loop
(`asyncio.to_thread`, see flows/stats.py).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FONT_PATH", "ChartLabels", "render_png"]

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "chart-cjk.ttf"
_LOCK = threading.Lock()  # matplotlib's font cache and text layout are not thread safe


@dataclass(frozen=True)
class ChartLabels:
    """Everything the chart says, already in the reader's language."""

    outcomes_title: str
    outcomes: list[tuple[str, int]]  # (label, cases)
    states_title: str
    states: list[tuple[str, int]]
    axis: str  # "cases"

    def texts(self) -> list[str]:
        """Every text drawn (the tests check the font has each character)."""
        labels = [label for label, _ in (*self.outcomes, *self.states)]
        return [self.outcomes_title, self.states_title, self.axis, *labels]


def render_png(labels: ChartLabels) -> bytes:
    """The chart as PNG bytes: two horizontal bar charts, one above the other.

    matplotlib is imported here, not with the module: it takes a second or more to import
    (and builds its font cache on a new machine), which the bot should not pay at start-up
    for a chart few ask for. `Figure` draws on the Agg canvas: no display, no GUI toolkit."""
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    with _LOCK:
        font: Any = font_manager.FontProperties(fname=str(FONT_PATH))
        figure = Figure(figsize=(8, 7), dpi=100, layout="constrained")
        top, bottom = figure.subplots(2, 1)
        for axes, title, rows, colour in (
            (top, labels.outcomes_title, labels.outcomes, "#3b7dd8"),
            (bottom, labels.states_title, labels.states, "#5aa469"),
        ):
            names = [label for label, _ in rows]
            counts = [count for _, count in rows]
            positions = list(range(len(rows)))
            bars = axes.barh(positions, counts, color=colour)
            axes.set_yticks(positions, names, fontproperties=font)
            axes.invert_yaxis()  # the first row on top
            axes.set_title(title, fontproperties=font, fontsize=13)
            axes.set_xlabel(labels.axis, fontproperties=font)
            axes.bar_label(bars, padding=3, fontproperties=font)
            for tick in axes.get_xticklabels():
                tick.set_fontproperties(font)
            axes.margins(x=0.15)
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
