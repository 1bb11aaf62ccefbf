"""The spoken script of a page: each sentence as written and as it will be spoken."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from reader.content.models import Page
from reader.speech.lexicon import Lexicon
from reader.speech.normalize import normalize

_LIST_NUMBER = re.compile(r"^(\d{1,4})[.)]$")


@dataclass(frozen=True)
class Line:
    """One sentence of the script, in reading order."""

    sentence_id: str
    section_id: str
    text: str
    spoken: str
    is_heading: bool


def page_script(page: Page, lexicon: Lexicon | None = None) -> list[Line]:
    lines: list[Line] = []
    for section in page.sections:
        texts = {sentence.id: sentence.text for sentence in section.sentences}
        for block in section.blocks:
            number = None
            if block.kind == "list_item" and block.marker:
                match = _LIST_NUMBER.match(block.marker)
                number = int(match.group(1)) if match else None
            for index, sentence_id in enumerate(block.sentence_ids):
                text = texts[sentence_id]
                spoken = normalize(
                    text, lexicon=lexicon, list_number=number if index == 0 else None
                )
                lines.append(
                    Line(
                        sentence_id=sentence_id,
                        section_id=section.id,
                        text=text,
                        spoken=spoken,
                        is_heading=block.kind == "heading",
                    )
                )
    return lines


def script_hash(lines: list[Line]) -> str:
    """Changes exactly when what is spoken, or where a sentence sits, changes."""
    payload = [[line.section_id, line.sentence_id, line.text, line.spoken] for line in lines]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
