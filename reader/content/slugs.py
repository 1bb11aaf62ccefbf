"""Slugs: the URL-safe names of pages and sections."""

from __future__ import annotations

import re
import unicodedata

from reader.errors import InvalidSlug

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80

_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(text: str) -> str:
    """``"Politikker og Råd"`` → ``"politikker-og-raad"``; æ/ø/å become ae/oe/aa."""
    text = text.translate(_DANISH_LETTERS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")


def check_slug(slug: str) -> str:
    if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.fullmatch(slug):
        raise InvalidSlug(f"Ugyldig side: {slug[:MAX_SLUG_LENGTH]!r}")
    return slug
