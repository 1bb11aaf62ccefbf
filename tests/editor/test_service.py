"""The editors' service end to end over the seed pages: only what changed is spoken anew."""

from __future__ import annotations

import threading

import pytest

from reader.config import Settings
from reader.editor.auth import Editor
from reader.editor.lexicon import LexiconChange
from reader.editor.service import EditorService
from reader.speech.script import page_script
from tests.editor.apps import (
    FOREBYG,
    ONE_WORD,
    ONE_WORD_SENTENCE,
    POLITIK,
    SEEDS,
    editor_settings,
    fast_engine,
    finished,
    running_editor,
)
from tests.fakes.engines import ToneEngine

ANNA = Editor("anna")
EDITED = "Heldigvis trives langt de fleste børn og unge i Danmark."
EDIT = "Heldigvis trives næsten alle børn og unge i Danmark."


def build_all(editor: EditorService) -> None:
    for slug in SEEDS:
        finished(editor, editor.regenerate(slug, ANNA))


def edit_on_disk(settings: Settings, slug: str, old: str, new: str) -> None:
    path = settings.pages_dir / f"{slug}.html"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_publishing_an_edit_speaks_only_the_changed_sentence(
    editor: EditorService, engine: ToneEngine, esettings: Settings
) -> None:
    build_all(editor)
    old_manifest = editor.services.manifests.load(FOREBYG)
    calls = engine.calls
    page = (esettings.pages_dir / f"{FOREBYG}.html").read_text(encoding="utf-8")
    published = editor.publish(FOREBYG, page.replace(EDITED, EDIT).encode(), ANNA)
    assert published.changed and published.kept is not None
    assert published.to_synthesise == 1
    assert published.job is not None and published.job.by == "anna"
    done = finished(editor, published.job)
    assert done.synthesised == 1
    assert engine.texts[calls:] == [EDIT]
    new_manifest = editor.services.manifests.load(FOREBYG)
    assert old_manifest is not None and new_manifest is not None
    assert new_manifest.page.hash != old_manifest.page.hash
    # The old track stays, so a listener in the middle of it is not cut off.
    assert editor.services.tracks.exists(old_manifest.page.hash)
    actions = [(e.who, e.action) for e in editor.audit.recent(target=FOREBYG)][:2]
    assert actions == [("anna", "audio.done"), ("anna", "page.published")]


def test_an_edit_on_disk_is_noticed_logged_and_regenerated(
    editor: EditorService, engine: ToneEngine, esettings: Settings
) -> None:
    build_all(editor)
    calls = engine.calls
    edit_on_disk(esettings, FOREBYG, EDITED, EDIT)
    assert editor.builder.status(FOREBYG).state == "stale"
    changes = editor.watcher.scan_once()
    assert [(c.kind, c.event, c.slug) for c in changes] == [("page", "changed", FOREBYG)]
    job = editor.jobs.active_for(FOREBYG)
    assert job is not None and job.by == "disk"
    finished(editor, job)
    assert engine.texts[calls:] == [EDIT]
    assert editor.builder.status(FOREBYG).state == "fresh"
    logged = editor.audit.recent(target=FOREBYG)
    assert [e.action for e in logged][:2] == ["audio.done", "page.changed_on_disk"]
    assert "forældet" in logged[1].summary


def test_without_automatic_regeneration_a_change_only_marks_the_page_stale(
    settings: Settings,
) -> None:
    manual = editor_settings(settings, auto_regenerate=False)
    engine = fast_engine()
    with running_editor(manual, engine) as editor:
        build_all(editor)
        calls = engine.calls
        edit_on_disk(manual, FOREBYG, EDITED, EDIT)
        editor.watcher.scan_once()
        assert editor.jobs.active_for(FOREBYG) is None
        (row,) = [row for row in editor.rows() if row.slug == FOREBYG]
        assert (row.state, row.to_synthesise) == ("stale", 1)
        assert engine.calls == calls


def test_the_lexicon_preview_shows_exactly_the_sentences_it_changes(
    editor: EditorService, engine: ToneEngine
) -> None:
    build_all(editor)
    calls = engine.calls
    change = LexiconChange(action="add", **ONE_WORD)
    impact = editor.preview(change)
    assert [page.slug for page in impact.pages] == [POLITIK]
    (sentence,) = impact.pages[0].sentences
    assert ONE_WORD_SENTENCE in sentence.text
    assert "Integrationsråd," in sentence.before
    assert "Integrations-råd," in sentence.after
    assert (impact.sentences, impact.to_synthesise) == (1, 1)
    # The preview clip is the new sentence, made once through the clip cache.
    assert impact.preview is not None and impact.preview.spoken == sentence.after
    assert engine.texts[calls:] == [sentence.after]
    digest = impact.preview.audio_url.rsplit("/", 1)[1].removesuffix(".mp3")
    assert editor.services.tracks.exists(digest)
    # Nothing is saved by a preview.
    assert ONE_WORD["written"] not in editor.settings.lexicon_path.read_text(encoding="utf-8")
    assert editor.builder.status(POLITIK).state == "fresh"


@pytest.mark.parametrize("preview_first", [True, False], ids=["after-preview", "saved-directly"])
def test_a_one_word_lexicon_change_costs_one_engine_call_on_the_seed_pages(
    editor: EditorService, engine: ToneEngine, preview_first: bool
) -> None:
    build_all(editor)
    before = {slug: editor.builder.script(slug)[1] for slug in SEEDS}
    calls = engine.calls
    change = LexiconChange(action="add", **ONE_WORD)
    if preview_first:
        editor.preview(change)
    saved = editor.save_lexicon(change, ANNA)
    # Exactly the sentences the impact named differ, and so the page is stale.
    for slug in SEEDS:
        after = editor.builder.script(slug)[1]
        differ = {a.sentence_id for a, b in zip(before[slug], after, strict=True) if a != b}
        named = {s.id for p in saved.pages if p.slug == slug for s in p.sentences}
        assert differ == named
    assert editor.builder.status(POLITIK).state == "stale"
    assert editor.builder.status(FOREBYG).state == "fresh"
    assert [job.slug for job in saved.jobs] == [POLITIK]
    for job in saved.jobs:
        finished(editor, job)
    assert engine.calls - calls == 1
    assert editor.builder.status(POLITIK).state == "fresh"
    (entry,) = editor.audit.recent(target="lexicon")
    assert entry.who == "anna" and entry.action == "lexicon.added"
    assert entry.details["pages"] == [POLITIK]


def test_deleting_the_entry_again_brings_back_the_cached_audio(
    editor: EditorService, engine: ToneEngine
) -> None:
    build_all(editor)
    hash_before = editor.builder.status(POLITIK).manifest
    change = LexiconChange(action="add", **ONE_WORD)
    for job in editor.save_lexicon(change, ANNA).jobs:
        finished(editor, job)
    calls = engine.calls
    removal = LexiconChange(action="delete", written=ONE_WORD["written"])
    for job in editor.save_lexicon(removal, ANNA).jobs:
        finished(editor, job)
    assert engine.calls == calls  # every clip was still cached
    after = editor.builder.status(POLITIK).manifest
    assert hash_before is not None and after is not None
    assert after.page.hash == hash_before.page.hash


def test_a_lexicon_changed_on_disk_marks_and_regenerates_the_pages_it_touches(
    editor: EditorService, engine: ToneEngine, esettings: Settings
) -> None:
    build_all(editor)
    with esettings.lexicon_path.open("a", encoding="utf-8") as handle:
        handle.write("integrationsråd = integrations-råd\n")
    editor.watcher.scan_once()
    (entry,) = editor.audit.recent(target="lexicon")
    assert entry.who == "disk" and entry.details["stale_pages"] == [POLITIK]
    job = editor.jobs.active_for(POLITIK)
    assert job is not None
    assert finished(editor, job).synthesised == 1


def test_the_table_shows_generating_while_a_job_runs_and_failed_after_a_failure(
    settings: Settings,
) -> None:
    gate = threading.Event()
    engine = ToneEngine(ms_per_char=2, gate=gate)
    with running_editor(editor_settings(settings), engine) as editor:
        job = editor.regenerate(POLITIK, ANNA)
        states = {row.slug: row.state for row in editor.rows()}
        assert states == {POLITIK: "generating", FOREBYG: "missing"}
        engine.fail = True
        gate.set()
        failed = finished(editor, job)
        assert failed.state == "failed"
        (row,) = [row for row in editor.rows() if row.slug == POLITIK]
        assert row.state == "failed" and row.error
        assert editor.audit.recent(target=POLITIK)[0].action == "audio.failed"


def test_the_script_shows_every_sentence_written_and_spoken_with_its_voice(
    editor: EditorService,
) -> None:
    finished(editor, editor.regenerate(POLITIK, ANNA))
    script = editor.script(POLITIK)
    page, lines = editor.builder.script(POLITIK)
    shown = [s for section in script.sections for s in section.sentences]
    assert [(s.id, s.text, s.spoken) for s in shown] == [
        (line.sentence_id, line.text, line.spoken) for line in lines
    ]
    assert {s.engine for s in shown} == {"fake"}
    assert script.readability.lix is not None
    flagged = {s.id for s in shown if s.long}
    listed = {long.id for section in script.sections for long in section.readability.long_sentences}
    assert flagged == listed and flagged
    assert page_script(page, editor.builder.lexicon.get()) == lines


def test_rows_of_a_page_that_cannot_be_read_say_why(
    editor: EditorService, esettings: Settings
) -> None:
    (esettings.pages_dir / "oedelagt.html").write_bytes(b"")
    (row,) = [row for row in editor.rows() if row.slug == "oedelagt"]
    assert row.state == "failed" and row.error and "empty" in row.error
