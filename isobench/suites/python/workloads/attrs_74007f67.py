"""attrs: create many attrs classes (class decoration: generated __init__/__repr__/__eq__/...)."""

import os
import sys

_src = os.path.join(os.getcwd(), "src")
if _src not in sys.path:
    sys.path.insert(0, _src)

import attrs  # noqa: E402

classes = []
for k in range(60):
    ns = {"__annotations__": {f"f{j}": int for j in range(8)}}
    for j in range(4, 8):
        ns[f"f{j}"] = attrs.field(default=j)
    classes.append(attrs.define(type(f"C{k}", (), ns)))
    classes.append(attrs.frozen(type(f"F{k}", (), dict(ns))))
inst = classes[-1](0, 1, 2, 3)
assert inst.f7 == 7 and len(classes) == 120
