"""Bad input: pages that are still read, and pages refused with an error that names the file."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from reader.errors import ContentError, PageTooLarge

from .builders import LIMIT, SOURCE, extract, page_html, texts


@dataclass(frozen=True)
class Reads:
    """The page is extracted; these sentences are among what is read, and these words are not."""

    sentences: tuple[str, ...]
    absent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fails:
    """The page is refused with ``error``, whose message contains ``words``."""

    error: type[ContentError]
    words: tuple[str, ...] = ()


DANISH = "<h1>Børne- og Ungepolitik</h1><p>’Trivsel og fællesskaber’ – for alle.</p>"
DEEP_LIST = "<h1>Dybt</h1>" + "".join(f"<ul><li>niveau {n}" for n in range(3000))
GARBAGE = random.Random(7).randbytes(4096).replace(b"\x00", b"\x01")

CASES = [
    pytest.param(
        "<h1>Kon&#1;trol</h1><p>Et\x08 tegn&#xFFFF; og \x9fmere&#127;.</p>"
        '<p title="a&#2;b">Slut\x1b[2J her.</p>',
        Reads(("Kontrol", "Et tegn og mere.", "Slut[2J her.")),
        id="control characters and characters XML cannot carry are dropped",
    ),
    pytest.param(
        "<html><body><main><h1>Titel<p>Første afsnit.<p>Andet afsnit.<ul><li>et<li>to</main>",
        Reads(("Titel", "Første afsnit.", "Andet afsnit.", "et", "to")),
        id="unclosed tags",
    ),
    pytest.param(
        b"<h1>Et udsnit</h1><p>Tekst uden <b>html, head eller body.",
        Reads(("Et udsnit", "Tekst uden html, head eller body.")),
        id="a fragment",
    ),
    pytest.param(
        page_html("", head='<meta charset="utf-8">')
        .replace("<main></main>", '<header>Sidehoved</header><nav><a href="/">Menu</a></nav>'
                  "<h1>Uden main</h1><p>Brødtekst.</p><footer>Sidefod</footer>")
        .encode(),
        Reads(("Uden main", "Brødtekst."), absent=("Sidehoved", "Menu", "Sidefod")),
        id="no main: body minus chrome",
    ),
    pytest.param(
        page_html(DANISH, head='<meta charset="iso-8859-1">').encode("cp1252"),
        Reads(("Børne- og Ungepolitik", "’Trivsel og fællesskaber’ – for alle.")),
        id="iso-8859-1 declared, windows-1252 bytes",
    ),
    pytest.param(
        page_html(
            DANISH.replace("’", "'").replace("–", "-"),
            head='<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
        ).encode("latin-1"),
        Reads(("Børne- og Ungepolitik", "'Trivsel og fællesskaber' - for alle.")),
        id="latin-1 via http-equiv",
    ),
    pytest.param(
        page_html(DANISH, head='<meta charset="base64">').encode(),
        Reads(("Børne- og Ungepolitik",)),
        id="a charset that is not a text encoding",
    ),
    pytest.param(
        page_html(DANISH, head="").encode("cp1252"),
        Reads(("Børne- og Ungepolitik",)),
        id="windows-1252 without a declaration",
    ),
    pytest.param(
        b"\xef\xbb\xbf" + page_html(DANISH, head="").encode(),
        Reads(("Børne- og Ungepolitik",)),
        id="utf-8 with a byte order mark",
    ),
    pytest.param(
        page_html(DANISH, head="").encode("utf-16"),
        Reads(("Børne- og Ungepolitik",)),
        id="utf-16 with a byte order mark",
    ),
    pytest.param(
        page_html(DEEP_LIST).encode(),
        Reads(("Dybt", "niveau 0", "niveau 1")),
        id="3000 nested lists",
    ),
    pytest.param(
        page_html("<div>" * 5000 + "<h1>Inderst</h1><p>Tekst.</p>").encode(),
        Reads(("Inderst", "Tekst.")),
        id="5000 nested divs",
    ),
    pytest.param(b"", Fails(ContentError, (SOURCE, "empty")), id="empty file"),
    pytest.param(b" \n\t\n", Fails(ContentError, (SOURCE, "empty")), id="only whitespace"),
    pytest.param(
        page_html("").encode(), Fails(ContentError, (SOURCE, "no readable text")), id="empty main"
    ),
    pytest.param(
        page_html(
            '<ul><li><a href="/lyt" data-reader-button>Få siden oplæst</a></li></ul>'
            "<script>document.write('x')</script><p hidden>Skjult</p>"
        ).encode(),
        Fails(ContentError, (SOURCE, "no readable text")),
        id="nothing readable",
    ),
    pytest.param(
        b"Bare tekst, ingen html.", Fails(ContentError, (SOURCE, "no HTML")), id="plain text"
    ),
    pytest.param(
        page_html(DANISH).encode("cp1252"),
        Fails(ContentError, (SOURCE, "utf-8")),
        id="declares utf-8 but is not",
    ),
    pytest.param(
        page_html("<h1>T</h1>" + "<p>fyld</p>" * 100_000).encode(),
        Fails(PageTooLarge, (SOURCE, str(LIMIT))),
        id="over the size limit",
    ),
    pytest.param(
        page_html("<h1>T</h1><p>a\x00b</p>").encode(),
        Fails(ContentError, (SOURCE, "NUL")),
        id="NUL bytes",
    ),
    pytest.param(GARBAGE, Fails(ContentError, (SOURCE,)), id="binary garbage"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n" + GARBAGE, Fails(ContentError, (SOURCE,)), id="an image file"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_bad_input(data: str | bytes, expected: Reads | Fails) -> None:
    if isinstance(expected, Fails):
        with pytest.raises(expected.error) as caught:
            extract(data)
        for word in expected.words:
            assert word in caught.value.message
        return
    read = texts(extract(data))
    assert set(expected.sentences) <= set(read)
    assert not any(word in text for word in expected.absent for text in read)


def test_deep_nesting_reads_every_level() -> None:
    read = " ".join(texts(extract(page_html(DEEP_LIST))))
    assert all(f"niveau {n}" in read for n in range(3000))
