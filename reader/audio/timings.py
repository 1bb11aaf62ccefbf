"""Sentence timings of a track as WebVTT (for ``<track>``) and JSON (for the API)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Cue:
    """One sentence in a track: its id, where it is, and the sentence as written."""

    id: str
    start_ms: int
    end_ms: int
    text: str


def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _escape(text: str) -> str:
    # One line per cue: a blank line would end the cue early. Once ">" is escaped, the text
    # cannot contain "-->".
    line = " ".join(text.split())
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BAD_ID = re.compile(r"-->|[\r\n]")


def check_cues(cues: Sequence[Cue]) -> None:
    """``ValueError`` unless the cues make valid WebVTT: ids usable, times ordered."""
    previous_start = 0
    for cue in cues:
        if not cue.id or _BAD_ID.search(cue.id):
            raise ValueError(f"cue id {cue.id!r} cannot be used in WebVTT")
        if not 0 <= cue.start_ms <= cue.end_ms:
            raise ValueError(f"cue {cue.id!r} ends before it starts")
        if cue.start_ms < previous_start:
            raise ValueError(f"cue {cue.id!r} starts before the cue ahead of it")
        previous_start = cue.start_ms


def to_webvtt(cues: Sequence[Cue]) -> str:
    check_cues(cues)
    blocks = ["WEBVTT"]
    for cue in cues:
        times = f"{_timestamp(cue.start_ms)} --> {_timestamp(cue.end_ms)}"
        blocks.append(f"{cue.id}\n{times}\n{_escape(cue.text)}")
    return "\n\n".join(blocks) + "\n"


def to_json(cues: Sequence[Cue]) -> str:
    check_cues(cues)
    return json.dumps([asdict(cue) for cue in cues], ensure_ascii=False)
