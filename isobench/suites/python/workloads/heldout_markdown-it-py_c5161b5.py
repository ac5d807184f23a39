"""Held-out workload of markdown-it-py c5161b5 (never shown to the agent): MarkdownIt().parseInline() of long
single-line sentences of random letters-only words, and MarkdownIt().parse() of nested bullet lists and
headings, the inline token streams kept (the shown workload: renderInline() of one-line prose descriptions)."""

import os
import random
import string
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(2024)


VOCAB = ["".join(rng.choices(string.ascii_letters, k=rng.randint(1, 12))) for _ in range(500)]


SENTENCES = [" ".join(rng.choices(VOCAB, k=rng.randint(200, 500))) + "." for _ in range(120)]
ITEMS = []
for i in range(40):
    ITEMS.append(f"## Section {i}\n")
    for depth in range(rng.randint(2, 5)):
        ITEMS.append("  " * depth + "- " + " ".join(rng.choices(VOCAB, k=rng.randint(150, 300))))
    ITEMS.append("")
LISTS = "\n".join(ITEMS)

md = MarkdownIt()
inline = [[(t.type, t.content) for t in md.parseInline(s)[0].children] for s in SENTENCES]
blocks = [(t.type, t.tag, t.content) for t in md.parse(LISTS)]
assert inline[0][0][0] == "text"
