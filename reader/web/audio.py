"""Audio routes under ``/api``: stable addresses redirecting to immutable MP3s; timings; speech."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from reader.audio.build import speak_text
from reader.audio.manifest import TrackInfo
from reader.audio.timings import Cue, to_webvtt
from reader.content.slugs import SLUG_RE
from reader.errors import Busy, NothingToSpeak, SectionNotFound, TextTooLong
from reader.web.deps import ListeningDep, SettingsDep, SlugDep, StateDep
from reader.web.schemas import Responses, SpeakRequest, audio_path, failures

router = APIRouter(prefix="/api", tags=["audio"])

NO_CACHE = {"Cache-Control": "no-cache"}
NO_STORE = {"Cache-Control": "no-store"}

_AUDIO_ERRORS = failures(
    404,
    422,
    503,
    described={
        404: "No such page or section",
        422: "The page file cannot be extracted",
        503: "Not ready in time, or too busy: see Retry-After",
    },
)
_REDIRECT: Responses = {
    307: {
        "description": "To the current immutable MP3 (no body); follow Location",
        "headers": {"Location": {"description": "/audio/{hash}.mp3", "schema": {"type": "string"}}},
    }
}


async def _section_id(section_id: str) -> str:
    if len(section_id) > 120 or not SLUG_RE.fullmatch(section_id):
        raise SectionNotFound(f"Afsnittet {section_id[:120]!r} findes ikke")
    return section_id


SectionDep = Annotated[str, Depends(_section_id)]


def _redirect(track: TrackInfo) -> RedirectResponse:
    return RedirectResponse(audio_path(track.hash), status_code=307, headers=NO_CACHE)


def _vtt(track: TrackInfo) -> Response:
    cues = [Cue(c.id, c.start_ms, c.end_ms, c.text) for c in track.cues]
    return Response(to_webvtt(cues), media_type="text/vtt; charset=utf-8", headers=NO_CACHE)


@router.get(
    "/pages/{slug}/audio",
    status_code=307,
    response_class=RedirectResponse,
    responses={**_REDIRECT, **_AUDIO_ERRORS},
)
async def page_audio(slug: SlugDep, listening: ListeningDep) -> RedirectResponse:
    """The page's current MP3 (made first if it never was)."""
    found = await run_in_threadpool(listening.page_track, slug)
    return _redirect(await listening.await_track(found))


@router.get(
    "/pages/{slug}/sections/{section_id}/audio",
    status_code=307,
    response_class=Response,
    responses={
        **_REDIRECT,
        **_AUDIO_ERRORS,
        200: {
            "content": {"audio/mpeg": {}},
            "description": "Not made yet: the section's MP3, streamed as its sentences are made",
        },
    },
)
async def section_audio(
    request: Request, slug: SlugDep, section_id: SectionDep, listening: ListeningDep
) -> Response:
    """One section's current MP3 (307). A section not made yet is streamed while it is made,
    so sound starts after its first sentence; a client asking for a bounded byte range (Safari's
    probe) waits for the stored file instead, which answers ranges."""
    found = await run_in_threadpool(listening.section_track, slug, section_id)
    if not isinstance(found, TrackInfo) and request.headers.get("range", "bytes=0-") == "bytes=0-":
        stream = listening.stream_section(slug, section_id)
        return StreamingResponse(stream, media_type="audio/mpeg", headers=NO_STORE)
    return _redirect(await listening.await_track(found))


@router.get(
    "/pages/{slug}/timings.vtt",
    response_class=Response,
    responses={**_AUDIO_ERRORS, 200: {"content": {"text/vtt": {}}}},
)
async def page_timings(slug: SlugDep, listening: ListeningDep) -> Response:
    found = await run_in_threadpool(listening.page_track, slug)
    return _vtt(await listening.await_track(found))


@router.get(
    "/pages/{slug}/sections/{section_id}/timings.vtt",
    response_class=Response,
    responses={**_AUDIO_ERRORS, 200: {"content": {"text/vtt": {}}}},
)
async def section_timings(
    slug: SlugDep, section_id: SectionDep, listening: ListeningDep
) -> Response:
    found = await run_in_threadpool(listening.section_track, slug, section_id)
    return _vtt(await listening.await_track(found))


@router.post(
    "/speak",
    response_class=Response,
    responses={
        200: {"content": {"audio/mpeg": {}}},
        **failures(
            400,
            413,
            422,
            429,
            503,
            described={
                413: "The text is over the length limit",
                422: "No text, or nothing in it to read aloud",
                503: "Too much is waiting to be spoken, or no voice answers: see Retry-After",
            },
        ),
    },
)
async def speak(
    body: SpeakRequest, request: Request, state: StateDep, settings: SettingsDep
) -> Response:
    """Reads a citizen's selected text aloud; sentences are cached like any page's."""
    text = body.text.strip()
    if len(text) > settings.speak_max_chars:
        raise TextTooLong(
            f"Teksten er {len(text)} tegn; der kan højst læses {settings.speak_max_chars} tegn op "
            "ad gangen."
        )
    if not text:
        raise NothingToSpeak
    client = request.client.host if request.client else "unknown"
    await run_in_threadpool(state.speak_limiter.check, client)
    if state.queue.depth >= state.queue.max_pending:
        raise Busy("Der venter allerede mange oplæsninger. Prøv igen om lidt.")
    data, _ = await run_in_threadpool(speak_text, state.services.builder, text)
    # The selection may be private: never stored as a track, never cached by anyone.
    return Response(data, media_type="audio/mpeg", headers={"Cache-Control": "no-store"})
