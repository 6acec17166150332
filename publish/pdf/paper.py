"""Paper sizes, the PDF's options and the lengths they give (bleed); the bottom of ``publish.pdf``: imports no sibling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from publish.errors import PublishError
from publish.limits import parse_bleed


@dataclass(frozen=True)
class Paper:
    """A paper size and the book margins that suit it."""

    size: str  # a CSS ``size`` value
    top: str
    bottom: str
    inner: str
    outer: str
    small: bool = False  # smaller body type and tighter furniture


# The text block gives a measure of 62-70 characters (DESIGN.md): 4.9 in of 11.5 pt Source
# Serif on letter and A4 (the 5.5 in the brief first suggested set 77), 4.3-4.45 in of 10.5 pt on
# the small sizes. The outer margin is the wider one, as in a book.
PAPERS = {
    "letter": Paper("letter", "0.9in", "1in", "1.55in", "2.05in"),
    "a4": Paper("A4", "1in", "1.2in", "1.5in", "1.87in"),
    "a5": Paper("A5", "0.6in", "0.75in", "0.62in", "0.76in", small=True),
    "half-letter": Paper("5.5in 8.5in", "0.6in", "0.75in", "0.55in", "0.65in", small=True),
}


PAPER_SIZES = tuple(PAPERS)


@dataclass(frozen=True)
class PdfOptions:
    """Choices for the PDF output."""

    paper: str = "letter"
    duplex: bool = False
    bleed: str | None = None
    crop_marks: bool = False
    large_print: bool = False
    booklet: bool = False
    styles: Path | None = None
    strict: bool = False  # WeasyPrint's warnings stop the build instead of being reported
    jobs: int | None = None  # processes typesetting the book; None: two for a long book (publish.pdf.parts)
    toc_depth: int = 2  # levels in the contents and the outline: 1 pieces, 2 and ## sections, 3 and ### sections


DEFAULT_OPTIONS = PdfOptions()


def paper_of(options: PdfOptions) -> Paper:
    if options.paper not in PAPERS:
        raise PublishError(f"unknown paper size {options.paper!r}: use one of {', '.join(PAPERS)}")
    if options.booklet:
        # Two pages side by side on a landscape sheet: half-letter on letter, A5 on A4.
        return PAPERS["a5" if options.paper in ("a4", "a5") else "half-letter"]
    return PAPERS[options.paper]


DEFAULT_BLEED = "0.125in"


def bleed_points(options: PdfOptions) -> float | None:
    """The bleed in points, when the print shop gets one (``--bleed``, or ``--crop-marks``' default)."""
    if options.bleed is None and not options.crop_marks:
        return None
    return parse_bleed(options.bleed or DEFAULT_BLEED)


def booklet_sheet(options: PdfOptions) -> str:
    """The sheet a booklet is printed on: A4 for the A sizes, letter otherwise."""
    return "A4" if options.paper in ("a4", "a5") else "letter"
