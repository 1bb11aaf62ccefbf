"""Small pages for the extraction tests, shaped like the CMS's pages."""

from __future__ import annotations

from reader.content.extract import extract_page
from reader.content.models import Page

SOURCE = "test.html"
LIMIT = 1_000_000

BREADCRUMB = """
<nav aria-label="Brødkrumme"><ol>
  <li><a href="/">Forside</a></li>
  <li><a href="/politik/politikker-og-strategier">Politikker og strategier</a></li>
</ol></nav>
"""

FOOTER = """
<footer class="site-footer">
  <div data-reader-meta>
    <p data-reader-updated>Opdateret <time datetime="2015-08-05">5. august 2015</time></p>
    <div data-reader-responsible>
      <h2>Ansvar for denne side</h2>
      <p data-reader-unit>Fritids- og Kulturcenter</p>
      <p>T: <a href="tel:+4543591000" data-reader-phone>43 59 10 00</a></p>
    </div>
  </div>
</footer>
"""


def page_html(
    main: str,
    *,
    before: str = "",
    after: str = "",
    head: str = '<meta charset="utf-8">',
    lang: str = ' lang="da"',
) -> str:
    """A full page with ``main`` as the content of <main>; chrome goes in ``before``/``after``."""
    return (
        f"<!doctype html><html{lang}><head>{head}<title>Testside | Høje-Taastrup Kommune</title>"
        f"</head><body>{before}<main>{main}</main>{after}</body></html>"
    )


def extract(html: str | bytes, *, slug: str = "test", max_bytes: int = LIMIT) -> Page:
    data = html.encode("utf-8") if isinstance(html, str) else html
    return extract_page(data, slug=slug, source=SOURCE, max_bytes=max_bytes)


def texts(page: Page) -> list[str]:
    return [sentence.text for sentence in page.sentences()]


TOPICS = ("borgere", "skolen", "vejene", "haverne", "biblioteket", "planen", "rådet", "ældre")


def long_page_html(sentences: int, *, per_section: int = 10, word: str = "sætning") -> str:
    """A page of ``sentences`` different sentences in sections of ``per_section``: enough work
    for a build to be seen in progress. ``word`` makes two long pages differ from each other."""
    sections = []
    for start in range(0, sentences, per_section):
        count = min(per_section, sentences - start)
        body = " ".join(
            f"Denne {word} nummer {start + i} handler om {TOPICS[(start + i) % len(TOPICS)]}."
            for i in range(count)
        )
        sections.append(f"<h2>Emne {start // per_section + 1}</h2><p>{body}</p>")
    return page_html("<h1>En lang side</h1>" + "".join(sections))
