"""A typographic cover, generated when ``book.yaml`` names none."""

from __future__ import annotations

import io
import textwrap

from publish.manuscript import BookMeta
from publish.resources import book_fonts

WIDTH, HEIGHT = 1600, 2560
ACCENT = (31, 78, 90)  # the design's deep calm teal, #1f4e5a
BAND = (232, 223, 206)  # a warm paper tone for the lower band
LIGHT = (247, 243, 236)


def _font_path(family: str, weight: int) -> str:
    for font in book_fonts():
        if font.family == family and font.weight == weight and font.style == "normal":
            return str(font.path)
    raise LookupError(family)


def generate_cover(meta: BookMeta) -> bytes:
    """A 1600×2560 PNG: title and subtitle in Source Serif on the accent field, author in Source Sans below."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), ACCENT)
    draw = ImageDraw.Draw(image)
    margin = 160
    draw.rectangle((0, int(HEIGHT * 0.72), WIDTH, HEIGHT), fill=BAND)
    draw.line((margin, int(HEIGHT * 0.72) - 80, margin + 240, int(HEIGHT * 0.72) - 80), fill=BAND, width=6)

    def fit(text: str, path: str, max_size: int, max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
        size = max_size
        while True:
            font = ImageFont.truetype(path, size)
            average = font.getlength("abcdefghijklmnopqrstuvwxyz") / 26
            lines = textwrap.wrap(text, width=max(8, int((WIDTH - 2 * margin) / average)))
            if (len(lines) <= max_lines and all(font.getlength(line) <= WIDTH - 2 * margin for line in lines)) or size <= 48:
                return font, lines
            size -= 6

    title_font, title_lines = fit(meta.title, _font_path("Source Serif Pro", 600), 150, 6)
    y = 360
    for line in title_lines:
        draw.text((margin, y), line, font=title_font, fill=LIGHT)
        y += int(title_font.size * 1.18)
    if meta.subtitle:
        sub_font, sub_lines = fit(meta.subtitle, _font_path("Source Serif Pro", 400), 72, 4)
        y += 60
        for line in sub_lines:
            draw.text((margin, y), line, font=sub_font, fill=BAND)
            y += int(sub_font.size * 1.3)
    author_font, author_lines = fit(meta.author, _font_path("Source Sans Pro", 600), 84, 2)
    y = int(HEIGHT * 0.72) + 180
    for line in author_lines:
        draw.text((margin, y), line, font=author_font, fill=ACCENT)
        y += int(author_font.size * 1.25)
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()
