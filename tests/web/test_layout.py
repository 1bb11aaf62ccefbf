"""Layout decisions that the sample pages do not reach, on hand-made page structures."""

from __future__ import annotations

import datetime as dt

import pytest

from reader.content.models import Block, BlockKind, Page, Section, Sentence
from reader.web.danish import danish_date, tel_href
from reader.web.layout import PageView, Span, layout_page, safe_href


def section(section_id: str, level: int, *texts: str, kind: BlockKind = "paragraph") -> Section:
    sentences = [Sentence(id=f"{section_id}.{n}", text=text) for n, text in enumerate(texts)]
    blocks = [Block(kind="heading", text=section_id, sentence_ids=[sentences[0].id])]
    blocks += [Block(kind=kind, text=s.text, sentence_ids=[s.id]) for s in sentences[1:]]
    return Section(
        id=section_id, heading=section_id, level=level, blocks=blocks, sentences=sentences
    )


def span_ids(view: PageView) -> list[str]:
    found: list[Span] = [*view.title]
    for node in (*view.kicker, *view.intro):
        found += [*node.spans, *(s for item in node.items for s in item.spans)]
    for part in (*view.sections, *([view.about] if view.about else [])):
        found += part.heading
        for node in part.nodes:
            found += [*node.spans, *(s for item in node.items for s in item.spans)]
    return [span.id for span in found]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://www.htk.dk/politik", "https://www.htk.dk/politik"),
        ("/media/2417/a.pdf", "/media/2417/a.pdf"),
        ("#afsnit", "#afsnit"),
        ("mailto:post@htk.dk", "mailto:post@htk.dk"),
        ("tel:+4543591000", "tel:+4543591000"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_mail_phone_and_relative_links_are_kept(
    href: str | None, expected: str | None
) -> None:
    assert safe_href(href) == expected


def test_dates_and_phone_numbers_are_written_the_danish_way() -> None:
    assert danish_date(dt.date(2015, 8, 5)) == "5. august 2015"
    assert danish_date(dt.date(2024, 12, 31)) == "31. december 2024"
    assert tel_href("43 59 10 00") == "tel:+4543591000"
    assert tel_href("+45 43 59 10 00") == "tel:+4543591000"


def test_a_page_without_a_title_section_uses_its_title_and_keeps_levels_in_order() -> None:
    page = Page(
        slug="uden-titel",
        title="Uden titel",
        sections=[
            section("dyb", 4, "Dyb", "Tekst."),
            section("dybere", 6, "Dybere", "Mere tekst."),
            section("top", 2, "Top", "Sidste tekst."),
        ],
    )
    view = layout_page(page)
    assert view.title == () and view.title_text == "Uden titel"
    assert [s.tag for s in view.sections] == ["h2", "h3", "h2"]
    assert [s.id for s in view.contents] == ["dyb", "top"]
    assert sorted(span_ids(view)) == sorted(s.id for s in page.sentences())


def test_a_sentence_no_block_claims_is_still_shown() -> None:
    orphan = section("afsnit", 2, "Afsnit", "Med en blok.")
    orphan.sentences.append(Sentence(id="afsnit.x", text="Uden blok."))
    page = Page(slug="s", title="S", sections=[section("s", 1, "S"), orphan])
    view = layout_page(page)
    assert "afsnit.x" in span_ids(view)
    assert view.sections[0].nodes[-1].spans[-1].parts[0].text == "Uden blok."


def test_an_e_mail_inside_a_link_is_not_a_second_link() -> None:
    linked = section("kontakt", 2, "Kontakt", "Skriv til post@htk.dk", kind="link")
    linked.blocks[1].href = "mailto:post@htk.dk"
    page = Page(slug="s", title="S", sections=[section("s", 1, "S"), linked])
    node = layout_page(page).sections[0].nodes[0]
    assert node.kind == "link" and node.href == "mailto:post@htk.dk"
    assert all(part.href is None for span in node.spans for part in span.parts)
