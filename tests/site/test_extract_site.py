"""The markup sites already have for a hosted reader: the region named by a selector (its
``readid``) and the classes to skip (``rs_skip``), next to today's rules."""

from __future__ import annotations

import pytest

from reader.content.extract import extract_page
from tests.fakes.cms import FakeCMS

HOSTED = """<!DOCTYPE html><html lang="da"><head><title>Affald | Kommune</title></head><body>
<header><a href="/">Kommune</a></header>
<div class="intro"><p>Velkommen til kommunens hjemmeside.</p></div>
<div id="indhold">
  <div class="rsbtn rs_preserve"><a href="https://app-eu.readspeaker.com/x">Lyt</a></div>
  <h1>Affald</h1>
  <p>Tømning sker hver anden uge.</p>
  <div class="boks rs_skip"><p>Log ind for at se din sag.</p></div>
  <div class="reklame"><p>Se vores nye app.</p></div>
  <p>Storskrald hentes efter aftale.</p>
</div></body></html>""".encode()

WELCOME = "Velkommen til kommunens hjemmeside."
LOG_IN = "Log ind for at se din sag."
ADVERT = "Se vores nye app."


def texts(region: str, skip: tuple[str, ...]) -> list[str]:
    page = extract_page(
        HOSTED, slug="x", source="x", max_bytes=100_000, region=region, skip_classes=skip
    )
    return [sentence.text for sentence in page.sentences()]


def test_the_region_and_the_skip_classes_decide_what_is_read() -> None:
    read = texts("#indhold", ("rs_skip", "rsbtn"))
    assert read == [
        "Affald",
        "Tømning sker hver anden uge.",
        "Se vores nye app.",
        "Storskrald hentes efter aftale.",
    ]


@pytest.mark.parametrize(
    ("region", "skip", "present", "absent"),
    [
        ("", ("rs_skip", "rsbtn"), WELCOME, LOG_IN),
        ("#indhold", (), LOG_IN, WELCOME),
        ("#indhold", ("rs_skip", "reklame"), "Storskrald hentes efter aftale.", ADVERT),
        ("#findes-ikke", ("rs_skip",), WELCOME, LOG_IN),
    ],
    ids=["no-region-reads-the-body", "no-skip-classes", "own-skip-class", "missing-region"],
)
def test_each_rule_on_its_own(
    region: str, skip: tuple[str, ...], present: str, absent: str
) -> None:
    read = texts(region, skip)
    assert present in read and absent not in read


def test_a_cms_page_is_read_without_its_chrome_and_hosted_reader() -> None:
    with FakeCMS(pages=1) as cms:
        data = cms.pages[cms.paths[0]].html(cms.base).encode()
    page = extract_page(
        data,
        slug="x",
        source="x",
        max_bytes=100_000,
        region="#content",
        skip_classes=("rs_skip", "rsbtn"),
    )
    read = " ".join(sentence.text for sentence in page.sentences())
    assert page.title == cms.pages[cms.paths[0]].title
    for chrome in ("Lyt", "Selvbetjening", "Hovedmenu", "Se også", "Bygaden", "Gå til indhold"):
        assert chrome not in read
