"""markdown-it-py: MarkdownIt().render() of an OCR-like document whose main paragraph is one long run of
3,000 snake_case identifiers (thousands of intraword underscores, left as adjacent text fragments by
emphasis), with a few short paragraphs of the same: the inline fragments_join and core text_join stages,
the HTML kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(389)
PARTS = ["user", "id", "max", "len", "buf", "ptr", "tmp", "row", "col", "ref", "doc", "ocr", "page", "x"]


def ident():
    return "_".join(rng.choices(PARTS, k=rng.randint(2, 5)))


PARAS = [" ".join(ident() for _ in range(n)) for n in (3000, 60, 120, 90)]
DOC = "# Extracted identifiers\n\n" + "\n\n".join(PARAS) + "\n"

md = MarkdownIt()
html = md.render(DOC)
assert html.count("<p>") == len(PARAS)
