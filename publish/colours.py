"""Colours as WCAG 2.2 measures them: parsing ``#rgb``, ``#rrggbb`` and ``rgb(r, g, b)``, relative luminance,
contrast against the page, and a darker shade of a hue. Imports nothing of publish: ``book.yaml``'s check of
``theme.accent`` uses it before anything is rendered.
"""

from __future__ import annotations

import re

Colour = tuple[int, int, int]

PAGE = (255, 255, 255)
MIN_CONTRAST = 4.5  # WCAG 2.2 SC 1.4.3 (AA), normal text
LARGE_PRINT_CONTRAST = 7.0  # WCAG 2.2 SC 1.4.6 (AAA): what large print takes

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGB = re.compile(r"^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$", re.IGNORECASE)


def parse_colour(text: str) -> Colour | None:
    """``#rgb``, ``#rrggbb`` or ``rgb(r, g, b)`` as an (r, g, b) triple; None for anything else."""
    value = text.strip()
    if match := _HEX.match(value):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if match := _RGB.match(value):
        channels = tuple(int(v) for v in match.groups())
        if all(0 <= c <= 255 for c in channels):
            return (channels[0], channels[1], channels[2])
    return None


def hex_colour(colour: Colour) -> str:
    """A colour as ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _linear(channel: int) -> float:
    # WCAG 2.2 "relative luminance": the sRGB transfer function undone (0.04045, as in sRGB itself).
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: Colour) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    red, green, blue = (_linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Colour, second: Colour = PAGE) -> float:
    """WCAG 2.2 contrast ratio, 1 to 21."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def accent_problem(text: str) -> str | None:
    """Why ``text`` cannot be the accent (not a colour, or too little contrast on the page); None if it can."""
    colour = parse_colour(text)
    if colour is None:
        return f"is not a colour: {text!r} (write it as #rrggbb, for example #2f5d62)"
    ratio = contrast_ratio(colour)
    if ratio < MIN_CONTRAST:
        return (
            f"{text} has a contrast of {ratio:.2f}:1 against the white page; text needs at least "
            f"{MIN_CONTRAST}:1 (WCAG 2.2 AA): choose a darker colour"
        )
    return None


def darker_shade(colour: Colour, ratio: float = LARGE_PRINT_CONTRAST) -> Colour:
    """The colour darkened (its hue kept) until it reaches ``ratio`` against the page."""
    shade = colour
    step = 1.0
    while contrast_ratio(shade) < ratio and step > 0:
        step -= 0.02
        shade = (round(colour[0] * step), round(colour[1] * step), round(colour[2] * step))
    return shade
