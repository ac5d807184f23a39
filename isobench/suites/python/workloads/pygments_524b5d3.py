"""pygments: lex a seeded random devicetree source whose multi-line property values continue on lines
indented with tabs and alignment spaces (the property-name lookahead the commit rewrote), every token
kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers.devicetree import DevicetreeLexer  # noqa: E402

rng = random.Random(3057)
PROPS = ["interrupts-extended", "clocks", "resets", "dmas", "power-domains", "pinctrl-0", "iommus"]
PHANDLES = ["&gic", "&clk", "&rst", "&dma0", "&pd", "&pinctrl", "&smmu"]


def node(i):
    lines = [f"\tdevice{i}: device@{i:x}000 {{\n", f'\t\tcompatible = "vendor,dev{i % 7}";\n']
    for prop in rng.sample(PROPS, 3):
        cells = " ".join(f"{rng.choice(PHANDLES)} 0x{rng.randrange(256):x}" for _ in range(2))
        pad = "\t" + " " * rng.randint(4, 12)
        lines.append(f"\t\t{prop} = < {cells} {rng.choice(PHANDLES)[1:]}\n{pad}0x{i:x} >;\n")
    lines.append('\t\tstatus = "okay";\n\t};\n')
    return "".join(lines)


SOURCE = "/dts-v1/;\n\n/ {\n" + "".join(node(i) for i in range(80)) + "};\n"
tokens = [(str(t), v) for t, v in DevicetreeLexer().get_tokens(SOURCE)]
assert tokens[0][1] == "/dts-v1/"
