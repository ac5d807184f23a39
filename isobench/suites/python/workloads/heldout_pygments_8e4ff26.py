"""Held-out workload of pygments 8e4ff26 (never shown to the agent): lex seeded random Luau scripts with
typed locals whose expressions end in a name followed by a --[[ ... ]] comment, and Lua tables whose
fields end that way (the shown workload: Lua modules with one trailing block comment per statement)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers.scripting import LuaLexer, LuauLexer  # noqa: E402

rng = random.Random(3036)
NOTES = ["studs", "seconds", "client only", "deprecated", "clamped", "see Players", "may yield"]
TYPES = ["number", "string", "boolean", "Vector3", "Instance?"]


def luau_script(n):
    lines = ['--!strict\nlocal Players = game:GetService("Players")\n']
    for j in range(n):
        lines.append(f"local w{j}: {rng.choice(TYPES)} = base{j} --[[ {rng.choice(NOTES)} ]]\n")
        if j % 4 == 3:
            lines.append(f"print(w{j}, #tostring(w{j}))\n")
    return "".join(lines)


def lua_table(n):
    lines = ["local config = {\n"]
    for j in range(n):
        lines.append(f"  key{j} = default{j}, --[[ {rng.choice(NOTES)} ]]\n")
    lines.append("}\nreturn config\n")
    return "".join(lines)


LUAU = [luau_script(rng.randint(50, 100)) for _ in range(10)]
LUA = [lua_table(rng.randint(40, 80)) for _ in range(8)]
luau_tokens = [[(str(t), v) for t, v in LuauLexer().get_tokens(src)] for src in LUAU]
lua_tokens = [[(str(t), v) for t, v in LuaLexer().get_tokens(src)] for src in LUA]
assert lua_tokens[0][0] == ("Token.Keyword.Declaration", "local")
