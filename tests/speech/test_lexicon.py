"""The editors' lexicon: parsing, whole-word and case rules, and its place before the rules."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reader.speech.lexicon import (
    Lexicon,
    LexiconEntry,
    LexiconProblem,
    load_lexicon,
    parse_lexicon,
)
from reader.speech.normalize import normalize

REPO = Path(__file__).resolve().parents[2]


def test_comments_blank_lines_and_trailing_comments_are_ignored() -> None:
    lines = [
        "# Udtaleleksikon",
        "",
        "   ",
        "taastrup = tåstrup   # stednavn",
        "  HTK   =   H T K  ",
    ]
    lexicon = parse_lexicon("\n".join(lines))
    assert [(e.written, e.spoken, e.line) for e in lexicon.entries] == [
        ("taastrup", "tåstrup", 4),
        ("HTK", "H T K", 5),
    ]
    assert lexicon.problems == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("taastrup tåstrup", 'mangler "="'),
        ("= tåstrup", "skrevne form"),
        ("taastrup =", "udtalen"),
        ("taastrup = tå = strup", 'mere end ét "="'),
    ],
)
def test_a_malformed_line_is_reported_with_its_number_and_skipped(line: str, message: str) -> None:
    lexicon = parse_lexicon(f"# top\nråd = råd\n{line}\nhtk = h t k\n")
    assert [e.written for e in lexicon.entries] == ["råd", "htk"]
    assert len(lexicon.problems) == 1
    assert lexicon.problems[0].line == 3
    assert message in lexicon.problems[0].message


def test_a_duplicate_written_form_keeps_the_first_and_names_its_line() -> None:
    lexicon = parse_lexicon("taastrup = tåstrup\n\ntaastrup = taastrup\n")
    assert [e.spoken for e in lexicon.entries] == ["tåstrup"]
    assert lexicon.problems == [LexiconProblem(3, '"taastrup" står allerede i linje 1')]


def test_lowercase_and_capitalised_forms_of_one_word_are_different_entries() -> None:
    lexicon = parse_lexicon("htk = hå te kå\nHTK = H T K\n")
    assert lexicon.problems == []
    assert lexicon.apply("HTK og htk") == "H T K og hå te kå"


def test_bytes_that_are_not_utf8_are_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_bytes("taastrup = tåstrup\n".encode() + b"r\xe5d = raad\n")
    lexicon = load_lexicon(path)
    assert [e.written for e in lexicon.entries] == ["taastrup"]
    assert [p.line for p in lexicon.problems] == [2]


def test_a_byte_order_mark_does_not_spoil_the_first_entry(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_bytes("\ufefftaastrup = tåstrup\n".encode())
    assert load_lexicon(path).apply("Taastrup") == "Tåstrup"


def test_a_missing_file_is_an_empty_lexicon(tmp_path: Path) -> None:
    lexicon = load_lexicon(tmp_path / "nothing.txt")
    assert lexicon.entries == ()
    assert lexicon.problems == []
    assert lexicon.apply("Høje-Taastrup") == "Høje-Taastrup"


def test_an_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    lexicon = load_lexicon(tmp_path)  # a directory cannot be read as a file
    assert lexicon.entries == ()
    assert [p.line for p in lexicon.problems] == [0]


def test_problems_are_logged_with_file_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text("ok = fint\nikke ok\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="reader.speech.lexicon"):
        load_lexicon(path)
    assert f"{path} line 2" in caplog.text


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Vi har råd til det.", "Vi har rå-d til det."),
        ("Vi har råd, men", "Vi har rå-d, men"),
        ("Rådet mødes", "Rådet mødes"),
        ("Integrationsrådet mødes", "Integrationsrådet mødes"),
        ("et råds møde", "et råds møde"),
        ("Råd og vejledning", "Rå-d og vejledning"),
    ],
)
def test_an_entry_matches_whole_words_only(text: str, spoken: str) -> None:
    lexicon = parse_lexicon("råd = rå-d\n")
    assert lexicon.apply(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Høje-Taastrup Kommune", "Høje-Tåstrup Kommune"),
        ("i taastrup", "i tåstrup"),
        ("TAASTRUP", "Tåstrup"),
        ("JamillaJa@taastrup.dk", "JamillaJa@taastrup.dk"),
        ("www.taastrup.dk/taastrup", "www.taastrup.dk/taastrup"),
    ],
)
def test_a_lowercase_entry_matches_any_case_but_not_inside_addresses(
    text: str, spoken: str
) -> None:
    lexicon = parse_lexicon("taastrup = tåstrup\n")
    assert lexicon.apply(text) == spoken


def test_a_capitalised_entry_matches_only_its_exact_spelling() -> None:
    lexicon = parse_lexicon("HTK = H T K\n")
    assert lexicon.apply("HTK og Htk og htk") == "H T K og Htk og htk"


def test_the_longest_entry_wins_and_phrases_match_across_whitespace() -> None:
    lexicon = parse_lexicon("taastrup = tåstrup\nhøje-taastrup kommune = kommunen\n")
    assert lexicon.apply("Høje-Taastrup\n  Kommune i Taastrup") == "Kommunen i Tåstrup"


def test_the_lexicon_applies_before_the_rules_and_can_override_them() -> None:
    lexicon = parse_lexicon("mv. = med mere\n")
    assert normalize("skoler mv. i kommunen", lexicon=lexicon) == "skoler med mere i kommunen"
    assert normalize("skoler mv. i kommunen") == "skoler med videre i kommunen"


def test_the_spoken_form_still_goes_through_the_rules() -> None:
    lexicon = parse_lexicon("ungeråd = ungdomsråd (12-17 år)\n")
    assert normalize("Ungeråd", lexicon=lexicon) == "Ungdomsråd (12 til 17 år)"


def test_the_lexicon_leaves_addresses_to_the_rules() -> None:
    lexicon = parse_lexicon("htk = Høje-Tåstrup Kommune\n")
    assert normalize("Skriv til JamillaJa@htk.dk", lexicon=lexicon) == (
        "Skriv til JamillaJa snabel-a h t k punktum d k"
    )


def test_the_fingerprint_depends_on_the_entries_only() -> None:
    one = parse_lexicon("# a\ntaastrup = tåstrup\nHTK = H T K\n")
    same = parse_lexicon("HTK   =  H T K  # other comment\n\ntaastrup = tåstrup\n")
    other = parse_lexicon("taastrup = tostrup\nHTK = H T K\n")
    assert one.fingerprint == same.fingerprint
    assert one.fingerprint != other.fingerprint
    assert Lexicon().fingerprint == parse_lexicon("# only comments\n").fingerprint
    assert len(one.fingerprint) == 64


def test_a_lexicon_built_from_entries_ignores_a_repeated_written_form() -> None:
    lexicon = Lexicon([LexiconEntry("råd", "rå-d"), LexiconEntry("råd", "raad")])
    assert len(lexicon) == 1
    assert lexicon.apply("råd") == "rå-d"


def test_the_shipped_lexicon_is_clean_and_fixes_the_place_name() -> None:
    lexicon = load_lexicon(REPO / "content" / "lexicon.txt")
    assert lexicon.problems == []
    assert normalize("I Høje-Taastrup Kommune har vi", lexicon=lexicon) == (
        "I Høje-Tåstrup Kommune har vi"
    )
