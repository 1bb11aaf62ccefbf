"""The whole site: ``reader import`` of a sitemap index, robots.txt obeyed, and a re-crawl of
an unchanged site that costs conditional requests only: no extraction, no engine call."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.config import Settings
from reader.services import Services, build_services
from reader.site.crawl import Crawler
from reader.speech.engines.choice import EngineChoice
from tests.fakes.cms import AWAY, ERROR, NOT_FOUND, PDF, PRIVATE, FakeCMS
from tests.fakes.engines import ToneEngine

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine() -> ToneEngine:
    return ToneEngine(ms_per_char=2)


@pytest.fixture
def services(site_settings: Settings, engine: ToneEngine) -> Iterator[Services]:
    built = build_services(site_settings, EngineChoice((engine,), None))
    try:
        yield built
    finally:
        built.close()


def build_all(services: Services, slugs: list[str]) -> None:
    for slug in slugs:
        services.builder.build(slug)


def test_an_import_of_a_sitemap_index_brings_in_every_allowed_page(
    services: Services, cms: FakeCMS
) -> None:
    report = Crawler(services.site).crawl(cms.url("/sitemap.xml"))
    assert report.outcomes["new"] == len(cms.paths)
    assert report.outcomes["unchanged"] == 1  # the old address that redirects to a page
    refused = {url for url, why in report.problems if "robots" in why or "udenfor" in why}
    assert refused == {cms.url(PRIVATE), cms.url(AWAY)}
    failed = {address for address, _ in report.problems} - refused
    assert failed == {cms.url(NOT_FOUND), cms.url(ERROR), cms.url(PDF)}
    assert report.outcomes["refused"] == len(refused) and report.outcomes["failed"] == len(failed)
    assert cms.counts()[PRIVATE] == 0
    assert len(report.slugs) == len(cms.paths)
    assert sorted(report.slugs) == sorted(services.store.slugs()[-len(cms.paths) :])
    assert services.builder.status(report.slugs[0]).title == cms.pages[cms.paths[0]].title


def test_a_recrawl_of_an_unchanged_site_costs_no_extraction_and_no_engine_call(
    services: Services, cms: FakeCMS, engine: ToneEngine
) -> None:
    crawler = Crawler(services.site)
    first = crawler.crawl(cms.url("/sitemap.xml"))
    build_all(services, first.slugs)
    extractions, calls = services.site.stats.extractions, engine.calls
    cms.forget()
    again = Crawler(services.site).crawl(cms.url("/sitemap.xml"))
    build_all(services, again.slugs)
    assert again.outcomes["unchanged"] == len(cms.paths) + 1
    assert again.outcomes["new"] == again.outcomes["changed"] == 0
    assert services.site.stats.extractions == extractions
    assert engine.calls == calls
    # Every page was asked once with its validators (its old address once more, plainly).
    for path in cms.paths:
        asked = cms.seen(path)
        assert sum("if-none-match" in request for request in asked) == 1
        assert sum("if-modified-since" in request for request in asked) == 1
        assert len(asked) == (2 if path == cms.paths[0] else 1)


def test_an_edited_page_costs_exactly_its_changed_sentences(
    services: Services, cms: FakeCMS, engine: ToneEngine
) -> None:
    first = Crawler(services.site).crawl(cms.url("/sitemap.xml"))
    build_all(services, first.slugs)
    calls = engine.calls
    cms.edit(cms.paths[10], "Tilmelding sker senest tre dage før.")
    again = Crawler(services.site).crawl(cms.url("/sitemap.xml"))
    build_all(services, again.slugs)
    assert again.outcomes["changed"] == 1
    assert again.outcomes["unchanged"] == len(cms.paths)
    new = engine.texts[calls:]
    assert len(new) == 1 and "Tilmelding sker senest" in new[0]


def test_an_import_of_one_page_fetches_it_once(services: Services, cms: FakeCMS) -> None:
    report = Crawler(services.site).crawl(cms.url(cms.paths[0]))
    assert report.outcomes["new"] == 1 and len(report.slugs) == 1
    assert cms.counts()[cms.paths[0]] == 1


def test_a_sitemap_on_another_origin_is_refused(services: Services, cms: FakeCMS) -> None:
    from reader.site.errors import SiteRefused

    with pytest.raises(SiteRefused):
        Crawler(services.site).crawl(cms.elsewhere + "/sitemap.xml")


def test_reader_import_prints_progress_and_a_summary_and_builds(
    site_settings: Settings, cms: FakeCMS, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "READER_CONTENT_DIR": str(site_settings.content_dir),
        "READER_DATA_DIR": str(tmp_path / "cli-var"),
        "READER_ENGINE": "espeak",
        "READER_SITE_ORIGINS": cms.base,
        "READER_SITE_ALLOW_PRIVATE": "true",
        "READER_SITE_CRAWL_DELAY": "0",
        "READER_SITE_REGION": "#content",
    }
    command = [sys.executable, "-m", "reader", "import", cms.url("/sitemaps/sider.xml")]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    total = len(cms.paths)
    assert done.stdout.strip() == (
        f"{total} pages: {total} new, 0 changed, 0 unchanged, 0 refused, 0 failed"
    )
    assert f"{total}/{total} pages" in done.stderr
    one = [*command[:4], cms.url(cms.paths[0]), "--build"]
    built = subprocess.run(one, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    lines = built.stdout.strip().splitlines()
    assert lines[0] == "1 pages: 0 new, 0 changed, 1 unchanged, 0 refused, 0 failed"
    assert lines[1].startswith("1 pages built:") and "clips synthesised" in lines[1]


def test_reader_import_without_allowed_sites_says_what_to_set(tmp_path: Path) -> None:
    env = {**os.environ, "READER_DATA_DIR": str(tmp_path / "var")}
    command = [sys.executable, "-m", "reader", "import", "https://www.htk.dk/sitemap.xml"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "READER_SITE_ORIGINS" in done.stderr and len(done.stderr.strip().splitlines()) == 1
