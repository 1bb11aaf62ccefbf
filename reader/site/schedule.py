"""The crawl of ``reader import``, run by the service itself every ``READER_SITE_CRAWL_INTERVAL``
seconds when ``READER_SITE_CRAWL_URL`` names a sitemap (off by default).

It revalidates, so a crawl of a site where nothing changed costs one 304 per page; a page whose
text changed gets new audio (only its changed sentences are spoken) through ``on_changed``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from reader.errors import ReaderError
from reader.site.crawl import Crawler, CrawlReport
from reader.site.service import SiteReader

logger = logging.getLogger(__name__)


class CrawlSchedule:
    def __init__(
        self,
        site: SiteReader,
        *,
        url: str,
        interval: float,
        on_changed: Callable[[str], None],
    ) -> None:
        self.site = site
        self.url = url
        self.interval = interval
        self.on_changed = on_changed
        self.last: CrawlReport | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url) and self.interval > 0 and self.site.enabled

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="site-crawl", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_once(self) -> CrawlReport | None:
        """One crawl now; None when the sitemap itself could not be read (logged)."""
        before = {slug: self.site.pages.stored(slug) for slug in self.site.pages.slugs()}
        try:
            report = Crawler(self.site).crawl(self.url)
        except ReaderError as error:
            logger.warning("site crawl of %s failed: %s", self.url, error.message)
            return None
        for slug in report.slugs:
            if self.site.pages.stored(slug) is not before.get(slug):
                self.on_changed(slug)
        logger.info("site crawl of %s: %s", self.url, report.summary())
        self.last = report
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval)
