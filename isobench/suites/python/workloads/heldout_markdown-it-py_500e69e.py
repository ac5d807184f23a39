"""Held-out workload of markdown-it-py 500e69e (never shown to the agent): MarkdownIt().parse() of list items
and a blockquote whose lines hold one long run of spaces between two words and end in two to six spaces
(hard breaks), the inline token streams kept (the shown workload: render() of one paragraph of padded
report columns)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(2023)
WORDS = ["alpha", "beta", "gamma", "delta", "key:", "value", "-"]


def line():
    return rng.choice(WORDS) + " " * rng.randint(300, 900) + rng.choice(WORDS) + " " * rng.randint(2, 6)


ITEMS = ["- " + "\n  ".join(line() for _ in range(rng.randint(3, 8))) for _ in range(25)]
QUOTE = "> " + "\n> ".join(line() for _ in range(60))
DOC = "\n".join(ITEMS) + "\n\n" + QUOTE + "\n"

md = MarkdownIt()
streams = [[(c.type, c.content) for c in t.children] for t in md.parse(DOC) if t.type == "inline"]
assert any(c[0] == "hardbreak" for c in streams[0])
