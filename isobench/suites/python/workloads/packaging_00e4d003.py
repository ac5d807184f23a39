"""packaging: parse many PEP 508 requirement strings (packaging.requirements.Requirement)."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

from packaging.requirements import Requirement  # noqa: E402

NAMES = ["requests", "typing-extensions", "numpy", "Django", "zope.interface", "foo_bar", "attrs", "py"]
FORMS = [
    "{n}",
    "{n}>=1.{i}",
    "{n}[security,socks]>=2.{i},<3",
    "{n} @ https://example.com/{n}-1.{i}.tar.gz",
    "{n}==1.{i}.0; python_version >= '3.8'",
    "{n}<2",
    "{n}[cli]",
]
REQS = [FORMS[k % len(FORMS)].format(n=NAMES[k % len(NAMES)], i=k % 50) for k in range(3000)]

out = [(r.name, sorted(r.extras), str(r.specifier), r.url, str(r.marker)) for r in map(Requirement, REQS)]
assert len(out) == len(REQS)
