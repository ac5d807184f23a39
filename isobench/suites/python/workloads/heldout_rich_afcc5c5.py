"""Held-out workload of rich afcc5c5 (never shown to the agent): Segment.split_cells() of 20,000 styled
segments of prose at seeded offsets, and Segment.divide() of 1,000 lines of segments into columns (the
shown workload: set_cell_size() of whole lines)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.segment import Segment  # noqa: E402
from rich.style import Style  # noqa: E402

rng = random.Random(2024)
PROSE = (
    "It was a bright cold day in April, and the clocks were striking thirteen. Winston Smith, his chin "
    "nuzzled into his breast in an effort to escape the vile wind, slipped quickly through the glass doors "
    "of Victory Mansions, though not quickly enough to prevent a swirl of gritty dust from entering along "
    "with him. The hallway smelt of boiled cabbage and old rag mats; price: ~$3 {approx} | yes/no? "
)
STYLES = [Style(bold=True), Style(color="green"), None, Style(underline=True)]
SPANS = [(rng.randrange(len(PROSE) - 120), rng.randint(10, 60)) for _ in range(20_000)]
SEGMENTS = [Segment(PROSE[s : s + n], STYLES[i % 4]) for i, (s, n) in enumerate(SPANS)]
CUTS = [rng.randint(0, n + 5) for _, n in SPANS]

halves = [tuple(seg.text for seg in segment.split_cells(cut)) for segment, cut in zip(SEGMENTS, CUTS, strict=True)]
ROWS = [SEGMENTS[i : i + 4] for i in range(0, 4_000, 4)]
columns = [[[s.text for s in part] for part in Segment.divide(row, [15, 33, 57, 80, 110])] for row in ROWS]
assert halves[1][0] + halves[1][1] == SEGMENTS[1].text
