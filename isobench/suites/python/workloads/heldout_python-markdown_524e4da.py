"""Held-out workload of python-markdown 524e4da (never shown to the agent): one Markdown instance with the
md_in_html extension converting pages of long nested <div>/<ul> raw HTML sections and HTML comments, some of
them with markdown="1" content, the HTML kept (the shown workload: markdown() of long raw HTML tables)."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(2026)
ITEMS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "peach"]


def section(k, n):
    lines = [f'<div class="sec" id="s{k}">', f"<!-- section {k} -->", "<ul>"]
    for i in range(n):
        lines.append(f'  <li data-i="{i}"><span>{rng.choice(ITEMS)}</span> x{rng.randint(1, 9)}</li>')
    lines.append("</ul>")
    lines.append("</div>")
    return "\n".join(lines)


def md_section(k, n):
    body = "\n".join(f"* **{rng.choice(ITEMS)}** item {i}" for i in range(n))
    return f'<div markdown="1" class="md">\n\n## Part {k}\n\n{body}\n\n</div>'


PAGES = []
for p in range(2):
    parts = [f"Page {p} with *emphasis*."]
    for k in range(5):
        parts.append(section(k, rng.randint(150, 250)))
        parts.append(md_section(k, 10))
        parts.append(f"Paragraph {k} after the list.")
    PAGES.append("\n\n".join(parts))

md = markdown.Markdown(extensions=["markdown.extensions.md_in_html"])
html = []
for text in PAGES:
    md.reset()
    html.append(md.convert(text))
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
