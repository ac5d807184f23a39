"""pyparsing: scan_string() and transform_string() of cpp_style_comment over 1,500 lines of generated
C-like source with block and line comments (the comment expression the commit rewrote), every comment
found with its location and the comment-free source kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(98)
NOTE = ["block", "comment", "*", "x*y", "note", "TODO", "a/b", "see", "above"]
LINES = []
for i in range(1_500):
    r = rng.random()
    if r < 0.3:
        words = " ".join(rng.choice(NOTE) for _ in range(rng.randint(2, 30)))
        LINES.append("/* " + words + " */")
    elif r < 0.5:
        LINES.append(f"int x{i} = {i}; // trailing " + "z" * rng.randint(1, 40))
    else:
        LINES.append(f"x{i} = f(x{i - 1}, {i});")
SOURCE = "\n".join(LINES)

comments = [(s, e, t[0]) for t, s, e in pp.cpp_style_comment.scan_string(SOURCE)]
stripped = pp.cpp_style_comment.suppress().transform_string(SOURCE)
assert comments and "/*" not in stripped
