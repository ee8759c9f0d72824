"""`disputebot stats`: the statistics /stats shows the mediators, printed for an operator.

The figures are the same aggregate queries (storage/repos/stats.py), read without migrating
(run `disputebot migrate` first); the table is the catalogs' text in the chosen language, so
the terminal and the staff chat say the same thing. `--json` prints `Figures.to_json()`.
"""

from __future__ import annotations

import json

from flows.stats_render import render_text
from locales.i18n import Catalogs
from storage import Database


async def print_stats(url: str, *, as_json: bool = False, language: str = "en") -> int:
    db = await Database.connect(url, migrate=False)
    try:
        figures = await db.stats.figures()
    finally:
        await db.dispose()
    if as_json:
        print(json.dumps(figures.to_json(), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(render_text(Catalogs().translator(language), figures))
    return 0
