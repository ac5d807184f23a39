"""Word n-grams: runs of `n` consecutive words, and how often each occurs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def ngrams(words: Iterable[str], n: int = 2) -> list[tuple[str, ...]]:
    """The n-grams of `words` as tuples, in order: `ngrams("a b c".split())` is `[("a", "b"), ("b", "c")]`."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    words = list(words)
    # zip over n shifted views builds each tuple once, in C, instead of n growing tuples per position.
    return list(zip(*(words[i:] for i in range(n))))


def ngram_counts(words: Iterable[str], n: int = 2) -> Counter[tuple[str, ...]]:
    """How often each n-gram of `words` occurs."""
    return Counter(ngrams(words, n))
