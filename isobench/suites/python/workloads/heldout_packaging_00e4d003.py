"""Held-out workload of packaging 00e4d003 (never shown to the agent): standalone environment Marker()s
of random short expressions, and requirements with random names, extras and specifier lists but no URL
(the shown workload: Requirement() of seven fixed requirement forms over eight names). Run from the
repository root: python heldout_packaging_00e4d003.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

from packaging.markers import Marker  # noqa: E402
from packaging.requirements import Requirement  # noqa: E402

rng = random.Random(67)
letters = "abcdefghijklmnopqrstuvwxyz"
VARS = ["python_version", "sys_platform", "os_name", "platform_machine", "implementation_name", "extra"]
VALUES = ['"3.9"', '"linux"', '"posix"', '"x86_64"', '"cpython"', '"dev"', '"win32"']
MARKERS = [f"{rng.choice(VARS)} {rng.choice(['==', '!=', '<', '>='])} {rng.choice(VALUES)}" for _ in range(1_500)]
REQS = []
for _ in range(1_500):
    name = "".join(rng.choices(letters, k=rng.randint(2, 12))) + rng.choice(["", "-core", ".ext", "_py"])
    extras = f"[{','.join(rng.sample(['test', 'doc', 'cli', 'all'], rng.randint(1, 2)))}]" if rng.random() < 0.3 else ""
    spec = rng.choice(["", f"~={rng.randint(0, 9)}.{rng.randint(0, 9)}", f">={rng.randint(1, 4)},<{rng.randint(5, 9)}"])
    REQS.append(name + extras + spec)

out = [str(Marker(m)) for m in MARKERS * 2]
out += [(r.name, sorted(r.extras), str(r.specifier)) for r in map(Requirement, REQS * 2)]
assert out
