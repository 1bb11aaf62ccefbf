"""Words of a sentence, the same way everywhere: what an engine times, what the API lists and
what the player highlights.

A word is a run of text between white space that holds at least one letter or digit, so a lone
dash or "§" is not one. The player splits the sentence the same way (``player.js``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

_RUN = re.compile(r"\S+")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    """Index of its first character in the text."""
    end: int


def word_tokens(text: str) -> list[Token]:
    return [
        Token(match.group(), match.start(), match.end())
        for match in _RUN.finditer(text)
        if any(char.isalnum() for char in match.group())
    ]


def _key(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def align(
    written: str, spoken: str, times: Sequence[tuple[float, float]]
) -> list[tuple[str, float, float]] | None:
    """Each word of the written sentence with when it is heard, from the times of the words of
    its spoken form (``times``: one per word of ``spoken``).

    Words written and spoken alike are matched one to one. A run written one way and spoken
    another ("kl. 10.30" → "klokken ti tredive") shares the time of its spoken words: in groups
    of whole words when there are as many or more of them, else split by length. A spoken word
    with nothing written for it ("Punkt to." before a list item) lights no word. None when the
    times are not one per spoken word.
    """
    written_words = word_tokens(written)
    spoken_words = word_tokens(spoken)
    if len(times) != len(spoken_words):
        return None
    result: list[tuple[str, float, float]] = []
    matcher = SequenceMatcher(
        None,
        [_key(w.text) for w in written_words],
        [_key(w.text) for w in spoken_words],
        autojunk=False,
    )
    for operation, w1, w2, s1, s2 in matcher.get_opcodes():
        words = written_words[w1:w2]
        if operation == "insert":
            continue
        if operation == "delete":
            at = times[s1][0] if s1 < len(times) else (times[-1][1] if times else 0.0)
            result.extend((word.text, at, at) for word in words)
        elif operation == "equal":
            result.extend((word.text, *times[s1 + n]) for n, word in enumerate(words))
        else:
            result.extend(_share(words, times[s1:s2]))
    return result


def _share(
    words: Sequence[Token], times: Sequence[tuple[float, float]]
) -> list[tuple[str, float, float]]:
    count, heard = len(words), len(times)
    if heard >= count:
        groups = [times[n * heard // count : (n + 1) * heard // count] for n in range(count)]
        return [(word.text, group[0][0], group[-1][1]) for word, group in zip(words, groups)]
    start, end = times[0][0], times[-1][1]
    total = sum(len(word.text) for word in words)
    shared = []
    at = 0
    for word in words:
        begin = start + (end - start) * at / total
        at += len(word.text)
        shared.append((word.text, begin, start + (end - start) * at / total))
    return shared
