"""A municipality's CMS on 127.0.0.1 and the settings of a reader allowed to read it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from tests.fakes.cms import FakeCMS

SITE_TIMEOUT = 1.0
"""Seconds a request to the CMS may take in the tests; the slow page is held far longer."""
MAX_PAGE_BYTES = 200_000


@pytest.fixture
def cms() -> Iterator[FakeCMS]:
    with FakeCMS(pages=50) as site:
        yield site


@pytest.fixture
def site_settings(settings: Settings, cms: FakeCMS) -> Settings:
    """The CMS runs on loopback, so private addresses are allowed here (and only here)."""
    return settings.model_copy(
        update={
            "site_origins": [cms.base],
            "site_allow_private": True,
            "site_timeout": SITE_TIMEOUT,
            "site_crawl_delay": 0.0,
            "site_region": "#content",
            "max_page_bytes": MAX_PAGE_BYTES,
        }
    )


@pytest.fixture
def data_dir(site_settings: Settings) -> Path:
    return site_settings.data_dir


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
