"""The editors' API under ``/api``: publish pages, regenerate audio, edit the lexicon, read the
audit log. Every route needs a Bearer token (``READER_ADMIN_TOKEN``)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from reader.audio.manifest import PageState
from reader.editor.audit import AuditEntry
from reader.editor.auth import Editor
from reader.editor.jobs import JobView
from reader.editor.lexicon import LexiconChange
from reader.editor.pages import Version
from reader.editor.service import (
    Deleted,
    Impact,
    LexiconDocument,
    LexiconSaved,
    Published,
    RolledBack,
)
from reader.editor.views import PageRow, PageScript
from reader.errors import PageTooLarge
from reader.web.catalog import danish_sort_key
from reader.web.deps import EditorDep, SettingsDep, SlugDep
from reader.web.schemas import failures

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="EditorToken",
    description="A token from READER_ADMIN_TOKEN",
)


async def _signed_in(
    editor: EditorDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Editor:
    return editor.tokens.authenticate(credentials.credentials if credentials else None)


SignedInDep = Annotated[Editor, Depends(_signed_in)]

router = APIRouter(
    prefix="/api", tags=["editor"], dependencies=[Depends(_signed_in)], responses=failures(401, 403)
)

_ENTRY_PROBLEMS = {
    404: "No entry with that written form",
    409: "The entry exists already, or the lexicon changed meanwhile",
    422: "Not an entry that can be used (empty, too long, '#', '=' or a line break)",
}


class Whoami(BaseModel):
    label: str = Field(description="The token's label, as the audit log writes it")


class RollbackRequest(BaseModel):
    version: str | None = Field(
        default=None, description="A kept version's id; default: the newest that differs"
    )


class RegenerateRequest(BaseModel):
    section: str | None = Field(default=None, description="Make this section first")
    force: bool = Field(default=False, description="Speak every sentence anew, cached or not")


class RegenerateAllRequest(BaseModel):
    states: list[PageState] = Field(
        default=["stale"], min_length=1, description="Pages in these states"
    )


class EntryBody(BaseModel):
    written: str = Field(description="The written form")
    spoken: str = Field(description="How it is said")


def _job_location(response: Response, job: JobView) -> JobView:
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job


@router.get("/whoami", response_model=Whoami)
def whoami(editor: SignedInDep) -> Whoami:
    return Whoami(label=editor.label)


@router.get("/status", response_model=list[PageRow])
def status(service: EditorDep) -> list[PageRow]:
    """Every page with the state of its audio."""
    return sorted(service.rows(), key=lambda row: danish_sort_key(row.title))


@router.get("/pages/{slug}/script", response_model=PageScript, responses=failures(404, 422))
def script(slug: SlugDep, service: EditorDep) -> PageScript:
    """The page as it will be spoken, sentence by sentence, with LIX per section."""
    return service.script(slug)


async def _page_bytes(request: Request, limit: int) -> bytes:
    too_large = PageTooLarge(
        f"Siden er større end {limit} bytes, som er det største, der kan udgives "
        "(READER_MAX_PAGE_BYTES)."
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


_MANAGED = (
    "A page read from a site by its address (changed on the site, fetched again from there), "
    "or a name reader's own routes use (lookup)"
)


@router.put(
    "/pages/{slug}",
    response_model=Published,
    responses={
        201: {"model": Published, "description": "A new page"},
        **failures(
            404,
            409,
            413,
            422,
            503,
            described={
                404: "Not a valid page slug",
                409: _MANAGED,
                413: "Over READER_MAX_PAGE_BYTES",
                422: "Not a page that can be read aloud",
            },
        ),
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
async def put_page(
    slug: SlugDep,
    request: Request,
    response: Response,
    service: EditorDep,
    editor: SignedInDep,
    settings: SettingsDep,
) -> Published:
    """Publish the page's HTML (as the CMS does). The replaced version is kept."""
    data = await _page_bytes(request, settings.max_page_bytes)
    published = await run_in_threadpool(service.publish, slug, data, editor)
    response.status_code = 201 if published.created else 200
    return published


@router.delete(
    "/pages/{slug}",
    response_model=Deleted,
    responses=failures(404, 409, 422, 503, described={409: _MANAGED}),
)
def delete_page(slug: SlugDep, service: EditorDep, editor: SignedInDep) -> Deleted:
    """Remove the page; its last version is kept, so a rollback brings it back."""
    return service.delete(slug, editor)


@router.get("/pages/{slug}/versions", response_model=list[Version], responses=failures(404, 422))
def versions(slug: SlugDep, service: EditorDep) -> list[Version]:
    """Kept earlier versions, newest first."""
    return service.versions(slug)


@router.post(
    "/pages/{slug}/rollback",
    response_model=RolledBack,
    responses=failures(400, 404, 409, 422, 503, described={409: _MANAGED}),
)
def rollback(
    slug: SlugDep,
    service: EditorDep,
    editor: SignedInDep,
    body: Annotated[RollbackRequest | None, Body()] = None,
) -> RolledBack:
    """Make a kept version the page again; the page it replaces is kept too."""
    return service.rollback(slug, body.version if body else None, editor)


@router.post(
    "/pages/{slug}/regenerate",
    status_code=202,
    response_model=JobView,
    responses=failures(400, 404, 422, 503),
)
def regenerate(
    slug: SlugDep,
    response: Response,
    service: EditorDep,
    editor: SignedInDep,
    body: Annotated[RegenerateRequest | None, Body()] = None,
) -> JobView:
    """Make the page's audio again: only sentences that changed are spoken anew (unless
    ``force``). The old audio plays until the new is ready. Follow the job at ``Location``."""
    body = body or RegenerateRequest()
    job = service.regenerate(slug, editor, section=body.section, force=body.force)
    return _job_location(response, job)


@router.post(
    "/regenerate", status_code=202, response_model=JobView, responses=failures(400, 422, 503)
)
def regenerate_all(
    response: Response,
    service: EditorDep,
    editor: SignedInDep,
    body: Annotated[RegenerateAllRequest | None, Body()] = None,
) -> JobView:
    """Make new audio for every page whose audio is stale (or in the states given)."""
    body = body or RegenerateAllRequest()
    return _job_location(response, service.regenerate_stale(editor, set(body.states)))


@router.get("/jobs", response_model=list[JobView], responses=failures(503))
def jobs(service: EditorDep) -> list[JobView]:
    """The latest jobs (of every replica), newest first."""
    return service.jobs.recent()


@router.get("/jobs/{job_id}", response_model=JobView, responses=failures(404, 422, 503))
async def job(
    job_id: str,
    service: EditorDep,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for the end")] = 0,
) -> JobView:
    """A job's state and progress; with ``wait``, answers as soon as it ends (or after
    ``wait`` seconds)."""
    # Blocking: the job may be read from the store another replica saves it in.
    view = await run_in_threadpool(service.jobs.get, job_id)
    if wait and view.state in ("queued", "running"):
        future = asyncio.wrap_future(await run_in_threadpool(service.jobs.future, job_id))
        try:
            return await asyncio.wait_for(asyncio.shield(future), wait)
        except TimeoutError:
            return await run_in_threadpool(service.jobs.get, job_id)
    return view


CANCEL_WAIT = 10.0
"""Seconds the cancel route waits for a running job to reach the end of its current clips."""


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobView,
    responses={
        202: {"model": JobView, "description": "Still stopping: follow it at Location"},
        **failures(404, 409, 422, 503, described={409: "The job is over already"}),
    },
)
async def cancel_job(
    job_id: str, response: Response, service: EditorDep, editor: SignedInDep
) -> JobView:
    """Stop the job between two clips; it ends as ``cancelled`` and the page keeps its old
    audio. The clips made so far stay cached, so a later job reuses them."""
    view = await run_in_threadpool(service.cancel_job, job_id, editor)
    if view.state in ("queued", "running"):
        future = asyncio.wrap_future(await run_in_threadpool(service.jobs.future, job_id))
        try:
            view = await asyncio.wait_for(asyncio.shield(future), CANCEL_WAIT)
        except TimeoutError:
            view = await run_in_threadpool(service.jobs.get, job_id)
    if view.state in ("queued", "running"):
        response.status_code = 202
        _job_location(response, view)
    return view


@router.get("/lexicon", response_model=LexiconDocument)
def lexicon(service: EditorDep) -> LexiconDocument:
    """The pronunciation lexicon's entries, and the lines that have problems."""
    return service.lexicon_document()


@router.post(
    "/lexicon/preview",
    response_model=Impact,
    responses=failures(400, 404, 409, 422, described=_ENTRY_PROBLEMS),
)
def preview(change: LexiconChange, service: EditorDep) -> Impact:
    """What the change would do: affected sentences before and after, and a clip of one.
    Nothing is saved."""
    return service.preview(change)


@router.post(
    "/lexicon/entries",
    status_code=201,
    response_model=LexiconSaved,
    responses=failures(400, 409, 422, 503, described=_ENTRY_PROBLEMS),
)
def add_entry(body: EntryBody, service: EditorDep, editor: SignedInDep) -> LexiconSaved:
    change = LexiconChange(action="add", written=body.written, spoken=body.spoken)
    return service.save_lexicon(change, editor)


@router.put(
    "/lexicon/entries/{written:path}",
    response_model=LexiconSaved,
    responses=failures(400, 404, 409, 422, 503, described=_ENTRY_PROBLEMS),
)
def change_entry(
    written: str, body: EntryBody, service: EditorDep, editor: SignedInDep
) -> LexiconSaved:
    """Change the entry for ``written`` (its written form may change too)."""
    change = LexiconChange(
        action="change", written=body.written, spoken=body.spoken, original=written
    )
    return service.save_lexicon(change, editor)


@router.delete(
    "/lexicon/entries/{written:path}",
    response_model=LexiconSaved,
    responses=failures(404, 409, 422, 503, described=_ENTRY_PROBLEMS),
)
def delete_entry(written: str, service: EditorDep, editor: SignedInDep) -> LexiconSaved:
    change = LexiconChange(action="delete", written=written)
    return service.save_lexicon(change, editor)


@router.get("/audit", response_model=list[AuditEntry], responses=failures(422))
def audit(
    service: EditorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    target: Annotated[str | None, Query(max_length=100)] = None,
) -> list[AuditEntry]:
    """Who changed or regenerated what, and when; newest first."""
    return service.audit_entries(limit, target)
