"""Reading typeset PDFs back for the PDF, handout and booklet tests (pypdf and pikepdf)."""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from publish.render import RenderedBook

SOFT_HYPHEN_BREAK = "\u2010"  # WeasyPrint's hyphenate-character: a line broken inside a word ends with it


@dataclass(frozen=True)
class BuiltPdf:
    """A book or handout typeset once per session, with what WeasyPrint warned about."""

    rendered: RenderedBook
    path: Path
    warnings: tuple[str, ...]
    texts: tuple[str, ...]


def normalise(text: str) -> str:
    """Collapse whitespace, and join words that a line break split after a hyphen or dash."""
    text = " ".join(text.split())
    return re.sub(r"([-\u2010\u2014]) ", r"\1", text)


@contextmanager
def publish_warnings() -> Iterator[list[str]]:
    """Collect what the ``publish`` library logs at warning level (WeasyPrint's warnings among them)."""
    messages: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collector(logging.WARNING)
    logger = logging.getLogger("publish.pdf")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def page_texts(path: Path) -> list[str]:
    """Each page's extracted text."""
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def figure_alts(path: Path) -> list[str]:
    """The alternative text of every Figure in the structure tree."""
    import pikepdf

    alts = []
    with pikepdf.open(path) as pdf:
        stack = list(pdf.Root.StructTreeRoot.K)
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary):
                if element.get("/S") == "/Figure":
                    alts.append(str(element.get("/Alt", "")))
                kids = element.get("/K")
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
                elif isinstance(kids, pikepdf.Dictionary):
                    stack.append(kids)
    return alts


def outline(path: Path) -> list[tuple[int, str, int]]:
    """The bookmarks as (level, title, page index), in order."""
    reader = PdfReader(path)
    entries: list[tuple[int, str, int]] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append((level, str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return entries


def link_targets(path: Path, page_index: int) -> list[int]:
    """The pages that the internal links on a page lead to (named destinations or GoTo actions)."""
    reader = PdfReader(path)
    named = {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}
    targets = []
    for annotation in reader.pages[page_index].get("/Annots", []):
        annotation = annotation.get_object()
        if annotation.get("/Subtype") != "/Link":
            continue
        destination = annotation.get("/Dest")
        action = annotation.get("/A")
        if destination is None and action is not None and action.get("/S") == "/GoTo":
            destination = action["/D"]
        if destination is None:
            continue
        if isinstance(destination, str):
            targets.append(named[str(destination)])
        else:
            targets.append(reader.get_page_number(destination[0].get_object()))
    return targets


@dataclass(frozen=True)
class Run:
    """A run of text drawn on a page: where, how big, in which font."""

    text: str
    size: float
    x: float
    y: float
    font: str


def text_runs(path: Path, page_index: int) -> list[Run]:
    """The text runs of a page with their effective font size (text matrix times CTM) and position."""
    page = PdfReader(path).pages[page_index]
    runs: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:
        if not text.strip():
            return
        _, _, c, d, e, f = (float(v) for v in tm)
        ca, cb, cc, cd, ce, cf = (float(v) for v in cm)
        vertical = ((c * ca + d * cc) ** 2 + (c * cb + d * cd) ** 2) ** 0.5
        x = e * ca + f * cc + ce
        y = e * cb + f * cd + cf
        name = str(font.get("/BaseFont", "")) if font else ""
        runs.append(Run(text.strip(), round(size * vertical, 2), x, y, name.split("+")[-1]))

    page.extract_text(visitor_text=visit)
    return runs


def full_line_lengths(text: str) -> list[int]:
    """Characters in the lines of running text that fill the measure (not the last lines of paragraphs)."""
    lengths = [len(line.strip()) for line in text.splitlines() if line.strip()]
    if not lengths:
        return []
    longest = statistics.median(sorted(lengths)[-8:])
    return [n for n in lengths if n >= 0.8 * longest]


def folio(text: str) -> str | None:
    """The page number printed at the foot of a page (the last line when it is a number), if any."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and re.fullmatch(r"\d+|[ivxlc]+", lines[-1]):
        return lines[-1]
    return None
