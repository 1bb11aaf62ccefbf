"""The fetcher: only allowed origins, only allowed addresses (checked before connecting and
on the address connected to), HTML only, bounded in size and time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from reader.config import Settings
from reader.errors import PageTooLarge, ReaderError
from reader.site.errors import NotAPage, SiteGone, SiteRefused, SiteTimeout, SiteUnreachable
from reader.site.fetch import Fetcher
from reader.site.service import policy_of
from tests.fakes.cms import AWAY, ERROR, LARGE, MOVED, NOT_FOUND, PDF, SLOW, UNSIZED, FakeCMS
from tests.site.network import LoopbackOnly

NAMES = {
    "cms.htk.test": ["127.0.0.1"],
    "intern.htk.test": ["10.0.0.5"],
    "metadata.htk.test": ["169.254.169.254"],
    "blandet.htk.test": ["8.8.8.8", "192.168.1.20"],
    "offentlig.htk.test": ["8.8.8.8"],
}
"""Names the tests resolve themselves: no question ever reaches DNS."""


def resolve(host: str, port: int) -> list[str]:
    return NAMES.get(host, [host])


def fetcher_for(settings: Settings, network: LoopbackOnly, origins: list[str]) -> Fetcher:
    policy = policy_of(settings.model_copy(update={"site_origins": origins}))
    return Fetcher(policy, resolve=resolve, network=network)


@pytest.mark.parametrize(
    ("origin", "allow_private"),
    [
        ("http://10.0.0.1", False),
        ("http://169.254.169.254", True),
        ("http://0.0.0.0", True),
        ("http://100.64.0.1", True),
        ("http://224.0.0.1", True),
        ("http://[fe80::1]", True),
        ("http://[::ffff:169.254.169.254]", True),
        ("http://intern.htk.test", False),
        ("http://metadata.htk.test", True),
        ("http://blandet.htk.test", False),
        ("http://127.0.0.1", False),
        ("http://[::1]", False),
        ("http://[::ffff:10.0.0.1]", False),
        ("http://192.168.0.10", False),
    ],
)
def test_a_private_or_special_address_is_refused_before_any_connection(
    site_settings: Settings, cms: FakeCMS, origin: str, allow_private: bool
) -> None:
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    settings = site_settings.model_copy(update={"site_allow_private": allow_private})
    fetcher = fetcher_for(settings, network, [origin])
    try:
        with pytest.raises(SiteRefused, match="netværksadresse"):
            fetcher.get(f"{origin}/borger")
    finally:
        fetcher.close()
    assert network.asked == []


def test_the_address_actually_connected_to_is_checked_too(
    site_settings: Settings, cms: FakeCMS
) -> None:
    # The name says public; the connection lands on loopback (a rebinding, a transparent proxy).
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    settings = site_settings.model_copy(update={"site_allow_private": False})
    fetcher = fetcher_for(settings, network, ["http://offentlig.htk.test"])
    try:
        with pytest.raises(SiteRefused, match="127.0.0.1"):
            fetcher.get("http://offentlig.htk.test" + cms.paths[0])
    finally:
        fetcher.close()
    assert network.asked == ["8.8.8.8"]
    assert cms.seen(cms.paths[0]) == []


def test_a_name_is_connected_to_by_the_address_that_was_checked(
    site_settings: Settings, cms: FakeCMS
) -> None:
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    fetcher = fetcher_for(site_settings, network, ["http://cms.htk.test"])
    try:
        fetched = fetcher.get("http://cms.htk.test" + cms.paths[0])
    finally:
        fetcher.close()
    assert fetched.status == 200 and b"<h1>" in fetched.body
    assert network.asked == ["127.0.0.1"]
    assert cms.seen(cms.paths[0])[0]["host"] == "cms.htk.test"


Case = Callable[[FakeCMS], str]


@pytest.mark.parametrize(
    ("address", "error"),
    [
        (lambda cms: cms.elsewhere + "/borger", SiteRefused),
        (lambda cms: cms.url(AWAY), SiteRefused),
        (lambda cms: cms.base.replace("://", "://anna:hemmelig@") + "/borger", SiteRefused),
        (lambda cms: cms.base.rsplit(":", 1)[0] + ":22/", SiteRefused),
        (lambda cms: cms.base.replace("http://", "https://") + "/borger", SiteRefused),
        (lambda cms: cms.url(PDF), NotAPage),
        (lambda cms: cms.url(LARGE), PageTooLarge),
        (lambda cms: cms.url(UNSIZED), PageTooLarge),
        (lambda cms: cms.url(SLOW), SiteTimeout),
        (lambda cms: cms.url(ERROR), SiteUnreachable),
        (lambda cms: cms.url(NOT_FOUND), SiteGone),
    ],
    ids=[
        "other-origin", "redirect-out", "credentials", "odd-port", "other-scheme", "pdf",
        "oversize", "oversize-unsized", "timeout", "server-error", "not-found",
    ],
)  # fmt: skip
def test_what_the_fetcher_refuses(
    site_settings: Settings, cms: FakeCMS, address: Case, error: type[ReaderError]
) -> None:
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    fetcher = fetcher_for(site_settings, network, [cms.base])
    try:
        with pytest.raises(error):
            fetcher.get(address(cms))
    finally:
        fetcher.close()
    # Nothing but the CMS itself was ever connected to.
    assert set(network.asked) <= {"127.0.0.1"}


def test_a_redirect_inside_the_site_is_followed_and_named(
    site_settings: Settings, cms: FakeCMS
) -> None:
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    fetcher = fetcher_for(site_settings, network, [cms.base])
    try:
        fetched = fetcher.get(cms.url(MOVED))
    finally:
        fetcher.close()
    assert fetched.redirected and fetched.url == cms.url(cms.paths[0])


def test_requests_name_reader_and_revalidate(site_settings: Settings, cms: FakeCMS) -> None:
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    fetcher = fetcher_for(site_settings, network, [cms.base])
    try:
        first = fetcher.get(cms.url(cms.paths[0]))
        second = fetcher.get(cms.url(cms.paths[0]), etag=first.etag)
    finally:
        fetcher.close()
    assert second.status == 304 and second.body == b""
    sent = cms.seen(cms.paths[0])
    assert sent[0]["user-agent"].startswith("reader/")
    assert site_settings.base_url in sent[0]["user-agent"]
    assert "if-none-match" not in sent[0] and sent[1]["if-none-match"] == first.etag


GRACE = 0.3
"""Seconds a request beyond the bound is given to arrive, if it wrongly could."""


def test_requests_to_one_site_in_flight_are_bounded(site_settings: Settings, cms: FakeCMS) -> None:
    settings = site_settings.model_copy(update={"site_concurrency": 2, "site_timeout": 60.0})
    network = LoopbackOnly(int(cms.base.rsplit(":", 1)[1]))
    fetcher = fetcher_for(settings, network, [cms.base])
    threads = [threading.Thread(target=fetcher.get, args=(cms.url(SLOW),)) for _ in range(5)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(400):
            if cms.in_flight >= settings.site_concurrency:
                break
            time.sleep(0.05)
        time.sleep(GRACE)
        held = cms.in_flight
    finally:
        cms.release.set()
        for thread in threads:
            thread.join(timeout=60)
        fetcher.close()
    assert held == settings.site_concurrency
    assert cms.most_in_flight == settings.site_concurrency
    assert len(cms.seen(SLOW)) == len(threads)
