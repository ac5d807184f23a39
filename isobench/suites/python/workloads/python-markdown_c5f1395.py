"""python-markdown: markdown() of one long document whose paragraphs are full of inline raw HTML tags and
entities (thousands of HTML-stash placeholders restored by the raw HTML post-processor), the output kept."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(30000)
WORDS = ["alpha", "beta", "gamma", "delta", "render", "stash", "block", "inline", "parser", "tree"]
TAGS = ["<b>{w}</b>", '<span class="k">{w}</span>', "<kbd>{w}</kbd>", "{w}&nbsp;", "<i>{w}</i>", "&copy; {w}"]


def para(n):
    return " ".join(
        rng.choice(TAGS).format(w=rng.choice(WORDS)) if rng.random() < 0.9 else rng.choice(WORDS) for _ in range(n)
    )


# One long document: the placeholders of a document are restored together.
DOCS = ["# Document\n\n" + "\n\n".join(para(rng.randint(40, 80)) for _ in range(90))]
html = [markdown.markdown(doc) for doc in DOCS]
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
