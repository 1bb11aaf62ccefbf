"""LIX: words per sentence plus the share of long words; long sentences flagged."""

from __future__ import annotations

import pytest

from reader.content.models import Block, Section, Sentence
from reader.editor.readability import (
    LONG_SENTENCE_WORDS,
    level,
    lix,
    readability,
    scored_sentences,
    words_of,
)


def test_lix_is_words_per_sentence_plus_the_percentage_of_long_words() -> None:
    # 10 words in 2 sentences, 3 of them longer than six letters: 10/2 + 100*3/10 = 35.
    report = readability(
        [
            ("a", "Kommunen har vedtaget en ny strategi."),
            ("b", "Den gælder fra nu."),
        ]
    )
    assert (report.words, report.sentences, report.long_words) == (10, 2, 3)
    assert report.lix == 35.0
    assert report.level == "middel"


@pytest.mark.parametrize(
    ("text", "words", "long"),
    [
        ("Høje-Taastrup Kommune", ["Høje-Taastrup", "Kommune"], 2),
        ("i 2012-2024 og § 4", ["i", "2012-2024", "og", "4"], 0),
        ("’Trivsel og fællesskaber’", ["Trivsel", "og", "fællesskaber"], 2),
        ("JamillaJa@htk.dk", ["JamillaJa", "htk", "dk"], 1),
        ("seksten", ["seksten"], 1),
        ("sekst", ["sekst"], 0),
        ("fællesr", ["fællesr"], 1),
        ("fælles", ["fælles"], 0),
    ],
)
def test_words_and_long_words(text: str, words: list[str], long: int) -> None:
    assert words_of(text) == words
    assert readability([("s", text)]).long_words == long


def test_sentences_over_the_limit_are_flagged_longest_first() -> None:
    short = " ".join(["ord"] * LONG_SENTENCE_WORDS) + "."
    longer = " ".join(["ord"] * (LONG_SENTENCE_WORDS + 1)) + "."
    longest = " ".join(["ord"] * (LONG_SENTENCE_WORDS + 9)) + "."
    report = readability([("a", longer), ("b", short), ("c", longest)])
    assert [(s.id, s.words) for s in report.long_sentences] == [
        ("c", LONG_SENTENCE_WORDS + 9),
        ("a", LONG_SENTENCE_WORDS + 1),
    ]


@pytest.mark.parametrize(
    ("score", "name"),
    [
        (10, "meget let"),
        (25, "let"),
        (34.9, "let"),
        (35, "middel"),
        (45, "svær"),
        (80, "meget svær"),
    ],
)
def test_the_danish_bands(score: float, name: str) -> None:
    assert level(score) == name


def test_no_words_no_score() -> None:
    assert lix(0, 0, 0) is None
    assert readability([("a", "…")]).lix is None


def test_headings_and_the_breadcrumb_are_not_scored() -> None:
    section = Section(
        id="s",
        heading="Overskrift",
        level=2,
        blocks=[
            Block(kind="context", text="Politik", sentence_ids=["c"]),
            Block(kind="heading", text="Overskrift", sentence_ids=["h"]),
            Block(kind="paragraph", text="Brødtekst her.", sentence_ids=["p"]),
            Block(kind="list_item", text="Et punkt.", marker="•", sentence_ids=["l"]),
        ],
        sentences=[
            Sentence(id="c", text="Politik"),
            Sentence(id="h", text="Overskrift"),
            Sentence(id="p", text="Brødtekst her."),
            Sentence(id="l", text="Et punkt."),
        ],
    )
    assert scored_sentences(section) == [("p", "Brødtekst her."), ("l", "Et punkt.")]
