"""python-markdown: markdown() with the toc extension of a document of many headings and paragraphs full of
inline raw HTML (the raw HTML post-processor that restores the HTML stash), every output kept."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(1510)
WORDS = ["alpha", "beta", "gamma", "delta", "render", "stash", "block", "inline", "parser", "tree"]
TAGS = ["<b>{w}</b>", '<span class="k">{w}</span>', "<code>{w}</code>", "<kbd>{w}</kbd>", "<i>{w}</i>"]


def para(n):
    return " ".join(
        rng.choice(TAGS).format(w=rng.choice(WORDS)) if rng.random() < 0.4 else rng.choice(WORDS) for _ in range(n)
    )


DOCS = []
for d in range(3):
    parts = []
    for s in range(30):
        parts.append(f"## Section {d}.{s} {rng.choice(TAGS).format(w=rng.choice(WORDS))}")
        parts.append(para(rng.randint(20, 60)))
        if s % 5 == 0:
            parts.append('<div class="note">\n<p>raw block</p>\n</div>')
    DOCS.append("\n\n".join(parts))

html = [markdown.markdown(doc, extensions=["markdown.extensions.toc"]) for doc in DOCS]
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
