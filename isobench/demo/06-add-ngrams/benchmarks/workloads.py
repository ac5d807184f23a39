"""Benchmark workloads: one zero-argument function per hot path, on fixed, seeded inputs.

Inputs are generated on the first call and cached, so later (timed) calls measure textkit only. Each
returns a digest of everything it computed, so a wrong answer of the right size cannot pass for a right one.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import random
from typing import TypeVar

import textkit

T = TypeVar("T")

# Random generation is slower than some of the code it feeds, and whole-process timings
# (python -m benchmarks.run) include it: generate this many items and repeat them to the size asked.
_BLOCK = 20_000

_SYLLABLES = (
    "ka", "lo", "mi", "ren", "sa", "tor", "vel", "qui", "an", "el", "dor", "ith", "ma", "pe",
    "rus", "ta", "ber", "cal", "o", "un", "zen", "fa", "gri", "hol",
)


def _repeat(block: list[T], n: int) -> tuple[T, ...]:
    return tuple(itertools.islice(itertools.cycle(block), n))


@functools.cache
def _vocabulary(size: int = 4000) -> tuple[str, ...]:
    """Made-up content words of 1-4 syllables (a fixed seed: the same on every run)."""
    rng = random.Random(20240301)
    words = {"".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))) for _ in range(size)}
    return tuple(sorted(words))


@functools.cache
def _prose(n_words: int, seed: int) -> tuple[str, ...]:
    """English-like words: stopwords mixed with made-up words, sentences capitalized."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    words = []
    capitalize = True
    for _ in range(min(n_words, _BLOCK)):
        word = rng.choice(textkit.STOPWORDS) if rng.random() < 0.5 else rng.choice(vocab)
        if capitalize:
            word = word.capitalize()
        capitalize = rng.random() < 0.05  # sentences of ~20 words
        words.append(word + "." if capitalize else word)
    return _repeat(words, n_words)


@functools.cache
def _sentences(n_words: int, seed: int) -> tuple[tuple[str, ...], ...]:
    """`_prose` cut into sentences of words."""
    sentences = []
    current: list[str] = []
    for word in _prose(n_words, seed):
        current.append(word)
        if word.endswith("."):
            sentences.append(tuple(current))
            current = []
    if current:
        sentences.append(tuple(current))
    return tuple(sentences)


@functools.cache
def _text(n_words: int, seed: int) -> str:
    """`_prose` as one string."""
    return " ".join(_prose(n_words, seed))


@functools.cache
def _titles(n: int, seed: int) -> tuple[str, ...]:
    """Blog-post-like titles; about one in ten has accented letters."""
    rng = random.Random(seed)
    vocab = _vocabulary()
    extras = ("", "", "!", "?", " -- Part 2", ": A Guide", " (2024)", " & More", ": Café Notes")
    titles = []
    for _ in range(min(n, _BLOCK)):
        words = [rng.choice(vocab).capitalize() for _ in range(rng.randint(2, 4))]
        titles.append(" ".join(words) + rng.choice(extras))
    return _repeat(titles, n)


def _digest(lines: list[str]) -> str:
    """A short fingerprint of a result, one line per item: hashed (cheaper than the repr of a long list)."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def stopwords() -> str:
    """remove_stopwords() on every sentence of a long document."""
    return _digest([" ".join(textkit.remove_stopwords(sentence)) for sentence in _sentences(80_000, 1)])


def wrap() -> str:
    """wrap() of a long document at a wide column."""
    return _digest(textkit.wrap(_text(80_000, 2), 100))


def slugify() -> str:
    """slugify() of many short titles."""
    return _digest([textkit.slugify(title) for title in _titles(20_000, 3)])


WORKLOADS = {"stopwords": stopwords, "wrap": wrap, "slugify": slugify}


def ngrams() -> str:
    """4-gram counts of a long document."""
    from textkit.ngrams import ngram_counts

    counts = ngram_counts(_prose(150_000, 4), 4)
    return _digest([f"{' '.join(gram)} {n}" for gram, n in sorted(counts.items())])


WORKLOADS["ngrams"] = ngrams
