"""The book's table of contents as one tree, built once for the EPUB's navigation and NCX, the PDF's
contents page and ``publish toc``: they list the same entries at the same depths.

Each piece, its ``##`` sections nested under it (``depth`` 2), their ``###`` subsections under those
(``depth`` 3); then "Continue reading" and "About the practice" when the book has them. A ``###`` before
the piece's first ``##`` has no section to belong to: it is listed at the sections' level (with
``depth`` 3), neither dropped nor nested under an empty entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from publish.book.front_matter import has_about_page
from publish.i18n import book_words

if TYPE_CHECKING:
    from publish.render import RenderedBook, RenderedPiece

# The back matter's entries, named as each writer names their pages.
CONTINUE_READING = "continue-reading"
ABOUT = "about"


@dataclass(frozen=True)
class ContentsEntry:
    """One entry: a piece (``heading`` None), a heading of a piece (its id), or back matter (``back``)."""

    label: str
    piece: RenderedPiece | None = None
    heading: str | None = None
    back: str | None = None  # CONTINUE_READING or ABOUT
    children: tuple[ContentsEntry, ...] = ()


def _sections(piece: RenderedPiece, depth: int) -> tuple[ContentsEntry, ...]:
    sections: list[tuple[ContentsEntry, list[ContentsEntry]]] = []
    in_section = False  # a ## has been seen: a ### nests under the last one
    for heading in piece.headings:
        if heading.level > depth:
            continue
        entry = ContentsEntry(heading.text, piece, heading.id)
        if heading.level == 2 or not in_section:
            sections.append((entry, []))
            in_section = in_section or heading.level == 2
        else:
            sections[-1][1].append(entry)
    return tuple(
        ContentsEntry(entry.label, entry.piece, entry.heading, children=tuple(children)) for entry, children in sections
    )


def contents_tree(rendered: RenderedBook, depth: int = 2) -> tuple[ContentsEntry, ...]:
    """The book's contents ``depth`` levels deep (1: the pieces; 2: and their sections; 3: and subsections)."""
    entries = [ContentsEntry(piece.title, piece, children=_sections(piece, depth)) for piece in rendered.pieces]
    words = book_words(rendered.book.meta)
    if rendered.link_only:
        entries.append(ContentsEntry(words("continue_reading"), back=CONTINUE_READING))
    if has_about_page(rendered.book.meta):
        entries.append(ContentsEntry(words("about"), back=ABOUT))
    return tuple(entries)
