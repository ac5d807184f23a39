"""Held-out workload of tomli 716b682 (never shown to the agent): an array of tables of log messages:
random-length basic strings with \\n / \\t / \\" escapes and multi-line basic strings with
line-ending backslashes (the shown workload: one table of long fixed-text basic, multi-line basic and
multi-line literal strings). Run from the repository root: python heldout_tomli_716b682.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import tomli  # noqa: E402

rng = random.Random(37)
words = ["error", "while", "reading", "config", "file", "retrying", "connection", "timeout", "user", "token"]
parts = []
for i in range(700):
    msg = " ".join(rng.choices(words, k=rng.randint(20, 60)))
    body = "\\\n    ".join(" ".join(rng.choices(words, k=rng.randint(8, 20))) for _ in range(rng.randint(2, 6)))
    parts.append("[[messages]]\n")
    parts.append(f'id = {i}\ntext = "{msg}\\n\\t\\"{i}\\" {msg}"\n')
    parts.append(f'detail = """\\\n    {body}\n"""\n')
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["messages"]) == 700 and "\n" in d["messages"][0]["text"]
