"""English stopwords: the very common words most text statistics leave out."""

from __future__ import annotations

from collections.abc import Iterable

# The classic English list (as NLTK orders it), lowercase.
STOPWORDS: tuple[str, ...] = (
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
    "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for",
    "with", "about", "against", "between", "into", "through", "during", "before", "after",
    "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under",
    "again", "further", "then", "once", "here", "there", "when", "where", "why", "how", "all",
    "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not",
    "only", "own", "same", "so", "than", "too", "very", "can", "will", "just", "should", "now",
)


def is_stopword(word: str) -> bool:
    """Whether `word` is a stopword, ignoring case."""
    return word.lower() in STOPWORDS


def remove_stopwords(words: Iterable[str]) -> list[str]:
    """The words that are not stopwords (compared case-insensitively), in their original order."""
    return [word for word in words if word.lower() not in STOPWORDS]
