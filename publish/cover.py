"""A typographic cover, generated when ``book.yaml`` names none."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from publish.manuscript import BookMeta
from publish.resources import book_fonts

if TYPE_CHECKING:
    from PIL import Image
    from PIL.ImageFont import FreeTypeFont

    from publish.render import ImageRef

WIDTH, HEIGHT = 1600, 2560  # the 1:1.6 ratio and size retailers ask for
MARGIN = 150
BAND_TOP = int(HEIGHT * 0.72)  # where the warm lower band starts
ACCENT = (31, 78, 90)  # the design's deep calm teal, #1f4e5a
BAND = (232, 223, 206)  # a warm paper tone for the lower band
LIGHT = (247, 243, 236)  # title on the accent field: contrast 8.9:1
SOFT = (214, 226, 228)  # subtitle: a little quieter than the title
NARROWEST = 32  # the smallest text size, for words too long for the width at any reasonable size
SUBTITLE_SHARE = 0.7  # the subtitle's size at most this share of the title's


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
    """The largest size at which ``text`` fits the text width in ``max_lines`` lines and ``height`` pixels.

    Below ``smallest`` only as far as a word too long for the text width needs (a 40-letter word),
    never below ``NARROWEST``: the text stays inside the margins.
    """
    from PIL import ImageFont

    size = largest
    while True:
        font = ImageFont.truetype(path, size)
        lines = wrap_text(text, font, WIDTH - 2 * MARGIN)
        leading = size * 1.16
        inside = all(font.getlength(line) <= WIDTH - 2 * MARGIN for line in lines)
        fits = len(lines) <= max_lines and inside
        if (fits and len(lines) * leading <= height) or (size <= smallest and inside) or size <= NARROWEST:
            return font, lines, leading
        size -= 4


@dataclass(frozen=True)
class CoverLine:
    """One line of text on the cover, placed: ``role`` is "title", "subtitle" or "author"."""

    role: str
    x: float
    y: float
    text: str
    font: FreeTypeFont


TEXT_COLOURS = {"title": LIGHT, "subtitle": SOFT, "author": ACCENT}
RULE = (MARGIN, BAND_TOP - 110, MARGIN + 260, BAND_TOP - 110)  # a short rule in the band's colour, 8 px
RULE_WIDTH = 8


def lay_out_cover(meta: BookMeta) -> list[CoverLine]:
    """Where each line of title, subtitle and author goes, in which font.

    The title is set as large as it fits (up to 230 px, so it still reads on a 100 px high thumbnail).
    """
    top = 300
    room: float = BAND_TOP - 200 - top  # keep clear of the rule above the band
    subtitle_font: FreeTypeFont | None = None
    subtitle_lines: list[str] = []
    subtitle_leading = 0.0
    if meta.subtitle:
        subtitle_font, subtitle_lines, subtitle_leading = _fit(
            meta.subtitle, _font_path("Source Serif Pro", 400), 96, 56, 3, room / 3
        )
        room -= len(subtitle_lines) * subtitle_leading + 70
    title_font, title_lines, title_leading = _fit(meta.title, _font_path("Source Serif Pro", 600), 230, 72, 6, room)
    if subtitle_font is not None and subtitle_font.size > title_font.size * SUBTITLE_SHARE:
        # A title shrunk to fit (a long word) keeps a subtitle smaller than itself.
        largest = max(NARROWEST, int(title_font.size * SUBTITLE_SHARE))
        subtitle_font, subtitle_lines, subtitle_leading = _fit(
            meta.subtitle or "", _font_path("Source Serif Pro", 400), largest, min(56, largest), 3, room / 3
        )
    placed: list[CoverLine] = []
    y = float(top)
    for line in title_lines:
        placed.append(CoverLine("title", MARGIN, y, line, title_font))
        y += title_leading
    if subtitle_font is not None:
        y += 70
        for line in subtitle_lines:
            placed.append(CoverLine("subtitle", MARGIN, y, line, subtitle_font))
            y += subtitle_leading
    author_font, author_lines, author_leading = _fit(
        meta.author, _font_path("Source Sans Pro", 600), 120, 64, 2, HEIGHT - BAND_TOP - 300
    )
    y = BAND_TOP + 170
    for line in author_lines:
        placed.append(CoverLine("author", MARGIN, y, line, author_font))
        y += author_leading
    return placed


# The cover is drawn as palette indices in a one-byte-per-pixel image and written as a palette PNG:
# three times less data than RGB and no per-row filter search, so it is encoded in a few milliseconds
# instead of about forty. Each text colour has its own run of palette entries, from the colour under the
# text (where the glyph does not cover the pixel) to the text's colour (where it covers it fully). Text
# drawn with the run's last index onto the run's first index then lands on the entry for how much the
# glyph covers each pixel: the colours RGB drawing gives, to within 2 of 255 in any channel.
_RUNS = {"title": (0, 85, ACCENT), "subtitle": (86, 170, ACCENT), "author": (171, 255, BAND)}
_BAND_INDEX = 171  # the author's run starts with the band's colour: the band and the rule


def _palette(accent: tuple[int, int, int] = ACCENT) -> bytes:
    """The 256 RGB entries of the runs above (``accent``: the field's colour and the author's, the theme's)."""
    entries = bytearray()
    for role, (first, last, under) in _RUNS.items():
        over, steps = TEXT_COLOURS[role], last - first
        over, under = (accent if over == ACCENT else over), (accent if under == ACCENT else under)
        for step in range(steps + 1):
            entries += bytes(round(u + (o - u) * step / steps) for u, o in zip(under, over, strict=True))
    return bytes(entries)


class _PngOutput(io.BytesIO):
    """A PNG written in memory, under a name that tells Pillow its format: Pillow then loads its PNG plugin
    alone, where ``format="PNG"`` loads five (BMP, GIF, JPEG and PPM too: some ten milliseconds)."""

    name = "cover.png"


def _png(image: Image.Image, palette: bytes) -> bytes:
    """An image's bytes as 8-bit palette indices, written as a palette PNG (Pillow leaves palette rows
    unfiltered and writes no text chunks or timestamps, so the same book gives the same bytes).

    ``image`` (mode L) becomes that palette image in place: its bytes are the indices already, not copied.
    """
    image.putpalette(palette)
    output = _PngOutput()
    # Run-length matching only: the cover is long runs of one index, and this is twice as fast as the
    # default strategy for a file 10% larger.
    image.save(output, compress_level=9, compress_type=zlib.Z_RLE)
    return output.getvalue()


def generate_cover(meta: BookMeta, logo: ImageRef | None = None) -> bytes:
    """A 1600×2560 PNG: title and subtitle in Source Serif on the accent field (the theme's, else the design's),
    author in Source Sans on a warm band; the practice's ``logo`` at the top left, on a light badge."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (WIDTH, HEIGHT), _RUNS["title"][0])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, BAND_TOP, WIDTH, HEIGHT), fill=_BAND_INDEX)
    lines = lay_out_cover(meta)
    subtitle = [line for line in lines if line.role == "subtitle"]
    if subtitle:
        # The subtitle's run starts at another entry for the accent colour: mark its rows with it, from a
        # little above its first line (for accents) down to the band. The title's descenders end less
        # than 0.1 em below its last line, well short of the 70 px between them.
        draw.rectangle((0, int(subtitle[0].y) - 20, WIDTH, BAND_TOP - 1), fill=_RUNS["subtitle"][0])
    for line in lines:
        draw.text((line.x, line.y), line.text, font=line.font, fill=_RUNS[line.role][1])
    draw.line(RULE, fill=_BAND_INDEX, width=RULE_WIDTH)
    from publish.colours import parse_colour

    accent = parse_colour(meta.theme.accent) if meta.theme.accent else None
    if logo is None:
        return _png(image, _palette(accent or ACCENT))
    return _with_logo(image, _palette(accent or ACCENT), logo)


LOGO_HEIGHT = 150  # px, above the title (which starts at 300)
LOGO_TOP = 100


def _with_logo(image: Image.Image, palette: bytes, logo: ImageRef) -> bytes:
    """The cover in RGB with the logo drawn on a light rounded badge (a logo in the accent stays visible)."""
    from PIL import ImageDraw

    image.putpalette(palette)
    rgb = image.convert("RGB")
    picture = logo_image(logo, LOGO_HEIGHT)
    pad = 24
    badge = (MARGIN - pad, LOGO_TOP - pad, MARGIN + picture.width + pad, LOGO_TOP + LOGO_HEIGHT + pad)
    ImageDraw.Draw(rgb).rounded_rectangle(badge, radius=28, fill=LIGHT)
    rgb.paste(picture, (MARGIN, LOGO_TOP), picture)
    output = _PngOutput()
    rgb.save(output, compress_level=9)
    return output.getvalue()


class CoverDrawing:
    """A book's generated cover, drawn in a forked child process while this one loads and renders the book.

    Check ``publish.processes.forking.can_share_work()`` first; close it when done (a child still drawing is stopped).
    The child is a ``publish.processes.workers.ChildMap`` worker: if it cannot finish, the cover is drawn here.
    """

    def __init__(self, meta: BookMeta):
        from publish.processes.workers import ChildMap

        self.meta = meta
        self._drawing = ChildMap(generate_cover, [meta], 0)
        self._png: bytes | None = None

    def png(self) -> bytes:
        """The cover: the child's, or drawn here if the child could not finish it."""
        if self._png is None:
            self._png = next(self._drawing)
            self._drawing.close()
        return self._png

    def close(self) -> None:
        """Stop the child if it is still drawing."""
        self._drawing.close()


def logo_image(logo: ImageRef, height: int) -> Any:
    """The logo as an RGBA Pillow image ``height`` pixels high, for the generated cover.

    A raster logo is scaled; an SVG logo is typeset by WeasyPrint as vector (the sanitised SVG, through
    publish's URL fetcher) and drawn to pixels by PDFium.
    """

    from PIL import Image

    if logo.content is None:
        with Image.open(logo.path) as opened:
            image = opened.convert("RGBA")
    else:
        import pypdfium2

        from publish.pdf.finishing import typeset
        from publish.pdf.html import image_source

        page = (
            "@page { size: 4in 4in; margin: 0; } html, body { margin: 0; }"
            " img { display: block; width: 4in; height: 4in; object-fit: contain; }"
        )
        html = f'<!DOCTYPE html><html lang="en"><head><title>logo</title></head><body><img src="{image_source(logo)}" alt="logo"></body></html>'
        pdf, _ = typeset(html, [page], logo.path.parent, [])
        document = pypdfium2.PdfDocument(pdf)
        try:
            bitmap = document[0].render(scale=height * 2 / 288, fill_color=(255, 255, 255, 0))
            image = bitmap.to_pil().convert("RGBA")
        finally:
            document.close()
        box = image.getbbox()
        if box:
            image = image.crop(box)
    width = max(1, round(image.width * height / max(1, image.height)))
    return image.resize((width, height), Image.Resampling.LANCZOS)
