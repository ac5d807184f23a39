"""Held-out workload of rich 12301e3 (never shown to the agent): set_cell_size() crops and pads 8,000
log-like lines of words (Greek, Cyrillic, accented, braille; one in four with a CJK word or an emoji) to
seeded widths, and Segment.get_line_length() sums styled segments of 8,000 more (the shown workload:
cell_len() of raw character soup)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.cells import set_cell_size  # noqa: E402
from rich.segment import Segment  # noqa: E402
from rich.style import Style  # noqa: E402

rng = random.Random(2026)
WORDS = ["INFO", "WARN", "request", "ответ", "λόγος", "café", "naïve", "⠿⠇⠋", "user=42", "200", "ms", "Ωmega"]
EXTRA = ["東京", "🚀", "表示幅", "✓"]
STYLES = [Style(bold=True), Style(color="red"), Style(italic=True), None]
LINES = [f"[{i:05d}] " + " ".join(rng.choices(WORDS, k=rng.randint(4, 30))) for i in range(16_000)]
LINES[::4] = [line[:20] + rng.choice(EXTRA) + line[20:] for line in LINES[::4]]
WIDTHS = [rng.randint(10, 200) for _ in LINES]

fitted = [set_cell_size(line, width) for line, width in zip(LINES[:8_000], WIDTHS[:8_000], strict=True)]
segment_widths = [
    Segment.get_line_length([Segment(part, STYLES[k % 4]) for k, part in enumerate(line.split("] ", 1))])
    for line in LINES[8_000:]
]
assert fitted[1].startswith("[00001]"[: WIDTHS[1]])
