"""textkit's benchmarks for asv (airspeed velocity): see asv.conf.json at the repository root.

asv times every `time_*` function and method, calling it many times. A class's `setup` runs before
its benchmarks, untimed, once for each value of `params`. The inputs are seeded, hence the same on
every run and every commit, and built before the timing starts, so the timings measure textkit only.
"""

from __future__ import annotations

import os
import random
import sys

# asv imports this folder as a package without putting the repository root on sys.path, and textkit is
# not installed anywhere (`asv run --python=same`): import the textkit of the checkout this file is in.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import textkit

_SYLLABLES = (
    "ka", "lo", "mi", "ren", "sa", "tor", "vel", "qui", "an", "el", "dor", "ith", "ma", "pe",
    "rus", "ta", "ber", "cal", "o", "un", "zen", "fa", "gri", "hol",
)


def _vocabulary(rng: random.Random, size: int = 2000) -> list[str]:
    """Made-up content words of 1-4 syllables."""
    return sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))) for _ in range(size)})


def _prose(n_words: int, seed: int) -> list[str]:
    """English-like words: half of them stopwords, in sentences of about 20 words."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    words = []
    capitalize = True
    for _ in range(n_words):
        word = rng.choice(textkit.STOPWORDS) if rng.random() < 0.5 else rng.choice(vocab)
        if capitalize:
            word = word.capitalize()
        capitalize = rng.random() < 0.05
        words.append(word + "." if capitalize else word)
    return words


WORDS = _prose(25_000, 1)
TEXT = " ".join(_prose(40_000, 2))


def time_tokenize() -> None:
    """tokenize() of a long document."""
    textkit.tokenize(TEXT)


def time_remove_stopwords() -> None:
    """remove_stopwords() of a long list of words."""
    textkit.remove_stopwords(WORDS)


def time_wrap() -> None:
    """wrap() of a long document at 100 columns."""
    textkit.wrap(TEXT, 100)


class Slugify:
    """slugify() of many blog-post titles: plain ASCII ones, or ones with accented letters."""

    params = (["ascii", "accented"],)
    param_names = ["titles"]

    def setup(self, titles: str) -> None:
        rng = random.Random(3)
        vocab = _vocabulary(rng)
        if titles == "accented":
            vocab = [word.replace("e", "é").replace("o", "ô") for word in vocab]
        extras = ("", "", "!", "?", " -- Part 2", ": A Guide", " (2024)", " & More")
        self.titles = [
            " ".join(rng.choice(vocab).capitalize() for _ in range(rng.randint(2, 4))) + rng.choice(extras)
            for _ in range(8_000)
        ]

    def time_slugify(self, titles: str) -> None:
        for title in self.titles:
            textkit.slugify(title)
