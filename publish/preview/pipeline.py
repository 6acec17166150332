"""Every call the preview makes into the rest of publish: the same functions ``publish check``, ``publish epub``
and ``publish pdf`` use, named here once.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from publish.build import collect_problems
from publish.errors import Problem

if TYPE_CHECKING:
    from publish.render import ConvertedPiece, RenderedBook

PAPERS = ("letter", "a4", "a5", "half-letter")


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the contents beside the e-reader view: a document of the EPUB and an anchor in it."""

    label: str
    href: str
    children: tuple[ContentsEntry, ...] = ()


@dataclass(frozen=True)
class EpubFiles:
    """The EPUB a build wrote, held in memory: its files (by their path inside ``EPUB/``), reading order, contents."""

    files: dict[str, bytes]
    reading_order: tuple[str, ...]
    contents: tuple[ContentsEntry, ...]
    first_piece: str  # the document the e-reader view opens on


@dataclass(frozen=True)
class PrintChoice:
    """What the print view shows: the book or one piece's handout, with ``publish pdf``'s options."""

    what: str = "book"  # "book" or a piece's slug
    paper: str = "letter"
    large_print: bool = False
    duplex: bool = False

    @property
    def key(self) -> str:
        """A name for the choice, safe in a URL path."""
        return f"{self.what}~{self.paper}~{int(self.large_print)}~{int(self.duplex)}"


class MarkdownKept:
    """The conversions of pieces' Markdown kept in memory from the last build (``publish.render.KnownConversions``):
    a save converts again only the pieces whose text changed. Only the current pieces are kept.
    """

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], ConvertedPiece] = {}
        self.used: dict[tuple[str, str], ConvertedPiece] = {}

    def get(self, body: str, language: str) -> ConvertedPiece | None:
        key = (body, language)  # the language sets the quotation marks
        if (converted := self.kept.get(key) or self.used.get(key)) is not None:
            self.used[key] = converted
        return converted

    def put(self, body: str, language: str, converted: ConvertedPiece) -> None:
        self.used[(body, language)] = converted

    def keep_used(self) -> None:
        """Keep what the build that just ended used, and nothing else."""
        self.kept, self.used = self.used, {}


def check_and_render(
    root: Path, styles: Path | None, allow_remote: bool, markdown: MarkdownKept | None = None
) -> tuple[RenderedBook | None, list[Problem]]:
    """Every problem of the manuscript (as ``publish check`` reports them) and the rendered book, if it rendered.

    ``markdown`` keeps the pieces converted by the last build, so that only changed pieces are converted again.
    """
    try:
        _, rendered, problems = collect_problems(root, allow_remote, styles, markdown)
    finally:
        if markdown is not None:
            markdown.keep_used()
    return rendered, problems


def write_epub_files(rendered: RenderedBook, styles: Path | None, toc_depth: int = 2) -> EpubFiles:
    """Write the book's EPUB (as ``publish epub`` does) into a private folder and read its files back."""
    from publish.epub.options import EpubOptions
    from publish.epub.package import reading_order, table_of_contents, write_epub

    options = EpubOptions(styles=styles, toc_depth=toc_depth)
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        target = write_epub(rendered, Path(folder) / "book.epub", options)
        with zipfile.ZipFile(target) as archive:
            files = {
                name.removeprefix("EPUB/"): archive.read(name)
                for name in archive.namelist()
                if name.startswith("EPUB/") and not name.endswith("/")
            }

    def entry(item: object) -> ContentsEntry:
        return ContentsEntry(item.label, item.href, tuple(entry(child) for child in item.children))  # type: ignore[attr-defined]

    order = tuple(reading_order(rendered))
    first = rendered.pieces[0].filename if rendered.pieces else order[0]
    contents = tuple(entry(item) for item in table_of_contents(rendered, options.contents_depth))
    return EpubFiles(files, order, contents, first)


def handout_pieces(rendered: RenderedBook) -> tuple[tuple[str, str], ...]:
    """The pieces that have a handout: (slug, title) in reading order."""
    return tuple((piece.slug, piece.title) for piece in rendered.pieces)


def typeset_pdf(rendered: RenderedBook, choice: PrintChoice, styles: Path | None, jobs: int | None = 1) -> bytes:
    """The PDF ``publish pdf`` would write for ``choice`` (the book, or ``--handout``), as bytes.

    ``jobs`` 1 typesets in this process, whose WeasyPrint stays loaded from one build to the next.
    """
    from publish.pdf.engine import report_warnings
    from publish.pdf.paper import PdfOptions
    from publish.pdf.write import render_book_pdf

    options = PdfOptions(paper=choice.paper, duplex=choice.duplex, large_print=choice.large_print,
                         styles=styles, jobs=jobs)  # fmt: skip
    if choice.what == "book":
        return render_book_pdf(rendered, options)
    from publish.pdf.handouts import find_piece, render_handout

    piece = find_piece(rendered, choice.what)
    pdf, warnings = render_handout(rendered, piece, options)
    report_warnings(warnings, False, piece.piece.name)
    return pdf


@dataclass(frozen=True)
class WatchOutputs:
    """What ``publish watch`` writes on every save, with the options ``publish build``, ``epub`` and ``pdf`` take."""

    folder: Path
    epub: bool = True
    pdf: bool = True
    styles: Path | None = None
    strict: bool = False
    allow_remote: bool = False
    toc_depth: int = 2
    target: str = "generic"
    paper: str = "letter"
    duplex: bool = False
    large_print: bool = False
    jobs: int | None = 1


def write_book_files(root: Path, outputs: WatchOutputs, markdown: MarkdownKept | None = None) -> list[Path]:
    """Check, render and write the EPUB and/or the PDF into ``outputs.folder``, all or none (as ``publish build``).

    ``markdown`` keeps the pieces converted by the last build (see ``check_and_render``).
    """
    from publish.build import prepare
    from publish.confine import check_output
    from publish.epub.options import EpubOptions, epub_filename
    from publish.epub.package import write_epub
    from publish.output import all_or_nothing
    from publish.pdf.paper import PdfOptions
    from publish.pdf.write import write_pdf

    try:
        rendered = prepare(root, outputs.strict, outputs.allow_remote, outputs.styles, markdown)
    finally:
        if markdown is not None:
            markdown.keep_used()
    slug = rendered.book.slug
    written = []
    with all_or_nothing():
        if outputs.epub:
            target = outputs.folder / epub_filename(slug, outputs.target)
            check_output(target, (root, outputs.styles))
            options = EpubOptions(styles=outputs.styles, toc_depth=outputs.toc_depth, target=outputs.target)
            written.append(write_epub(rendered, target, options))
        if outputs.pdf:
            target = outputs.folder / f"{slug}.pdf"
            check_output(target, (root, outputs.styles))
            pdf_options = PdfOptions(paper=outputs.paper, duplex=outputs.duplex, large_print=outputs.large_print,
                                     styles=outputs.styles, strict=outputs.strict, jobs=outputs.jobs,
                                     toc_depth=outputs.toc_depth)  # fmt: skip
            written.append(write_pdf(rendered, target, pdf_options))
    return written
