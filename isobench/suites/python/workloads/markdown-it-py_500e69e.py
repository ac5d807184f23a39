"""markdown-it-py: MarkdownIt().render() of a plain-text report pasted into Markdown: 150 lines of columns
padded with long runs of spaces, each line ending in two spaces (a hard line break): the inline newline
rule's trimming of trailing spaces, the HTML kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(275)
FIELDS = ["id", "name", "value", "status", "owner", "x", "total"]
LINES = []
for _ in range(150):
    cells = [rng.choice(FIELDS) + " " * rng.randint(100, 400) for _ in range(6)]
    LINES.append("".join(cells) + rng.choice(FIELDS) + "  ")
DOC = "Report\n\n" + "\n".join(LINES) + "\n"

md = MarkdownIt()
html = md.render(DOC)
assert html.count("<br />") == len(LINES) - 1
