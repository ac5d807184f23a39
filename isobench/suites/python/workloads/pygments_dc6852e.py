"""pygments: lex seeded random Carbon sources whose functions carry long /* ... */ doc comments (the
multiline comment rule the commit rewrote), every token kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers.carbon import CarbonLexer  # noqa: E402

rng = random.Random(2023)
WORDS = [
    "returns",
    "the",
    "sum",
    "of",
    "x",
    "and",
    "y",
    "panics",
    "if",
    "overflow",
    "see",
    "Carbon",
    "docs",
]
LINES = [" * " + " ".join(rng.choices(WORDS, k=rng.randint(6, 16))) for _ in range(150)]


def source(n):
    parts = ["package Sample api;\n\n"]
    for i in range(n):
        parts.append("/*\n" + "\n".join(rng.choices(LINES, k=rng.randint(20, 120))) + "\n */\n")
        parts.append(f"fn Add{i}(x: i32, y: i32) -> i32 {{ return x + y + {i}; }}\n\n")
    return "".join(parts)


SOURCES = [source(rng.randint(20, 40)) for _ in range(8)]
tokens = [[(str(t), v) for t, v in CarbonLexer().get_tokens(src)] for src in SOURCES]
assert tokens[0][0] == ("Token.Keyword.Namespace", "package")
