"""The published pages under content/pages: every word of the source text is read, in order."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from reader.content.extract import extract_page
from reader.content.models import Page
from reader.content.store import ContentStore

REPO = Path(__file__).resolve().parents[2]
PAGES = REPO / "content" / "pages"
SEEDS = Path(__file__).resolve().parent / "seeds"

SEED_OF = {
    "politikker-og-raad": "000_4e22679557cfda6d.txt",
    "forebyggelsesstrategi": "002_e36c77db498a7b63.txt",
}
SITE_CHROME = "Få siden oplæst"


def load(slug: str) -> Page:
    path = PAGES / f"{slug}.html"
    return extract_page(path.read_bytes(), slug=slug, source=path.name, max_bytes=2_000_000)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def first_missing(wanted: list[str], read: list[str]) -> int | None:
    """Index of the first word of ``wanted`` not found, in order, in ``read``."""
    position = 0
    for index, word in enumerate(wanted):
        try:
            position = read.index(word, position) + 1
        except ValueError:
            return index
    return None


def read_aloud(page: Page) -> str:
    """The page's sentences in order, with each numbered item's number, which the script says."""
    parts: list[str] = []
    for section in page.sections:
        texts = {sentence.id: sentence.text for sentence in section.sentences}
        for block in section.blocks:
            if block.kind == "list_item" and block.marker and block.marker[0].isdigit():
                parts.append(block.marker)
            parts.extend(texts[sentence_id] for sentence_id in block.sentence_ids)
    return " ".join(parts)


@pytest.mark.parametrize("slug", SEED_OF)
def test_every_word_of_the_source_text_is_read_in_order(slug: str) -> None:
    seed = (SEEDS / SEED_OF[slug]).read_text(encoding="utf-8")
    assert seed.count(SITE_CHROME) == 1
    wanted = words(seed.replace(SITE_CHROME, "", 1))
    read = words(read_aloud(load(slug)))
    missing = first_missing(wanted, read)
    assert missing is None, f"not read in order: {' '.join(wanted[missing : missing + 8])!r}"


@pytest.mark.parametrize("slug", SEED_OF)
def test_every_line_of_the_source_text_is_a_block_verbatim(slug: str) -> None:
    seed = (SEEDS / SEED_OF[slug]).read_text(encoding="utf-8")
    lines = [line.strip() for line in seed.splitlines()]
    content = [line for line in lines if line and SITE_CHROME not in line]
    content = content[: next(i for i, line in enumerate(content) if line.startswith("Opdateret"))]
    shown = {
        f"{block.marker} {block.text}" if block.marker else block.text
        for section in load(slug).sections
        for block in section.blocks
    }
    assert [line for line in content if line not in shown] == []


def test_the_order_check_notices_a_missing_or_moved_word() -> None:
    wanted = words("Opdateret 5. august 2015")
    assert first_missing(wanted, words("Siden er senest opdateret 5. august 2015.")) is None
    assert first_missing(wanted, words("Opdateret august 2015")) == 1
    assert first_missing(wanted, words("Opdateret 2015, 5. august")) == 3


@pytest.mark.parametrize("slug", SEED_OF)
def test_site_chrome_is_not_read(slug: str) -> None:
    read = " ".join(sentence.text for sentence in load(slug).sentences())
    for chrome in (SITE_CHROME, "Gå til indhold", "Forside", "Borger", "Erhverv", "•"):
        assert chrome not in read


def test_the_seed_copies_match_the_shared_seeds_when_present() -> None:
    shared = REPO.parent / "shared" / "seeds"
    for name in SEED_OF.values():
        if (shared / name).is_file():
            assert (shared / name).read_bytes() == (SEEDS / name).read_bytes()


def test_politikker_og_raad_structure() -> None:
    page = load("politikker-og-raad")
    assert (page.title, page.lang, page.breadcrumb) == (
        "Politikker og Råd",
        "da",
        ["Politikker og strategier"],
    )
    assert page.updated == dt.date(2015, 8, 5)
    assert page.responsible is not None
    assert page.responsible.unit == "Fritids- og Kulturcenter"
    assert page.responsible.phone == "43 59 10 00"
    assert [(s.id, s.level) for s in page.sections] == [
        ("politikker-og-raad", 1),
        ("integrationsraadet", 2),
        ("integrations-og-medborgerskabspolitik", 2),
        ("boerne-og-ungepolitik", 2),
        ("om-siden", 2),
    ]
    assert page.sentences()[0].text == "Politikker og strategier"

    by_kind: dict[str, list[tuple[str | None, str | None]]] = {}
    for section in page.sections:
        for block in section.blocks:
            by_kind.setdefault(block.kind, []).append((block.marker, block.href))
    assert [marker for marker, _ in by_kind["list_item"]] == ["•"] * 5 + [
        f"{n}." for n in range(1, 6)
    ]
    links = [href or "" for _, href in by_kind["link"]]
    assert len(links) == 3 and all(h.startswith("/media/") and h.endswith(".pdf") for h in links)
    assert [href for _, href in by_kind["contact"]] == [
        "mailto:JamillaJa@htk.dk",
        "tel:+4543591318",
        "tel:+4543591000",
        "tel:+4543591000",
    ]


def test_forebyggelsesstrategi_structure() -> None:
    page = load("forebyggelsesstrategi")
    assert page.title == "Forebyggelsesstrategi"
    assert page.updated == dt.date(2016, 11, 28)
    assert page.responsible is not None
    assert (page.responsible.unit, page.responsible.phone) == ("Byrådscenter", "43 59 10 00")
    assert [s.heading for s in page.sections] == [
        "Forebyggelsesstrategi",
        "Børn og unge i udsatte positioner",
        "Sådan forebygger vi",
        "Om siden",
    ]


@pytest.mark.parametrize("slug", SEED_OF)
def test_sentence_ids_are_unique_webvtt_cue_ids(slug: str) -> None:
    sentence_ids = [sentence.id for sentence in load(slug).sentences()]
    assert len(set(sentence_ids)) == len(sentence_ids)
    for sentence_id in sentence_ids:
        assert "-->" not in sentence_id
        assert not re.search(r"\s", sentence_id)


def test_the_content_store_reads_every_page() -> None:
    store = ContentStore(PAGES, max_bytes=2_000_000)
    assert set(SEED_OF) <= set(store.slugs())
    assert [page.slug for page in store.pages()] == store.slugs()
