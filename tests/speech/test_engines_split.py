from __future__ import annotations

import pytest

from reader.speech.engines._split import MAX_PIECE, split_sentence

FILLER = "Kommunen arbejder hele tiden på at gøre det lettere for borgerne at finde det de søger"


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Læs mest. Det er godt.", ["Læs mest. Det er godt."]),
        ("  Hej   med\tdig \n", ["Hej med dig"]),
        ("", []),
        ("x" * MAX_PIECE, ["x" * MAX_PIECE]),
        (
            FILLER + ", og derfor har byrådet den 5. august 2015 vedtaget en ny politik for "
            "borgerinddragelse.",
            [
                FILLER + ",",
                "og derfor har byrådet den 5. august 2015 vedtaget en ny politik for "
                "borgerinddragelse.",
            ],
        ),
        (
            FILLER + "; derfor har byrådet vedtaget en ny politik for borgerinddragelse.",
            [FILLER + ";", "derfor har byrådet vedtaget en ny politik for borgerinddragelse."],
        ),
        (
            "Politikken gælder alle: " + FILLER + " i dag.",
            ["Politikken gælder alle:", FILLER + " i dag."],
        ),
        (
            FILLER + " – og det gælder både på nettet og når man møder op på rådhuset.",
            [FILLER + " –", "og det gælder både på nettet og når man møder op på rådhuset."],
        ),
    ],
    ids=["short", "whitespace", "empty", "exactly-100", "comma", "semicolon", "colon", "dash"],
)
def test_sentences_are_split_at_clause_boundaries(text: str, pieces: list[str]) -> None:
    assert split_sentence(text) == pieces


def test_a_clause_boundary_wins_over_a_space_even_if_it_makes_a_short_piece() -> None:
    text = "Derfor, " + FILLER + " i dag."
    assert split_sentence(text) == ["Derfor,", FILLER + " i dag."]


def test_an_unavoidable_space_cut_is_not_padded_with_an_extra_clause_cut() -> None:
    text = "Politikken gælder alle: " + FILLER + " i dag og i morgen."
    pieces = split_sentence(text)
    assert len(pieces) == 2 and all(len(piece) <= MAX_PIECE for piece in pieces)


def test_without_clause_boundaries_the_split_is_at_a_space_and_balanced() -> None:
    text = " ".join([FILLER, FILLER])
    pieces = split_sentence(text)
    assert pieces == [FILLER, FILLER]


@pytest.mark.parametrize(
    "kept",
    [
        "5. august 2015",
        "43 59 10 00",
        "1.250.000",
        "2012-2024",
        "kl. 10.30",
        "§ 4, stk. 2",
        "borgerservice@htk.dk",
        "https://www.htk.dk/politikker/borgerinddragelse",
        "www.htk.dk/politikker",
    ],
)
def test_numbers_dates_and_addresses_are_never_cut(kept: str) -> None:
    # Put the kept span across the 100th character, where a plain cut would fall.
    for shift in range(len(kept)):
        words = "ord " * ((MAX_PIECE - shift) // 4)
        text = f"{words}{kept} og så videre med lidt mere tekst efter det hele"
        pieces = split_sentence(text)
        assert any(kept in piece for piece in pieces), (shift, pieces)
        assert all(len(piece) <= MAX_PIECE for piece in pieces)


@pytest.mark.parametrize(
    "text",
    [
        "x" * 250,
        "https://www.htk.dk/" + "a" * 150 + " er adressen",
        ("Ord, " * 80).strip(),
        " ".join(["43 59 10 00"] * 20),
    ],
    ids=["one-long-word", "long-url", "many-clauses", "many-numbers"],
)
def test_every_piece_fits_and_nothing_is_lost(text: str) -> None:
    pieces = split_sentence(text)
    assert all(0 < len(piece) <= MAX_PIECE for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
