"""The editors' pronunciation lexicon: written forms replaced by how they should be said.

The file (``content/lexicon.txt``) is plain UTF-8, one entry per line::

    # a comment; blank lines are fine too
    taastrup = tåstrup        # a comment may also end a line

Rules, in the order they matter:

* An entry matches whole words or phrases only, never inside a word: "råd" does not touch
  "rådet". A hyphen ends a word ("taastrup" matches in "Høje-Taastrup"), but "@", "." and "/"
  between letters do not, so an entry never changes the inside of an e-mail or web address
  ("htk" leaves "JamillaJa@htk.dk" alone; the normalisation rules read addresses).
* A written form in lowercase matches any case; when the matched text begins with a capital
  letter the spoken form does too ("Taastrup" → "Tåstrup"). A written form with a capital letter
  matches exactly that spelling, so "HTK = H T K" and "htk = …" can differ.
* Spaces inside a written form match any run of whitespace.
* The longest written form wins where several could match at one place.
* The lexicon is applied before the normalisation rules, so an entry can override a rule
  ("mv. = med mere"); the spoken form then still goes through the rules.

A malformed line (no "=", more than one "=", an empty side, a written form that already has an
entry, bytes that are not UTF-8) is reported as a :class:`LexiconProblem` with its line number
and skipped. Nothing in the file can stop the service: a missing or unreadable file is an empty
lexicon.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
# A match must not touch a word character, nor a "@", "." or "/" that joins it to one.
_BEFORE = r"(?<!\w)(?<!\w[@./])"
_AFTER = r"(?!\w)(?![@./]\w)"


@dataclass(frozen=True)
class LexiconEntry:
    """One line of the lexicon: ``written = spoken``."""

    written: str
    spoken: str
    line: int = 0

    @property
    def exact(self) -> bool:
        """A written form with a capital letter matches only that exact spelling."""
        return self.written != self.written.lower()


@dataclass(frozen=True)
class LexiconProblem:
    """A line that was skipped, and why (in Danish, for the editors)."""

    line: int
    message: str


def _clean(value: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


class Lexicon:
    """Entries ready to apply, plus the problems found while reading them."""

    def __init__(
        self,
        entries: Iterable[LexiconEntry] = (),
        problems: Iterable[LexiconProblem] = (),
    ) -> None:
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        kept: list[LexiconEntry] = []
        for entry in entries:
            table = exact if entry.exact else folded
            if entry.written in table:
                continue
            table[entry.written] = entry.spoken
            kept.append(entry)
        self.entries: tuple[LexiconEntry, ...] = tuple(kept)
        self.problems: list[LexiconProblem] = list(problems)
        self._exact = exact
        self._folded = folded
        self._pattern = _compile(kept)
        canonical = "\n".join(sorted(f"{e.written}\t{e.spoken}" for e in kept))
        self.fingerprint: str = hashlib.sha256(canonical.encode()).hexdigest()

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"Lexicon({len(self.entries)} entries, {len(self.problems)} problems)"

    def apply(self, text: str) -> str:
        """Replace every whole-word occurrence of a written form with its spoken form."""
        if self._pattern is None:
            return text
        return self._pattern.sub(self._replacement, text)

    def _replacement(self, match: re.Match[str]) -> str:
        found = _SPACES.sub(" ", match.group(0))
        spoken = self._exact.get(found)
        if spoken is not None:
            return spoken
        spoken = self._folded[found.lower()]
        if found[:1].isupper() and spoken[:1].islower():
            return spoken[:1].upper() + spoken[1:]
        return spoken


def _compile(entries: list[LexiconEntry]) -> re.Pattern[str] | None:
    if not entries:
        return None
    # Longest first, and an exact entry before a case-folded one of the same length.
    ordered = sorted(entries, key=lambda e: (-len(e.written), not e.exact))
    alternatives = []
    for entry in ordered:
        body = r"\s+".join(re.escape(word) for word in entry.written.split(" "))
        alternatives.append(body if entry.exact else f"(?i:{body})")
    return re.compile(f"{_BEFORE}(?:{'|'.join(alternatives)}){_AFTER}")


def parse_lexicon(source: str) -> Lexicon:
    """Read lexicon text; bad lines become problems, never exceptions."""
    entries: list[LexiconEntry] = []
    problems: list[LexiconProblem] = []
    seen: dict[tuple[bool, str], int] = {}
    for number, raw in enumerate(source.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "\ufffd" in line:
            problems.append(LexiconProblem(number, "linjen er ikke gyldig UTF-8"))
            continue
        if "=" not in line:
            problems.append(LexiconProblem(number, 'mangler "=" (skriv: skrevet form = udtale)'))
            continue
        written, _, spoken = (_clean(part) for part in line.partition("="))
        if "=" in spoken:
            problems.append(LexiconProblem(number, 'mere end ét "=" på linjen'))
            continue
        if not written:
            problems.append(LexiconProblem(number, 'den skrevne form før "=" er tom'))
            continue
        if not spoken:
            problems.append(LexiconProblem(number, 'udtalen efter "=" er tom'))
            continue
        entry = LexiconEntry(written, spoken, number)
        key = (entry.exact, written)
        if key in seen:
            message = f'"{written}" står allerede i linje {seen[key]}'
            problems.append(LexiconProblem(number, message))
            continue
        seen[key] = number
        entries.append(entry)
    return Lexicon(entries, problems)


def load_lexicon(path: Path) -> Lexicon:
    """Read the lexicon file; a missing file is an empty lexicon, problems are logged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Lexicon()
    except OSError as error:
        logger.warning("lexicon %s cannot be read: %s", path, error)
        return Lexicon(problems=[LexiconProblem(0, f"filen kan ikke læses: {error.strerror}")])
    lexicon = parse_lexicon(data.decode("utf-8-sig", errors="replace"))
    for problem in lexicon.problems:
        logger.warning("lexicon %s line %d: %s", path, problem.line, problem.message)
    return lexicon
