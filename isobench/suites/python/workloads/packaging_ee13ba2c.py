"""packaging: parse many simple release versions (digits and dots only)."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

from packaging.version import Version  # noqa: E402

STRS = [f"{a}.{b}.{c}" for a in range(20) for b in range(40) for c in range(30)] + [
    f"{a}.{b}" for a in range(60) for b in range(60)
]

out = [Version(s) for s in STRS]
assert len(out) == len(STRS)
