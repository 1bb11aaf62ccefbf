"""Danish sentence splitting for written page text.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (closing quotes and brackets may follow) when
whitespace and then a capital letter or a digit come next. Danish writes nouns and month names
in lower case, so a lower-case word after a full stop ("5. august", "2. tema", "den 3. i
måneden") means the sentence goes on. The exceptions are table-driven:

* ``ABBREVIATIONS`` whose full stop never ends a sentence ("bl.a.", "kl. 10.30", "nr. 5").
* ``SENTENCE_FINAL`` abbreviations ("osv.", "mv.", "m.fl.", "etc.") often close a sentence.
  Followed by a capital letter they are read as the end of the sentence: in Danish a capital
  after "osv." is almost always a new sentence, since only names are capitalised mid-sentence.
* A number with a full stop that opens a sentence is a list number ("1. Det første er …").
* A single letter with a full stop is an initial ("Jens P. Hansen").

E-mail addresses, URLs and numbers like "2,5" or "10.30" are never split, because a break
needs whitespace after the full stop. Bullet glyphs are dropped and whitespace is collapsed.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    {
        "adr.",
        "afd.",
        "ang.",
        "att.",
        "bl.a.",
        "ca.",
        "dvs.",
        "d.v.s.",
        "ekskl.",
        "el.",
        "evt.",
        "f.eks.",
        "fx.",
        "gl.",
        "hhv.",
        "hr.",
        "ifm.",
        "iflg.",
        "inkl.",
        "jf.",
        "jvf.",
        "kl.",
        "mht.",
        "m.h.t.",
        "ml.",
        "nr.",
        "ndf.",
        "ovf.",
        "pga.",
        "p.g.a.",
        "pr.",
        "sml.",
        # "Skt. Hans", "Skt. Jørgens Gade": a saint's name always follows.
        "skt.",
        "st.",
        "stk.",
        "tlf.",
        "vedr.",
        # Month abbreviations ("5. aug. 2015") are followed by a number.
        "jan.",
        "feb.",
        "mar.",
        "apr.",
        "jun.",
        "jul.",
        "aug.",
        "sep.",
        "sept.",
        "okt.",
        "nov.",
        "dec.",
    }
)
"""Abbreviations whose full stop never ends a sentence."""

SENTENCE_FINAL = frozenset(
    {"etc.", "kr.", "mia.", "min.", "mio.", "m.fl.", "m.m.", "mm.", "mv.", "m.v.", "o.l.", "osv."}
)
"""Abbreviations that end a sentence when a capital letter or a digit follows."""

BULLETS = frozenset("•◦▪▫‣⁃●○■□")
_BULLET_CHARS = "".join(sorted(BULLETS))
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_ENDINGS = ".!?…"
_CLOSERS = "’”»)]\"'"
_OPENERS = "‘’“”„«»([\"'"
_LIST_NUMBER = re.compile(r"\d{1,3}(?:\.\d{1,3})*\.")
_INITIAL = re.compile(r"[^\W\d_]\.")
# A footnote or citation number glued to the end of a sentence: "vigtigt.(1)", "vigtigt.[2]".
_CITED_END = re.compile(r".*[.!?…][’”»\"']?[(\[]\d{1,3}[)\]]")
# A lower-case enumerator opening a list item: "a)", "(b)", "iv)".
_LETTER_ENUMERATOR = re.compile(r"\(?(?:[a-zæøå]|[ivx]{1,4})\)")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, in order; a text without a full stop is one sentence."""
    tokens = _tokens(text)
    sentences: list[list[str]] = []
    current: list[str] = []
    for index, token in enumerate(tokens):
        current.append(token)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or _ends_sentence(token, following, current):
            if sentences and not _has_words(current):
                # A stray fragment without words ("–", ":-)") stays with the sentence before it.
                sentences[-1].extend(current)
            elif _has_words(current):
                sentences.append(current)
            current = []
    return [" ".join(words) for words in sentences]


def _has_words(tokens: list[str]) -> bool:
    return any(char.isalnum() for token in tokens for char in token)


def _tokens(text: str) -> list[str]:
    tokens = [token for token in text.translate(_INVISIBLE).split() if not set(token) <= BULLETS]
    if tokens:
        # A bullet typed straight before the first word ("•Tekst") is not part of the text.
        tokens[0] = tokens[0].lstrip(_BULLET_CHARS)
    return [token for token in tokens if token]


def _ends_sentence(token: str, following: str, current: list[str]) -> bool:
    if _CITED_END.fullmatch(token):
        return _opens_sentence(following)
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in _ENDINGS or not _opens_sentence(following):
        return False
    if core[-1] != ".":
        return True
    word = core.lstrip(_OPENERS).casefold()
    if word in SENTENCE_FINAL:
        return True
    if word in ABBREVIATIONS or _INITIAL.fullmatch(word):
        return False
    return not (_LIST_NUMBER.fullmatch(word) and _is_enumerator(word, current))


def _is_enumerator(word: str, current: list[str]) -> bool:
    """Whether the list number ``word`` (the last of ``current``) numbers an item.

    It does when it opens the sentence, follows a colon ("temaer: 1. Trivsel"), or continues an
    inline enumeration ("1. Trivsel, 2. Læring og 3. Sammenhæng"); elsewhere "nummer 1. Det"
    ends a sentence.
    """
    if len(current) == 1 or current[-2].endswith(":"):
        return True
    number = word.rstrip(".").split(".")[-1]
    if "." in word.rstrip(".") or int(number) < 2:
        return False
    previous = f"{int(number) - 1}."
    return any(token.lstrip(_OPENERS) == previous for token in current[:-1])


def _opens_sentence(token: str) -> bool:
    start = token.lstrip(_OPENERS)
    if _LETTER_ENUMERATOR.fullmatch(start if start.startswith("(") else token):
        return True
    return bool(start) and (start[0].isupper() or start[0].isdigit())
