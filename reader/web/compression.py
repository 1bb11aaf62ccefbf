"""gzip for the text answers that are made per request (scripts, styles, WebVTT, feeds, JSON).

The reading view and the page JSON come compressed already, once per version
(``reader.web.render_cache``): an answer that has a ``Content-Encoding`` is passed on untouched.
Audio never reaches this layer (``AudioFiles`` answers it further out); any other answer that
is not text, a partial one (206) or one to a Range request is not compressed either.

Starlette's ``GZipMiddleware`` compresses by a list of types to leave out (so an unknown type
would be compressed), takes ``gzip;q=0`` for a yes, and keeps the ETag of the uncompressed
bytes on the compressed ones; this layer names the types it compresses, reads the q-values, and
gives the gzip variant its own ETag (``"…-gzip"``), as RFC 9110 asks of two representations.
"""

from __future__ import annotations

import functools
import gzip
import zlib

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reader.web.conditional import accepts_gzip
from reader.web.render_cache import GZIP_LEVEL

MIN_BYTES = 500
"""Smaller answers go as they are: a packet either way."""
THREAD_BYTES = 64 * 1024
"""Larger bodies are compressed in a worker thread, off the event loop."""
SUFFIX = "-gzip"

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "image/svg+xml",
    }
)


def compressible(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    if media == "text/event-stream":
        return False
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+json")


def gzip_etag(etag: str) -> str:
    """``"abc"`` → ``"abc-gzip"`` (a weak tag stays weak)."""
    weak = etag.startswith("W/")
    bare = etag.removeprefix("W/")
    if len(bare) < 2 or not (bare.startswith('"') and bare.endswith('"')):
        return etag
    return ("W/" if weak else "") + bare[:-1] + SUFFIX + '"'


def _identity_tags(if_none_match: str) -> str:
    """The tags, plus each gzip tag of ours without its suffix, for the app to compare."""
    tags = [tag.strip() for tag in if_none_match.split(",") if tag.strip()]
    extra = [tag.replace(SUFFIX + '"', '"') for tag in tags if tag.endswith(SUFFIX + '"')]
    return ", ".join(tags + extra)


class Compression:
    """Pure ASGI middleware; it sits next to the router, inside ``Methods``, so that a HEAD is
    answered with the headers (length and all) of the GET it becomes."""

    def __init__(self, app: ASGIApp, *, minimum_size: int = MIN_BYTES) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        wanted = accepts_gzip(headers.get("accept-encoding")) and "range" not in headers
        client_tags = headers.get("if-none-match")
        if wanted and client_tags and SUFFIX in client_tags:
            raw = [(k, v) for k, v in scope["headers"] if k != b"if-none-match"]
            raw.append((b"if-none-match", _identity_tags(client_tags).encode("latin-1")))
            scope = {**scope, "headers": raw}
        await self.app(scope, receive, _Responder(send, wanted, client_tags, self.minimum_size))


class _Responder:
    """Holds the start of an answer back until its first body part says what to do."""

    def __init__(self, send: Send, wanted: bool, client_tags: str | None, minimum: int) -> None:
        self.send = send
        self.wanted = wanted
        self.client_tags = client_tags or ""
        self.minimum = minimum
        self.start: Message | None = None
        self.packer: zlib._Compress | None = None

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._started(message)
        elif kind == "http.response.body" and self.start is not None:
            start, self.start = self.start, None
            await self._first_body(start, message)
        elif kind == "http.response.body" and self.packer is not None:
            await self._more_body(message)
        else:
            await self.send(message)

    async def _started(self, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        status = message["status"]
        if status == 304 and self.wanted:
            etag = headers.get("etag")
            if etag and gzip_etag(etag) in self.client_tags:
                headers["ETag"] = gzip_etag(etag)
        if (
            status != 200
            or "content-encoding" in headers
            or not compressible(headers.get("content-type", ""))
        ):
            await self.send(message)
            return
        self.start = message

    async def _first_body(self, start: Message, message: Message) -> None:
        headers = MutableHeaders(scope=start)
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not more and len(body) < self.minimum:
            await self.send(start)
            await self.send(message)
            return
        _add_vary(headers)
        if not self.wanted:
            await self.send(start)
            await self.send(message)
            return
        headers["Content-Encoding"] = "gzip"
        if "etag" in headers:
            headers["ETag"] = gzip_etag(headers["etag"])
        if more:
            del headers["Content-Length"]
            self.packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
            await self.send(start)
            await self._more_body(message)
            return
        packed = await _compress(body)
        headers["Content-Length"] = str(len(packed))
        await self.send(start)
        await self.send({"type": "http.response.body", "body": packed, "more_body": False})

    async def _more_body(self, message: Message) -> None:
        assert self.packer is not None
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        packed = self.packer.compress(body)
        packed += self.packer.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        await self.send({"type": "http.response.body", "body": packed, "more_body": more})


def _add_vary(headers: MutableHeaders) -> None:
    present = {value.strip().lower() for value in headers.get("vary", "").split(",")}
    if "accept-encoding" not in present and "*" not in present:
        headers.add_vary_header("Accept-Encoding")


async def _compress(body: bytes) -> bytes:
    pack = functools.partial(gzip.compress, body, compresslevel=GZIP_LEVEL, mtime=0)
    if len(body) < THREAD_BYTES:
        return pack()
    return await anyio.to_thread.run_sync(pack)
