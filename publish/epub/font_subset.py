"""Fonts embedded in an EPUB cut down to the characters its documents use (fontTools)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

# Characters a reading system may set that are not in the text: the hyphen it adds when it hyphenates
# (U+2010 and U+002D), the ellipsis it may put after a cut line, digits and the space.
_ALWAYS = "\u2010-\u2026\u00a0 0123456789."


def used_characters(documents: Iterable[bytes]) -> str:
    """Every character of the documents' text, in both cases (CSS may set text in upper case), sorted."""
    characters: set[str] = set(_ALWAYS)
    for document in documents:
        root = etree.fromstring(document)
        for text in root.itertext():
            characters.update(text)
            characters.update(text.upper())
            characters.update(text.lower())
    return "".join(sorted(character for character in characters if character.isprintable() or character == " "))


def subset_font(path: Path, characters: str) -> bytes:
    """The font at ``path`` with only the glyphs for ``characters`` (and what its layout features reach).

    The names table is kept whole, so the subset still carries its copyright and OFL licence.
    """
    from fontTools import subset

    options = subset.Options()
    # fontTools' default features: kerning, ligatures, marks, contextual forms; the stylesheet asks for no others.
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False  # the same book, the same bytes
    output = io.BytesIO()
    with subset.load_font(str(path), options) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        subset.save_font(font, output, options)
    return output.getvalue()
