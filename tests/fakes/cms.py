"""A municipality's CMS on 127.0.0.1: generated pages in the markup of a real municipal site.

Each page has the site's header and menu, a breadcrumb, a content region with an id
(``#content``) holding the hosted reader's "Lyt" link and a self-service box marked
``rs_skip``, and a footer. The site also has ``sitemap.xml`` (a sitemap index of two
sitemaps), ``robots.txt``, ETag and Last-Modified with 304 answers, a redirect inside the site
and one to another origin, a 404, a 500, a slow page, a page over any sane size limit and a PDF::

    with FakeCMS(pages=50) as cms:
        cms.url("/borger/affald-og-genbrug")
        cms.edit(cms.paths[0], "Den nye sætning.")
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from xml.sax.saxutils import escape

TOPICS = (
    "Affald og genbrug", "Byggetilladelse", "Pas og kørekort", "Folkeregister", "Skolestart",
    "Dagpleje", "Vuggestue", "Børnehave", "Fritidsklub", "Ældrepleje", "Hjemmehjælp",
    "Madservice", "Hjælpemidler", "Boligstøtte", "Parkering", "Vejarbejde", "Snerydning",
    "Kulturhuse", "Biblioteker", "Idrætshaller", "Svømmehal", "Foreningsstøtte", "Naturpleje",
    "Vandløb", "Klima", "Beredskab", "Jobcenter", "Kontanthjælp", "Sygedagpenge",
    "Førtidspension", "Handicap", "Misbrug", "Psykiatri", "Sundhedspleje", "Tandpleje",
    "Genoptræning", "Integration", "Valg", "Byråd", "Politikker", "Høringer", "Lokalplaner",
    "Erhverv", "Turisme", "Kollektiv trafik", "Cykelstier", "Gadebelysning", "Kirkegårde",
    "Skadedyr", "Digital post",
)  # fmt: skip
AREAS = ("borger", "erhverv", "politik")
VERBS = ("søger", "bestiller", "ændrer", "melder", "finder", "læser om", "klager over")
WHO = ("borgere", "familier", "virksomheder", "foreninger", "pensionister", "unge")
WHEN = ("hverdage", "i weekenden", "hele året", "i skoleferien", "efter aftale")

NOT_FOUND = "/findes-ikke"
ERROR = "/fejl"
SLOW = "/langsom"
LARGE = "/stor-side"
PDF = "/dokumenter/plan.pdf"
MOVED = "/gammel-side"
AWAY = "/ekstern"
PRIVATE = "/intern/noter"
"""Disallowed by robots.txt."""
SLOW_HOLD = 30.0
"""Seconds the slow page is held at most (far longer than a test's site timeout)."""
LARGE_BYTES = 3_000_000
UNSIZED = "/stor-side-uden-laengde"
"""As large, sent without Content-Length: only counting the bytes finds out."""
NO_LENGTH = "X-Fake-No-Length"
PACKED = "/sitemaps/sider.xml.gz"
"""The pages' sitemap as a gzip file."""
ENCODED = "/sitemaps/sider-indkodet.xml"
"""The pages' sitemap sent with ``Content-Encoding: gzip``."""
BOMB = "/sitemaps/bombe.xml.gz"
"""A few kilobytes of gzip that unpack to far more than any sane size limit."""
ENCODED_BOMB = "/sitemaps/bombe-indkodet.xml"
BOMB_BYTES = 20_000_000


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", " ": "-"})
    return text.lower().translate(table)


def paragraph(number: int, part: int) -> str:
    """A deterministic, page-specific sentence or two, as a municipal page words them."""
    topic = TOPICS[number % len(TOPICS)].lower()
    verb = VERBS[(number + part) % len(VERBS)]
    who = WHO[(number * 3 + part) % len(WHO)]
    when = WHEN[(number + 2 * part) % len(WHEN)]
    return (
        f"Her kan {who} se, hvordan man {verb} {topic} i Høje-Taastrup Kommune. "
        f"Borgerservice hjælper {when}, og sagen nr. {1000 + 37 * number + part} "
        f"behandles inden for {part + 2} uger."
    )


@dataclass
class SitePage:
    path: str
    title: str
    area: str
    number: int
    extra: list[str] = field(default_factory=list)
    """Sentences an edit added, read at the end of the first section."""
    modified: float = 1_700_000_000.0

    def html(self, base: str, script: str = "") -> str:
        first = [paragraph(self.number, 0), *self.extra]
        return PAGE_TEMPLATE.format(
            script=script,
            title=escape(self.title),
            area=self.area.capitalize(),
            area_path=f"/{self.area}",
            canonical=f"{base}{self.path}",
            lead="".join(f"<p>{escape(text)}</p>" for text in first),
            second=escape(paragraph(self.number, 1)),
            third=escape(paragraph(self.number, 2)),
            item_a=escape(f"Ansøgning om {self.title.lower()}"),
            item_b=escape(f"Frister for {self.title.lower()}"),
            updated=f"{1 + self.number % 28}. marts 2025",
        )


PAGE_TEMPLATE = """<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | Høje-Taastrup Kommune</title>
<link rel="canonical" href="{canonical}">
<style>
  body {{ font: 1rem/1.5 Arial, sans-serif; color: #222; background: #fff; }}
  header a, nav a, footer a, .skip-link {{ display: inline-block; min-height: 24px; padding: 4px; }}
</style>
</head>
<body>
<a class="skip-link" href="#content">Gå til indhold</a>
<header class="site-header">
  <a class="logo" href="/">Høje-Taastrup Kommune</a>
  <nav aria-label="Hovedmenu"><ul>
    <li><a href="/borger">Borger</a></li><li><a href="/erhverv">Erhverv</a></li>
    <li><a href="/politik">Politik</a></li></ul></nav>
  <form role="search" action="/soeg"><label>Søg <input name="q"></label></form>
</header>
<nav class="breadcrumb" aria-label="Brødkrumme"><ol>
  <li><a href="/">Forside</a></li><li><a href="{area_path}">{area}</a></li>
  <li aria-current="page">{title}</li></ol></nav>
<div class="page-wrapper">
<aside class="sidebar"><h2>Se også</h2><ul><li><a href="/borger">Alle emner</a></li></ul></aside>
<main id="content" class="content">
  {script}
  <div id="readspeaker_button1" class="rs_skip rsbtn rs_preserve">
    <a rel="nofollow" class="rsbtn_play" accesskey="L"
       title="Lyt til denne side med ReadSpeaker webReader"
       href="https://app-eu.readspeaker.com/cgi-bin/rsent?customerid=1&amp;lang=da_dk&amp;readid=content"><span
       class="rsbtn_left rsimg rspart"><span class="rsbtn_text"><span>Lyt</span></span></span></a>
  </div>
  <h1>{title}</h1>
  {lead}
  <div class="selfservice-box rs_skip">
    <h2>Selvbetjening</h2><p>Log ind med MitID for at se din sag.</p>
  </div>
  <h2>Sådan gør du</h2>
  <p>{second}</p>
  <ul><li>{item_a}</li><li>{item_b}</li></ul>
  <h2>Kontakt</h2>
  <p>{third}</p>
  <p class="updated">Opdateret {updated}</p>
</main>
</div>
<footer class="site-footer">
  <p>Høje-Taastrup Kommune, Bygaden 2, 2630 Taastrup. Telefon 43 59 10 00.</p>
  <ul><li><a href="/cookies">Cookies</a></li>
    <li><a href="/tilgaengelighed">Tilgængelighed</a></li></ul>
</footer>
</body>
</html>
"""


class FakeCMS:
    """The site, on a loopback port. Records every request (path and its headers)."""

    def __init__(self, pages: int = 50) -> None:
        self.pages: dict[str, SitePage] = {}
        for number in range(pages):
            topic = TOPICS[number % len(TOPICS)]
            suffix = f"-{number // len(TOPICS) + 1}" if number >= len(TOPICS) else ""
            area = AREAS[number % len(AREAS)]
            path = f"/{area}/{_slug(topic)}{suffix}"
            self.pages[path] = SitePage(path, topic + suffix.replace("-", " "), area, number)
        self._lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[tuple[str, float]] = []
        """(path, ``time.monotonic()``) of every request, as the site saw it come in."""
        self.crawl_delay: int | None = None
        """``Crawl-delay`` of robots.txt, in seconds; None: robots.txt asks for none."""
        self.in_flight = 0
        self.most_in_flight = 0
        """Requests for the slow page being held at once, now and at most."""
        self.script = ""
        """Markup put at the top of every page's content (the reader's embed script)."""
        self.broken: set[str] = set()
        """Paths that answer 500 for now, as a CMS in trouble does."""
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.elsewhere = f"http://127.0.0.2:{self._server.server_address[1]}"
        """Another origin (loopback, where nothing listens): redirects to it are refused."""

    @property
    def paths(self) -> list[str]:
        return list(self.pages)

    def url(self, path: str) -> str:
        return self.base + path

    def edit(self, path: str, sentence: str) -> None:
        """Add one sentence to a page, as an editor does on the CMS."""
        with self._lock:
            page = self.pages[path]
            page.extra.append(sentence)
            page.modified += 60

    def seen(self, path: str) -> list[dict[str, str]]:
        """The headers of every request for ``path``, in order."""
        with self._lock:
            return [headers for seen, headers in self.requests if seen == path]

    def arrived(self, path: str) -> list[float]:
        """When each request for ``path`` came in (``time.monotonic()``), in order."""
        with self._lock:
            return [at for seen, at in self.arrivals if seen == path]

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(path for path, _ in self.requests)

    def forget(self) -> None:
        with self._lock:
            self.requests.clear()
            self.arrivals.clear()

    def __enter__(self) -> FakeCMS:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)

    # What each address answers: (status, headers, body).

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append((path, headers))
            self.arrivals.append((path, time.monotonic()))
            if path in self.broken:
                return 500, {"Content-Type": "text/plain"}, b"Intern fejl"
            page = self.pages.get(path)
            body = page.html(self.base, self.script).encode() if page else b""
            modified = page.modified if page else 0.0
        if page is not None:
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            stamp = formatdate(modified, usegmt=True)
            validators = {"ETag": etag, "Last-Modified": stamp}
            if headers.get("if-none-match") == etag:
                return 304, validators, b""
            return 200, {"Content-Type": "text/html; charset=utf-8", **validators}, body
        if path == "/favicon.ico":
            return 200, {"Content-Type": "image/svg+xml"}, FAVICON
        if path == "/robots.txt":
            delay = "" if self.crawl_delay is None else f"Crawl-delay: {self.crawl_delay}\n"
            text = f"User-agent: *\n{delay}Disallow: /intern/\n\nSitemap: {self.base}/sitemap.xml\n"
            return 200, {"Content-Type": "text/plain"}, text.encode()
        if path == "/sitemap.xml":
            return 200, _XML, self._index()
        if path.startswith("/sitemaps/"):
            return self._sitemap(path)
        if path == MOVED:
            return 301, {"Location": self.paths[0]}, b""
        if path == AWAY:
            return 302, {"Location": f"{self.elsewhere}/borger"}, b""
        if path == ERROR:
            return 500, {"Content-Type": "text/plain"}, b"Intern fejl"
        if path == SLOW:
            with self._lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.release.wait(SLOW_HOLD)
            with self._lock:
                self.in_flight -= 1
            return 200, {"Content-Type": "text/html"}, b"<html><h1>Langsom</h1></html>"
        if path == LARGE:
            filler = b"<p>" + b"Fyld. " * (LARGE_BYTES // 6) + b"</p>"
            return 200, {"Content-Type": "text/html"}, b"<html><h1>Stor</h1>" + filler
        if path == UNSIZED:
            filler = b"<p>" + b"Fyld. " * (LARGE_BYTES // 6) + b"</p>"
            return 200, {"Content-Type": "text/html", NO_LENGTH: "1"}, filler
        if path == PDF:
            return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        return 404, {"Content-Type": "text/html"}, b"<html><h1>Siden findes ikke</h1></html>"

    def _index(self) -> bytes:
        entries = "".join(
            f"<sitemap><loc>{self.base}/sitemaps/{name}.xml</loc></sitemap>"
            for name in ("sider", "andet")
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>"
        ).encode()

    def _sitemap(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path in (PACKED, ENCODED):
            _, _, plain = self._sitemap("/sitemaps/sider.xml")
            if path == PACKED:
                return 200, {"Content-Type": "application/gzip"}, gzip.compress(plain)
            return 200, {**_XML, "Content-Encoding": "gzip"}, gzip.compress(plain)
        if path in (BOMB, ENCODED_BOMB):
            urlset = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            padded = (urlset + " " * BOMB_BYTES + "</urlset>").encode()
            packed = gzip.compress(padded, compresslevel=9)
            if path == BOMB:
                return 200, {"Content-Type": "application/x-gzip"}, packed
            return 200, {**_XML, "Content-Encoding": "gzip"}, packed
        if path == "/sitemaps/sider.xml":
            listed = self.paths
        elif path == "/sitemaps/andet.xml":
            listed = [MOVED, AWAY, NOT_FOUND, ERROR, PDF, PRIVATE]
        else:
            return 404, {"Content-Type": "text/plain"}, b""
        urls = "".join(f"<url><loc>{escape(self.base + item)}</loc></url>" for item in listed)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        )
        return 200, _XML, body.encode()


_XML = {"Content-Type": "application/xml"}
FAVICON = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1"/></svg>'


def _handler(cms: FakeCMS) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer, body = cms.answer(self.path.split("?", 1)[0], headers)
            try:
                self.send_response(status)
                for name, value in answer.items():
                    if name != NO_LENGTH:
                        self.send_header(name, value)
                if NO_LENGTH in answer:
                    self.close_connection = True  # the end of the body is the end of the stream
                else:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout, a size limit): as a real server sees it

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
