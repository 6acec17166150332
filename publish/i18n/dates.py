"""Dates written out in a language: "June 1, 2025", "1 de junio de 2025", "1. Juni 2025".

English is written by the standard library, so an English book never imports Babel; every other
language takes CLDR's long date format from Babel.
"""

from __future__ import annotations

import datetime as dt


def format_date(value: str, lang: str) -> str:
    """A ``YYYY-MM-DD`` date as readers of ``lang`` write it; anything else unchanged."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    tag = lang.replace("_", "-").lower()
    if tag in ("en", "en-us"):
        return f"{day:%B} {day.day}, {day.year}"
    if tag.startswith("en-"):
        return f"{day.day} {day:%B} {day.year}"
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date as babel_date

    for candidate in (lang.replace("-", "_"), tag.split("-")[0]):
        try:
            locale = Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
        return babel_date(day, format="long", locale=locale)
    return day.isoformat()  # a language CLDR does not know: the unambiguous form
