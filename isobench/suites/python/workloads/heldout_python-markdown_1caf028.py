"""Held-out workload of python-markdown 1caf028 (never shown to the agent): one reused Markdown instance
(toc and attr_list, reset between documents) over API reference pages of many short headings with
`data-toc-label`s and raw HTML tables and divs between them, the HTML and the toc tokens kept (the shown
workload: markdown() with toc over long paragraphs of inline HTML)."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(2026)
NAMES = ["load", "dump", "parse", "render", "flush", "open", "close", "merge", "split", "walk", "emit"]


def page(k):
    parts = [f"# Module mod{k}"]
    for i in range(rng.randint(50, 70)):
        name = f"{rng.choice(NAMES)}_{i}"
        parts.append(f"### `{name}()` <small>v{i % 7}</small> {{ data-toc-label='{name}' }}")
        parts.append(
            f'Returns <em>{rng.choice(NAMES)}</em> or <abbr title="none">N</abbr>; see <a href="#{name}">here</a>.'
        )
        parts.append(
            "<table>\n<tr><td>arg</td><td>"
            + rng.choice(NAMES)
            + "</td></tr>\n<tr><td>ret</td><td>"
            + str(i)
            + "</td></tr>\n</table>"
        )
        if i % 3 == 0:
            parts.append(f'<div class="admonition">\n<p>Since <b>{i}</b>.</p>\n</div>')
    return "\n\n".join(parts)


PAGES = [page(k) for k in range(3)]
md = markdown.Markdown(extensions=["markdown.extensions.toc", "markdown.extensions.attr_list"])
html = []
tocs = []
for text in PAGES:
    md.reset()
    html.append(md.convert(text))
    tocs.append(repr(md.toc_tokens))
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
