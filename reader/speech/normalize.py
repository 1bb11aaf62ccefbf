"""Danish normalisation: written text → the text an engine should say, the same for every engine.

Each rule is a small table or pattern below; the choices where Danish allows several:

* Abbreviations are written out ("bl.a." → "blandt andet", "§ 4, stk. 2" → "paragraf 4, stykke
  2"). A capitalised abbreviation gives a capitalised expansion ("Bl.a." → "Blandt andet"). Its
  full stop is kept where it ends the sentence: at the end of the text, and before a capital
  letter after the abbreviations that can end a sentence ("osv.", "mv.", "kr." …).
* Times after "kl."/"klokken" are said the way Danish radio says them, in words: "kl. 10.30" →
  "klokken ti tredive", "kl. 14.05" → "klokken fjorten nul fem", "kl. 8" → "klokken otte";
  a whole hour drops ".00", one o'clock is "klokken et", "kl. 8-15" → "klokken otte til femten".
* Dates: the day becomes an ordinal word, the month its name, and the year stays digits, which
  both engines read right (espeak-ng says "1998" as "nitten hundrede og otteoghalvfems"):
  "5. august 2015" → "femte august 2015", "1/1-2025" → "første januar 2025", "d. 3. maj" →
  "den tredje maj".
* Ordinals are words ("21. gang" → "enogtyvende gang"); "anden/andet" follows the gender of the
  noun after it ("andet tema", "anden gang"). A number with a full stop is an ordinal only when
  a lowercase word follows it, so "… i 2015." and "i 2015. Derefter" stay years.
* Phone numbers (four pairs, or eight digits in a row) are read in pairs, each pair a word:
  "43 59 13 18" → "treogfyrre nioghalvtreds tretten atten"; "+45" → "plus 45".
* Other numbers stay digits, which both engines read right; the rules fix only what they read
  wrong: thousands points go ("1.250" → "1250"), the decimal comma is said ("2,5" → "2 komma 5"),
  ranges get "til" ("2012-2024" → "2012 til 2024"), "%" is "procent", kroner with øre are split
  ("1.250,50 kr." → "1250 kroner og 50 øre"), one krone/million is singular ("en million").
* E-mail and web addresses are read piece by piece: "@" is "snabel-a", "." "punktum", "/"
  "skråstreg", "-" "bindestreg". A piece without a vowel, and a two-letter top-level domain, is
  spelled ("htk" → "h t k", "dk" → "d k", "www" → "w w w"); other pieces are read as words
  ("politikker"). The scheme ("https://") is dropped and the host is lowercased.
* An ordered list item's number is announced before its first sentence as "Punkt to. …": the
  number as a word, so no engine can take "2." for "anden". A bullet item gets nothing.
* A unit after a number is a word ("10 km" → "10 kilometer", "20 min." → "20 minutter").
* A decimal section number is read part by part ("afsnit 4.2" → "afsnit fire punkt to"), and an
  age range in a compound word in words ("0-6-årige" → "nul til seksårige").
* A range between day or month names gets "til" ("mandag-fredag" → "mandag til fredag",
  "januar–marts", "man.-fre." → "mandag til fredag", "1. januar-31. marts"); other hyphenated
  words are compounds and keep their hyphen ("EU-regler", "by-og-land"), and a chain of three
  names is a list ("april-maj-juni"). A range of clock times is one too without "kl."
  ("10:00-14:00", "8.00-15.30" → "otte til femten tredive"). A decade is said by its name
  ("1990'erne" → "halvfemserne").
* Quotes are removed (’Trivsel’ is not read with apostrophes), "&" is "og", "og/eller" is
  "og eller", a dash between spaces is a pause (a comma), whitespace is collapsed.

The editors' lexicon is applied first, so an entry can override any rule. The result is stable:
normalising it again does not change it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from reader.speech.lexicon import Lexicon
from reader.speech.numbers import MONTHS, cardinal, month_name, ordinal

_LOWER = "a-zæøåäöüé"
_UPPER = "A-ZÆØÅÄÖÜÉ"
_VOWELS = frozenset("aeiouyæøåäöüé")

_SPACES = re.compile(r"\s+")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_PLACEHOLDER_LIMIT = 0x1900

# --- tables -----------------------------------------------------------------------------------

# written form, spoken form, whether it can end a sentence (then a full stop before a capital
# letter is kept). An inner "." may be followed by a space: "f. eks." is "f.eks.".
_ABBREVIATIONS: tuple[tuple[str, str, bool], ...] = (
    ("bl.a.", "blandt andet", False),
    ("dvs.", "det vil sige", False),
    ("d.v.s.", "det vil sige", False),
    ("fx.", "for eksempel", False),
    ("fx", "for eksempel", False),
    ("f.eks.", "for eksempel", False),
    ("mv.", "med videre", True),
    ("m.v.", "med videre", True),
    ("osv.", "og så videre", True),
    ("o.s.v.", "og så videre", True),
    ("etc.", "et cetera", True),
    ("m.fl.", "med flere", True),
    ("m.m.", "med mere", True),
    ("o.l.", "og lignende", True),
    ("ca.", "cirka", False),
    ("kl.", "klokken", False),
    ("nr.", "nummer", False),
    ("tlf.", "telefon", False),
    ("jf.", "jævnfør", False),
    ("jfr.", "jævnfør", False),
    ("pga.", "på grund af", False),
    ("p.g.a.", "på grund af", False),
    ("evt.", "eventuelt", False),
    ("inkl.", "inklusive", False),
    ("ekskl.", "eksklusive", False),
    ("stk.", "stykke", False),
    ("pkt.", "punkt", False),
    ("kap.", "kapitel", False),
    ("mht.", "med hensyn til", False),
    ("iht.", "i henhold til", False),
    ("ift.", "i forhold til", False),
    ("ifm.", "i forbindelse med", False),
    ("iflg.", "ifølge", False),
    ("hhv.", "henholdsvis", False),
    ("vedr.", "vedrørende", False),
    ("ang.", "angående", False),
    ("t.o.m.", "til og med", False),
    ("f.o.m.", "fra og med", False),
    ("pct.", "procent", True),
    ("kr.", "kroner", True),
    ("kr", "kroner", True),
    ("mio.", "millioner", True),
    ("mio", "millioner", True),
    ("mia.", "milliarder", True),
    ("mia", "milliarder", True),
)

# Fixed phrases whose abbreviation means something else on its own ("kr." is usually kroner).
_PHRASES = {
    "Kr. Himmelfartsdag": "Kristi Himmelfartsdag",
    "St. Bededag": "Store Bededag",
}

_SINGULAR = {"kroner": "en krone", "millioner": "en million", "milliarder": "en milliard"}

_MONTH_ABBREVIATIONS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "nov": 11,
    "dec": 12,
}

# Neuter nouns (and the ends of compounds such as "indsatsområde") that take "andet", not
# "anden": "andet tema", but "anden gang", "anden august".
_NEUTER_ENDINGS = (
    "tema",
    "punkt",
    "afsnit",
    "kapitel",
    "stykke",
    "år",
    "kvartal",
    "led",
    "trin",
    "niveau",
    "forslag",
    "møde",
    "bilag",
    "spørgsmål",
    "skridt",
    "sted",
    "mål",
    "område",
    "udvalg",
    "semester",
    "udkast",
    "nummer",
    "barn",
    "hus",
    "halvleg",
)

_ADDRESS_SYMBOLS = {
    ".": "punktum",
    "/": "skråstreg",
    "-": "bindestreg",
    "_": "bundstreg",
    "@": "snabel-a",
    "?": "spørgsmålstegn",
    "=": "lig med",
    "&": "og",
    "#": "havelåge",
    "+": "plus",
    ":": "kolon",
    "~": "tilde",
    "%": "procent",
}

# --- patterns ---------------------------------------------------------------------------------

_FIRST_SPOKEN = re.compile(r"[^\W_]|[§%&+]")
_QUOTES = re.compile("[\"'‘’‚‛“”„‟«»‹›`´]")
_LEADING_LABEL = re.compile(r"^(?:(T|Tlf)\s*:\s*(?=\+?\d)|E\s*:\s*(?=\S+@))")

_ADDRESS_END = r"[^\s<>\"'.,;:!?()\[\]]"
_ADDRESS = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|(?i:https?://|www\.)[^\s<>\"]*{_ADDRESS_END}"
    r"|(?<![\w@.-])(?:[\w-]+\.)+(?i:dk|com|org|net|eu|nu|info|gl|fo|se|no|de)"
    rf"(?:/(?:[^\s<>\"]*{_ADDRESS_END})?)?(?![\w-])"
)
_PATH_START = re.compile(r"[/?#]")
_ADDRESS_SPLIT = re.compile("([" + re.escape("".join(_ADDRESS_SYMBOLS)) + "])")

_MONTH_NAMES = "|".join(MONTHS)
_DATE_ARTICLE = re.compile(
    rf"(?<![\w.])([dD])\.\s*(?=\d{{1,2}}\.\s*(?:{_MONTH_NAMES}|[a-z]{{3,4}}\.)|\d{{1,2}}/\d)"
)
_SLASH_DATE = re.compile(r"(?<![\d/.,])(\d{1,2})/(\d{1,2})\s*[-–/]\s*(\d{4})(?![\d/])")
_DOT_DATE = re.compile(r"(?<![\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_SHORT_MONTH = re.compile(
    r"(?<![\w.,])(\d{1,2})\.\s*(" + "|".join(_MONTH_ABBREVIATIONS) + r")\.(?=\s*\d|\s*$|\s+\w)"
)

_PHRASE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in _PHRASES) + r")(?!\w)",
    re.IGNORECASE,
)
_SECTION_SIGN = re.compile(r"(§§?)\s*")
_STOP_AFTER = re.compile(r"[\s)\]}]*")
_NEXT_SENTENCE = re.compile(rf"\s+[{_UPPER}]")

_WHOLE_KRONER = re.compile(r"(?<=\d),-")
_KRONER_ORE = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+|\d+),(\d{2}) kroner\b")
_SINGULAR_UNIT = re.compile(r"(?<![\d.,])1 (kroner|millioner|milliarder)\b")

_TIME = re.compile(
    r"\b([Kk]lokken)\s+(\d{1,2})(?:[.:](\d{2}))?"
    r"(?:\s*[-–]\s*(?:klokken\s+)?(\d{1,2})(?:[.:](\d{2}))?)?(?!\d|[.,:]\d)"
)
_BARE_TIME = re.compile(r"(?<![\d.,:])(\d{1,2}):(\d{2})(?![\d:]|[.,]\d)")
# A range of clock times without "kl.": "10:00-14:00", "10:30-14"; with full stops only when both
# ends have their minutes on the five minutes, as opening hours do ("8.00-15.30"): no Danish
# amount is written so (thousands have three digits), and "4.10-4.12" stays two section numbers.
_BARE_TIME_RANGE = re.compile(
    r"(?<![\w.,:])(\d{1,2})(?::(\d{2})\s*[-–]\s*(\d{1,2})(?::(\d{2}))?"
    r"|\.(\d{2})\s*[-–]\s*(\d{1,2})\.(\d{2}))(?![\d:]|[.,]\d)"
)
_PHONE_PAIRS = re.compile(r"(?<![\d.,+])(\d{2}) (\d{2}) (\d{2}) (\d{2})(?!\d|[.,]\d)")
_PHONE_RUN = re.compile(r"(?<![\d.,+])(\d{8})(?!\d|[.,]\d)")
_PLUS = re.compile(r"\+\s?(?=\d)")

_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?!\d|\.\d)")
_DECIMAL = re.compile(r"(?<![\d.,])(\d+),(\d+)(?!\d|,\d)")
_NUMBER = r"\d{1,6}(?: komma \d+)?"
_RANGE = re.compile(rf"(?<![\w.,/+\-–])({_NUMBER})\s*[-–]\s*({_NUMBER})(?![\w/\-–]|[.,]\d)")
_PERCENT = re.compile(r"\s*%")
_PERMILLE = re.compile(r"\s*‰")

# Further ordinals may come between an ordinal and its noun: "4., 5. og 6. klasse" (a bounded
# number of them, so a long run of "1. 1. 1." stays linear).
_MORE_ORDINALS = r"(?:,?\s+(?:(?:og|eller|til)\s+)?\d{1,3}\.){0,8}"
_ORDINAL = re.compile(
    rf"(?<![\w.,/])(\d{{1,3}})\.(?:\s*[-–]\s*(\d{{1,3}})\.)?(?={_MORE_ORDINALS}\s+[{_LOWER}])"
)
_NOUN_AFTER = re.compile(rf"{_MORE_ORDINALS}\s+([{_LOWER}]+)")

_AMPERSAND = re.compile(r"\s*&\s*")
_WORD_SLASH = re.compile(r"(?<=[^\W\d_])/(?=[^\W\d_])")
_SPACED_DASH = re.compile(r"\s+[-–—]\s+|\s*—\s*")
_EDGE_DASH = re.compile(r"^[-–—]\s+|\s+[-–—]$")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.;:!?])")
_REPEATED_COMMA = re.compile(r",(?:\s*,)+")
_COMMA_BEFORE_MARK = re.compile(r",\s*([.;:!?])")

Rule = Callable[[str], str]


def normalize(text: str, *, lexicon: Lexicon | None = None, list_number: int | None = None) -> str:
    """Return ``text`` (one sentence or a short passage) as it should be spoken.

    ``list_number`` is the number of the ordered list item that ``text`` begins; it is
    announced as "Punkt <number>." before the text.
    """
    text = _PRIVATE_USE.sub("", unicodedata.normalize("NFC", text))
    text = _SPACES.sub(" ", text).strip()
    if lexicon is not None:
        text = lexicon.apply(text)
    text = _SPACES.sub(" ", _QUOTES.sub("", text)).strip()
    # A text that starts with a number or a symbol starts its spoken sentence with a capital.
    first = _FIRST_SPOKEN.search(text)
    capital = first is not None and not first.group(0).islower()
    text = _LEADING_LABEL.sub(_leading_label, text)

    addresses: list[str] = []
    text = _ADDRESS.sub(lambda m: _protect(m.group(0), addresses), text)
    for rule in _RULES:
        text = rule(text)
    text = _PRIVATE_USE.sub(lambda m: addresses[ord(m.group(0)) - 0xE000], text)
    text = _tidy(text)

    if capital and text[:1].islower():
        text = text[0].upper() + text[1:]
    if list_number is not None:
        text = f"Punkt {_number_word(list_number)}. {text}".rstrip()
    return text


# --- addresses --------------------------------------------------------------------------------


def _protect(address: str, addresses: list[str]) -> str:
    """Speak an address now and hide it from the later rules behind one private-use character."""
    spoken = f" {speak_address(address)} "
    if len(addresses) >= _PLACEHOLDER_LIMIT:
        return spoken
    addresses.append(spoken)
    return chr(0xE000 + len(addresses) - 1)


def speak_address(address: str) -> str:
    """An e-mail or web address read piece by piece: "htk.dk" → "h t k punktum d k"."""
    address = re.sub(r"^https?://", "", address, flags=re.IGNORECASE).rstrip("/")
    cut = _PATH_START.search(address)
    head, tail = (address[: cut.start()], address[cut.start() :]) if cut else (address, "")
    local, at, host = head.rpartition("@")
    host = host.lower()
    tld = host.rsplit(".", 1)[-1]
    words: list[str] = []
    for part in _ADDRESS_SPLIT.split(f"{local}{at}{host}"):
        if part:
            words.append(_ADDRESS_SYMBOLS.get(part) or _speak_piece(part, part == tld))
    words.append(_speak_tail(tail))
    return " ".join(word for word in words if word)


def _speak_tail(tail: str) -> str:
    words = [
        _ADDRESS_SYMBOLS.get(part) or _speak_piece(part, False)
        for part in _ADDRESS_SPLIT.split(tail)
        if part
    ]
    return " ".join(words)


def _speak_piece(piece: str, is_tld: bool) -> str:
    if piece.isalpha() and (
        not any(c in _VOWELS for c in piece.lower()) or (is_tld and len(piece) <= 2)
    ):
        return " ".join(piece.lower())
    return piece


# --- labels, dates, abbreviations -------------------------------------------------------------


def _leading_label(match: re.Match[str]) -> str:
    return "Telefon: " if match.group(1) else "E-mail: "


def _date_article(text: str) -> str:
    return _DATE_ARTICLE.sub(lambda m: "Den " if m.group(1) == "D" else "den ", text)


def _spoken_date(day: int, month: int, year: str | None) -> str | None:
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    words = f"{ordinal(day)} {month_name(month)}"
    return f"{words} {year}" if year else words


def _numeric_dates(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        day, month, year = match.groups()
        return _spoken_date(int(day), int(month), year) or match.group(0)

    text = _SLASH_DATE.sub(replace, text)
    text = _DOT_DATE.sub(replace, text)

    def short_month(match: re.Match[str]) -> str:
        month = _MONTH_ABBREVIATIONS[match.group(2)]
        return _spoken_date(int(match.group(1)), month, None) or match.group(0)

    return _SHORT_MONTH.sub(short_month, text)


def _abbreviation_pattern(written: str) -> str:
    first = written[0]
    parts = [f"[{first}{first.upper()}]" if first.isalpha() else re.escape(first)]
    for index, char in enumerate(written[1:], start=1):
        inner_stop = char == "." and index < len(written) - 1
        parts.append(r"\.\s?" if inner_stop else re.escape(char))
    return "".join(parts)


_ABBREVIATION_TABLE = {written: (spoken, can_end) for written, spoken, can_end in _ABBREVIATIONS}
_ABBREVIATION = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(
        _abbreviation_pattern(written) for written in sorted(_ABBREVIATION_TABLE, key=len)[::-1]
    )
    + r")(?![^\W\d])"
)


_PHRASE_TABLE = {written.lower(): spoken for written, spoken in _PHRASES.items()}


def _keeps_stop(text: str, end: int, can_end: bool) -> bool:
    """Whether the full stop that ends an abbreviation at ``end`` also ends the sentence."""
    if text[end - 1] != ".":
        return False
    if _STOP_AFTER.fullmatch(text, end):
        return True
    return can_end and _NEXT_SENTENCE.match(text, end) is not None


def _abbreviations(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        spoken, can_end = _ABBREVIATION_TABLE[re.sub(r"\s", "", found).lower()]
        if found[0].isupper():
            spoken = spoken[0].upper() + spoken[1:]
        if _keeps_stop(match.string, match.end(), can_end):
            spoken += "."
        elif match.string[match.end() : match.end() + 1].isdigit():
            spoken += " "
        return spoken

    text = _PHRASE.sub(lambda m: _PHRASE_TABLE[_SPACES.sub(" ", m.group(0)).lower()], text)
    text = _ABBREVIATION.sub(replace, text)
    return _SECTION_SIGN.sub(
        lambda m: "paragrafferne " if m.group(1) == "§§" else "paragraf ", text
    )


# --- amounts, times, phone numbers --------------------------------------------------------------


def _amounts(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kroner = match.group(1).replace(".", "")
        ore = int(match.group(2))
        return f"{kroner} kroner og {ore} øre" if ore else f"{kroner} kroner"

    text = _WHOLE_KRONER.sub("", text)
    text = _KRONER_ORE.sub(replace, text)
    return _SINGULAR_UNIT.sub(lambda m: _SINGULAR[m.group(1)], text)


def _clock(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if h > 24 or m > 59:
        return None
    words = cardinal(h, neuter=True)
    if m == 0:
        return words
    if m < 10:
        return f"{words} nul {cardinal(m, neuter=True)}"
    return f"{words} {cardinal(m)}"


def _times(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        word, hour, minute, end_hour, end_minute = match.groups()
        start = _clock(hour, minute)
        if start is None:
            return match.group(0)
        if end_hour is None:
            return f"{word} {start}"
        end = _clock(end_hour, end_minute)
        return f"{word} {start} til {end}" if end else match.group(0)

    def bare(match: re.Match[str]) -> str:
        return _clock(match.group(1), match.group(2)) or match.group(0)

    def bare_range(match: re.Match[str]) -> str:
        hour, minute, end_hour, end_minute, dot_minute, dot_end_hour, dot_end_minute = (
            match.groups()
        )
        if dot_minute is not None and (int(dot_minute) % 5 or int(dot_end_minute) % 5):
            return match.group(0)
        start = _clock(hour, minute or dot_minute)
        end = _clock(end_hour or dot_end_hour, end_minute or dot_end_minute)
        return f"{start} til {end}" if start and end else match.group(0)

    # A clock time with a colon is a time even without "kl." ("åbent 10:30-14"): an engine would
    # read the colon aloud.
    text = _BARE_TIME_RANGE.sub(bare_range, _TIME.sub(replace, text))
    return _BARE_TIME.sub(bare, text)


def _pair(digits: str) -> str:
    if digits[0] == "0":
        return f"nul {cardinal(int(digits[1]), neuter=True)}"
    return cardinal(int(digits), neuter=True)


def _phone_numbers(text: str) -> str:
    text = _PHONE_PAIRS.sub(lambda m: " ".join(_pair(pair) for pair in m.groups()), text)
    text = _PHONE_RUN.sub(
        lambda m: " ".join(_pair(m.group(1)[i : i + 2]) for i in range(0, 8, 2)), text
    )
    return _PLUS.sub("plus ", text)


# --- plain numbers ------------------------------------------------------------------------------


def _numbers(text: str) -> str:
    text = _THOUSANDS.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _DECIMAL.sub(r"\1 komma \2", text)
    text = _RANGE.sub(_range, text)
    text = _PERCENT.sub(" procent", text)
    return _PERMILLE.sub(" promille", text)


def _range(match: re.Match[str]) -> str:
    start, end = match.groups()
    if len(start) == 6 and len(end) == 4:  # a CPR number, not a range
        return match.group(0)
    return f"{start} til {end}"


def _is_neuter(noun: str) -> bool:
    return noun.endswith(_NEUTER_ENDINGS)


def _ordinals(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        first, last = int(match.group(1)), match.group(2)
        if first == 0 or (last is not None and int(last) == 0):
            return match.group(0)
        noun = _NOUN_AFTER.match(match.string, match.end())
        neuter = noun is not None and _is_neuter(noun.group(1))
        words = ordinal(first, neuter=neuter)
        if last is not None:
            words += f" til {ordinal(int(last), neuter=neuter)}"
        return words

    return _ORDINAL.sub(replace, text)


# --- symbols and tidying ------------------------------------------------------------------------


def _symbols(text: str) -> str:
    text = _AMPERSAND.sub(" og ", text)
    text = _WORD_SLASH.sub(" ", text)
    text = _SPACED_DASH.sub(", ", text)
    return _EDGE_DASH.sub("", text)


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    text = _REPEATED_COMMA.sub(",", text)
    text = _COMMA_BEFORE_MARK.sub(r"\1", text)
    return text.strip(" ,")


def _number_word(number: int) -> str:
    if 0 <= number <= 999_999:
        return cardinal(number, neuter=True)
    return str(number)


_DAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
# Short forms seen in opening hours ("man.-fre."); they are read as days only inside a range.
_DAY_ABBREVIATIONS = {
    "man": 0,
    "tir": 1,
    "tirs": 1,
    "ons": 2,
    "tor": 3,
    "tors": 3,
    "fre": 4,
    "fr": 4,
    "lør": 5,
    "søn": 6,
}
_RANGE_WORDS = {name: name for name in (*_DAY_NAMES, *MONTHS)} | {
    **{short: _DAY_NAMES[day] for short, day in _DAY_ABBREVIATIONS.items()},
    **{short: month_name(month) for short, month in _MONTH_ABBREVIATIONS.items()},
}
_RANGE_WORD = (
    "(?:" + "|".join(sorted(map(re.escape, _RANGE_WORDS), key=len, reverse=True)) + r")(?!\w)\.?"
)
# A range of two day or month names, each side perhaps with its date or year: "mandag-fredag",
# "januar–marts", "man.-fre.", "1. januar-31. marts", "januar 2024-marts 2025". Only these
# words: other hyphenated words ("by-og-land", "EU-regler", "sundheds- og") are compounds. A
# chain of three names ("april-maj-juni") is a list, not a range, and is left as it is.
_WORD_RANGE = re.compile(
    rf"(?<![\w\-–])(?<![-–] )({_RANGE_WORD})(\s+\d{{4}})?\s*[-–]\s*(\d{{1,2}}\.\s*)?({_RANGE_WORD})"
    rf"(?!\s*[-–]\s*{_RANGE_WORD})",
    re.IGNORECASE,
)
# "1990'erne" (the quote is already gone: "1990erne") is said by its decade, as Danes do.
_DECADES = {
    "00": "nullerne",
    "10": "tierne",
    "20": "tyverne",
    "30": "trediverne",
    "40": "fyrrerne",
    "50": "halvtredserne",
    "60": "tresserne",
    "70": "halvfjerdserne",
    "80": "firserne",
    "90": "halvfemserne",
}
_DECADE = re.compile(r"(?<![\d.,])(?:1[89]|20)(\d0)erne\b")


def _range_word(written: str) -> str:
    """A day or month name as written, or the name a short form stands for, in its case."""
    word = written.rstrip(".")
    name = _RANGE_WORDS[word.lower()]
    if word.lower() == name:
        return word
    return name.capitalize() if word[0].isupper() else name


def _word_ranges(text: str) -> str:
    """ "mandag-fredag" is "mandag til fredag", "maj-august" "maj til august"."""

    def replace(match: re.Match[str]) -> str:
        first, year, day, last = match.groups()
        spoken = f"{_range_word(first)}{year or ''} til {day or ''}{_range_word(last)}"
        # A short form's full stop goes with it, unless it also ends the sentence.
        if last.endswith(".") and _keeps_stop(match.string, match.end(), True):
            spoken += "."
        return spoken

    text = _WORD_RANGE.sub(replace, text)
    return _DECADE.sub(lambda m: _DECADES[m.group(1)], text)


_UNITS = {"km": "kilometer", "kg": "kilo", "m²": "kvadratmeter", "m2": "kvadratmeter"}
_UNIT = re.compile(r"(?<=\d)\s?(km|kg|m²|min\.)(?![\w²])")


def _units(text: str) -> str:
    """ "10 km" is "10 kilometer", "20 min." "20 minutter" (its stop kept where it ends a
    sentence), "50 m²" "50 kvadratmeter"."""

    def replace(match: re.Match[str]) -> str:
        unit = match.group(1)
        if unit != "min.":
            return " " + _UNITS[unit]
        one = text[: match.start()].endswith(" 1") or match.start() == 1
        word = "minut" if one else "minutter"
        rest = text[match.end() :]
        return f" {word}." if not rest.strip() or _NEXT_SENTENCE.match(rest) else f" {word}"

    return _UNIT.sub(replace, text)


_SECTION_NUMBER = re.compile(
    r"\b([Aa]fsnit|[Kk]apitel|[Pp]unkt|[Bb]ilag)\s+(\d{1,2}(?:\.\d{1,2})+)(?!\d|\.\d)"
)
# "0-6-årige", "3-5-årig": a range of ages inside one compound word.
_AGE_RANGE = re.compile(r"(?<![\d.,])(\d{1,2})\s*[-–]\s*(\d{1,2})-(årig\w*)")


def _section_numbers(text: str) -> str:
    """ "afsnit 4.2" is "afsnit fire punkt to", not a date or a decimal; "0-6-årige" is "nul
    til seksårige"."""

    def section(match: re.Match[str]) -> str:
        parts = [_number_word(int(part)) for part in match.group(2).split(".")]
        return f"{match.group(1)} {' punkt '.join(parts)}"

    def ages(match: re.Match[str]) -> str:
        low, high, word = match.groups()
        return f"{_number_word(int(low))} til {_number_word(int(high))}{word}"

    return _AGE_RANGE.sub(ages, _SECTION_NUMBER.sub(section, text))


_RULES: tuple[Rule, ...] = (
    _word_ranges,
    _section_numbers,
    _units,
    _date_article,
    _numeric_dates,
    _abbreviations,
    _amounts,
    _times,
    _phone_numbers,
    _numbers,
    _ordinals,
    _symbols,
)
