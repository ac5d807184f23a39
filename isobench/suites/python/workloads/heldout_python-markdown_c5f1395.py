"""Held-out workload of python-markdown c5f1395 (never shown to the agent): one Markdown instance converting
pages of short paragraphs with anchors and list items with `<br>` tags and character entities (thousands of
inline HTML-stash placeholders), the HTML kept (the shown workload: markdown() of paragraphs
full of inline tags)."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(2026)
NAMES = ["Ada", "Bob", "Cy", "Dee", "Eve", "Flo", "Gus", "Hal"]
ENTITIES = ["&amp;", "&mdash;", "&#169;", "&hellip;", "&#x2192;", "&nbsp;"]


def page(k):
    parts = [f"# Roster {k}"]
    for i in range(rng.randint(550, 650)):
        if i % 4 == 0:
            parts.append(f'Card <a id="c{k}-{i}">{rng.choice(NAMES)}</a> &sect;{i}')
        else:
            cells = " ".join(f"{rng.choice(NAMES)}<br>{rng.choice(ENTITIES)}" for _ in range(rng.randint(3, 8)))
            parts.append(f"* {cells}")
    return "\n\n".join(parts)


PAGES = [page(k) for k in range(2)]
md = markdown.Markdown()
html = []
for text in PAGES:
    md.reset()
    html.append(md.convert(text))
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
