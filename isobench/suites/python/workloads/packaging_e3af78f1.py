"""packaging: wildcard (==X.* / !=X.*) specifier matching over many versions."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

from packaging.specifiers import Specifier  # noqa: E402
from packaging.version import Version  # noqa: E402

VERSIONS = [Version(f"{ma}.{mi}.{pa}") for ma in range(1, 5) for mi in range(0, 15) for pa in range(0, 10)]
SPECS = [Specifier(s) for s in ("==3.10.*", "!=3.9.*", "==2.*", "!=1.4.*", "==4.1.0.*")]

# Four passes, each over the versions in another order; every answer is kept.
out = [[spec.contains(v) for v in VERSIONS[k:] + VERSIONS[:k]] for k in range(4) for spec in SPECS]
assert any(any(row) for row in out)
