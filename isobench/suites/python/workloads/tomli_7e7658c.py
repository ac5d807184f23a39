"""tomli: parse a Cargo.toml-like document: long tables whose values are inline tables and arrays."""

import os
import sys

_root = os.getcwd()
_src = os.path.join(_root, "src") if os.path.isdir(os.path.join(_root, "src", "tomli")) else _root
if _src not in sys.path:
    sys.path.insert(0, _src)

import tomli  # noqa: E402

parts = ["[dependencies]\n"]
for i in range(1500):
    parts.append(
        f'crate-{i} = {{ version = "1.{i % 17}.{i % 5}", features = ["std", "f{i % 7}"], '
        f"optional = {str(i % 2 == 0).lower()} }}\n"
    )
parts.append("\n[dev-dependencies]\n")
for i in range(300):
    parts.append(f'dev-crate-{i} = {{ version = "0.{i % 9}", default-features = false }}\n')
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["dependencies"]) == 1500
