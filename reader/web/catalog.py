"""The pages a listing shows: every page that can be read, in a stable order."""

from __future__ import annotations

import logging

from reader.content.models import Page
from reader.content.store import ContentStore
from reader.errors import ReaderError

logger = logging.getLogger(__name__)


def readable_pages(store: ContentStore) -> list[Page]:
    """Blocking. A page that fails extraction is logged and left out, so one broken file does
    not take the whole index down; its own address still answers with the error."""
    pages: list[Page] = []
    for slug in store.listed_slugs():
        try:
            pages.append(store.load(slug))
        except ReaderError as error:
            logger.warning("left out of the listing: %s", error.message)
    return sorted(pages, key=lambda page: danish_sort_key(page.title))


# In the Danish alphabet æ, ø and å come after z, in that order.
_AFTER_Z = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}"})


def danish_sort_key(text: str) -> str:
    return text.casefold().translate(_AFTER_Z)
