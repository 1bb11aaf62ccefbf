"""Editing the pronunciation lexicon file: one entry added, changed or deleted at a time.

The file is edited line by line, so comments, blank lines, the order of the entries and lines
that have problems all stay as they were: an addition goes at the end, a change replaces its
line (keeping a comment at its end), a deletion removes its line.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from reader._atomic import write_atomic
from reader.editor.errors import (
    EntryExists,
    EntryNotFound,
    InvalidEntry,
    LexiconChanged,
    NotWritable,
)
from reader.editor.pages import touch_after
from reader.speech.lexicon import Lexicon, parse_lexicon

MAX_FORM_LENGTH = 200
_FORBIDDEN = re.compile(r"[#=\r\n\x00-\x1f]")
_WORD_CHAR = re.compile(r"\w")


class LexiconChange(BaseModel):
    """One change an editor proposes (and, once they have seen its impact, saves)."""

    action: Literal["add", "change", "delete"]
    written: str = Field(
        description="The written form: the new entry's, the changed entry's new one, or the "
        "deleted entry's"
    )
    spoken: str | None = Field(default=None, description="How it is said (not for delete)")
    original: str | None = Field(
        default=None, description="For a change: the written form the entry has now"
    )


@dataclass(frozen=True)
class Edit:
    """A change applied to the file's text, not yet saved."""

    before_text: str
    after_text: str
    before: Lexicon
    after: Lexicon
    line: int
    """The line the change is on (for an addition: the new last line)."""


def check_form(value: str, what: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidEntry(f"{what} er tom.")
    if len(cleaned) > MAX_FORM_LENGTH:
        raise InvalidEntry(f"{what} er længere end {MAX_FORM_LENGTH} tegn.")
    if _FORBIDDEN.search(cleaned):
        raise InvalidEntry(f'{what} må ikke indeholde "#", "=" eller linjeskift.')
    if not _WORD_CHAR.search(cleaned):
        raise InvalidEntry(f"{what} skal indeholde mindst ét bogstav eller tal.")
    return cleaned


class LexiconFile:
    """``content/lexicon.txt``; edits are made under a lock, from the file as it is now."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        """Held by whoever edits the file, from reading it to saving it."""

    def read_text(self) -> str:
        try:
            return self.path.read_bytes().decode("utf-8-sig", errors="replace")
        except FileNotFoundError:
            return ""

    def read(self) -> Lexicon:
        return parse_lexicon(self.read_text())

    def edit(self, change: LexiconChange) -> Edit:
        """The file's text with ``change`` made; raises if the change cannot be made."""
        text = self.read_text()
        before = parse_lexicon(text)
        lines = text.splitlines()
        by_written = {entry.written: entry for entry in before.entries}
        if change.action == "add":
            written, spoken = self._forms(change)
            if written in by_written:
                raise EntryExists(
                    f'"{written}" står allerede i linje {by_written[written].line}; ret den i '
                    "stedet."
                )
            lines.append(f"{written} = {spoken}")
            line = len(lines)
        else:
            original = " ".join((change.original or change.written).split())
            entry = by_written.get(original)
            if entry is None:
                raise EntryNotFound(f'"{original}" står ikke i udtaleleksikonet.')
            line = entry.line
            if change.action == "delete":
                del lines[line - 1]
            else:
                written, spoken = self._forms(change)
                if written != original and written in by_written:
                    raise EntryExists(
                        f'"{written}" står allerede i linje {by_written[written].line}.'
                    )
                comment = lines[line - 1].partition("#")[2]
                suffix = f"  #{comment}" if comment else ""
                lines[line - 1] = f"{written} = {spoken}{suffix}"
        after_text = "\n".join(lines) + "\n" if lines else ""
        after = parse_lexicon(after_text)
        if len(after.problems) > len(before.problems):
            raise InvalidEntry(after.problems[-1].message)
        return Edit(text, after_text, before, after, line)

    def save(self, edit: Edit) -> None:
        """Write the edited text, unless the file changed since ``edit`` read it."""
        if self.read_text() != edit.before_text:
            raise LexiconChanged("Udtaleleksikonet er ændret imens. Hent det igen og prøv igen.")
        try:
            previous: int | None = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            previous = None
        try:
            write_atomic(self.path, edit.after_text.encode("utf-8"))
            touch_after(self.path, previous)
        except OSError as error:
            raise NotWritable("Udtaleleksikonet", error) from None

    @staticmethod
    def _forms(change: LexiconChange) -> tuple[str, str]:
        written = check_form(change.written, "Den skrevne form")
        spoken = check_form(change.spoken or "", "Udtalen")
        single = parse_lexicon(f"{written} = {spoken}")
        if single.problems:
            raise InvalidEntry(single.problems[0].message)
        return written, spoken
