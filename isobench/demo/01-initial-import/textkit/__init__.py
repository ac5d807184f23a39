"""textkit: small, dependency-free helpers for plain text."""

from textkit.slug import slugify
from textkit.stopwords import STOPWORDS, is_stopword, remove_stopwords
from textkit.tokenize import tokenize, word_counts
from textkit.wrap import fill, wrap

__version__ = "0.1.0"

__all__ = [
    "STOPWORDS",
    "fill",
    "is_stopword",
    "remove_stopwords",
    "slugify",
    "tokenize",
    "word_counts",
    "wrap",
]
