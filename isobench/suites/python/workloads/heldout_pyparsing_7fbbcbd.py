"""Held-out workload of pyparsing 7fbbcbd (never shown to the agent): transform_string() of two generated
server logs with one Regex over every non-blank token and a parse action that masks IPv4 addresses,
rounds latencies and drops session ids, every masked log kept (the shown workload: one plain text, a Word
whose parse action upper-cases some identifiers)."""

import os
import random
import re
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(7)
PATHS = ["/", "/login", "/api/items", "/api/users/42", "/static/app.js", "/health"]


def _line():
    ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
    sid = f"sid={rng.getrandbits(32):08x}"
    ms = f"{rng.randint(0, 900)}.{rng.randint(0, 999):03d}ms"
    return f"{ip} GET {rng.choice(PATHS)} {rng.choice(['200', '404', '500'])} {ms} {sid}"


LOGS = ["\n".join(_line() for _ in range(n)) for n in (1_500, 3_000)]
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}$")
LATENCY = re.compile(r"\d+\.\d+ms$")


def _mask(t):
    tok = t[0]
    if IPV4.match(tok):
        return tok.rsplit(".", 1)[0] + ".x"
    if LATENCY.match(tok):
        return f"{round(float(tok[:-2]))}ms"
    if tok.startswith("sid="):
        return []
    return None


masker = pp.Regex(r"\S+").set_parse_action(_mask)

out = [masker.transform_string(log) for log in LOGS]
assert ".x GET" in out[0]
