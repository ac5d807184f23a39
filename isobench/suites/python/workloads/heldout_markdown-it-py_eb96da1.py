"""Held-out workload of markdown-it-py eb96da1 (never shown to the agent): MarkdownIt().parseInline() of
nested `__` underscore runs around a word, and of `**` runs around two words closed by a single-star
run (unbalanced), the inline token streams kept (the shown workload: render() of balanced `**`/`***`
nesting)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(2023)
LINES = []
for i in range(10):
    n = rng.randint(250, 500)
    if i % 2:
        LINES.append("__" * n + "word" + "__" * n)
    else:
        LINES.append("**" * n + "two words" + "*" * rng.randint(n, 2 * n))

md = MarkdownIt()
streams = [[(t.type, t.tag, t.content) for t in md.parseInline(line)[0].children] for line in LINES]
assert all(streams)
