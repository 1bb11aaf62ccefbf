"""What the admin page shows of the pages: their audio state, and each page's spoken script
with its readability."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from reader.audio.build import Builder
from reader.audio.manifest import PageState
from reader.editor.jobs import JobRunner, JobView
from reader.editor.readability import (
    LONG_SENTENCE_WORDS,
    Readability,
    readability,
    scored_sentences,
    words_of,
)
from reader.errors import ReaderError

EditorState = Literal["fresh", "stale", "missing", "degraded", "generating", "failed"]


class PageRow(BaseModel):
    """One page in the editors' table."""

    slug: str
    title: str
    state: EditorState = Field(
        description="fresh, stale (old audio plays until the new is made), missing (never "
        "made), degraded (offline voice), generating (a job is making it), failed (the last "
        "job failed, or the page cannot be read)"
    )
    audio: PageState | None = Field(description="The audio's own state, without jobs")
    duration_ms: int | None
    engines: list[str]
    built_at: dt.datetime | None
    sentences: int
    to_synthesise: int = Field(description="Sentences whose clip is not made yet")
    job: JobView | None = Field(description="The job making the audio now")
    error: str | None
    versions: int = Field(default=0, description="Earlier versions kept for a rollback")
    upgrade: Literal["upgrading", "waiting"] | None = Field(
        default=None,
        description="Degraded audio being made again with the main voice now, or waiting for it",
    )


class ScriptSentence(BaseModel):
    id: str
    text: str = Field(description="As written")
    spoken: str = Field(description="As it will be spoken")
    heading: bool
    engine: str | None = Field(description="The voice of its cached clip; None: not made yet")
    degraded: bool
    words: int
    long: bool = Field(description=f"More than {LONG_SENTENCE_WORDS} words")


class ScriptSection(BaseModel):
    id: str
    heading: str
    level: int
    readability: Readability
    sentences: list[ScriptSentence]


class PageScript(BaseModel):
    """A page as it will be spoken, sentence by sentence, with readability per section."""

    slug: str
    title: str
    state: PageState
    readability: Readability
    sections: list[ScriptSection]


def page_rows(builder: Builder, jobs: JobRunner) -> list[PageRow]:
    """Blocking: reads every page and manifest (both cached while unchanged)."""
    return [page_row(builder, jobs, slug) for slug in builder.store.slugs()]


def page_row(builder: Builder, jobs: JobRunner, slug: str) -> PageRow:
    job = jobs.active_for(slug)
    try:
        status = builder.status(slug)
        page, lines = builder.script(slug)
    except ReaderError as unreadable:
        return PageRow(
            slug=slug,
            title=slug,
            state="generating" if job else "failed",
            audio=None,
            duration_ms=None,
            engines=[],
            built_at=None,
            sentences=0,
            to_synthesise=0,
            job=job,
            error=unreadable.message,
        )
    state: EditorState = status.state
    error = None
    outcome = jobs.outcome_for(slug)
    if job is not None:
        state = "generating"
    elif outcome is not None and outcome.error and status.state != "fresh":
        state, error = "failed", outcome.error
    missing = 0
    if status.state != "fresh":
        missing = len({line.spoken for line in lines if builder.clips.lookup(line.spoken) is None})
    manifest = status.manifest
    return PageRow(
        slug=slug,
        title=page.title,
        state=state,
        audio=status.state,
        duration_ms=manifest.page.duration_ms if manifest else None,
        engines=manifest.engines if manifest else [],
        built_at=manifest.built_at if manifest else None,
        sentences=len(lines),
        to_synthesise=missing,
        job=job,
        error=error,
    )


def page_script(builder: Builder, slug: str) -> PageScript:
    page, lines = builder.script(slug)
    status = builder.status(slug)
    sections = []
    for section in page.sections:
        sentences = []
        for line in (line for line in lines if line.section_id == section.id):
            clip = builder.clips.lookup(line.spoken)
            count = len(words_of(line.text))
            sentences.append(
                ScriptSentence(
                    id=line.sentence_id,
                    text=line.text,
                    spoken=line.spoken,
                    heading=line.is_heading,
                    engine=clip.engine if clip else None,
                    degraded=clip.degraded if clip else False,
                    words=count,
                    long=count > LONG_SENTENCE_WORDS and not line.is_heading,
                )
            )
        sections.append(
            ScriptSection(
                id=section.id,
                heading=section.heading,
                level=section.level,
                readability=readability(scored_sentences(section)),
                sentences=sentences,
            )
        )
    whole = readability(pair for section in page.sections for pair in scored_sentences(section))
    return PageScript(
        slug=slug, title=page.title, state=status.state, readability=whole, sections=sections
    )
