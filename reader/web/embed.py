"""The player on other sites: ``/embed.js`` (Shadow DOM), ``/embed/{slug}`` (iframe), oEmbed."""

from __future__ import annotations

import hashlib
from html import escape
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from reader.content.slugs import check_slug
from reader.errors import PageNotFound
from reader.web.assets import STATIC_DIR
from reader.web.deps import SettingsDep, SlugDep, StoreDep, TemplatesDep
from reader.web.headers import CONTENT_SECURITY_POLICY

router = APIRouter(include_in_schema=False)

PLAYER_SCRIPT = STATIC_DIR / "player.js"
"""``/embed.js`` is the reading view's own player script: it notices how it was loaded."""

SCRIPT_CACHE = "public, max-age=300"
PROVIDER = "Høje-Taastrup Kommune"

FRAME_WIDTH = 640
FRAME_HEIGHT = 440
"""The iframe player's size: room for the title, the controls and the sentence being read."""
NARROW_FRAME = 560
NARROW_FRAME_HEIGHT = 540
"""Below ``NARROW_FRAME`` pixels the controls wrap onto more lines."""


def embed_path(slug: str) -> str:
    return f"/embed/{slug}"


def frame_policy(allowed_origins: list[str]) -> str:
    """The page's Content-Security-Policy, except that the allowed origins may frame it."""
    ancestors = " ".join(["'self'", *allowed_origins])
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")


@router.get("/embed.js")
def embed_script(request: Request) -> Response:
    """Blocking (reads the file): FastAPI runs it in a worker thread."""
    source = PLAYER_SCRIPT.read_bytes()
    etag = f'"{hashlib.sha256(source).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": SCRIPT_CACHE}
    if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return Response(source, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/embed/{slug}", response_class=HTMLResponse)
def embed_page(
    request: Request, slug: SlugDep, store: StoreDep, templates: TemplatesDep, settings: SettingsDep
) -> HTMLResponse:
    page = store.load(slug)
    response = templates.TemplateResponse(request, "embed.html", {"page": page})
    response.headers["Content-Security-Policy"] = frame_policy(settings.allowed_origins)
    return response


class OEmbed(BaseModel):
    """An oEmbed 1.0 answer of type ``rich``: the iframe player of one page."""

    version: Literal["1.0"] = "1.0"
    type: Literal["rich"] = "rich"
    title: str
    provider_name: str
    provider_url: str
    cache_age: int = 3600
    html: str
    width: int
    height: int


def page_slug_of(url: str, origins: set[str]) -> str:
    """The slug of a reading view or iframe player address on one of ``origins``."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.netloc and origin not in origins:
        raise PageNotFound(f"Adressen {url[:200]!r} hører ikke til denne tjeneste")
    for prefix in ("/pages/", "/embed/"):
        if parts.path.startswith(prefix):
            return check_slug(parts.path.removeprefix(prefix).rstrip("/"))
    raise PageNotFound(f"Adressen {url[:200]!r} er ikke en side")


@router.get("/oembed", response_model=OEmbed)
def oembed(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    url: Annotated[str, Query(max_length=2000)],
    format: Annotated[str, Query()] = "json",
    maxwidth: Annotated[int | None, Query(ge=1)] = None,
    maxheight: Annotated[int | None, Query(ge=1)] = None,
) -> OEmbed:
    if format.lower() != "json":
        raise HTTPException(501, "Kun format=json understøttes.")
    origins = {settings.base_url.lower(), str(request.base_url).rstrip("/").lower()}
    page = store.load(page_slug_of(url, origins))
    # oEmbed: the answer never exceeds the size the consumer asked for.
    width = min(FRAME_WIDTH, maxwidth or FRAME_WIDTH)
    wanted = FRAME_HEIGHT if width >= NARROW_FRAME else NARROW_FRAME_HEIGHT
    height = min(wanted, maxheight or wanted)
    src = settings.base_url + embed_path(page.slug)
    title = f"Oplæsning: {page.title}"
    html = (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="{width}" '
        f'height="{height}" loading="lazy" style="border:0;max-width:100%"></iframe>'
    )
    return OEmbed(
        title=page.title,
        provider_name=PROVIDER,
        provider_url=settings.base_url + "/",
        html=html,
        width=width,
        height=height,
    )
