"""pygments: pick a lexer for each of 300 seeded random file names with get_lexer_for_filename() (every
call also asks the plugin entry points), every chosen lexer kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.lexers import get_lexer_for_filename  # noqa: E402
from pygments.util import ClassNotFound  # noqa: E402

rng = random.Random(2979)
STEMS = ["main", "utils", "README", "setup", "index", "app", "config", "test_io", "Makefile", "build"]
EXTS = [
    ".py",
    ".c",
    ".h",
    ".rs",
    ".go",
    ".js",
    ".ts",
    ".md",
    ".rst",
    ".toml",
    ".yaml",
    ".json",
    ".html",
    ".css",
    ".java",
    ".rb",
    ".sh",
    ".sql",
    ".txt",
    ".xyz",
    ".lua",
    ".hs",
    ".cpp",
    ".ini",
]
NAMES = [f"src/{rng.choice(STEMS)}{rng.choice(EXTS)}" for _ in range(300)]


def pick(name):
    try:
        return get_lexer_for_filename(name).name
    except ClassNotFound:
        return None


chosen = [pick(n) for n in NAMES]
assert chosen.count(None) < len(NAMES)
