"""Pages for the web tests: the repository's real pages, and one that exercises every block kind."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REAL_SLUGS = sorted(path.stem for path in (REPO / "content" / "pages").glob("*.html"))

SAMPLE_SLUG = "proevesiden"
SAMPLE_HTML = """<!doctype html>
<html lang="da">
<head><meta charset="utf-8"><title>Prøvesiden | Høje-Taastrup Kommune</title></head>
<body>
<nav aria-label="Brødkrumme"><ol>
  <li><a href="/">Forside</a></li>
  <li><a href="/politik">Politik</a></li>
  <li><a href="/politik/strategier">Strategier</a></li>
</ol></nav>
<main>
  <h1>Prøvesiden</h1>
  <p>Siden viser alle slags indhold. Den har to sætninger.</p>
  <h2>Tal og punkter</h2>
  <ol start="3">
    <li>Tredje punkt er først.</li>
    <li>Fjerde punkt følger.</li>
    <li value="9">Niende punkt springer frem.</li>
  </ol>
  <ul><li>Et punkt uden tal.</li><li>Et til.</li></ul>
  <h4>Et dybt afsnit</h4>
  <p>Overskriften springer et niveau over.</p>
  <h2>Skema og links</h2>
  <table>
    <tr><th>Navn</th><th>Telefon</th></tr>
    <tr><td>Borgerservice</td><td>43 59 10 00</td></tr>
  </table>
  <p><a href="javascript:alert(1)">Et farligt link</a></p>
  <p><a href="https://www.htk.dk/politik">Kommunens hjemmeside</a></p>
  <address>Skriv til <a href="mailto:post@htk.dk">post@htk.dk</a> eller ring på
    <a href="tel:+4543591000">43 59 10 00</a>.</address>
  <p>Sekretariatet: boerne-og-ungeraadgivningscenterets.sekretariat@hoeje-taastrup.dk</p>
</main>
<footer>
  <p data-reader-updated>Opdateret <time datetime="2024-03-01">1. marts 2024</time></p>
  <div data-reader-responsible><p data-reader-unit>Byrådscenter</p>
  <p>T: <a href="tel:+4543591000" data-reader-phone>43 59 10 00</a></p></div>
</footer>
</body>
</html>
"""


def add_sample_page(pages_dir: Path) -> str:
    (pages_dir / f"{SAMPLE_SLUG}.html").write_text(SAMPLE_HTML, encoding="utf-8")
    return SAMPLE_SLUG
