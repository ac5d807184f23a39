"""Splitting text into words."""

from __future__ import annotations

import re
from collections import Counter

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Lowercase words of `text`: runs of ASCII letters and digits, with inner apostrophes kept.

    >>> tokenize("Don't panic -- it's 42!")
    ["don't", 'panic', "it's", '42']
    """
    return _WORD_RE.findall(text.lower())


def word_counts(text: str) -> Counter[str]:
    """How often each token of `text` occurs."""
    return Counter(tokenize(text))
