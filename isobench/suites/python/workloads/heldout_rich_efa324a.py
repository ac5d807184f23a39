"""Held-out workload of rich efa324a (never shown to the agent): Console.log() with the path column on, of
markup strings and tuples, from the methods of a small recursive visitor over a seeded tree (the shown
workload: plain records from nested functions, no path column)."""

import io
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.console import Console  # noqa: E402

rng = random.Random(2021)
console = Console(file=io.StringIO(), width=120, log_time=False, log_path=True, color_system=None)


def make_tree(depth):
    if depth == 0:
        return rng.randint(0, 999)
    return [make_tree(depth - 1) for _ in range(rng.choice((1, 1, 2)))]


TREE = [make_tree(rng.randint(8, 14)) for _ in range(10)]


class Visitor:
    def __init__(self):
        self.seen = 0

    def visit(self, node, depth=0):
        if isinstance(node, list):
            for child in node:
                self.visit(child, depth + 1)
        else:
            self.leaf(node, depth)

    def leaf(self, value, depth):
        self.seen += 1
        if self.seen % 2:
            console.log(f"[bold]leaf[/bold] #{self.seen} value={value}", (depth, value % 7))


_visitor = Visitor()
for _tree in TREE:
    _visitor.visit(_tree)
output = console.file.getvalue()
seen = _visitor.seen
del _visitor, _tree
assert "leaf" in output
