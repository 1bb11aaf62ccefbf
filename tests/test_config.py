"""Settings: every one is documented, unsafe values are refused with a message naming the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from reader.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(READER_[A-Z0-9_]+)`", README.read_text(), re.MULTILINE))
    declared = {f"READER_{name.upper()}" for name in Settings.model_fields}
    assert declared == documented


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_GTTS_URL")
    settings = Settings()
    assert settings.gtts_url.startswith("https://translate.google.")
    assert settings.content_dir == Path("content")
    assert settings.data_dir == Path("var")
    assert settings.engine == "auto"
    assert settings.admin_token is None
    assert settings.allowed_origins == []


def test_an_engine_list_is_read_in_order_without_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_ENGINE", " piper, gtts ,espeak")
    settings = Settings()
    assert settings.engine == "piper,gtts,espeak"
    assert settings.engine_names == ("piper", "gtts", "espeak")


def test_an_empty_piper_voice_is_the_danish_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_PIPER_VOICE", "")
    assert Settings().piper_voice == "da_DK-talesyntese-medium"


def test_origins_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_ALLOWED_ORIGINS", "https://www.htk.dk, https://intra.htk.dk/")
    assert Settings().allowed_origins == ["https://www.htk.dk", "https://intra.htk.dk"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("READER_ENGINE", "festival", "READER_ENGINE"),
        ("READER_ENGINE", "piper,festival", "READER_ENGINE"),
        ("READER_ENGINE", "piper,espeak,piper", "twice"),
        ("READER_ENGINE", "auto,espeak", "READER_ENGINE"),
        ("READER_PIPER_TIMEOUT", "0", "greater than 0"),
        ("READER_GTTS_URL", "http://translate.google.com/x", "READER_GTTS_URL"),
        ("READER_GTTS_URL", "ftp://127.0.0.1/x", "READER_GTTS_URL"),
        ("READER_VOICES_URL", "http://huggingface.co/x", "READER_VOICES_URL"),
        ("READER_ADMIN_TOKEN", "short", "at least 16"),
        ("READER_ALLOWED_ORIGINS", "www.htk.dk", "READER_ALLOWED_ORIGINS"),
        ("READER_ALLOWED_ORIGINS", "https://www.htk.dk/sti", "READER_ALLOWED_ORIGINS"),
        ("READER_GTTS_CONCURRENCY", "0", "greater than or equal to 1"),
        ("READER_BASE_URL", "htk.dk", "READER_BASE_URL"),
        ("READER_MAX_PAGE_BYTES", "-1", "greater than or equal"),
    ],
)
def test_unsafe_values_are_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    text = str(caught.value)
    assert message in text or name.removeprefix("READER_").lower() in text


def test_http_to_loopback_is_allowed_for_a_local_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_GTTS_URL", "http://127.0.0.1:9999/batchexecute")
    assert Settings().gtts_url == "http://127.0.0.1:9999/batchexecute"


def test_the_admin_token_never_shows_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_ADMIN_TOKEN", "s3cret-token-0123456789")
    settings = Settings()
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"READER_REDIS_URL": "http://127.0.0.1:6379"}, "READER_REDIS_URL must be"),
        ({"READER_STORAGE_URL": "/srv/audio", "READER_REDIS_URL": "redis://127.0.0.1"}, "s3://"),
        ({"READER_STORAGE_URL": "s3://", "READER_REDIS_URL": "redis://127.0.0.1"}, "s3://"),
        ({"READER_STORAGE_URL": "s3://lyd/reader"}, "set READER_REDIS_URL too"),
        ({"READER_S3_ENDPOINT": "https://s3.example.dk"}, "READER_STORAGE_URL is not"),
        (
            {
                "READER_STORAGE_URL": "s3://lyd",
                "READER_REDIS_URL": "redis://127.0.0.1",
                "READER_S3_ACCESS_KEY_ID": "reader",
            },
            "set both",
        ),
        (
            {
                "READER_STORAGE_URL": "s3://lyd",
                "READER_REDIS_URL": "redis://127.0.0.1",
                "READER_S3_ENDPOINT": "s3.example.dk",
            },
            "READER_S3_ENDPOINT must be",
        ),
    ],
)
def test_unsafe_backend_combinations_stop_start_up_naming_what_to_set(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], message: str
) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings()


def test_backend_secrets_never_appear_in_errors_or_the_settings_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READER_REDIS_URL", "redis://:hemmeligt-kodeord@127.0.0.1:6379/0")
    monkeypatch.setenv("READER_STORAGE_URL", "s3://lyd/reader")
    monkeypatch.setenv("READER_S3_ACCESS_KEY_ID", "nøgle-id")
    monkeypatch.setenv("READER_S3_SECRET_ACCESS_KEY", "hemmelig-nøgle")
    settings = Settings()
    assert (settings.s3_bucket, settings.s3_prefix) == ("lyd", "reader/")
    assert "hemmelig" not in repr(settings)
    monkeypatch.setenv("READER_REDIS_URL", "ftp://:hemmeligt-kodeord@127.0.0.1")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "hemmelig" not in str(caught.value)
