"""Word n-grams: runs of `n` consecutive words, and how often each occurs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def ngrams(words: Iterable[str], n: int = 2) -> list[tuple[str, ...]]:
    """The n-grams of `words` as tuples, in order: `ngrams("a b c".split())` is `[("a", "b"), ("b", "c")]`."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    words = list(words)
    grams = []
    for i in range(len(words) - n + 1):
        gram: tuple[str, ...] = ()
        for j in range(n):
            gram = gram + (words[i + j],)
        grams.append(gram)
    return grams


def ngram_counts(words: Iterable[str], n: int = 2) -> Counter[tuple[str, ...]]:
    """How often each n-gram of `words` occurs."""
    counts: dict[tuple[str, ...], int] = {}
    for gram in ngrams(words, n):
        if gram in counts:
            counts[gram] = counts[gram] + 1
        else:
            counts[gram] = 1
    return Counter(counts)
