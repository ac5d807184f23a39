"""pyparsing: transform_string() of a 3,000-line generated text in which a parse action upper-cases the
identifiers that start with "b" (the flattening of the transformed pieces the commit sped up), the
transformed text kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(2025)
WORDS = ["alpha", "beta", "gamma", "delta", "foo", "bar", "baz", "qux", "bravo", "echo"]


def _word():
    w = rng.choice(WORDS)
    return w + str(rng.randint(0, 99)) if rng.random() < 0.3 else w


TEXT = "\n".join(" ".join(_word() for _ in range(rng.randint(3, 15))) for _ in range(3_000))

ident = pp.Word(pp.alphas, pp.alphanums)
ident.set_parse_action(lambda t: t[0].upper() if t[0].startswith("b") else None)

out = ident.transform_string(TEXT)
assert len(out) == len(TEXT)
