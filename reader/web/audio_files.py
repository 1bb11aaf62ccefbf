"""``/audio/{hash}.mp3``: immutable, content-addressed audio, served straight from memory.

A pure ASGI app in front of the framework: no routing, validation or middleware sits between a
listener's request and the bytes. It speaks the HTTP that players need: 200 with
Content-Length and Accept-Ranges, a single Range as 206 (Safari probes with ``bytes=0-1``), 416
for a range past the end, a strong ETag with 304 (If-None-Match) and 412 (If-Match), HEAD,
OPTIONS and CORS preflights, and caching for a year.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from reader.errors import ReaderError

PREFIX = "/audio/"
_PATH = re.compile(r"^/audio/([0-9a-f]{32})\.mp3$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

CACHE_CONTROL = b"public, max-age=31536000, immutable"
ALLOW = b"GET, HEAD, OPTIONS"
PREFLIGHT_HEADERS = b"Range, If-Range, If-Match, If-None-Match"
LARGEST_CACHED_FILE = 32 * 1024 * 1024


class BytesCache:
    """Least-recently-used file contents, bounded by their total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > min(self.max_bytes, LARGEST_CACHED_FILE):
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


def parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """The inclusive byte range asked for; None to send everything; False when unsatisfiable.

    Several ranges in one header are answered with the whole file, as RFC 9110 allows.
    """
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


class AudioFiles:
    """Serves ``PREFIX<hash>.mp3`` with the bytes ``read(scope, hash)`` gives (None: there is
    no such track); passes every other request to ``app``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        read: Callable[[Scope, str], bytes | None],
        allowed_origins: Collection[str] = (),
        cache_bytes: int = 128 * 1024 * 1024,
        on_response: Callable[[Scope, int], None] | None = None,
    ) -> None:
        self.app = app
        self.read = read
        self.allowed_origins = frozenset(allowed_origins)
        self.cache = BytesCache(cache_bytes)
        self.on_response = on_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        status = await self._serve(scope, send)
        if self.on_response is not None:
            self.on_response(scope, status)

    async def _serve(self, scope: Scope, send: Send) -> int:
        headers = _request_headers(scope)
        extra = self._cors(headers.get("origin"))
        method = scope["method"]
        match = _PATH.match(scope["path"])
        if match is None:
            return await _plain(send, 404, b"Lydfilen findes ikke.\n", extra)
        if method == "OPTIONS":
            await _respond(send, 204, [*extra, (b"allow", ALLOW), *_preflight(extra, headers)])
            return 204
        if method not in ("GET", "HEAD"):
            return await _plain(send, 405, b"Kun GET og HEAD.\n", [*extra, (b"allow", ALLOW)])
        digest = match.group(1)
        data = self.cache.get(digest)
        if data is None:
            try:
                data = await anyio.to_thread.run_sync(self.read, scope, digest)
            except ReaderError as error:  # the store does not answer: try again later
                retry = [(b"retry-after", str(error.retry_after or 5).encode())]
                return await _plain(send, error.status_code, _line(error.message), extra + retry)
            if data is None:
                return await _plain(send, 404, b"Lydfilen findes ikke.\n", extra)
            self.cache.put(digest, data)

        etag = f'"{digest}"'.encode()
        common = [
            (b"etag", etag),
            (b"cache-control", CACHE_CONTROL),
            (b"accept-ranges", b"bytes"),
            (b"x-content-type-options", b"nosniff"),
            *extra,
        ]
        # RFC 9110 13.2.2: If-Match first, then If-None-Match, then Range.
        if_match = headers.get("if-match")
        if if_match is not None and not _etag_matches(if_match, etag, weak=False):
            await _respond(send, 412, [*common, (b"content-length", b"0")])
            return 412
        if _etag_matches(headers.get("if-none-match"), etag):
            await _respond(send, 304, common)
            return 304

        size = len(data)
        wanted: tuple[int, int] | None | bool = None
        if_range = headers.get("if-range")
        if "range" in headers and (if_range is None or if_range.encode() == etag):
            wanted = parse_range(headers["range"], size)
        if wanted is False:
            await _respond(
                send,
                416,
                [
                    *common,
                    (b"content-range", f"bytes */{size}".encode()),
                    (b"content-length", b"0"),
                ],
            )
            return 416
        status, body = 200, data
        content = [(b"content-type", b"audio/mpeg")]
        if isinstance(wanted, tuple):
            start, end = wanted
            status, body = 206, data[start : end + 1]
            content.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
        content.append((b"content-length", str(len(body)).encode()))
        await _respond(send, status, common + content, b"" if method == "HEAD" else body)
        return status

    def _cors(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        vary = [(b"vary", b"Origin")] if self.allowed_origins else []
        if origin is None or origin.rstrip("/") not in self.allowed_origins:
            return vary
        return [
            *vary,
            (b"access-control-allow-origin", origin.encode()),
            (
                b"access-control-expose-headers",
                b"Content-Length, Content-Range, Accept-Ranges, ETag",
            ),
        ]


def _line(message: str) -> bytes:
    return f"{message}\n".encode()


def _request_headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _etag_matches(header: str | None, etag: bytes, *, weak: bool = True) -> bool:
    """Whether ``header`` names ``etag``; If-None-Match compares weakly, If-Match strongly."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    tags = {tag.strip() for tag in header.split(",")}
    if weak:
        tags = {tag.removeprefix("W/") for tag in tags}
    return etag.decode() in tags


def _preflight(
    cors: list[tuple[bytes, bytes]], request: dict[str, str]
) -> list[tuple[bytes, bytes]]:
    """A CORS preflight's answer for an allowed origin: a player's fetch() may send Range
    (not a safelisted header when it is a suffix or a list) and revalidate."""
    if not any(name == b"access-control-allow-origin" for name, _ in cors):
        return []
    if "access-control-request-method" not in request:
        return []
    return [
        (b"access-control-allow-methods", b"GET, HEAD"),
        (b"access-control-allow-headers", PREFLIGHT_HEADERS),
        (b"access-control-max-age", b"600"),
    ]


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, text: bytes, extra: list[tuple[bytes, bytes]]) -> int:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(text)).encode()),
        (b"x-content-type-options", b"nosniff"),
        *extra,
    ]
    await _respond(send, status, headers, text)
    return status
