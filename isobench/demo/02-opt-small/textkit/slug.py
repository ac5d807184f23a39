"""URL slugs."""

from __future__ import annotations

import re
import unicodedata

# Compiled once: re.sub() with a pattern string pays a cache lookup on every call.
_PUNCT_RE = re.compile(r"[^\w\s-]")
_SEPARATORS_RE = re.compile(r"[\s_-]+")


def slugify(title: str, max_length: int = 0) -> str:
    """A URL-safe slug for `title`: ASCII lowercase words joined by single hyphens.

    Accents are stripped ("Café" becomes "cafe"), other non-ASCII characters and punctuation are
    dropped. With `max_length`, the slug is cut to at most that many characters (no trailing hyphen).

    >>> slugify("Hello, World!")
    'hello-world'
    """
    if not title.isascii():
        # Only non-ASCII titles have accents to strip; NFKD leaves ASCII text unchanged.
        title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = _SEPARATORS_RE.sub("-", _PUNCT_RE.sub("", title.lower())).strip("-")
    if max_length > 0:
        text = text[:max_length].rstrip("-")
    return text
