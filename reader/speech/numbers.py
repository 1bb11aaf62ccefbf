"""Danish number words: cardinals 0..999 999, ordinals 1..999 and month names.

Kept as small tables of our own because the usual libraries get Danish ordinals wrong from 30 up
("tredivte", "fyrretyvende", "halvtredsindstyvende" …). Only "en/et" and "anden/andet" depend on
the gender of the noun that follows; callers say which with ``neuter``.
"""

from __future__ import annotations

_UNITS = ("nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni")
_TEENS = (
    "ti",
    "elleve",
    "tolv",
    "tretten",
    "fjorten",
    "femten",
    "seksten",
    "sytten",
    "atten",
    "nitten",
)
_TENS = {
    2: "tyve",
    3: "tredive",
    4: "fyrre",
    5: "halvtreds",
    6: "tres",
    7: "halvfjerds",
    8: "firs",
    9: "halvfems",
}

_ORDINAL_UNITS = (
    "",
    "første",
    "anden",
    "tredje",
    "fjerde",
    "femte",
    "sjette",
    "syvende",
    "ottende",
    "niende",
)
_ORDINAL_TEENS = (
    "tiende",
    "ellevte",
    "tolvte",
    "trettende",
    "fjortende",
    "femtende",
    "sekstende",
    "syttende",
    "attende",
    "nittende",
)
_ORDINAL_TENS = {
    2: "tyvende",
    3: "tredivte",
    4: "fyrretyvende",
    5: "halvtredsindstyvende",
    6: "tresindstyvende",
    7: "halvfjerdsindstyvende",
    8: "firsindstyvende",
    9: "halvfemsindstyvende",
}

MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

MAX_CARDINAL = 999_999
MAX_ORDINAL = 999


def _below_hundred(n: int, neuter: bool) -> str:
    if n == 1 and neuter:
        return "et"
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return _TEENS[n - 10]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _TENS[tens]
    return f"{_UNITS[unit]}og{_TENS[tens]}"


def _below_thousand(n: int, neuter: bool, leading: bool) -> str:
    """``n`` in 1..999; ``leading`` says whether nothing bigger is spoken before it."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_hundred(rest, neuter)
    if hundreds == 1:
        head = "hundrede" if leading else "et hundrede"
    else:
        head = f"{_UNITS[hundreds]} hundrede"
    if rest == 0:
        return head
    return f"{head} og {_below_hundred(rest, neuter)}"


def cardinal(n: int, *, neuter: bool = False) -> str:
    """``n`` (0..999 999) in words: 21 → "enogtyve", 1250 → "tusind to hundrede og halvtreds".

    ``neuter`` picks "et" over "en" for a final one ("et år", "klokken et").
    """
    if not 0 <= n <= MAX_CARDINAL:
        raise ValueError(f"cardinal out of range 0..{MAX_CARDINAL}: {n}")
    if n == 0:
        return _UNITS[0]
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        if thousands == 1:
            words.append("tusind")
        else:
            # "tusind" is neuter: "hundrede og et tusind", but "enogtyve tusind".
            words.append(f"{_below_thousand(thousands, True, True)} tusind")
    if rest:
        if thousands and rest < 100:
            words.append("og")
        words.append(_below_thousand(rest, neuter, not thousands))
    return " ".join(words)


def ordinal(n: int, *, neuter: bool = False) -> str:
    """``n`` (1..999) as an ordinal: 2 → "anden" ("andet" when ``neuter``), 31 → "enogtredivte"."""
    if not 1 <= n <= MAX_ORDINAL:
        raise ValueError(f"ordinal out of range 1..{MAX_ORDINAL}: {n}")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        # "den hundrede gang", "den to hundrede gang": the ordinal is the cardinal itself.
        return cardinal(n)
    if rest == 2 and neuter:
        tail = "andet"
    elif rest < 10:
        tail = _ORDINAL_UNITS[rest]
    elif rest < 20:
        tail = _ORDINAL_TEENS[rest - 10]
    else:
        tens, unit = divmod(rest, 10)
        tail = _ORDINAL_TENS[tens]
        if unit:
            tail = f"{_UNITS[unit]}og{tail}"
    if hundreds == 0:
        return tail
    return f"{_below_thousand(hundreds * 100, False, True)} og {tail}"


def month_name(month: int) -> str:
    """1 → "januar" … 12 → "december"."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range 1..12: {month}")
    return MONTHS[month - 1]
