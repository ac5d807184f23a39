"""Held-out workload of markdown-it-py d4ea0ca (never shown to the agent): MarkdownIt().parse() of
a long list item and a long blockquote of names with intraword underscores (fragments_join), and of
converter-style paragraphs where every underscore is backslash-escaped (text and text_special runs for text_join),
the inline children kept (the shown workload: render() of snake_case identifier paragraphs)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(2026)
PARTS = ["alpha", "beta", "gamma", "k", "v", "node", "edge", "sum", "avg"]


def escaped():
    return "\\_".join(rng.choices(PARTS, k=rng.randint(2, 4))) + rng.choice(["", "\\*", "\\_tmp", "&amp;"])


def plain():
    return "_".join(rng.choices(PARTS, k=rng.randint(2, 4)))


ESCAPED = [" ".join(escaped() for _ in range(rng.randint(600, 900))) for _ in range(1)]
ITEM = "- " + " ".join(plain() for _ in range(2600))
QUOTE = "> " + " ".join(plain() for _ in range(2400))
DOC = "\n\n".join([*ESCAPED, ITEM, QUOTE]) + "\n"

md = MarkdownIt()
tokens = md.parse(DOC)
children = [[(c.type, c.content) for c in t.children] for t in tokens if t.type == "inline"]
assert len(children) == len(ESCAPED) + 2
