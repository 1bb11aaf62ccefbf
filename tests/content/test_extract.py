"""Extraction: what is read, in which sections and blocks, and which ids it gets."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from reader.content.models import Block, Page

from .builders import BREADCRUMB, FOOTER, extract, page_html, texts

SECTIONED = """
<h1>Politikker og Råd</h1>
<p>Indledning. Mere indledning.</p>
<h2>Integrationsrådet</h2>
<p>Rådet vejleder byrådet. Det fremmer dialog.</p>
<h3>Medlemmer</h3>
<p>Rådet har ni medlemmer.</p>
<h2>Børne- og Ungepolitik</h2>
<p>Politikken har fem temaer.</p>
"""


def blocks(page: Page, kind: str) -> list[Block]:
    return [block for section in page.sections for block in section.blocks if block.kind == kind]


def ids(page: Page) -> dict[str, str]:
    """Sentence text → id."""
    return {sentence.text: sentence.id for sentence in page.sentences()}


# Sections


def test_the_first_section_is_the_title_and_each_heading_starts_one() -> None:
    page = extract(page_html(SECTIONED))
    assert page.title == "Politikker og Råd"
    assert [(s.id, s.heading, s.level) for s in page.sections] == [
        ("politikker-og-raad", "Politikker og Råd", 1),
        ("integrationsraadet", "Integrationsrådet", 2),
        ("medlemmer", "Medlemmer", 3),
        ("boerne-og-ungepolitik", "Børne- og Ungepolitik", 2),
    ]
    first = page.sections[0]
    assert [b.kind for b in first.blocks] == ["heading", "paragraph"]
    assert [s.text for s in first.sentences] == [
        "Politikker og Råd",
        "Indledning.",
        "Mere indledning.",
    ]


def test_every_heading_level_down_to_h6_starts_a_section() -> None:
    main = "<h1>Titel</h1>" + "".join(
        f"<h{n}>Niveau {n}</h{n}><p>Tekst {n}.</p>" for n in range(2, 7)
    )
    page = extract(page_html(main))
    assert [s.level for s in page.sections] == [1, 2, 3, 4, 5, 6]
    assert page.sections[5].sentences[-1].text == "Tekst 6."


def test_repeated_headings_get_numbered_ids_and_om_siden_stays_reserved() -> None:
    main = "<h1>Titel</h1><h2>Kontakt</h2><p>a</p><h2>Kontakt</h2><p>b</p><h2>Om siden</h2><p>c</p>"
    page = extract(page_html(main, after=FOOTER))
    assert [s.id for s in page.sections] == [
        "titel",
        "kontakt",
        "kontakt-2",
        "om-siden-2",
        "om-siden",
    ]


def test_a_heading_without_letters_or_digits_gets_a_fallback_id() -> None:
    page = extract(page_html("<h1>Titel</h1><h2>– ? –</h2><p>Tekst.</p>"))
    assert page.sections[1].id == "afsnit"


def test_section_ids_stay_when_another_section_is_edited() -> None:
    before = extract(page_html(SECTIONED))
    edited = SECTIONED.replace("Rådet har ni medlemmer.", "Rådet har elleve medlemmer. Nyt.")
    edited = edited.replace("<h2>Børne- og Ungepolitik</h2>", "<h2>Børnepolitik</h2>")
    after = extract(page_html(edited))
    assert [s.id for s in after.sections][:3] == [s.id for s in before.sections][:3]
    assert after.sections[3].id == "boernepolitik"


def test_sentence_ids_stay_when_a_neighbouring_sentence_changes() -> None:
    before = ids(extract(page_html(SECTIONED)))
    after = ids(extract(page_html(SECTIONED.replace("Det fremmer dialog.", "Det skaber dialog."))))
    assert after["Rådet vejleder byrådet."] == before["Rådet vejleder byrådet."]
    assert after["Rådet har ni medlemmer."] == before["Rådet har ni medlemmer."]
    assert after["Det skaber dialog."] != before["Det fremmer dialog."]
    assert set(after.values()) - {after["Det skaber dialog."]} <= set(before.values())


def test_sentence_ids_name_their_section_and_number_repeats() -> None:
    page = extract(
        page_html("<h1>Titel</h1><h2>Tider</h2><p>Åbent.</p><p>Lukket.</p><p>Åbent.</p>")
    )
    sentence_ids = [s.id for s in page.sections[1].sentences]
    assert all(re.fullmatch(r"tider\.[0-9a-f]{8}(-\d+)?", i) for i in sentence_ids)
    heading, opened, closed, opened_again = sentence_ids
    assert opened_again == opened + "-2"
    assert len({heading, opened, closed, opened_again}) == 4


def test_blocks_list_their_sentences_in_order() -> None:
    page = extract(page_html(SECTIONED))
    for section in page.sections:
        assert [i for b in section.blocks for i in b.sentence_ids] == [
            s.id for s in section.sentences
        ]


def test_without_h1_the_document_title_is_read_as_the_heading() -> None:
    page = extract(page_html("<p>Kun tekst.</p>"))
    assert page.title == "Testside"
    assert texts(page) == ["Testside", "Kun tekst."]


# Blocks


def test_breadcrumb_is_read_first_without_the_home_link_or_the_page_itself() -> None:
    crumbs = BREADCRUMB.replace(
        "</ol>", '<li><a href="/politik/raad" aria-current="page">Politikker og Råd</a></li></ol>'
    )
    page = extract(page_html(SECTIONED, before=crumbs))
    assert page.breadcrumb == ["Politikker og strategier"]
    first = page.sections[0].blocks[0]
    assert (first.kind, first.text) == ("context", "Politikker og strategier")
    assert texts(page)[:2] == ["Politikker og strategier", "Politikker og Råd"]


def test_a_breadcrumb_is_also_found_by_its_class_and_is_optional() -> None:
    crumbs = (
        '<ol class="breadcrumb"><li><a href="/">Forside</a> ›</li>'
        '<li><a href="/politik">Politik</a> ›</li></ol>'
    )
    html = page_html("<h1>T</h1>", before=crumbs).replace("<body>", '<body class="breadcrumb-on">')
    assert extract(html).breadcrumb == ["Politik"]

    bare = extract(page_html("<h1>T</h1>"))
    assert bare.breadcrumb == []
    assert [b.kind for b in bare.sections[0].blocks] == ["heading"]


def test_lists_have_markers_that_honour_start_and_value_and_nest() -> None:
    main = """
    <h1>Lister</h1>
    <ul><li>punkt</li><li>andet punkt
      <ol start="3"><li>tre</li><li>fire</li><li value="10">ti</li><li>elleve</li></ol>
      fortsat</li></ul>
    <ol reversed><li>sidst</li><li>først</li></ol>
    """
    items = blocks(extract(page_html(main)), "list_item")
    assert [(b.marker, b.text) for b in items] == [
        ("•", "punkt"),
        ("•", "andet punkt"),
        ("3.", "tre"),
        ("4.", "fire"),
        ("10.", "ti"),
        ("11.", "elleve"),
        ("2.", "sidst"),
        ("1.", "først"),
    ]


def test_list_markers_stay_on_the_block_never_in_a_sentence() -> None:
    main = (
        "<h1>T</h1><ol><li>Det første er trivsel. Det er vigtigt.</li></ol><ul><li>punkt</li></ul>"
    )
    page = extract(page_html(main))
    assert texts(page)[1:] == ["Det første er trivsel.", "Det er vigtigt.", "punkt"]
    assert [b.marker for b in page.sections[0].blocks[1:]] == ["1.", "•"]


def test_list_items_wrapped_in_paragraphs_keep_their_kind() -> None:
    main = "<h1>T</h1><ul><li><p>først</p><p>mere</p></li></ul>"
    items = extract(page_html(main)).sections[0].blocks[1:]
    assert [(b.kind, b.marker, b.text) for b in items] == [
        ("list_item", "•", "først"),
        ("paragraph", None, "mere"),
    ]


def test_a_paragraph_of_only_a_link_is_a_link_block() -> None:
    main = """<h1>T</h1>
    <p> <a href="/media/1/politik.pdf">Læs politikken her</a> </p>
    <p>Se <a href="/media/2/plan.pdf">planen</a> for detaljer.</p>
    <a href="/media/3/bilag.pdf">Bilag</a>
    """
    found = [(b.kind, b.href, b.text) for b in extract(page_html(main)).sections[0].blocks[1:]]
    assert found == [
        ("link", "/media/1/politik.pdf", "Læs politikken her"),
        ("paragraph", None, "Se planen for detaljer."),
        ("link", "/media/3/bilag.pdf", "Bilag"),
    ]


def test_address_blocks_are_contacts_with_their_mailto_or_tel_link() -> None:
    main = """<h1>T</h1>
    <address>Kontakt: Jamilla Jaffer: <a href="mailto:JamillaJa@htk.dk">JamillaJa@htk.dk</a>
    </address>
    <address>Kontakt: Jamilla Jaffer, telefon <a href="tel:+4543591318">43 59 13 18</a>.</address>
    <address>Kontakt: Borgerservice</address>
    """
    found = [(b.kind, b.href, b.text) for b in extract(page_html(main)).sections[0].blocks[1:]]
    assert found == [
        ("contact", "mailto:JamillaJa@htk.dk", "Kontakt: Jamilla Jaffer: JamillaJa@htk.dk"),
        ("contact", "tel:+4543591318", "Kontakt: Jamilla Jaffer, telefon 43 59 13 18."),
        ("contact", None, "Kontakt: Borgerservice"),
    ]


def test_tables_are_read_row_by_row_with_their_headers() -> None:
    main = """<h1>T</h1>
    <table>
      <caption>Åbningstider</caption>
      <thead><tr><th>Dag</th><th>Åbent</th><th>Telefon</th></tr></thead>
      <tbody>
        <tr><th>Mandag</th><td>kl. 10.00-15.00</td><td>43 59 10 00</td></tr>
        <tr><th>Tirsdag</th><td>Lukket</td><td></td></tr>
      </tbody>
    </table>
    """
    page = extract(page_html(main))
    assert [b.text for b in blocks(page, "paragraph")] == ["Åbningstider"]
    assert [b.text for b in blocks(page, "table_row")] == [
        "Mandag, Åbent: kl. 10.00-15.00, Telefon: 43 59 10 00",
        "Tirsdag, Åbent: Lukket",
    ]


def test_line_breaks_separate_sentences() -> None:
    main = "<h1>T</h1><address>Høje-Taastrup Kommune<br>Bygaden 2<br/>2630 Taastrup</address>"
    page = extract(page_html(main))
    assert texts(page)[1:] == ["Høje-Taastrup Kommune", "Bygaden 2", "2630 Taastrup"]
    assert blocks(page, "contact")[0].text == "Høje-Taastrup Kommune Bygaden 2 2630 Taastrup"


def test_inline_markup_does_not_split_words_or_sentences() -> None:
    main = (
        "<h1>T</h1><p>Børne<em>-</em> og <strong>Unge</strong>politik er <a href='/x'>her</a>.</p>"
    )
    assert texts(extract(page_html(main)))[1:] == ["Børne- og Ungepolitik er her."]


# What is not read

HIDDEN_CASES = {
    "data-reader-skip": "<p data-reader-skip>SKJULT</p>",
    "hidden attribute": "<div hidden><p>SKJULT</p></div>",
    "aria-hidden": '<span aria-hidden="true">SKJULT</span>',
    "display none": '<p style="display: none">SKJULT</p>',
    "script": "<script>var x = 'SKJULT';</script>",
    "style": "<style>p::after { content: 'SKJULT'; }</style>",
    "template": "<template><p>SKJULT</p></template>",
    "noscript": "<noscript>SKJULT</noscript>",
    "nav": '<nav aria-label="Sidemenu"><a href="/a">SKJULT</a></nav>',
    "aside": "<aside><p>SKJULT</p></aside>",
    "form controls": (
        "<form><label>Søg <input value='SKJULT'></label><select><option>SKJULT</option>"
        "</select><textarea>SKJULT</textarea><button>SKJULT</button></form>"
    ),
    "comment": "<!-- SKJULT -->",
    "image": '<img src="/x.jpg" alt="SKJULT">',
}


@pytest.mark.parametrize("markup", HIDDEN_CASES.values(), ids=HIDDEN_CASES.keys())
def test_hidden_and_non_content_elements_are_not_read(markup: str) -> None:
    page = extract(page_html(f"<h1>Titel</h1><p>Før.</p>{markup}<p>Efter.</p>"))
    assert "SKJULT" not in " ".join(texts(page))
    assert texts(page) == ["Titel", "Før.", "Efter."]


def test_site_chrome_outside_main_is_not_read() -> None:
    chrome = '<header><a href="/">Høje-Taastrup Kommune</a></header>' + BREADCRUMB
    page = extract(page_html("<h1>Titel</h1><p>Tekst.</p>", before=chrome, after=FOOTER))
    assert [s.text for s in page.sections[0].sentences] == [
        "Politikker og strategier",
        "Titel",
        "Tekst.",
    ]


@pytest.mark.parametrize(
    "html",
    [
        page_html("<article><header><h1>Titel</h1><p>Manchet.</p></header><p>Tekst.</p></article>"),
        page_html("<header><h1>Titel</h1><p>Manchet.</p></header><p>Tekst.</p>"),
        "<body><div data-reader-root><header><h1>Titel</h1><p>Manchet.</p></header>"
        "<p>Tekst.</p></div></body>",
    ],
    ids=["in an article", "in main", "in the marked region"],
)
def test_a_header_inside_the_content_is_read(html: str) -> None:
    assert texts(extract(html)) == ["Titel", "Manchet.", "Tekst."]


@pytest.mark.parametrize(
    "button",
    [
        '<ul><li><a href="/pages/x" data-reader-button>Få siden oplæst</a></li></ul>',
        '<ul class="tools"><li>• <a href="#">Få siden oplæst</a></li></ul>',
        '<p><button type="button">Få siden oplæst</button></p>',
        '<div data-reader-button><a href="/lyt">Lyt til siden</a></div>',
    ],
    ids=["marked", "by its text", "a button", "marked with other words"],
)
def test_the_read_aloud_button_and_its_list_item_are_not_read(button: str) -> None:
    page = extract(page_html(f"{button}<h1>Titel</h1><p>Tekst.</p>"))
    assert texts(page) == ["Titel", "Tekst."]
    assert not blocks(page, "list_item")


def test_data_reader_root_wins_over_main() -> None:
    html = page_html("<p>Uden for.</p><div data-reader-root><h1>Titel</h1><p>Inde.</p></div>")
    assert texts(extract(html)) == ["Titel", "Inde."]


# Page metadata


def test_footer_metadata_are_fields_and_a_final_section() -> None:
    page = extract(page_html("<h1>Titel</h1><p>Tekst.</p>", after=FOOTER))
    assert page.updated == dt.date(2015, 8, 5)
    assert page.responsible is not None
    assert (page.responsible.unit, page.responsible.phone) == (
        "Fritids- og Kulturcenter",
        "43 59 10 00",
    )
    about = page.sections[-1]
    assert (about.id, about.heading, about.level) == ("om-siden", "Om siden", 2)
    assert [s.text for s in about.sentences] == [
        "Om siden",
        "Siden er senest opdateret 5. august 2015.",
        "Ansvar for denne side: Fritids- og Kulturcenter.",
        "T: 43 59 10 00.",
    ]
    assert about.blocks[-1].kind == "contact"
    assert about.blocks[-1].href == "tel:+4543591000"


def test_metadata_are_found_in_a_plain_footer_without_markers() -> None:
    footer = """<footer><div class="meta">
      <p>Opdateret 28. november 2016</p>
      <p>Ansvar for denne side</p><p>Byrådscenter</p><p>T: 43 59 10 00</p>
    </div></footer>"""
    page = extract(page_html("<h1>Titel</h1>", after=footer))
    assert page.updated == dt.date(2016, 11, 28)
    assert page.responsible is not None
    assert (page.responsible.unit, page.responsible.phone) == ("Byrådscenter", "43 59 10 00")
    assert texts(page)[-3:] == [
        "Siden er senest opdateret 28. november 2016.",
        "Ansvar for denne side: Byrådscenter.",
        "T: 43 59 10 00.",
    ]


def test_missing_metadata_are_left_out() -> None:
    footer = "<footer><p>Opdateret <time datetime='2020-01-02'>2/1 2020</time></p></footer>"
    page = extract(page_html("<h1>Titel</h1>", after=footer))
    assert page.updated == dt.date(2020, 1, 2)
    assert page.responsible is None
    assert texts(page)[-1] == "Siden er senest opdateret 2. januar 2020."

    bare = extract(page_html("<h1>Titel</h1>"))
    assert (bare.updated, bare.responsible) == (None, None)
    assert [s.id for s in bare.sections] == ["titel"]


def test_a_footer_inside_main_is_read_once_as_metadata() -> None:
    page = extract(page_html(f"<h1>Titel</h1><article><p>Tekst.</p>{FOOTER}</article>"))
    assert " ".join(texts(page)).count("Fritids- og Kulturcenter") == 1


@pytest.mark.parametrize(
    ("attribute", "expected"), [(' lang="da"', "da"), (' lang="da-DK"', "da-DK"), ("", "da")]
)
def test_language_comes_from_the_html_element(attribute: str, expected: str) -> None:
    assert extract(page_html("<h1>T</h1>", lang=attribute)).lang == expected
