"""Slugs: the URL-safe names of pages and sections."""

from __future__ import annotations

import re
import unicodedata

from reader.errors import InvalidSlug, ReservedSlug, SitePageManaged

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80

SITE_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*--[0-9a-f]{10}$")
"""A page read from an allowed site by its address: readable words, ``--``, a hash of the
address. A slug of ``content/`` never holds ``--``, so the two can never collide."""

RESERVED_SLUGS = frozenset({"lookup"})
"""Names routes of ``/api/pages/`` use themselves (``GET /api/pages/lookup?url=…``): a page by
one of them could never be reached, so none is ever given one."""

_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


def slugify(text: str) -> str:
    """``"Politikker og Råd"`` → ``"politikker-og-raad"``; æ/ø/å become ae/oe/aa."""
    text = text.translate(_DANISH_LETTERS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")


def is_site_slug(slug: str) -> bool:
    return len(slug) <= MAX_SLUG_LENGTH and SITE_SLUG_RE.fullmatch(slug) is not None


def check_slug(slug: str) -> str:
    """A slug of either source: a page of ``content/`` or a page read from a site."""
    if is_site_slug(slug):
        return slug
    return check_content_slug(slug)


def check_content_slug(slug: str) -> str:
    if is_site_slug(slug):
        raise SitePageManaged(
            f"Siden {slug!r} hentes fra webstedet efter sin adresse: den ændres på webstedet "
            "og hentes igen derfra, ikke gemmes, slettes eller rulles tilbage i reader"
        )
    if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.fullmatch(slug):
        raise InvalidSlug(f"Ugyldig side: {slug[:MAX_SLUG_LENGTH]!r}")
    if slug in RESERVED_SLUGS:
        raise ReservedSlug(
            f"Navnet {slug!r} bruges af reader selv (/api/pages/{slug}); giv siden et andet navn"
        )
    return slug
