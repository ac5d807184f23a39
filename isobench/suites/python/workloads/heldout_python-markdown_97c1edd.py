"""Held-out workload of python-markdown 97c1edd (never shown to the agent): one Markdown instance converting
loose lists whose long items quote shell here-documents (`cat <<EOF`), bit shifts (`1<<k`) and unspaced
comparisons, the HTML kept (the shown workload: markdown() of long prose paragraphs with `i<n` comparisons)."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(2026)
WORDS = ["run", "the", "script", "with", "input", "then", "pipe", "output", "into", "file", "and", "check"]
SNIPPETS = ["cat <<EOF", "mask=1<<k", "a<b", "x<=limit", "<<END", "flag<<2", "n<m", "<tag-less"]


def item():
    words = []
    for _ in range(rng.randint(900, 1300)):
        words.append(rng.choice(SNIPPETS) if rng.random() < 0.2 else rng.choice(WORDS))
    return " ".join(words)


PAGES = []
for p in range(3):
    items = [f"*   {item()}" for _ in range(rng.randint(5, 8))]
    PAGES.append(f"## Shell notes {p}\n\n" + "\n\n".join(items))

md = markdown.Markdown()
html = []
for text in PAGES:
    md.reset()
    html.append(md.convert(text))
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
