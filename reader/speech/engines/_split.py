"""Split a long sentence into pieces short enough for one Google TTS request.

Google speaks at most 100 characters per request. A piece boundary is heard as a short pause, so
boundaries go where a reader would pause anyway: after ``,``, ``;`` or ``:`` or around a dash.
Only when no such split fits is a sentence cut at a plain space, and never inside a number, a
date ("5. august 2015"), a phone number, an e-mail or a web address unless nothing else fits.
"""

from __future__ import annotations

import re

MAX_PIECE = 100

_MONTHS = (
    "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|nov|dec"
)

# Spans a space inside of which must not become a piece boundary.
_PROTECTED = re.compile(
    "|".join(
        (
            r"(?:https?://|www\.)\S+",  # web address
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail
            rf"\b\d{{1,2}}\.\s+(?:{_MONTHS})\b\.?(?:\s+\d{{4}})?",  # 5. august 2015
            r"\b(?:kl|nr|tlf|stk|str|ca)\.\s+\d[\d.:,]*",  # kl. 10.30, nr. 5
            r"§+\s*\d+(?:,\s*stk\.\s*\d+)?",  # § 4, stk. 2
            r"\d+(?:(?:[ .,:/]|\s?[–-]\s?)\d+)*",  # 43 59 13 18, 1.000.000, 10,5, 2012-2024
        )
    ),
    re.IGNORECASE,
)

# Cost of ending a piece at a position; the split with the lowest total cost wins.
_CLAUSE = 1
_SPACE = 100
_PROTECTED_SPACE = 10_000
_ANYWHERE = 1_000_000

_CLAUSE_ENDS = (",", ";", ":", " –", " —", " -")


def _break_costs(text: str) -> list[int]:
    """Cost of cutting ``text`` just before index ``i`` (a space is dropped at the cut)."""
    costs = [_ANYWHERE] * (len(text) + 1)
    protected = [False] * len(text)
    for match in _PROTECTED.finditer(text):
        for i in range(match.start(), match.end()):
            protected[i] = True
    for i, char in enumerate(text):
        if char != " ":
            continue
        if protected[i]:
            costs[i] = _PROTECTED_SPACE
        elif text[:i].endswith(_CLAUSE_ENDS):
            costs[i] = _CLAUSE
        else:
            costs[i] = _SPACE
    costs[len(text)] = 0
    return costs


def split_sentence(text: str, max_len: int = MAX_PIECE) -> list[str]:
    """Split ``text`` into pieces of at most ``max_len`` characters at the best boundaries.

    Whitespace runs become single spaces. The split minimises the total boundary cost (clause
    boundaries before plain spaces before protected spans), then prefers pieces of even length.
    """
    text = " ".join(text.split())
    if len(text) <= max_len:
        return [text] if text else []
    costs = _break_costs(text)
    n = len(text)
    # best[i]: (cost, sum of squared piece lengths, start of the last piece) for text[:i].
    best: list[tuple[int, int, int] | None] = [None] * (n + 1)
    best[0] = (0, 0, 0)
    for end in range(1, n + 1):
        cut_cost = costs[end]
        for start in range(max(0, end - max_len - 1), end):
            previous = best[start]
            if previous is None:
                continue
            # Whitespace is single spaces here, so stripping a piece drops at most one each side.
            length = end - start - (text[start] == " ") - (text[end - 1] == " ")
            if length <= 0 or length > max_len:
                continue
            candidate = (previous[0] + cut_cost, previous[1] + length**2, start)
            current = best[end]
            if current is None or candidate[:2] < current[:2]:
                best[end] = candidate
    pieces: list[str] = []
    end = n
    while end > 0:
        entry = best[end]
        assert entry is not None  # every position is reachable: a cut is allowed anywhere
        pieces.append(text[entry[2] : end].strip())
        end = entry[2]
    pieces.reverse()
    return pieces
