"""markdown-it-py: MarkdownIt().renderInline() of 300 long one-line descriptions (plain prose words, each with
one emphasis, code span or link): the inline "text" rule's scan to the next terminator character, every
rendered HTML string kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from markdown_it import MarkdownIt  # noqa: E402

rng = random.Random(347)
PROSE = (
    "the quick brown fox jumps over a lazy dog while parsers tokenize every paragraph of this document "
    "into inline tokens before rendering them as HTML markup for readers of technical manuals"
)
WORDS = PROSE.split()


def description():
    words = rng.choices(WORDS, k=rng.randint(150, 400))
    i = rng.randrange(len(words))
    words[i] = rng.choice(["*{}*", "`{}`", "[{}](https://example.org/{})", "**{}**"]).format(words[i], words[i])
    return " ".join(words) + "."


DESCRIPTIONS = [description() for _ in range(300)]

md = MarkdownIt()
html = [md.renderInline(d) for d in DESCRIPTIONS]
assert html[0].endswith(".")
