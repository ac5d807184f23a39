"""rich: Console.log() of 160 seeded records (strings, numbers, small dicts) from code nested 30 calls
deep, into an in-memory console without time or path columns, the whole output kept."""

import io
import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.console import Console  # noqa: E402

rng = random.Random(1253)
EVENTS = ["started", "retrying", "cache miss", "done", "timeout", "connected", "closed"]
RECORDS = [
    (f"job-{i}", rng.choice(EVENTS), rng.randint(0, 10_000), {"attempt": rng.randint(1, 5)} if i % 3 == 0 else i)
    for i in range(160)
]
console = Console(file=io.StringIO(), width=100, log_time=False, log_path=False, color_system=None)


def handle(record):
    name, event, value, extra = record
    console.log(name, event, value, extra)


def worker(records):
    for record in records:
        handle(record)


def run(records, depth):
    if depth:
        return run(records, depth - 1)
    return worker(records)


run(RECORDS, 25)
output = console.file.getvalue()
lines = output.splitlines()
assert len(lines) >= len(RECORDS)
