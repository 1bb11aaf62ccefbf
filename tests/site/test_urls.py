"""Site addresses: one page has one key however it is linked; slugs never meet content/."""

from __future__ import annotations

import pytest

from reader.content.slugs import SLUG_RE, check_content_slug, check_slug, is_site_slug
from reader.errors import SitePageManaged
from reader.site.errors import SiteRefused
from reader.site.urls import normalise, slug_of


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("HTTPS://WWW.HTK.DK/Borger", "https://www.htk.dk/Borger"),
        ("https://www.htk.dk:443/borger", "https://www.htk.dk/borger"),
        ("http://www.htk.dk:80/borger", "http://www.htk.dk/borger"),
        ("https://www.htk.dk:8443/borger", "https://www.htk.dk:8443/borger"),
        ("https://www.htk.dk", "https://www.htk.dk/"),
        ("https://www.htk.dk/borger#kontakt", "https://www.htk.dk/borger"),
        ("https://www.htk.dk/borger?utm_source=nyhedsbrev&fbclid=x", "https://www.htk.dk/borger"),
        ("https://www.htk.dk/a/./b/../c", "https://www.htk.dk/a/c"),
        ("https://www.htk.dk/a/b/..", "https://www.htk.dk/a/"),
        ("https://www.htk.dk/%7Eanna/%c3%a6ble", "https://www.htk.dk/~anna/%C3%A6ble"),
        ("https://www.htk.dk/æble", "https://www.htk.dk/%C3%A6ble"),
        ("https://www.htk.dk/a%2fb", "https://www.htk.dk/a%2Fb"),
        ("https://www.htk.dk./borger", "https://www.htk.dk/borger"),
        ("https://høje-taastrup.dk/", "https://xn--hje-taastrup-vjb.dk/"),
        ("http://[0:0::1]:8080/x", "http://[::1]:8080/x"),
        ("  https://www.htk.dk/borger  ", "https://www.htk.dk/borger"),
    ],
)
def test_every_way_of_linking_a_page_gives_one_address(given: str, expected: str) -> None:
    assert normalise(given) == expected


def test_named_query_parameters_are_kept_in_one_order() -> None:
    keep = {"id", "side"}
    one = normalise("https://www.htk.dk/vis?utm=1&side=2&id=7", keep)
    other = normalise("https://www.htk.dk/vis?id=7&side=2", keep)
    assert one == other == "https://www.htk.dk/vis?id=7&side=2"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://www.htk.dk/fil",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://anna:hemmelig@www.htk.dk/borger",
        "https://anna@www.htk.dk/borger",
        "https:///borger",
        "https://www.htk.dk:99999/",
        "www.htk.dk/borger",
    ],
)
def test_what_is_no_web_address_of_a_host_is_refused(url: str) -> None:
    with pytest.raises(SiteRefused):
        normalise(url)


def test_a_site_slug_is_readable_stable_and_apart_from_every_content_slug() -> None:
    url = normalise("https://www.htk.dk/borger/affald-og-genbrug")
    slug = slug_of(url)
    assert slug.startswith("htk-dk-borger-affald-og-genbrug--")
    assert slug == slug_of(normalise("HTTPS://www.htk.dk:443/borger/affald-og-genbrug#top"))
    assert is_site_slug(slug) and check_slug(slug) == slug
    assert not SLUG_RE.fullmatch(slug)
    with pytest.raises(SitePageManaged):
        check_content_slug(slug)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://www.htk.dk/a/b", "https://www.htk.dk/a-b"),
        ("https://www.htk.dk/a", "https://intra.htk.dk/a"),
        ("https://www.htk.dk/a", "http://www.htk.dk/a"),
        ("https://www.htk.dk/" + "lang-" * 30 + "x", "https://www.htk.dk/" + "lang-" * 30 + "y"),
    ],
)
def test_addresses_that_read_alike_get_different_slugs(one: str, other: str) -> None:
    first, second = slug_of(normalise(one)), slug_of(normalise(other))
    assert first != second
    assert is_site_slug(first) and is_site_slug(second)
