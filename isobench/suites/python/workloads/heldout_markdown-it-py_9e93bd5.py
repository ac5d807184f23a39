"""Held-out workload of markdown-it-py 9e93bd5 (never shown to the agent): MarkdownIt().parse() of sections
that each end in a block of consecutive reference definitions in other forms (<angle> destinations,
'single-quoted' and (parenthesised) titles, no titles, indented definitions), the block tokens and the
references kept (the shown workload: render() of one block of double-quoted-title definitions)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(2025)
FORMS = [
    "[{l}]: <https://docs.example.com/{l}?v={n}>",
    "[{l}]: /local/{l}.html '{l} page'",
    "   [{l}]: https://cdn.example.net/{n}/{l}.png ({l} image)",
    "[{l}]:\n  https://example.com/wrapped/{l}",
]
SECTIONS = []
COUNT = 0
for s in range(4):
    defs = []
    for _ in range(rng.randint(90, 130)):
        label = f"s{s}-item-{COUNT}"
        COUNT += 1
        defs.append(rng.choice(FORMS).format(l=label, n=rng.randint(1, 9999)))
    SECTIONS.append(f"## Part {s}\n\nSome text with [s{s}-item-{COUNT - 1}] and [missing].\n\n" + "\n".join(defs))
DOC = "\n\n".join(SECTIONS) + "\n"

md = MarkdownIt()
env = {}
tokens = [(t.type, t.map, t.content) for t in md.parse(DOC, env)]
references = sorted(env["references"].items())
assert len(references) == COUNT
