"""Editing the lexicon file: one line at a time, comments and order kept, bad entries refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.editor.errors import EntryExists, EntryNotFound, InvalidEntry, LexiconChanged
from reader.editor.lexicon import LexiconChange, LexiconFile

SOURCE = """\
# Udtaleleksikon
taastrup = tåstrup   # stednavn

htk = h t k
uden lighedstegn
"""


@pytest.fixture
def lexicon(tmp_path: Path) -> LexiconFile:
    path = tmp_path / "lexicon.txt"
    path.write_text(SOURCE, encoding="utf-8")
    return LexiconFile(path)


def saved(lexicon: LexiconFile, change: LexiconChange) -> list[str]:
    lexicon.save(lexicon.edit(change))
    return lexicon.path.read_text(encoding="utf-8").splitlines()


def test_an_addition_goes_at_the_end_and_keeps_everything_else(lexicon: LexiconFile) -> None:
    lines = saved(lexicon, LexiconChange(action="add", written="HTK", spoken="hå te kå"))
    assert lines == [*SOURCE.splitlines(), "HTK = hå te kå"]
    assert [e.written for e in lexicon.read().entries] == ["taastrup", "htk", "HTK"]


def test_a_change_replaces_its_line_and_keeps_its_comment(lexicon: LexiconFile) -> None:
    change = LexiconChange(
        action="change", original="taastrup", written="taastrup", spoken="tå-strup"
    )
    lines = saved(lexicon, change)
    assert lines[1] == "taastrup = tå-strup  # stednavn"
    assert lines[0] == "# Udtaleleksikon" and lines[3:] == SOURCE.splitlines()[3:]


def test_a_change_may_rename_the_written_form(lexicon: LexiconFile) -> None:
    change = LexiconChange(action="change", original="htk", written="h.t.k.", spoken="h t k")
    assert saved(lexicon, change)[3] == "h.t.k. = h t k"


def test_a_deletion_removes_only_its_line(lexicon: LexiconFile) -> None:
    lines = saved(lexicon, LexiconChange(action="delete", written="htk"))
    assert lines == [line for line in SOURCE.splitlines() if not line.startswith("htk")]
    # The line with a problem stays as the editors wrote it.
    assert lexicon.read().problems[0].message.startswith('mangler "="')


def test_the_edit_knows_both_lexicons_and_its_line(lexicon: LexiconFile) -> None:
    edit = lexicon.edit(LexiconChange(action="add", written="råd", spoken="rådd"))
    assert edit.before.apply("et råd") == "et råd"
    assert edit.after.apply("et råd") == "et rådd"
    assert edit.line == 6
    assert lexicon.path.read_text(encoding="utf-8") == SOURCE  # nothing saved yet


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param(
            LexiconChange(action="add", written="htk", spoken="x"), EntryExists, id="exists"
        ),
        pytest.param(
            LexiconChange(action="change", original="htk", written="taastrup", spoken="x"),
            EntryExists,
            id="renamed-onto-another",
        ),
        pytest.param(LexiconChange(action="delete", written="findes"), EntryNotFound, id="missing"),
        pytest.param(
            LexiconChange(action="change", original="findes", written="findes", spoken="x"),
            EntryNotFound,
            id="change-missing",
        ),
        pytest.param(
            LexiconChange(action="add", written=" ", spoken="x"), InvalidEntry, id="empty"
        ),
        pytest.param(
            LexiconChange(action="add", written="a", spoken=None), InvalidEntry, id="no-say"
        ),
        pytest.param(
            LexiconChange(action="add", written="a#b", spoken="x"), InvalidEntry, id="hash"
        ),
        pytest.param(
            LexiconChange(action="add", written="a", spoken="b=c"), InvalidEntry, id="equals"
        ),
        pytest.param(
            LexiconChange(action="add", written="a\nb = c", spoken="x"), InvalidEntry, id="newline"
        ),
        pytest.param(
            LexiconChange(action="add", written="…", spoken="x"), InvalidEntry, id="no-word"
        ),
        pytest.param(
            LexiconChange(action="add", written="a" * 201, spoken="x"), InvalidEntry, id="too-long"
        ),
    ],
)
def test_changes_that_cannot_be_made_are_refused(
    lexicon: LexiconFile, change: LexiconChange, error: type[Exception]
) -> None:
    with pytest.raises(error):
        lexicon.edit(change)
    assert lexicon.path.read_text(encoding="utf-8") == SOURCE


def test_spaces_in_a_form_are_collapsed(lexicon: LexiconFile) -> None:
    lines = saved(lexicon, LexiconChange(action="add", written=" bl.  a. ", spoken="blandt  andet"))
    assert lines[-1] == "bl. a. = blandt andet"


def test_a_file_changed_meanwhile_is_not_overwritten(lexicon: LexiconFile) -> None:
    edit = lexicon.edit(LexiconChange(action="add", written="råd", spoken="rådd"))
    lexicon.path.write_text(SOURCE + "kbh = københavn\n", encoding="utf-8")
    with pytest.raises(LexiconChanged):
        lexicon.save(edit)
    assert "kbh = københavn" in lexicon.path.read_text(encoding="utf-8")


def test_a_missing_file_is_created_by_the_first_addition(tmp_path: Path) -> None:
    lexicon = LexiconFile(tmp_path / "lexicon.txt")
    assert saved(lexicon, LexiconChange(action="add", written="htk", spoken="h t k")) == [
        "htk = h t k"
    ]
