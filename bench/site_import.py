"""(i) ``reader import`` of a 50-page municipal site, then a re-crawl with nothing changed.

Both run in process against the fake CMS of the tests (``tests/fakes/cms.py``) on 127.0.0.1,
with espeak-ng and an empty data directory, and no crawl delay (the polite rate is for real
sites; here it would only measure sleeping). The first import fetches, extracts and builds
every page; the re-crawl revalidates (one conditional request per page, answered 304) and
builds again, which must find every page fresh: no extraction, no engine call.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench._result import Result, median, progress
from bench.corpus import copy_content
from reader.config import Settings
from reader.services import Services, build_services
from reader.site.crawl import Crawler
from tests.fakes.cms import FakeCMS

NAME = "site-import"
PAGES = 50
TARGET = 0.1
"""The re-crawl of an unchanged site, against the first import, at most."""


def _import(services: Services, sitemap: str) -> tuple[float, float, int, int]:
    """(crawl seconds, crawl + build seconds, pages brought in, clips synthesised)."""
    started = time.perf_counter()
    report = Crawler(services.site).crawl(sitemap)
    crawled = time.perf_counter() - started
    made = sum(services.builder.build(slug).synthesised for slug in report.slugs)
    return crawled, time.perf_counter() - started, len(report.slugs), made


def _once(scratch: Path) -> dict[str, float]:
    with FakeCMS(pages=PAGES) as cms:
        settings = Settings(
            content_dir=copy_content(scratch / "content"),
            data_dir=scratch / "data",
            engine="espeak",
            site_origins=[cms.base],
            site_allow_private=True,
            site_crawl_delay=0.0,
            site_region="#content",
        )
        services = build_services(settings)
        try:
            sitemap = cms.url("/sitemap.xml")
            crawl, first, pages, made = _import(services, sitemap)
            extractions = services.site.stats.extractions
            cms.forget()
            recrawl, again, _, made_again = _import(services, sitemap)
            conditional = sum(
                "if-none-match" in headers for path in cms.paths for headers in cms.seen(path)
            )
            return {
                "crawl": crawl,
                "first": first,
                "pages": pages,
                "made": made,
                "recrawl": recrawl,
                "again": again,
                "made_again": made_again,
                "extractions_again": services.site.stats.extractions - extractions,
                "not_modified": conditional,
            }
        finally:
            services.close()


def run(repeat: int) -> Result:
    runs: list[dict[str, float]] = []
    for index in range(repeat):
        progress(f"{NAME}: run {index + 1} of {repeat}")
        with tempfile.TemporaryDirectory() as scratch:
            runs.append(_once(Path(scratch)))

    def med(key: str) -> float:
        return median([sample[key] for sample in runs])

    ratio = med("again") / med("first")
    silent = all(s["made_again"] == 0 and s["extractions_again"] == 0 for s in runs)
    return Result(
        name=NAME,
        ours=med("again"),
        reference=med("first"),
        unit="s",
        ratio=ratio,
        target=f"recrawl/import <= {TARGET}, 0 engine calls",
        meets=ratio <= TARGET and silent,
        details=[
            f"import of {med('pages'):.0f} pages: crawl {med('crawl'):.3f} s "
            f"({med('pages') / med('crawl'):.0f} pages/s), with audio {med('first'):.3f} s, "
            f"{med('made'):.0f} clips synthesised",
            f"re-crawl of the unchanged site: crawl {med('recrawl'):.3f} s "
            f"({med('pages') / med('recrawl'):.0f} pages/s), {med('not_modified'):.0f} "
            f"conditional requests, {med('extractions_again'):.0f} extractions, "
            f"{med('made_again'):.0f} clips synthesised",
        ],
        samples={key: [sample[key] for sample in runs] for key in runs[0]},
    )
