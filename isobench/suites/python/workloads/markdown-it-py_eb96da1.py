"""markdown-it-py: MarkdownIt().render() of paragraphs of deeply nested strong emphasis (`**` or `***`
repeated 200 to 400 times, a word, then the closing run): the emphasis delimiter pairing in
balance_pairs, the HTML kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(273)
WORDS = ["alert", "note", "warning", "important", "todo", "deprecated", "x"]
PARAS = []
for _ in range(10):
    marker = rng.choice(["**", "***"])
    n = rng.randint(200, 400)
    PARAS.append(marker * n + rng.choice(WORDS) + marker * n)
DOC = "\n\n".join(PARAS) + "\n"

md = MarkdownIt()
html = md.render(DOC)
assert html.count("<p>") == len(PARAS)
