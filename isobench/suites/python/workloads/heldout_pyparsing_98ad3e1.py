"""Held-out workload of pyparsing 98ad3e1 (never shown to the agent): parse_string() of 1,000 generated
C declarations with multi-line block comments and line comments between the tokens, skipped by
.ignore(cpp_style_comment), every parsed declaration kept (the shown workload: scanning a source for the
comments themselves)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(1998)
TYPES = ["int", "long", "char", "double", "unsigned"]


def _comment():
    if rng.random() < 0.5:
        body = "\n * ".join(f"line {k} of the doc" for k in range(rng.randint(1, 6)))
        return "/**\n * " + body + "\n */"
    return "// " + "note " * rng.randint(1, 8) + "\n"


parts = []
for i in range(1_000):
    if rng.random() < 0.6:
        parts.append(_comment())
    ctype = rng.choice(TYPES)
    names = ", ".join(f"v{i}_{k}" for k in range(rng.randint(1, 4)))
    tail = " /* inline */" if rng.random() < 0.3 else ""
    parts.append(f"{ctype}{tail} {names};")
SOURCE = "\n".join(parts)

ident = pp.Word(pp.alphas + "_", pp.alphanums + "_")
decl = pp.Group(pp.one_of(TYPES)("type") + pp.Group(pp.DelimitedList(ident))("names") + pp.Suppress(";"))
program = pp.OneOrMore(decl)
program.ignore(pp.cpp_style_comment)

decls = program.parse_string(SOURCE, parse_all=True).as_list()
assert len(decls) == 1_000
