"""pygments: lex seeded random Lua modules whose statements end in an identifier followed by a
--[[ ... ]] block comment (the identifier lookaheads the commit changed), every token kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers.scripting import LuaLexer  # noqa: E402

rng = random.Random(3047)
NOTES = ["running total", "cached", "see issue 12", "TODO remove", "bytes", "may be nil", "1-based", "px"]
OPS = ["+", "-", "*", "..", "and", "or"]


def module(i, n):
    lines = [f"local M{i} = {{}}\n"]
    for j in range(n):
        lines.append(f"local v{j} = a{j} {rng.choice(OPS)} b{j} --[[ {rng.choice(NOTES)} ]]\n")
        if j % 5 == 4:
            lines.append(f"M{i}.f{j} = function(x) return x + v{j} end\n")
    lines.append(f"return M{i}\n")
    return "".join(lines)


SOURCES = [module(i, rng.randint(20, 60)) for i in range(20)]
tokens = [[(str(t), v) for t, v in LuaLexer().get_tokens(src)] for src in SOURCES]
assert tokens[0][0] == ("Token.Keyword.Declaration", "local")
