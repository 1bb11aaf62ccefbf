"""The editors' service: every editor action, audited, with regeneration after each change.

Routes call one method each. Methods block (files, extraction, synthesis): call them from a
worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from pydantic import BaseModel, Field, JsonValue

from reader.audio.manifest import PageState
from reader.audio.upgrade import read_status
from reader.config import Settings
from reader.editor.audit import ON_DISK, AuditAction, AuditEntry, AuditLog
from reader.editor.auth import Editor, EditorTokens
from reader.editor.impact import (
    AffectedPage,
    PreviewClip,
    affected_pages,
    preview_clip,
    to_synthesise,
)
from reader.editor.jobs import JobRunner, JobView
from reader.editor.lexicon import LexiconChange, LexiconFile
from reader.editor.pages import PageFiles, Version
from reader.editor.views import PageRow, PageScript, page_rows, page_script
from reader.editor.watch import ContentWatcher, DiskChange
from reader.errors import Busy, ReaderError
from reader.services import Services

logger = logging.getLogger(__name__)

REBUILT_STATES: frozenset[PageState] = frozenset({"stale", "missing", "degraded"})
"""After a change, pages in these states get new audio (when regeneration is automatic)."""


class Published(BaseModel):
    slug: str
    title: str
    created: bool = Field(description="There was no page with this slug before")
    changed: bool = Field(description="False: the page was already exactly this")
    sentences: int
    to_synthesise: int = Field(description="Sentences that need new audio (engine calls)")
    kept: Version | None = Field(description="The replaced version, kept for a rollback")
    job: JobView | None = Field(description="The job making the new audio")


class Deleted(BaseModel):
    slug: str
    kept: Version


class RolledBack(BaseModel):
    slug: str
    title: str
    restored: Version
    job: JobView | None


class LexiconEntryView(BaseModel):
    written: str
    spoken: str
    line: int


class LexiconProblemView(BaseModel):
    line: int
    message: str


class LexiconDocument(BaseModel):
    entries: list[LexiconEntryView]
    problems: list[LexiconProblemView] = Field(description="Lines skipped, and why")


class Impact(BaseModel):
    """What a lexicon change does; ``preview`` is a clip of the first affected sentence."""

    change: LexiconChange
    line: int = Field(description="The line of the file the change is on")
    pages: list[AffectedPage]
    sentences: int = Field(description="Sentences whose spoken text changes")
    to_synthesise: int = Field(description="Engine calls the change costs")
    preview: PreviewClip | None = None
    preview_error: str | None = None


class LexiconSaved(Impact):
    jobs: list[JobView] = Field(description="Jobs making the affected pages' new audio")


class EditorService:
    """Everything editors do. ``close`` stops its threads."""

    def __init__(
        self,
        *,
        settings: Settings,
        services: Services,
        tokens: EditorTokens,
        audit: AuditLog,
        pages: PageFiles,
        lexicon: LexiconFile,
        jobs: JobRunner,
    ) -> None:
        self.settings = settings
        self.services = services
        self.builder = services.builder
        self.tokens = tokens
        self.audit = audit
        self.pages = pages
        self.lexicon = lexicon
        self.jobs = jobs
        self.jobs.on_finish = self._job_finished
        self.jobs.on_resume = self._job_resumed
        self.watcher = ContentWatcher(
            settings.pages_dir,
            settings.lexicon_path,
            self.on_disk,
            interval=settings.watch_interval,
            baseline=services.backends.content,
        )

    @classmethod
    def build(cls, settings: Settings, services: Services) -> EditorService:
        return cls(
            settings=settings,
            services=services,
            tokens=EditorTokens.from_settings(settings),
            audit=AuditLog(settings.data_dir / "audit.jsonl"),
            pages=PageFiles(
                services.store,
                settings.content_dir / "versions",
                keep=settings.page_versions,
                max_sentences=settings.max_page_sentences,
            ),
            lexicon=LexiconFile(settings.lexicon_path),
            jobs=JobRunner(
                services.builder,
                store=services.backends.jobs,
                locks=services.backends.locks,
                workers=settings.job_workers,
            ),
        )

    def start(self) -> None:
        """Blocking: takes stock of the content files, takes up the jobs the service stopped
        during, gives pages changed while it was stopped new audio (the replica that watches the
        content does, when several share it), then starts the threads."""
        self.watcher.prime()
        for job in self.jobs.start():
            self._job_resumed(job)
        if self.watcher.leads():  # replicas sharing the content: the one that watches it
            self.catch_up()
        self.watcher.start()

    def catch_up(self) -> list[str]:
        """Pages whose audio was made from other text (or another lexicon) than they have now,
        however they changed meanwhile: each is noted in the audit log and, when regeneration
        is automatic, given new audio. Returns their slugs."""
        stale = []
        for slug in self.services.store.slugs():
            try:
                status = self.builder.status(slug)
            except ReaderError:
                continue  # a page that cannot be read is reported when it is asked for
            except OSError as error:
                # A data directory that cannot be read: /readyz says so; start all the same.
                logger.warning("cannot compare the pages with their audio: %s", error)
                break
            if status.state != "stale" or status.manifest is None:
                continue
            stale.append(slug)
            built = status.manifest.built_at
            try:
                self.audit.record(
                    ON_DISK,
                    "audio.stale_on_start",
                    slug,
                    "Siden eller udtaleleksikonet er ændret, siden lyden blev lavet "
                    f"({built:%Y-%m-%d %H:%M:%S} UTC) – lyden er forældet",
                    {"audio": status.state, "built_at": built.isoformat()},
                )
            except ReaderError as error:  # a full disk does not keep the service from starting
                logger.warning("could not note that %s is stale: %s", slug, error.message)
            if self.jobs.active_for(slug) is None:
                self._regenerate_if_needed(slug, ON_DISK)
        return stale

    def close(self) -> None:
        self.watcher.stop()
        self.jobs.stop()

    # --- pages ---------------------------------------------------------------------------------

    def rows(self) -> list[PageRow]:
        rows = page_rows(self.builder, self.jobs)
        upgrade = read_status(self.settings.data_dir) or {}
        for row in rows:
            row.versions = len(self.pages.versions(row.slug))
            if row.audio == "degraded" and upgrade.get("state") in ("upgrading", "waiting"):
                now = upgrade.get("state") == "upgrading" and upgrade.get("slug") == row.slug
                row.upgrade = "upgrading" if now else "waiting"
        return rows

    def script(self, slug: str) -> PageScript:
        return page_script(self.builder, slug)

    def publish(self, slug: str, data: bytes, editor: Editor) -> Published:
        path = self.services.store.path(slug)
        self.audit.check_room()
        with self.watcher.writing(path):
            done = self.pages.publish(slug, data)
        _, lines = self.builder.script(slug)
        missing = len(
            {line.spoken for line in lines if self.builder.clips.lookup(line.spoken) is None}
        )
        job = None
        if done.changed:
            verb = "Oprettede" if done.created else "Udgav en ny version af"
            self.audit.record(
                editor.label,
                "page.published",
                slug,
                f"{verb} siden »{done.page.title}«",
                {"bytes": len(data), "created": done.created, "to_synthesise": missing},
            )
            job = self._regenerate_if_needed(slug, editor.label)
        return Published(
            slug=slug,
            title=done.page.title,
            created=done.created,
            changed=done.changed,
            sentences=len(lines),
            to_synthesise=missing,
            kept=done.kept,
            job=job,
        )

    def delete(self, slug: str, editor: Editor) -> Deleted:
        path = self.services.store.path(slug)
        self.audit.check_room()
        with self.watcher.writing(path):
            kept = self.pages.delete(slug)
        self.audit.record(
            editor.label,
            "page.deleted",
            slug,
            "Slettede siden; den seneste version er gemt og kan hentes tilbage",
            {"kept": kept.id},
        )
        return Deleted(slug=slug, kept=kept)

    def versions(self, slug: str) -> list[Version]:
        return self.pages.versions(slug)

    def rollback(self, slug: str, version: str | None, editor: Editor) -> RolledBack:
        path = self.services.store.path(slug)
        self.audit.check_room()
        with self.watcher.writing(path):
            page, restored = self.pages.rollback(slug, version)
        self.audit.record(
            editor.label,
            "page.rolled_back",
            slug,
            f"Gik tilbage til versionen fra {restored.saved_at:%Y-%m-%d %H:%M:%S} UTC",
            {"version": restored.id},
        )
        job = self._regenerate_if_needed(slug, editor.label)
        return RolledBack(slug=slug, title=page.title, restored=restored, job=job)

    # --- audio ---------------------------------------------------------------------------------

    def regenerate(
        self, slug: str, editor: Editor, *, section: str | None = None, force: bool = False
    ) -> JobView:
        self.audit.check_room()
        job = self.jobs.submit_page(slug, by=editor.label, section=section, force=force)
        what = f"afsnittet {section!r}" if section else "siden"
        self.audit.record(
            editor.label,
            "audio.requested",
            slug,
            f"Bad om ny lyd til {what}" + (" (alt indtales igen)" if force else ""),
            {"job": job.id, "section": section, "force": force},
        )
        return job

    def regenerate_stale(self, editor: Editor, states: Collection[PageState]) -> JobView:
        self.audit.check_room()
        job = self.jobs.submit_stale(by=editor.label, states=states)
        names = ", ".join(sorted(states))
        self.audit.record(
            editor.label,
            "audio.requested",
            "*",
            f"Bad om ny lyd til alle sider med lyden: {names}",
            {"job": job.id, "states": list[JsonValue](sorted(states))},
        )
        return job

    def _regenerate_if_needed(self, slug: str, who: str) -> JobView | None:
        if not self.settings.auto_regenerate:
            return None
        try:
            if self.builder.status(slug).state not in REBUILT_STATES:
                return None
            return self.jobs.submit_page(slug, by=who)
        except Busy:
            logger.info("jobs queue full: %s gets new audio when a listener asks", slug)
        except ReaderError as error:
            logger.info("no new audio for %s: %s", slug, error.message)
        return None

    def cancel_job(self, job_id: str, editor: Editor) -> JobView:
        self.audit.check_room()
        job = self.jobs.cancel(job_id)
        self.audit.record(
            editor.label,
            "audio.cancelled",
            job.slug or "*",
            "Annullerede jobbet; den gamle lyd spilles stadig",
            _job_details(job),
        )
        return job

    def _job_resumed(self, job: JobView) -> None:
        try:
            self.audit.record(
                job.by,
                "audio.resumed",
                job.slug or "*",
                "Tjenesten stoppede under jobbet; det er taget op igen",
                _job_details(job) | {"interruptions": job.interruptions},
            )
        except ReaderError as error:  # a full disk does not keep the service from starting
            logger.warning("could not note that job %s resumed: %s", job.id, error.message)

    def _job_finished(self, job: JobView) -> None:
        target = job.slug or "*"
        if job.state == "done":
            summary = f"Ny lyd er klar: {job.synthesised} sætninger indtalt, {job.reused} genbrugt"
            self.audit.record(job.by, "audio.done", target, summary, _job_details(job))
        elif job.state == "cancelled":
            pass  # the editor's cancel is logged where it was asked for
        elif job.state == "interrupted":
            summary = "Tjenesten stoppede under jobbet; det tages op igen ved næste start"
            self.audit.record(job.by, "audio.interrupted", target, summary, _job_details(job))
        else:
            summary = f"Ny lyd fejlede, den gamle lyd spilles stadig: {job.error}"
            self.audit.record(job.by, "audio.failed", target, summary, _job_details(job))

    # --- lexicon -------------------------------------------------------------------------------

    def lexicon_document(self) -> LexiconDocument:
        lexicon = self.lexicon.read()
        return LexiconDocument(
            entries=[
                LexiconEntryView(written=e.written, spoken=e.spoken, line=e.line)
                for e in lexicon.entries
            ],
            problems=[LexiconProblemView(line=p.line, message=p.message) for p in lexicon.problems],
        )

    def preview(self, change: LexiconChange) -> Impact:
        """The change's impact and a clip of its first affected sentence; nothing is saved."""
        with self.lexicon.lock:
            edit = self.lexicon.edit(change)
        pages = affected_pages(self.builder, edit.before, edit.after)
        impact = _impact(change, edit.line, pages)
        try:
            impact.preview = preview_clip(self.builder, pages)
        except ReaderError as error:
            impact.preview_error = error.message
        return impact

    def save_lexicon(self, change: LexiconChange, editor: Editor) -> LexiconSaved:
        """Save the change; the pages it touches are stale from now on, and get new audio."""
        with self.lexicon.lock:
            edit = self.lexicon.edit(change)
            pages = affected_pages(self.builder, edit.before, edit.after)
            self.audit.check_room()
            with self.watcher.writing(self.lexicon.path):
                self.lexicon.save(edit)
        impact = _impact(change, edit.line, pages)
        actions: dict[str, AuditAction] = {
            "add": "lexicon.added",
            "change": "lexicon.changed",
            "delete": "lexicon.deleted",
        }
        self.audit.record(
            editor.label,
            actions[change.action],
            "lexicon",
            _lexicon_summary(change, impact),
            {
                "written": change.written,
                "spoken": change.spoken,
                "original": change.original,
                "pages": list[JsonValue](page.slug for page in pages),
                "sentences": impact.sentences,
            },
        )
        jobs = [
            job for page in pages if (job := self._regenerate_if_needed(page.slug, editor.label))
        ]
        return LexiconSaved(**impact.model_dump(), jobs=jobs)

    # --- audit ---------------------------------------------------------------------------------

    def audit_entries(self, limit: int, target: str | None) -> list[AuditEntry]:
        return self.audit.recent(limit, target=target)

    # --- changes on disk -----------------------------------------------------------------------

    def on_disk(self, changes: Sequence[DiskChange]) -> None:
        """Called by the watcher: log each change and give changed pages new audio."""
        for change in changes:
            if change.kind == "lexicon":
                self._lexicon_on_disk()
            elif change.slug is not None:
                self._page_on_disk(change)

    def _page_on_disk(self, change: DiskChange) -> None:
        slug = change.slug
        assert slug is not None
        if change.event == "removed":
            self.audit.record(
                ON_DISK, "page.removed_on_disk", slug, "Siden blev fjernet fra disken"
            )
            return
        action: AuditAction = (
            "page.added_on_disk" if change.event == "added" else "page.changed_on_disk"
        )
        verb = "lagt på" if change.event == "added" else "ændret på"
        try:
            state = self.builder.status(slug).state
        except ReaderError as error:
            self.audit.record(
                ON_DISK,
                action,
                slug,
                f"Siden blev {verb} disken, men kan ikke læses: {error.message}",
                {"error": error.message},
            )
            return
        stale = " – lyden er forældet" if state in REBUILT_STATES else ""
        self.audit.record(
            ON_DISK,
            action,
            slug,
            f"Siden blev {verb} disken{stale}",
            {"audio": state},
        )
        self._regenerate_if_needed(slug, ON_DISK)

    def _lexicon_on_disk(self) -> None:
        stale = []
        for slug in self.services.store.slugs():
            try:
                if self.builder.status(slug).state == "stale":
                    stale.append(slug)
            except ReaderError:
                continue
        self.audit.record(
            ON_DISK,
            "lexicon.changed_on_disk",
            "lexicon",
            "Udtaleleksikonet blev ændret på disken; "
            f"{_count(len(stale), 'side', 'sider')} har nu forældet lyd",
            {"stale_pages": list[JsonValue](stale)},
        )
        for slug in stale:
            self._regenerate_if_needed(slug, ON_DISK)


def _impact(change: LexiconChange, line: int, pages: list[AffectedPage]) -> Impact:
    return Impact(
        change=change,
        line=line,
        pages=pages,
        sentences=sum(len(page.sentences) for page in pages),
        to_synthesise=to_synthesise(pages),
    )


def _lexicon_summary(change: LexiconChange, impact: Impact) -> str:
    reach = (
        f"{_count(impact.sentences, 'sætning', 'sætninger')} på "
        f"{_count(len(impact.pages), 'side', 'sider')}"
    )
    if change.action == "add":
        return f"Tilføjede »{change.written} = {change.spoken}« til udtaleleksikonet ({reach})"
    if change.action == "delete":
        return f"Slettede »{change.written}« fra udtaleleksikonet ({reach})"
    original = change.original or change.written
    return f"Rettede »{original}« til »{change.written} = {change.spoken}« ({reach})"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _job_details(job: JobView) -> dict[str, JsonValue]:
    return {
        "job": job.id,
        "section": job.section,
        "pages": list[JsonValue](page.slug for page in job.pages),
        "synthesised": job.synthesised,
        "reused": job.reused,
    }
