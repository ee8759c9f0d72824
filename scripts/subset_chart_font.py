"""Make flows/fonts/chart-cjk.ttf: the chart's font, cut down to the characters it can show.

The statistics chart (flows/stats_chart.py) labels its bars from the catalogs, so it needs
glyphs for every character of the Chinese catalog, plus ASCII for figures and English. The
source is WenQuanYi Micro Hei (Debian: fonts-wqy-microhei; Apache-2.0 or GPLv3 with the font
exception), subset with fontTools so the repository carries a few hundred KB instead of 5 MB.
Run it again after the Chinese catalog gained characters (tests/unit/test_stats_chart.py says
which are missing):

    python scripts/subset_chart_font.py [/usr/share/fonts/truetype/wqy/wqy-microhei.ttc]
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po
from fontTools import subset

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TARGET = ROOT / "flows" / "fonts" / "chart-cjk.ttf"


def characters() -> str:
    with (ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    seen = {chr(c) for c in range(0x20, 0x7F)} | set("，。：；？！（）、“”《》·—…％")
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            seen.update(text or "")
    return "".join(sorted(c for c in seen if c.isprintable()))


def main() -> None:
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    options = subset.Options()
    options.font_number = 0  # the proportional face of the collection
    options.layout_features = ["*"]
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
