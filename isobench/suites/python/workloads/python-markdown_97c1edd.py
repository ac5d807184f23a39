"""python-markdown: markdown() of notes full of unspaced comparisons such as `i<n` and `lo<=x` in prose (the
inline raw HTML pattern scans from every `<`), every output kept."""

import hashlib
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import markdown  # noqa: E402

rng = random.Random(804)
WORDS = ["loop", "while", "index", "bound", "holds", "check", "then", "and", "the", "value", "when", "so"]
VARS = ["i", "j", "n", "lo", "hi", "x", "y", "len", "k", "mid"]


def sentence():
    out = []
    for _ in range(rng.randint(8, 20)):
        if rng.random() < 0.3:
            out.append(f"{rng.choice(VARS)}<{rng.choice(['', '='])}{rng.choice(VARS)}")
        else:
            out.append(rng.choice(WORDS))
    return " ".join(out).capitalize() + "."


DOCS = []
for d in range(3):
    parts = [f"# Notes {d}"]
    for _ in range(6):
        parts.append(" ".join(sentence() for _ in range(rng.randint(60, 90))))
    DOCS.append("\n\n".join(parts))

html = [markdown.markdown(doc) for doc in DOCS]
digests = [hashlib.sha256(h.encode()).hexdigest() for h in html]
