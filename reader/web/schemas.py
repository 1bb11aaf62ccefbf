"""The JSON shapes of the API (and of its OpenAPI description at ``/docs``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from reader.audio.listen import PageAudio, TrackView
from reader.content.models import Page

Responses = dict[int | str, dict[str, Any]]
"""A route's ``responses=``: what it answers besides its success."""


class ErrorBody(BaseModel):
    status: int
    title: str
    message: str


class ErrorResponse(BaseModel):
    """The JSON body of every failed request under ``/api``."""

    error: ErrorBody


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}

FAILURES: dict[int, str] = {
    400: "The body is not JSON at all (or not UTF-8)",
    401: "No token, or a wrong one (see WWW-Authenticate)",
    403: "Editor routes are off: READER_ADMIN_TOKEN is not set",
    404: "No such page, section, version, job or lexicon entry",
    409: "In conflict with what is there: the entry exists, or the lexicon changed meanwhile",
    413: "Over the size limit",
    422: "Invalid values in the request, or content that cannot be read aloud",
    429: "Too many requests: see Retry-After",
    503: "Not possible now (busy, no voice, or storage failing): see Retry-After",
}


def failures(*statuses: int, described: Mapping[int, str] | None = None) -> Responses:
    """``responses=`` for the failures a route really has, each with the error JSON;
    ``described`` says more than the usual description for some of them."""
    answers: Responses = {}
    for status in statuses:
        answer: dict[str, Any] = {
            "model": ErrorResponse,
            "description": (described or {}).get(status) or FAILURES[status],
        }
        if status in (429, 503):
            answer["headers"] = RETRY_AFTER
        answers[status] = answer
    return answers


def page_path(slug: str) -> str:
    return f"/pages/{slug}"


def oembed_address(base_url: str, slug: str) -> str:
    """oEmbed discovery: the endpoint's absolute address, asking about the page's own address.

    Consumers read the ``<link>`` from a page they fetched from anywhere, so nothing in it may
    depend on where that was; the page address is a query value and is encoded as one.
    """
    query = urlencode({"format": "json", "url": base_url + page_path(slug)})
    return f"{base_url}/oembed?{query}"


def api_page_path(slug: str) -> str:
    return f"/api/pages/{slug}"


class PageSummary(BaseModel):
    """One entry of the page list."""

    slug: str
    title: str
    updated: dt.date | None
    url: str = Field(description="The reading view of the page")
    api_url: str = Field(description="This page's structure as JSON")

    @classmethod
    def of(cls, page: Page, base_url: str) -> PageSummary:
        return cls(
            slug=page.slug,
            title=page.title,
            updated=page.updated,
            url=base_url + page_path(page.slug),
            api_url=base_url + api_page_path(page.slug),
        )


class PageDocument(Page):
    """A page's structure (metadata, sections, blocks, sentences) and its audio."""

    url: str = Field(description="The reading view of the page")
    audio: AudioDocument

    @classmethod
    def of(cls, page: Page, audio: AudioDocument, base_url: str) -> PageDocument:
        url = base_url + page_path(page.slug)
        return cls.model_validate({**page.model_dump(), "url": url, "audio": audio})


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    ready: bool
    engines: dict[str, bool] = Field(description="Engine name → can be used now")
    problems: list[str]


class WordDocument(BaseModel):
    text: str = Field(description="The word as written in the sentence")
    start_ms: int
    end_ms: int


class CueDocument(BaseModel):
    id: str = Field(description="The sentence id (also the WebVTT cue id)")
    start_ms: int
    end_ms: int
    word_timings: bool = Field(
        description="The voice said where each word is (Piper, espeak-ng); false for gTTS, "
        "which does not: `words` is then empty"
    )
    words: list[WordDocument] = Field(
        description="Each written word of the sentence (white-space separated, with a letter or "
        "digit in it) and when it is heard, in ms on this track like the sentence"
    )


class TrackDocument(BaseModel):
    """One track of a page: the whole page, or one section."""

    id: str = Field(description="The page slug, or the section id")
    ready: bool = Field(description="Made already; otherwise `url` makes it and waits")
    degraded: bool = Field(description="Spoken by the offline voice while the main one was away")
    url: str = Field(description="Redirects (307) to the current audio; stable")
    audio_url: str | None = Field(description="The current immutable MP3, when ready")
    duration_ms: int | None
    timings_url: str = Field(description="WebVTT: one cue per sentence, cue id = sentence id")
    timings: list[CueDocument]


class AudioDocument(BaseModel):
    state: Literal["fresh", "stale", "missing", "degraded"] = Field(
        description="fresh: made from the current text; stale: the text changed and new audio "
        "is being made (the old one plays meanwhile); missing: made as listeners ask; degraded: "
        "made by the offline voice"
    )
    page: TrackDocument
    sections: list[TrackDocument]


def audio_path(digest: str) -> str:
    return f"/audio/{digest}.mp3"


def track_document(view: TrackView, slug: str, base_url: str, *, section: bool) -> TrackDocument:
    root = f"{base_url}{api_page_path(slug)}" + (f"/sections/{view.id}" if section else "")
    track = view.track
    return TrackDocument(
        id=view.id,
        ready=track is not None,
        degraded=view.degraded,
        url=f"{root}/audio",
        audio_url=base_url + audio_path(track.hash) if track else None,
        duration_ms=track.duration_ms if track else None,
        timings_url=f"{root}/timings.vtt",
        timings=[
            CueDocument(
                id=c.id,
                start_ms=c.start_ms,
                end_ms=c.end_ms,
                word_timings=c.word_timings,
                words=[WordDocument(**w.model_dump()) for w in c.words],
            )
            for c in view.cues
        ],
    )


def audio_document(audio: PageAudio, slug: str, base_url: str) -> AudioDocument:
    return AudioDocument(
        state=audio.state,
        page=track_document(audio.page, slug, base_url, section=False),
        sections=[track_document(s, slug, base_url, section=True) for s in audio.sections],
    )


class SpeakRequest(BaseModel):
    text: str = Field(min_length=1, description="The text to read aloud, e.g. a selection")


PageDocument.model_rebuild()
