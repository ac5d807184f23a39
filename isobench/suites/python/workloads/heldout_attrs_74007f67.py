"""Held-out workload of attrs 74007f67 (never shown to the agent): class creation with old-style
@attr.s(...) / attr.ib() and attrs.make_class(), random field counts (2 to 16), defaults, validators and
converters, with order=True and slots/no-slots mixed (the shown workload: 120 attrs.define / attrs.frozen
classes of 8 annotated int fields). Run from the repository root: python heldout_attrs_74007f67.py"""

import os
import random
import sys

# the script's own folder is on sys.path, not the repository it runs in (src layout)
sys.path.insert(0, os.path.join(os.getcwd(), "src"))

import attr  # noqa: E402
import attrs  # noqa: E402

rng = random.Random(83)
classes = []
for k in range(100):
    nfields = rng.randint(2, 16)
    body = {}
    for j in range(nfields):
        if j >= nfields // 2:
            body[f"a{j}"] = attr.ib(default=j, converter=int, validator=attr.validators.instance_of(int))
        else:
            body[f"a{j}"] = attr.ib()
    classes.append(attr.s(type(f"Old{k}", (), body), slots=rng.random() < 0.5, order=True))
    names = [f"m{j}" for j in range(rng.randint(2, 16))]
    classes.append(attrs.make_class(f"Made{k}", names, frozen=rng.random() < 0.5))
inst = classes[0](*range(len(attr.fields(classes[0]))))
assert len(classes) == 200 and inst == inst
