"""rich: ConsoleOptions.update() of a console's options with 30,000 combinations of width, justify,
overflow, no_wrap, highlight and height (what every nested renderable does), the derived options kept."""

import io
import os
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from rich.console import Console  # noqa: E402

console = Console(file=io.StringIO(), width=120, height=40, legacy_windows=False)
BASE = console.options
JUSTIFY = ["left", "center", "right", "full", None]
OVERFLOW = ["fold", "crop", "ellipsis", None]
CHANGES = []
for i in range(30_000):
    kwargs = {"width": (i * 7) % 201} if i % 3 == 0 else {"max_width": 1 + (i * 13) % 200}
    if i % 2:
        kwargs["justify"] = JUSTIFY[i % 5]
    if i % 5 == 0:
        kwargs["overflow"] = OVERFLOW[(i // 5) % 4]
        kwargs["no_wrap"] = i % 10 == 0
    if i % 7 == 0:
        kwargs["height"] = None if i % 14 == 0 else (i % 66) - 5
    if i % 11 == 0:
        kwargs["highlight"] = i % 22 == 0
    CHANGES.append(kwargs)

derived = []
for kwargs in CHANGES:
    options = BASE.update(**kwargs)
    derived.append(
        (options.min_width, options.max_width, options.justify, options.overflow, options.no_wrap, options.height)
    )
assert derived[0][0] == derived[0][1] == 0
