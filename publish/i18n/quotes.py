"""Quotation marks by language, from the Unicode CLDR (``common/main/*.xml``, ``<delimiters>``; CLDR 44).

Babel does not carry CLDR's delimiters, so the table is here. Each entry is ``quotationStart``,
``quotationEnd``, ``alternateQuotationStart``, ``alternateQuotationEnd``: an author's double quotes become
the first pair, single quotes (a quotation inside a quotation) the second. A language not listed keeps
the English marks that the smart-quote pass writes.
"""

from __future__ import annotations

from typing import NamedTuple


class Quotes(NamedTuple):
    """A language's quotation marks: outer pair, then the pair for a quotation inside a quotation."""

    open: str
    close: str
    inner_open: str
    inner_close: str


ENGLISH = Quotes("\u201c", "\u201d", "\u2018", "\u2019")  # “ ” ‘ ’
_GUILLEMETS_CURLY = Quotes("\u00ab", "\u00bb", "\u201c", "\u201d")  # « » “ ”
_LOW_HIGH = Quotes("\u201e", "\u201c", "\u201a", "\u2018")  # „ “ ‚ ‘
# Keyed by language subtag, or language-region where the region's own file differs (pt-PT).
QUOTES: dict[str, Quotes] = {
    "en": ENGLISH,
    "es": _GUILLEMETS_CURLY,
    "it": _GUILLEMETS_CURLY,
    "pt-pt": _GUILLEMETS_CURLY,
    "pt": ENGLISH,  # CLDR's pt is Brazilian Portuguese, which writes “…”
    "fr": Quotes("\u00ab", "\u00bb", "\u00ab", "\u00bb"),  # « » « »
    "de": _LOW_HIGH,
    "cs": _LOW_HIGH,
    "da": ENGLISH,
    "nl": Quotes("\u2018", "\u2019", "\u201c", "\u201d"),  # ‘ ’ “ ”
    "pl": Quotes("\u201e", "\u201d", "\u00ab", "\u00bb"),  # „ ” « »
    "ru": Quotes("\u00ab", "\u00bb", "\u201e", "\u201c"),  # « » „ “
    "sv": Quotes("\u201d", "\u201d", "\u2019", "\u2019"),  # ” ” ’ ’
    "fi": Quotes("\u201d", "\u201d", "\u2019", "\u2019"),
    "nb": Quotes("\u00ab", "\u00bb", "\u2018", "\u2019"),  # « » ‘ ’
    "ja": Quotes("\u300c", "\u300d", "\u300e", "\u300f"),  # 「 」 『 』
    "zh": ENGLISH,
}


def quotes_for(language: str) -> Quotes:
    """The quotation marks of a BCP 47 language (``es-US`` takes Spanish's); English's for one not listed."""
    tag = language.lower().replace("_", "-")
    parts = tag.split("-")
    for key in (f"{parts[0]}-{parts[1]}" if len(parts) > 1 else "", parts[0]):
        if key in QUOTES:
            return QUOTES[key]
    return ENGLISH
