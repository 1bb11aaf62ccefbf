"""Sitemaps packed with gzip: ``sitemap.xml.gz`` and ``Content-Encoding: gzip`` are read
unpacked, and what unpacks past the size limit (a decompression bomb) is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reader.config import Settings
from reader.errors import PageTooLarge
from reader.services import Services, build_services
from reader.site.crawl import Crawler
from reader.speech.engines.choice import EngineChoice
from tests.fakes.cms import BOMB, BOMB_BYTES, ENCODED, ENCODED_BOMB, PACKED, FakeCMS
from tests.fakes.engines import ToneEngine


@pytest.fixture
def services(site_settings: Settings) -> Iterator[Services]:
    built = build_services(site_settings, EngineChoice((ToneEngine(ms_per_char=2),), None))
    try:
        yield built
    finally:
        built.close()


@pytest.mark.parametrize("path", [PACKED, ENCODED], ids=["xml.gz", "content-encoding"])
def test_a_sitemap_packed_with_gzip_brings_in_every_page(
    services: Services, cms: FakeCMS, path: str
) -> None:
    report = Crawler(services.site).crawl(cms.url(path))
    assert report.outcomes["new"] == len(cms.paths) and not report.problems
    assert cms.seen(path)[0]["accept-encoding"] == "gzip"


@pytest.mark.parametrize("path", [BOMB, ENCODED_BOMB], ids=["xml.gz", "content-encoding"])
def test_a_sitemap_that_unpacks_past_the_limit_is_refused(
    services: Services, site_settings: Settings, cms: FakeCMS, path: str
) -> None:
    assert BOMB_BYTES > site_settings.max_page_bytes  # only the unpacked size is over it
    with pytest.raises(PageTooLarge, match="pakkes ud") as refused:
        Crawler(services.site).crawl(cms.url(path))
    assert str(site_settings.max_page_bytes) in refused.value.message
    assert not any(cms.counts()[page] for page in cms.paths)  # no page was asked for
