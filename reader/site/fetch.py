"""The HTTP client that fetches site pages: allowed origins only, checked addresses, limits.

Every request goes to an origin of ``READER_SITE_ORIGINS``, and so does every redirect. The
connection is made to an address that was checked (``addresses.may_connect``) and the address
connected to is checked again. A timeout covers the whole answer, the body may not exceed
``READER_MAX_PAGE_BYTES``, only the expected content types are read, TLS is verified, no proxy
from the environment is used (it would connect on reader's behalf, unchecked), and a bounded
number of requests is in flight per origin.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin

import httpcore
import httpx

from reader.errors import PageTooLarge
from reader.site.addresses import Resolver, may_connect, parse_address, system_resolver
from reader.site.errors import NotAPage, SiteGone, SiteRefused, SiteTimeout, SiteUnreachable
from reader.site.urls import normalise, origin_of

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
TEXT_TYPES = frozenset({"text/plain"})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
"""A file packed with gzip (``sitemap.xml.gz``): read unpacked, within the same size limit."""
_GZIP_MAGIC = b"\x1f\x8b"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Fetched:
    """An answer of the site: 200 with its body, or 304 (the copy held is still current)."""

    url: str
    """The normalised address that answered, after redirects."""
    status: int
    body: bytes = b""
    """Unpacked: of ``Content-Encoding: gzip``, and of a file packed with gzip."""
    etag: str | None = None
    last_modified: str | None = None
    redirected: bool = False
    content_type: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    origins: frozenset[str]
    allow_private: bool
    timeout: float
    max_bytes: int
    concurrency: int
    user_agent: str
    keep_query: frozenset[str] = frozenset()


class _CheckedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy allows, and checks the one it connected to."""

    def __init__(
        self, inner: httpcore.NetworkBackend, resolve: Resolver, *, allow_private: bool
    ) -> None:
        self._inner = inner
        self._resolve = resolve
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = [parse_address(text) for text in self._resolve(host, port)]
        except (OSError, ValueError) as error:
            raise httpcore.ConnectError(f"{host} cannot be resolved: {error}") from error
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            if not may_connect(address, allow_private=self._allow_private):
                raise _refused(host, str(address))
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
                continue
            peer = stream.get_extra_info("server_addr")
            connected = parse_address(str(peer[0])) if peer else None
            if connected is None or not may_connect(connected, allow_private=self._allow_private):
                stream.close()
                raise _refused(host, str(connected))
            return stream
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise SiteRefused("Sider hentes kun over netværket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _refused(host: str, address: str) -> SiteRefused:
    return SiteRefused(
        f"{host} peger på en intern eller særlig netværksadresse ({address}); sider hentes kun "
        "fra offentlige adresser (READER_SITE_ALLOW_PRIVATE=true tillader interne net)"
    )


class _Transport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool that uses the checked backend."""

    def __init__(self, backend: httpcore.NetworkBackend, *, max_connections: int) -> None:
        ssl_context = httpx.create_ssl_context(verify=True, trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=backend,
        )


class Fetcher:
    """Fetches one address at a time per call; safe to share between threads."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolve: Resolver = system_resolver,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        """``network`` and ``resolve`` replace the system's (tests watch every connection)."""
        self.policy = policy
        backend = _CheckedBackend(
            network or httpcore.SyncBackend(), resolve, allow_private=policy.allow_private
        )
        self._client = httpx.Client(
            transport=_Transport(backend, max_connections=4 * policy.concurrency),
            timeout=httpx.Timeout(policy.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": policy.user_agent},
            # Pages are read as anyone sees them: no cookie is kept from one answer to the next.
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
        )
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._turns: dict[str, threading.Lock] = {}
        self._last_done: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def check(self, url: str) -> str:
        """The normalised address, or ``SiteRefused`` when it is not on an allowed origin."""
        normal = normalise(url, self.policy.keep_query)
        if origin_of(normal) not in self.policy.origins:
            if not self.policy.origins:
                raise SiteRefused("Reader læser ikke sider efter adresse (READER_SITE_ORIGINS)")
            raise SiteRefused(f"{origin_of(normal)} er ikke et websted, reader må læse sider fra")
        return normal

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Collection[str] = HTML_TYPES,
        pace: float = 0.0,
    ) -> Fetched:
        """GET ``url``, following redirects within the allowed origins.

        ``etag`` / ``last_modified`` make the request conditional; ``pace`` keeps that many
        seconds between the end of one request to the origin and the start of the next (a
        crawl's polite rate, robots.txt's ``Crawl-delay``): the site never sees two requests
        closer together than that, however long each takes to arrive.
        """
        current = self.check(url)
        deadline = _Deadline(self.policy.timeout)
        for hop in range(MAX_REDIRECTS + 1):
            headers = {
                "Accept": ", ".join(sorted(accept)) + ", */*;q=0.1",
                # Only what is unpacked here, within the size limit (see _Gunzip).
                "Accept-Encoding": "gzip",
            }
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            location = self._once(current, headers, accept, deadline, pace)
            if isinstance(location, Fetched):
                return replace(location, redirected=True) if hop else location
            try:
                current = self.check(urljoin(current, location))
            except SiteRefused as refused:
                raise SiteRefused(
                    f"Siden sender videre til en adresse udenfor: {refused}"
                ) from None
            # The validators belong to the first address; another one is asked afresh.
            etag = last_modified = None
        raise SiteUnreachable(f"{url[:200]} sender videre mere end {MAX_REDIRECTS} gange")

    def _once(
        self,
        url: str,
        headers: dict[str, str],
        accept: Collection[str],
        deadline: _Deadline,
        pace: float,
    ) -> Fetched | str:
        origin = origin_of(url)
        with self._slot(origin), self._turn(origin, pace):
            deadline.start()  # waiting for the turn is not the site's time
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    return self._answer(url, response, accept, deadline)
            except httpx.TimeoutException:
                raise SiteTimeout(
                    f"{origin} svarede ikke inden for {self.policy.timeout:g} sekunder"
                ) from None
            except httpx.HTTPError as error:
                raise SiteUnreachable(f"{origin} kunne ikke nås: {error}") from None

    def _answer(
        self, url: str, response: httpx.Response, accept: Collection[str], deadline: _Deadline
    ) -> Fetched | str:
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = str(response.headers.get("location", ""))
            if not location:
                raise SiteUnreachable(f"{url[:200]} sender videre uden at sige hvorhen")
            return location
        etag = response.headers.get("etag")
        modified = response.headers.get("last-modified")
        if status == 304:
            return Fetched(url, 304, etag=etag, last_modified=modified)
        if status in (404, 410):
            raise SiteGone(f"{url[:200]} findes ikke på webstedet (HTTP {status})")
        if status != 200:
            raise SiteUnreachable(f"{url[:200]} svarede HTTP {status}")
        kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind not in accept:
            raise NotAPage(f"{url[:200]} er ikke en HTML-side ({kind or 'ukendt type'})")
        body = self._body(url, response, deadline)
        if kind in GZIP_TYPES or (kind in XML_TYPES and body.startswith(_GZIP_MAGIC)):
            # sitemap.xml.gz, served as a gzip file or (wrongly) as XML without an encoding
            body = _Gunzip(url, self.policy.max_bytes).whole(body)
        return Fetched(url, 200, body, etag, modified, content_type=kind)

    def _body(self, url: str, response: httpx.Response, deadline: _Deadline) -> bytes:
        """The body as sent (at most ``max_bytes``), unpacked (at most ``max_bytes`` again)."""
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(url, limit)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            unpack: _Gunzip | None = _Gunzip(url, limit)
        elif encoding in ("", "identity"):
            unpack = None
        else:
            raise SiteUnreachable(
                f"{url[:200]} er sendt i en indkodning, reader ikke læser ({encoding[:40]})"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _too_large(url, limit)
            if deadline.passed():
                raise httpx.ReadTimeout("the whole answer took too long")
            chunks.append(unpack.feed(chunk) if unpack else chunk)
        if unpack:
            unpack.finish()
        return b"".join(chunks)

    def _slot(self, origin: str) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._slots.get(origin)
            if slot is None:
                slot = self._slots[origin] = threading.BoundedSemaphore(self.policy.concurrency)
            return slot

    @contextmanager
    def _turn(self, origin: str, pace: float) -> Iterator[None]:
        """One paced request to ``origin`` at a time, ``pace`` seconds after the last one ended.

        The end of a request (its answer read) comes after the site received it, so a gap
        kept from there is a gap the site sees too; one kept between starts is not.
        """
        if pace <= 0:
            try:
                yield
            finally:
                self._last_done[origin] = time.monotonic()
            return
        with self._lock:
            turn = self._turns.setdefault(origin, threading.Lock())
        with turn:
            wait = self._last_done.get(origin, float("-inf")) + pace - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self._last_done[origin] = time.monotonic()


class _Gunzip:
    """gzip unpacked a piece at a time, never more than ``limit`` bytes of it: a small file that
    unpacks to gigabytes (a decompression bomb) is refused when the limit is passed."""

    MAX_MEMBERS = 100
    """gzip members one after the other, as ``cat a.gz b.gz`` makes; more is no sitemap."""

    def __init__(self, url: str, limit: int) -> None:
        self.url = url
        self.limit = limit
        self.size = 0
        self._members = 1
        self._inflate = zlib.decompressobj(wbits=31)

    def whole(self, data: bytes) -> bytes:
        unpacked = self.feed(data)
        self.finish()
        return unpacked

    def feed(self, data: bytes) -> bytes:
        parts: list[bytes] = []
        try:
            while data:
                part = self._inflate.decompress(data, self.limit - self.size + 1)
                self.size += len(part)
                if self.size > self.limit:
                    raise PageTooLarge(
                        f"{self.url[:200]} fylder mere end grænsen på {self.limit} bytes, "
                        "når den pakkes ud"
                    )
                parts.append(part)
                data = self._inflate.unconsumed_tail
                if self._inflate.eof and self._inflate.unused_data:
                    data = self._inflate.unused_data
                    self._members += 1
                    if self._members > self.MAX_MEMBERS:
                        raise self._broken()
                    self._inflate = zlib.decompressobj(wbits=31)
        except zlib.error:
            raise self._broken() from None
        return b"".join(parts)

    def finish(self) -> None:
        if not self._inflate.eof:
            raise self._broken()

    def _broken(self) -> SiteUnreachable:
        return SiteUnreachable(f"{self.url[:200]} er pakket med gzip, men kan ikke pakkes ud")


class _Deadline:
    """The time one answer may take (redirects included), counted from its first request."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at: float | None = None

    def start(self) -> None:
        if self._at is None:
            self._at = time.monotonic() + self.seconds

    def passed(self) -> bool:
        return self._at is not None and time.monotonic() > self._at


def _too_large(url: str, limit: int) -> PageTooLarge:
    return PageTooLarge(f"{url[:200]} er større end grænsen på {limit} bytes")
