"""Content negotiation and conditional GETs of answers kept in memory: gzip or identity, and 304
when the client already has the variant it would get."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response

from reader.web.render_cache import Rendered

REVALIDATE = "no-cache"
"""May be kept, but asked about again each time: a page changes whenever an editor saves it,
and the answer to a matching ETag is a 304 of a few header lines."""


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (RFC 9110 §12.5.3): named with q > 0, or ``*``
    with q > 0 and gzip not refused by name."""
    if not accept_encoding:
        return False
    wildcard = False
    for entry in accept_encoding.split(","):
        coding, _, params = entry.partition(";")
        coding = coding.strip().lower()
        allowed = _quality(params) > 0
        if coding in ("gzip", "x-gzip"):
            return allowed
        if coding == "*":
            wildcard = allowed
    return wildcard


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` against ``etag`` by the weak comparison RFC 9110 §13.1.2 asks for."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == wanted:
            return True
    return False


def choose(
    rendered: Rendered, accept_encoding: str | None, if_none_match: str | None
) -> tuple[bool, bool]:
    """Which answer a request gets: (gzip or not, 304 or not)."""
    packed = rendered.gzip is not None and accepts_gzip(accept_encoding)
    etag = rendered.gzip_etag if packed and rendered.gzip_etag else rendered.etag
    return packed, etag_matches(if_none_match, etag)


def rendered_response(headers: Headers, rendered: Rendered) -> Response:
    """The variant the request accepts, or 304 when ``If-None-Match`` names it."""
    packed, unchanged = choose(
        rendered, headers.get("accept-encoding"), headers.get("if-none-match")
    )
    return variant_response(rendered, packed=packed, unchanged=unchanged)


def variant_response(rendered: Rendered, *, packed: bool, unchanged: bool) -> Response:
    """One of the four answers to a request for ``rendered``: identity or gzip, 200 or 304.

    Every answer says ``Vary: Accept-Encoding``, the identity one too: a shared cache must not
    hand the identity bytes to a client that asked for gzip, nor the other way round.
    """
    packed = packed and rendered.gzip is not None
    etag = rendered.gzip_etag if packed and rendered.gzip_etag else rendered.etag
    answer = {"ETag": etag, "Vary": "Accept-Encoding", "Cache-Control": REVALIDATE}
    if unchanged:
        return Response(status_code=304, headers=answer)
    if packed and rendered.gzip is not None:
        answer["Content-Encoding"] = "gzip"
        return Response(rendered.gzip, media_type=rendered.media_type, headers=answer)
    return Response(rendered.body, media_type=rendered.media_type, headers=answer)
