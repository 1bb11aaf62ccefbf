"""LIX, the Danish readability index, for editors who write for listeners as well as readers.

LIX = words / sentences + 100 × long words / words, where a long word has more than six letters.
A word is a run of letters and digits; a hyphen or an apostrophe inside it does not end it
("Høje-Taastrup" is one long word). The usual Danish reading of the scale is in ``LEVELS``.

Headings and the breadcrumb are left out: they are short by nature and would make any text look
easier than it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from reader.content.models import Section

LONG_WORD_LETTERS = 6
"""A word with more letters than this is a long word."""
LONG_SENTENCE_WORDS = 25
"""A sentence with more words than this is flagged: hard to follow when heard."""

LEVELS: tuple[tuple[float, str], ...] = (
    (25, "meget let"),
    (35, "let"),
    (45, "middel"),
    (55, "svær"),
    (float("inf"), "meget svær"),
)
"""Upper bounds (exclusive) of the LIX bands and their Danish names."""

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_UNSCORED = frozenset({"heading", "context"})


class LongSentence(BaseModel):
    id: str
    words: int


class Readability(BaseModel):
    lix: float | None = Field(description="None when there are no words to score")
    level: str | None = Field(description="meget let, let, middel, svær or meget svær")
    words: int
    sentences: int
    long_words: int
    long_sentences: list[LongSentence] = Field(
        description=f"Sentences of more than {LONG_SENTENCE_WORDS} words, longest first"
    )


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def is_long_word(word: str) -> bool:
    return sum(char.isalpha() for char in word) > LONG_WORD_LETTERS


def lix(words: int, sentences: int, long_words: int) -> float | None:
    if words == 0 or sentences == 0:
        return None
    return words / sentences + 100 * long_words / words


def level(score: float) -> str:
    return next(name for bound, name in LEVELS if score < bound)


def readability(sentences: Iterable[tuple[str, str]]) -> Readability:
    """LIX of ``(sentence id, text)`` pairs, with the long sentences flagged."""
    total_words = total_sentences = total_long = 0
    long_sentences: list[LongSentence] = []
    for sentence_id, text in sentences:
        found = words_of(text)
        if not found:
            continue
        total_sentences += 1
        total_words += len(found)
        total_long += sum(is_long_word(word) for word in found)
        if len(found) > LONG_SENTENCE_WORDS:
            long_sentences.append(LongSentence(id=sentence_id, words=len(found)))
    score = lix(total_words, total_sentences, total_long)
    long_sentences.sort(key=lambda s: -s.words)
    return Readability(
        lix=None if score is None else round(score, 1),
        level=None if score is None else level(score),
        words=total_words,
        sentences=total_sentences,
        long_words=total_long,
        long_sentences=long_sentences,
    )


def scored_sentences(section: Section) -> list[tuple[str, str]]:
    """The section's body sentences: not its heading, not the breadcrumb."""
    texts = {sentence.id: sentence.text for sentence in section.sentences}
    return [
        (sentence_id, texts[sentence_id])
        for block in section.blocks
        if block.kind not in _UNSCORED
        for sentence_id in block.sentence_ids
        if sentence_id in texts
    ]
