"""Held-out workload of pygments 524b5d3 (never shown to the agent): lex seeded random devicetree include
files whose interrupt specifiers (GIC_SPI n IRQ_TYPE_... macros) run over several aligned continuation
lines, plus a /* ... */ comment per node (the shown workload: phandle cells split over two lines)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers.devicetree import DevicetreeLexer  # noqa: E402

rng = random.Random(1959)
TYPES = ["IRQ_TYPE_LEVEL_HIGH", "IRQ_TYPE_EDGE_RISING", "IRQ_TYPE_LEVEL_LOW"]


def node(i):
    n = rng.randint(2, 4)
    specs = [f"GIC_SPI {rng.randrange(32, 512)} {rng.choice(TYPES)}" for _ in range(n)]
    pad = "\n\t\t" + " " * rng.randint(5, 10)
    return (
        f"\t/* block {i}: {rng.choice(['uart', 'spi', 'i2c', 'usb'])} */\n"
        f"\tuart{i}: serial@{0xFE000000 + i * 0x1000:x} {{\n"
        f"\t\treg = <0x0 0x{0xFE000000 + i * 0x1000:x} 0x0 0x1000>;\n"
        f"\t\tinterrupts = <{pad.join(specs)}>;\n"
        f'\t\tclock-names = "baudclk", "apb_pclk";\n'
        "\t};\n"
    )


FILES = [
    "#include <dt-bindings/interrupt-controller/arm-gic.h>\n\n/ {\n"
    + "".join(node(k * 50 + i) for i in range(rng.randint(15, 30)))
    + "};\n"
    for k in range(4)
]
tokens = [[(str(t), v) for t, v in DevicetreeLexer().get_tokens(src)] for src in FILES]
assert tokens[0][0][0] == "Token.Comment.Preproc"
