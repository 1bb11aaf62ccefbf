"""The reading view and the JSON of a page, rendered once per version of what they show.

A version is the page file's digest and, for the JSON, the state of its audio
(``Listening.audio_key``). The templates, static asset versions and base URL are fixed for the
life of the app, so they need not be part of it. The lexicon changes the JSON only through the
audio's state (fresh or stale), which is in the key.
"""

from __future__ import annotations

from starlette.templating import Jinja2Templates

from reader.audio.listen import Listening
from reader.content.models import Page
from reader.content.store import ContentStore
from reader.web.layout import layout_page
from reader.web.render_cache import RenderCache, Rendered
from reader.web.schemas import PageDocument, audio_document, oembed_address

HTML = "text/html; charset=utf-8"
JSON = "application/json"

PAGE_HTML = "page_html"
PAGE_JSON = "page_json"


class RenderedPages:
    """Blocking (the first request of a version extracts, lays out and renders): call from a
    worker thread."""

    def __init__(
        self,
        *,
        store: ContentStore,
        listening: Listening,
        templates: Jinja2Templates,
        base_url: str,
        cache: RenderCache,
    ) -> None:
        self.store = store
        self.listening = listening
        self.templates = templates
        self.base_url = base_url
        self.cache = cache

    def html(self, slug: str) -> Rendered:
        version = self.store.version(slug)
        return self.cache.get(PAGE_HTML, slug, version.digest, lambda: self._html(version.page))

    def json(self, slug: str) -> Rendered:
        version = self.store.version(slug)
        key = (version.digest, self.listening.audio_key(slug))
        return self.cache.get(PAGE_JSON, slug, key, lambda: self._json(version.page))

    def _html(self, page: Page) -> Rendered:
        context = {
            "page": page,
            "view": layout_page(page),
            "current": "page",
            "oembed": oembed_address(self.base_url, page.slug),
        }
        text = self.templates.get_template("page.html").render(context)
        return Rendered.of(text.encode("utf-8"), HTML)

    def _json(self, page: Page) -> Rendered:
        audio = audio_document(self.listening.page_audio(page.slug), page.slug, self.base_url)
        document = PageDocument.of(page, audio, self.base_url)
        return Rendered.of(document.model_dump_json().encode("utf-8"), JSON)
