"""tomli: parse a document dominated by long basic and multi-line strings."""

import os
import sys

_root = os.getcwd()
_src = os.path.join(_root, "src") if os.path.isdir(os.path.join(_root, "src", "tomli")) else _root
if _src not in sys.path:
    sys.path.insert(0, _src)

import tomli  # noqa: E402

TEXT = "The quick brown fox jumps over the lazy dog, again and again. " * 5
parts = ["[text]\n"]
for i in range(300):
    parts.append(f'line{i} = "{TEXT}\\t{i}"\n')
    parts.append(f'block{i} = """\n{TEXT}\n{TEXT} \\"quoted\\" {i}\n"""\n')
    parts.append(f"lit{i} = '''\n{TEXT}\n{TEXT}'''\n")
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["text"]) == 900
