"""URL slugs."""

from __future__ import annotations

import re
import unicodedata


def slugify(title: str, max_length: int = 0) -> str:
    """A URL-safe slug for `title`: ASCII lowercase words joined by single hyphens.

    Accents are stripped ("Café" becomes "cafe"), other non-ASCII characters and punctuation are
    dropped. With `max_length`, the slug is cut to at most that many characters (no trailing hyphen).

    >>> slugify("Hello, World!")
    'hello-world'
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    if max_length > 0:
        text = text[:max_length].rstrip("-")
    return text
