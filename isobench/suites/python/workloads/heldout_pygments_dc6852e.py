"""Held-out workload of pygments dc6852e (never shown to the agent): lex seeded random Carbon classes with
large commented-out method bodies and short inline /* ... */ notes between parameters, with the lexer
found by alias (the shown workload: long doc comments before functions)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers import get_lexer_by_name  # noqa: E402

rng = random.Random(1994)
LEXER = get_lexer_by_name("carbon")


def method(i):
    body = "\n".join(f"    var v{k}: i32 = self.f{k} * {rng.randint(1, 9)};" for k in range(rng.randint(30, 90)))
    live = f"  fn M{i}[self: Self](a: i32 /* scaled */, b: i32 /* offset */) -> i32 {{ return a + b; }}\n"
    dead = f"  /*\n  fn Old{i}[self: Self]() -> i32 {{\n{body}\n    return 0;\n  }}\n  */\n"
    return live + dead


def klass(j):
    return f"class Widget{j} {{\n" + "".join(method(i) for i in range(rng.randint(4, 12))) + "}\n\n"


SOURCES = ["package Demo api;\n\n" + "".join(klass(j) for j in range(rng.randint(3, 8))) for _ in range(10)]
tokens = [[(str(t), v) for t, v in LEXER.get_tokens(src)] for src in SOURCES]
assert tokens[0][0] == ("Token.Keyword.Namespace", "package")
