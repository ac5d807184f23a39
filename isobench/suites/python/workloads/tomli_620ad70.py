"""tomli: parse a document whose strings are full of \\uXXXX / \\UXXXXXXXX escapes."""

import os
import sys

_root = os.getcwd()
_src = os.path.join(_root, "src") if os.path.isdir(os.path.join(_root, "src", "tomli")) else _root
if _src not in sys.path:
    sys.path.insert(0, _src)

import tomli  # noqa: E402

ESC = "".join(f"\\u{0x00C0 + k:04X}" for k in range(40)) + "\\U0001F600\\U0001F642"
DOC = "[strings]\n" + "".join(f'key{i} = "{ESC} {i}"\n' for i in range(1500))

d = tomli.loads(DOC)
assert len(d["strings"]) == 1500
