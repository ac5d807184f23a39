"""python-markdown: markdown() of documents that embed long multi-line raw HTML blocks (the HTML extractor
that tracks line offsets while it stashes raw HTML), every output kept."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(1392)
WORDS = ["alpha", "beta", "gamma", "delta", "render", "stash", "block", "inline", "parser", "tree"]


def html_block(rows):
    lines = ['<table class="data">']
    for _ in range(rows):
        lines.append("  <tr>")
        for _ in range(3):
            lines.append(f"    <td>{rng.choice(WORDS)} {rng.randint(0, 999)}</td>")
        lines.append("  </tr>")
    lines.append("</table>")
    return "\n".join(lines)


DOCS = []
for d in range(3):
    parts = [f"# Report {d}", "Some *intro* text with a [link](http://example.com)."]
    for _ in range(4):
        parts.append(html_block(rng.randint(50, 75)))
        parts.append(" ".join(rng.choice(WORDS) for _ in range(30)))
    DOCS.append("\n\n".join(parts))

html = [markdown.markdown(doc) for doc in DOCS]
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
