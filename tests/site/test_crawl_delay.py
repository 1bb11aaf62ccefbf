"""``Crawl-delay`` of robots.txt paces ``reader import``: the site sees its pages asked for no
closer together than it asked (measured where the site sees them come in)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from reader.config import Settings
from tests.fakes.cms import FakeCMS

REPO = Path(__file__).resolve().parents[2]
PAGES = 3
"""A few pages are enough to see the gaps between them; each gap costs the delay."""
DELAY = 1
"""Seconds robots.txt asks for (Crawl-delay is given in whole seconds by most sites)."""


@pytest.fixture
def cms() -> Iterator[FakeCMS]:
    with FakeCMS(pages=PAGES) as site:
        site.crawl_delay = DELAY
        yield site


def test_reader_import_keeps_the_crawl_delay_robots_txt_asks_for(
    site_settings: Settings, cms: FakeCMS, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "READER_CONTENT_DIR": str(site_settings.content_dir),
        "READER_DATA_DIR": str(tmp_path / "cli-var"),
        "READER_ENGINE": "espeak",
        "READER_SITE_ORIGINS": cms.base,
        "READER_SITE_ALLOW_PRIVATE": "true",
        "READER_SITE_CRAWL_DELAY": "0",  # reader's own pace out of the way: only robots.txt's
        "READER_SITE_REGION": "#content",
    }
    command = [sys.executable, "-m", "reader", "import", cms.url("/sitemaps/sider.xml")]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"{PAGES} pages: {PAGES} new")
    assert cms.counts()["/robots.txt"] == 1
    arrivals = sorted(at for path in cms.paths for at in cms.arrived(path))
    assert len(arrivals) == PAGES
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert all(gap >= DELAY for gap in gaps), gaps
