"""Danish ways of writing dates and phone numbers in the reading view."""

from __future__ import annotations

import datetime as dt
import re

from reader.speech.numbers import MONTHS


def danish_date(day: dt.date) -> str:
    """``date(2015, 8, 5)`` → ``"5. august 2015"``."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def numeric_date(day: dt.date) -> str:
    """``date(2015, 8, 5)`` → ``"05.08.2015"``."""
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def tel_href(phone: str) -> str:
    """``"43 59 10 00"`` → ``"tel:+4543591000"``; an 8-digit number is Danish (+45)."""
    digits = re.sub(r"[^\d+]", "", phone)
    if re.fullmatch(r"\d{8}", digits):
        digits = "+45" + digits
    return f"tel:{digits}"
