from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from reader.audio.clips import ClipCache
from reader.audio.timings import Cue, to_json, to_webvtt
from reader.audio.tracks import SENTENCE_PAUSE, Pause, TrackItem, assemble
from tests.fakes.engines import ToneEngine

_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"{_TIME} --> {_TIME}")


def _ms(hours: str, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def parse_webvtt(text: str) -> list[Cue]:
    """A strict reading of the WebVTT subset we write: header, then id / timing / one line."""
    assert "\r" not in text and text.endswith("\n")
    header, *blocks = text[:-1].split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        lines = block.split("\n")
        assert len(lines) == 3, block
        cue_id, timing, payload = lines
        assert cue_id and "-->" not in cue_id
        match = _TIMING.fullmatch(timing)
        assert match, timing
        assert "-->" not in payload and "<" not in payload and payload.strip() == payload
        assert not re.search(r"&(?!amp;|lt;|gt;)", payload)  # every & starts an escape
        groups = match.groups()
        cues.append(Cue(cue_id, _ms(*groups[:4]), _ms(*groups[4:]), html.unescape(payload)))
    return cues


CUES = [
    Cue("s1-1", 0, 2_350, "Politik for grønne områder"),
    Cue("s1-2", 2_350, 5_000, "Børn < 6 år & unge > 18 år --> gratis."),
    Cue("s2-1", 5_400, 3_725_042, "En lang sætning\nover to linjer.\n\nMed tom linje."),
]


def test_webvtt_parses_and_round_trips() -> None:
    parsed = parse_webvtt(to_webvtt(CUES))

    assert [(c.id, c.start_ms, c.end_ms) for c in parsed] == [
        (c.id, c.start_ms, c.end_ms) for c in CUES
    ]
    assert [c.text for c in parsed] == [" ".join(c.text.split()) for c in CUES]


def test_webvtt_timestamps_have_hours_minutes_seconds_and_milliseconds() -> None:
    text = to_webvtt(CUES)

    assert "00:00:02.350 --> 00:00:05.000" in text
    assert "00:00:05.400 --> 01:02:05.042" in text
    assert "Børn &lt; 6 år &amp; unge &gt; 18 år --&gt; gratis." in text


def test_no_cues_is_a_valid_empty_file() -> None:
    assert to_webvtt([]) == "WEBVTT\n"
    assert parse_webvtt(to_webvtt([])) == []


@pytest.mark.parametrize(
    "cue",
    [
        Cue("", 0, 1, "x"),
        Cue("a-->b", 0, 1, "x"),
        Cue("a\nb", 0, 1, "x"),
        Cue("s", -1, 1, "x"),
        Cue("s", 5, 4, "x"),
    ],
)
def test_cues_that_would_break_webvtt_are_refused(cue: Cue) -> None:
    with pytest.raises(ValueError):
        to_webvtt([cue])
    with pytest.raises(ValueError):
        to_json([cue])


def test_cues_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="before the cue ahead"):
        to_webvtt([Cue("b", 500, 900, "b"), Cue("a", 100, 400, "a")])


def test_json_keeps_the_text_as_written() -> None:
    assert json.loads(to_json(CUES)) == [
        {"id": c.id, "start_ms": c.start_ms, "end_ms": c.end_ms, "text": c.text} for c in CUES
    ]


def test_cues_from_an_assembled_track(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path, [ToneEngine()])
    sentences = {"s1": "Første sætning.", "s2": "Anden sætning, lidt længere."}
    items: list[TrackItem] = []
    for sentence_id, text in sentences.items():
        if items:
            items.append(SENTENCE_PAUSE)
        items.append(cache.get_or_make(text))
    track = assemble(items)
    pairs = zip(items, track.spans, strict=True)
    spans = [span for item, span in pairs if not isinstance(item, Pause)]

    cues = [
        Cue(sentence_id, span.start_ms, span.end_ms, text)
        for (sentence_id, text), span in zip(sentences.items(), spans, strict=True)
    ]

    assert parse_webvtt(to_webvtt(cues)) == cues
    assert abs(cues[1].start_ms - cues[0].end_ms - SENTENCE_PAUSE.duration_ms) <= 1
