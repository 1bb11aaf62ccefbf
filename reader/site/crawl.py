"""A whole site brought in: a sitemap (or a sitemap index, or one page), robots.txt obeyed.

Every page is revalidated as a lookup would, so a crawl of a site where nothing changed costs
one conditional request per page, no extraction and no engine call.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.robotparser import RobotFileParser

from reader.errors import ReaderError
from reader.site.errors import SiteGone, SiteRefused
from reader.site.fetch import GZIP_TYPES, HTML_TYPES, TEXT_TYPES, XML_TYPES, Fetched
from reader.site.service import Lookup, SiteReader
from reader.site.urls import origin_of

logger = logging.getLogger(__name__)

ROBOTS_AGENT = "reader"
MAX_SITEMAPS = 100
"""Sitemaps read at most from one index (a loop of indexes ends here too)."""
MAX_PAGES = 50_000
"""As many addresses as one sitemap may hold."""

Outcome = str
"""``new``, ``changed``, ``unchanged``, ``refused`` or ``failed``."""
OUTCOMES = ("new", "changed", "unchanged", "refused", "failed")

SITEMAP_TYPES = XML_TYPES | GZIP_TYPES
"""``sitemap.xml``, and ``sitemap.xml.gz`` (the fetcher unpacks it)."""

Progress = Callable[[int, int], None]


@dataclass
class CrawlReport:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    slugs: list[str] = field(default_factory=list)
    """The pages brought in or kept, in sitemap order, each once."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(address, why) of every page refused or failed."""

    def summary(self) -> str:
        return ", ".join(f"{self.outcomes[name]} {name}" for name in OUTCOMES)


class Crawler:
    """Reads a site's pages through a ``SiteReader``, at the polite rate the site asks for."""

    def __init__(self, site: SiteReader) -> None:
        self.site = site
        self._robots: dict[str, RobotFileParser | None] = {}

    def crawl(self, url: str, progress: Progress | None = None) -> CrawlReport:
        report = CrawlReport()
        start = self.site.fetcher.get(url, accept=HTML_TYPES | SITEMAP_TYPES)
        if _kind(start) == "html":
            addresses = [start.url]
        else:
            addresses = self._addresses(start, report)
        pace = self.site.settings.site_crawl_delay
        allowed: list[str] = []
        for address in addresses:
            why = self._disallowed(address)
            if why is None:
                allowed.append(address)
                pace = max(pace, self._delay(address))
            else:
                report.outcomes["refused"] += 1
                report.problems.append((address, why))
        total, done = len(allowed), 0

        def one(address: str) -> tuple[str, Lookup | ReaderError]:
            fetched = start if address == start.url and _kind(start) == "html" else None
            try:
                return address, self.site.refresh(address, pace=pace, fetched=fetched)
            except ReaderError as error:
                return address, error

        workers = self.site.settings.site_concurrency
        with ThreadPoolExecutor(workers, thread_name_prefix="crawl") as pool:
            for address, result in pool.map(one, allowed):
                done += 1
                if isinstance(result, ReaderError):
                    outcome = "refused" if isinstance(result, SiteRefused) else "failed"
                    report.outcomes[outcome] += 1
                    report.problems.append((address, result.message))
                elif result.stale:
                    report.outcomes["failed"] += 1
                    report.problems.append((address, result.reason or "stale"))
                else:
                    report.outcomes[result.change or "unchanged"] += 1
                    if result.slug not in report.slugs:
                        report.slugs.append(result.slug)
                if progress:
                    progress(done, total)
        return report

    def _addresses(self, first: Fetched, report: CrawlReport) -> list[str]:
        """The page addresses of a sitemap, or of every sitemap of an index, each once."""
        pending, seen_maps, found = [first], {first.url}, dict[str, None]()
        while pending:
            sitemap = pending.pop(0)
            kind, locations = _locations(sitemap)
            for location in locations:
                try:
                    address = self.site.fetcher.check(location)
                except SiteRefused as refused:
                    report.outcomes["refused"] += 1
                    report.problems.append((location, refused.message))
                    continue
                if kind == "index":
                    if address in seen_maps or len(seen_maps) >= MAX_SITEMAPS:
                        continue
                    seen_maps.add(address)
                    pending.append(self.site.fetcher.get(address, accept=SITEMAP_TYPES))
                elif len(found) < MAX_PAGES:
                    found.setdefault(address)
        return list(found)

    def _disallowed(self, address: str) -> str | None:
        robots = self._robots_of(origin_of(address))
        if robots is not None and not robots.can_fetch(ROBOTS_AGENT, address):
            return "robots.txt beder om, at siden ikke hentes"
        return None

    def _delay(self, address: str) -> float:
        robots = self._robots_of(origin_of(address))
        delay = robots.crawl_delay(ROBOTS_AGENT) if robots is not None else None
        return float(delay) if delay is not None else 0.0

    def _robots_of(self, origin: str) -> RobotFileParser | None:
        if origin not in self._robots:
            parser: RobotFileParser | None = RobotFileParser()
            try:
                answer = self.site.fetcher.get(f"{origin}/robots.txt", accept=TEXT_TYPES)
            except SiteGone:
                parser = None  # no robots.txt: everything may be read
            except ReaderError as error:
                # A site whose robots.txt cannot be read is not crawled: it may forbid it.
                logger.warning("robots.txt of %s: %s", origin, error.message)
                assert parser is not None
                parser.parse(["User-agent: *", "Disallow: /"])
            else:
                assert parser is not None
                parser.parse(answer.body.decode("utf-8", "replace").splitlines())
            self._robots[origin] = parser
        return self._robots[origin]


def _kind(fetched: Fetched) -> str:
    return "html" if fetched.content_type in HTML_TYPES else "xml"


def _locations(sitemap: Fetched) -> tuple[str, list[str]]:
    """``("index" | "pages", [loc, …])``; a sitemap that cannot be parsed holds nothing."""
    try:
        root = ElementTree.fromstring(sitemap.body)
    except ElementTree.ParseError as error:
        logger.warning("sitemap %s cannot be read: %s", sitemap.url, error)
        return "pages", []
    kind = "index" if root.tag.rsplit("}", 1)[-1] == "sitemapindex" else "pages"
    locations = [
        (element.text or "").strip()
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == "loc" and (element.text or "").strip()
    ]
    return kind, locations
