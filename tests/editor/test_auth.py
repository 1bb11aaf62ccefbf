"""Tokens: one or several labelled ones, unsafe values refused, compared without shortcuts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reader.config import Settings, parse_admin_tokens
from reader.editor.auth import EditorTokens
from reader.editor.errors import EditorDisabled, Unauthorized
from tests.editor.apps import ADMIN_TOKEN, OTHER_TOKEN, TOKEN


@pytest.mark.parametrize(
    ("value", "pairs"),
    [
        pytest.param(
            "s3cret-token-0123456789", [("redaktion", "s3cret-token-0123456789")], id="one"
        ),
        pytest.param(
            "anna:aaaaaaaaaaaaaaaa, bo:bbbbbbbbbbbbbbbb",
            [("anna", "aaaaaaaaaaaaaaaa"), ("bo", "bbbbbbbbbbbbbbbb")],
            id="labelled",
        ),
        pytest.param(
            "Anna B.:aaaa:aaaa:aaaa:aaaa", [("Anna B.", "aaaa:aaaa:aaaa:aaaa")], id="colon-in-token"
        ),
        pytest.param("aaaaaaaaaaaaaaaa,", [("redaktion", "aaaaaaaaaaaaaaaa")], id="trailing-comma"),
    ],
)
def test_the_token_setting_reads_labelled_pairs(value: str, pairs: list[tuple[str, str]]) -> None:
    assert parse_admin_tokens(value) == pairs


@pytest.mark.parametrize(
    ("value", "words"),
    [
        pytest.param("short", "at least 16", id="short"),
        pytest.param("anna:short", "the token of 'anna'", id="short-labelled"),
        pytest.param("a/b:aaaaaaaaaaaaaaaa", "is not a label", id="bad-label"),
        pytest.param(":aaaaaaaaaaaaaaaa", "is not a label", id="empty-label"),
        pytest.param("a:aaaaaaaaaaaaaaaa,a:bbbbbbbbbbbbbbbb", "used twice", id="same-label"),
        pytest.param("a:aaaaaaaaaaaaaaaa,b:aaaaaaaaaaaaaaaa", "same token", id="same-token"),
        pytest.param(" , ", "holds no token", id="nothing"),
    ],
)
def test_unsafe_token_settings_are_refused_without_repeating_the_value(
    monkeypatch: pytest.MonkeyPatch, value: str, words: str
) -> None:
    monkeypatch.setenv("READER_ADMIN_TOKEN", value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert words in str(caught.value)
    assert "input_value" not in str(caught.value)


def test_each_token_answers_with_its_own_label() -> None:
    tokens = EditorTokens(parse_admin_tokens(ADMIN_TOKEN))
    assert tokens.authenticate(TOKEN).label == "anna"
    assert tokens.authenticate(OTHER_TOKEN).label == "bo"
    assert tokens.labels == ["anna", "bo"]


@pytest.mark.parametrize(
    "given",
    [TOKEN[:-1], TOKEN + "x", TOKEN.upper(), " " + TOKEN, "anna", f"anna:{TOKEN}", ADMIN_TOKEN],
)
def test_anything_but_a_whole_token_is_refused_as_invalid(given: str) -> None:
    tokens = EditorTokens(parse_admin_tokens(ADMIN_TOKEN))
    with pytest.raises(Unauthorized) as caught:
        tokens.authenticate(given)
    assert caught.value.status_code == 401
    assert caught.value.headers == {
        "WWW-Authenticate": 'Bearer realm="reader", error="invalid_token"'
    }


@pytest.mark.parametrize("given", [None, ""])
def test_no_token_is_a_challenge_without_an_error_code(given: str | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        EditorTokens([("anna", TOKEN)]).authenticate(given)
    assert caught.value.headers == {"WWW-Authenticate": 'Bearer realm="reader"'}


def test_without_a_configured_token_every_editor_is_refused(settings: Settings) -> None:
    tokens = EditorTokens.from_settings(settings)
    assert not tokens.enabled
    with pytest.raises(EditorDisabled) as caught:
        tokens.authenticate(TOKEN)
    assert caught.value.status_code == 403
    assert "READER_ADMIN_TOKEN" in caught.value.message
