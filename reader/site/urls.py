"""Site addresses: one page has one key however it is linked, and a slug derived from it.

Normalising comes before anything else: scheme and host in lower case, the default port, the
fragment and every query parameter not named in ``READER_SITE_KEEP_QUERY`` dropped, dot
segments resolved, percent escapes written one way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from ipaddress import ip_address
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from reader.content.slugs import MAX_SLUG_LENGTH, slugify
from reader.site.errors import SiteRefused

DEFAULT_PORTS = {"http": 80, "https": 443}
HASH_LENGTH = 10
_READABLE_LENGTH = MAX_SLUG_LENGTH - HASH_LENGTH - 2
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def normalise(url: str, keep_query: Collection[str] = ()) -> str:
    """The one form of ``url``; ``SiteRefused`` when it is no http(s) address to a host."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SiteRefused(f"{_shown(text)} er ikke en gyldig adresse") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SiteRefused(f"{_shown(text)} er ikke en http- eller https-adresse")
    if parts.username is not None or parts.password is not None:
        raise SiteRefused("En adresse med brugernavn eller adgangskode læses ikke")
    host = _host(parts.hostname or "", text)
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _remove_dot_segments(_path(parts.path or "/"))
    kept = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in keep_query
    )
    return urlunsplit((scheme, netloc, path, urlencode(kept), ""))


def origin_of(url: str) -> str:
    """``https://www.htk.dk`` of a normalised address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def normalise_origin(origin: str) -> str:
    return origin_of(normalise(origin))


def slug_of(url: str) -> str:
    """Readable, stable, unique: ``htk-dk-borger-affald--3f9a1c0b2e`` for a normalised address.

    The words come from host and path; the hash of the whole address keeps two addresses
    apart that read the same (``/a/b`` and ``/a-b``). ``--`` never occurs in a slug of
    ``content/``, so a site page can never take the name of a stored one.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    words = slugify(f"{host} {unquote(parts.path)} {parts.query}")[:_READABLE_LENGTH].strip("-")
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    return f"{words or 'side'}--{digest}"


def _host(hostname: str, text: str) -> str:
    host = hostname.rstrip(".")
    if not host:
        raise SiteRefused(f"{_shown(text)} har ingen vært")
    try:
        address = ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else address.compressed
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise SiteRefused(f"{_shown(text)} har et ugyldigt værtsnavn") from None


def _path(path: str) -> str:
    # Escapes of unreserved characters are decoded, the others written in upper case; text
    # that is not ASCII is escaped. "/a%2fb" keeps its escaped slash: it is another path.
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group()[1:], 16))
        return char if char in _UNRESERVED else match.group().upper()

    path = _ESCAPE.sub(one, path)
    path = quote(path, safe=_PATH_SAFE)
    return path if path.startswith("/") else "/" + path


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _shown(text: str) -> str:
    return repr(text[:200])
