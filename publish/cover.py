"""A typographic cover, generated when ``book.yaml`` names none."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from publish.manuscript import BookMeta
from publish.resources import book_fonts

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

WIDTH, HEIGHT = 1600, 2560  # the 1:1.6 ratio and size retailers ask for
MARGIN = 150
BAND_TOP = int(HEIGHT * 0.72)  # where the warm lower band starts
ACCENT = (31, 78, 90)  # the design's deep calm teal, #1f4e5a
BAND = (232, 223, 206)  # a warm paper tone for the lower band
LIGHT = (247, 243, 236)  # title on the accent field: contrast 8.9:1
SOFT = (214, 226, 228)  # subtitle: a little quieter than the title


def _font_path(family: str, weight: int) -> str:
    for font in book_fonts():
        if font.family == family and font.weight == weight and font.style == "normal":
            return str(font.path)
    raise LookupError(f"{family} {weight}")


def wrap_text(text: str, font: FreeTypeFont, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` where possible, at spaces only (never inside "Self-Compassion")."""
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _fit(
    text: str, path: str, largest: int, smallest: int, max_lines: int, height: float
) -> tuple[FreeTypeFont, list[str], float]:
    """The largest size at which ``text`` fits the text width in ``max_lines`` lines and ``height`` pixels."""
    from PIL import ImageFont

    size = largest
    while True:
        font = ImageFont.truetype(path, size)
        lines = wrap_text(text, font, WIDTH - 2 * MARGIN)
        leading = size * 1.16
        fits = len(lines) <= max_lines and all(font.getlength(line) <= WIDTH - 2 * MARGIN for line in lines)
        if (fits and len(lines) * leading <= height) or size <= smallest:
            return font, lines, leading
        size -= 4


def generate_cover(meta: BookMeta) -> bytes:
    """A 1600×2560 PNG: title and subtitle in Source Serif on the accent field, author in Source Sans on a warm band.

    The title is set as large as it fits (up to 230 px, so it still reads on a 100 px high thumbnail).
    """
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), ACCENT)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, BAND_TOP, WIDTH, HEIGHT), fill=BAND)

    top = 300
    room = BAND_TOP - 200 - top  # keep clear of the rule above the band
    subtitle_font, subtitle_lines, subtitle_leading = None, [], 0.0
    if meta.subtitle:
        subtitle_font, subtitle_lines, subtitle_leading = _fit(
            meta.subtitle, _font_path("Source Serif Pro", 400), 96, 56, 3, room / 3
        )
        room -= len(subtitle_lines) * subtitle_leading + 70
    title_font, title_lines, title_leading = _fit(meta.title, _font_path("Source Serif Pro", 600), 230, 72, 6, room)

    y = float(top)
    for line in title_lines:
        draw.text((MARGIN, y), line, font=title_font, fill=LIGHT)
        y += title_leading
    if subtitle_font is not None:
        y += 70
        for line in subtitle_lines:
            draw.text((MARGIN, y), line, font=subtitle_font, fill=SOFT)
            y += subtitle_leading
    draw.line((MARGIN, BAND_TOP - 110, MARGIN + 260, BAND_TOP - 110), fill=BAND, width=8)

    author_font, author_lines, author_leading = _fit(
        meta.author, _font_path("Source Sans Pro", 600), 120, 64, 2, HEIGHT - BAND_TOP - 300
    )
    y = BAND_TOP + 170
    for line in author_lines:
        draw.text((MARGIN, y), line, font=author_font, fill=ACCENT)
        y += author_leading
    output = io.BytesIO()
    # No text chunks or timestamps: the same book gives the same bytes (reproducible builds).
    # Level 3 is about 4x faster than optimize=True for 40% more bytes: start-up matters more here.
    image.save(output, format="PNG", compress_level=3)
    return output.getvalue()
