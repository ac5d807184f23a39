"""Held-out workload of pygments 9b50756 (never shown to the agent): resolve seeded random lexer aliases
(some unknown), mimetypes, formatter names and style names through the lookup functions that fall back to
the plugin entry points (the shown workload: lexers by file name)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from pygments.formatters import find_formatter_class  # noqa: E402
from pygments.lexers import find_lexer_class, get_lexer_by_name, get_lexer_for_mimetype  # noqa: E402
from pygments.styles import get_all_styles  # noqa: E402
from pygments.util import ClassNotFound  # noqa: E402

rng = random.Random(3036)
ALIASES = ["python", "c", "rust", "go", "js", "nosuchlang", "markdown", "yaml", "zig", "customdsl", "bash"]
MIMES = ["text/x-python", "text/x-csrc", "application/json", "text/x-unknown", "text/html", "text/x-nope"]
FORMATTERS = ["html", "terminal", "latex", "svg", "nosuchformat", "rtf", "irc"]
CLASS_NAMES = ["Python", "C", "Nonexistent Lexer", "Go", "JSON", "Made Up"]


def by_alias(a):
    try:
        return get_lexer_by_name(a).name
    except ClassNotFound:
        return None


def by_mime(m):
    try:
        return get_lexer_for_mimetype(m).name
    except ClassNotFound:
        return None


def by_class_name(n):
    cls = find_lexer_class(n)
    return cls and cls.__name__


def formatter(f):
    cls = find_formatter_class(f)
    return cls and cls.__name__


aliases = [by_alias(rng.choice(ALIASES)) for _ in range(400)]
mimes = [by_mime(rng.choice(MIMES)) for _ in range(300)]
class_names = [by_class_name(rng.choice(CLASS_NAMES)) for _ in range(300)]
formatters = [formatter(rng.choice(FORMATTERS)) for _ in range(300)]
styles = [sorted(get_all_styles()) for _ in range(40)]
assert aliases.count(None) < len(aliases)
