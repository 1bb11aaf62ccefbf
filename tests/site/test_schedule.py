"""The crawl scheduled in the service: off by default; when on, it brings the site in at
start-up, and each later crawl hands on only the pages whose text changed."""

from __future__ import annotations

import anyio
import pytest

from reader.config import Settings
from reader.services import build_services
from reader.site.schedule import CrawlSchedule
from reader.speech.engines.choice import EngineChoice
from reader.web.app import create_app
from tests.fakes.cms import FakeCMS
from tests.fakes.engines import ToneEngine
from tests.web.conftest import client_for

POLLS = 400


def test_each_crawl_hands_on_new_and_changed_pages_only(
    site_settings: Settings, cms: FakeCMS
) -> None:
    services = build_services(site_settings, EngineChoice((ToneEngine(),), None))
    changed: list[str] = []
    schedule = CrawlSchedule(
        services.site, url=cms.url("/sitemap.xml"), interval=3600, on_changed=changed.append
    )
    try:
        first = schedule.run_once()
        assert first is not None and len(changed) == len(cms.paths)
        changed.clear()
        assert schedule.run_once() is not None and changed == []
        cms.edit(cms.paths[3], "En ny sætning om åbningstiderne.")
        again = schedule.run_once()
    finally:
        services.close()
    assert again is not None and again.outcomes["changed"] == 1
    assert len(changed) == 1 and changed[0] in again.slugs


def test_it_is_off_unless_a_sitemap_is_named(site_settings: Settings) -> None:
    services = build_services(site_settings, EngineChoice((ToneEngine(),), None))
    try:
        schedule = CrawlSchedule(
            services.site,
            url=site_settings.site_crawl_url,
            interval=site_settings.site_crawl_interval,
            on_changed=lambda slug: None,
        )
        assert site_settings.site_crawl_url == "" and not schedule.enabled
    finally:
        services.close()


@pytest.mark.anyio
async def test_the_service_crawls_the_site_at_start_up(
    site_settings: Settings, cms: FakeCMS
) -> None:
    settings = site_settings.model_copy(
        update={"site_crawl_url": cms.url("/sitemaps/sider.xml"), "site_listed": True}
    )
    app = create_app(settings, engines=EngineChoice((ToneEngine(ms_per_char=2),), None))
    async with client_for(app) as client:
        for _ in range(POLLS):
            listed = (await client.get("/api/pages")).json()
            if sum("--" in page["slug"] for page in listed) >= len(cms.paths):
                break
            await anyio.sleep(0.05)
    titles = {page["title"] for page in listed}
    assert {page.title for page in cms.pages.values()} <= titles
