"""Write the book's PDF: typeset it whole or in parts, impose it as a booklet, write the file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from publish.errors import PublishError
from publish.output import atomic_output
from publish.pdf.css import book_styles
from publish.pdf.engine import report_warnings
from publish.pdf.finishing import typeset, typeset_in
from publish.pdf.html import book_html
from publish.pdf.paper import DEFAULT_OPTIONS, PdfOptions, bleed_points, booklet_sheet
from publish.pdf.parts import parallel_jobs, typeset_book_parallel
from publish.pdf.weasyprint_compat import warn_if_untested

if TYPE_CHECKING:
    from publish.pdf.typeset_cache import TypesetCache
    from publish.processes.workers import Pool
    from publish.render import RenderedBook


def pdf_inputs(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> tuple[str, list[str]]:
    """The HTML document and the stylesheets (in cascade order) that the book's PDF is typeset from."""
    return book_html(rendered, options), book_styles(options, rendered.book.meta)


def opening_id(rendered: RenderedBook) -> str:
    """The id of the element on page 1: the first piece, or Continue reading in a book of titles only."""
    from publish.render import CONTINUE_READING_FILE

    return rendered.pieces[0].slug if rendered.pieces else CONTINUE_READING_FILE.removesuffix(".xhtml")


def typeset_book(
    rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Pool | None = None,
    kept: TypesetCache | None = None,
) -> bytes:  # fmt: skip
    """Typeset the book's pages (for a booklet, its half-size pages, not yet imposed); report warnings.

    ``typesetters``: processes started ahead (``publish.processes.workers``) that do the typesetting; the
    ones not needed are ended. ``kept``: a long book's parts typeset by the last build, used where they
    still hold (``publish.pdf.typeset_cache``).
    """
    if options.booklet and (options.bleed or options.crop_marks):
        raise PublishError("--booklet imposes pages for an office printer: leave out --bleed and --crop-marks")
    warn_if_untested()
    try:
        jobs = parallel_jobs(rendered, options)
        if jobs > 1 and (pdf_in_parts := typeset_book_parallel(rendered, options, jobs, typesetters, kept)) is not None:
            return pdf_in_parts
        allowed = [options.styles] if options.styles else []
        document, styles = pdf_inputs(rendered, options)
        arguments = (document, styles, rendered.book.root, allowed, bleed_points(options), opening_id(rendered))
        worker = typesetters.take() if typesetters is not None else None
        if worker is not None:
            pdf, warnings = typeset_in(worker, *arguments)
        else:
            pdf, warnings = typeset(*arguments)
    finally:
        if typesetters is not None:
            typesetters.close()
    report_warnings(warnings, options.strict, rendered.book.meta.title)
    return pdf


def render_book_pdf(
    rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Pool | None = None,
    kept: TypesetCache | None = None,
) -> bytes:  # fmt: skip
    """Typeset the book and return the PDF's bytes (imposed as a booklet with ``options.booklet``)."""
    pdf = typeset_book(rendered, options, typesetters, kept)
    if options.booklet:
        from publish.pdf.booklet import impose_booklet

        pdf = impose_booklet(pdf, booklet_sheet(options))
    return pdf


def write_pdf(
    rendered: RenderedBook, target: Path, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Pool | None = None,
    kept: TypesetCache | None = None,
) -> Path:  # fmt: skip
    """Typeset ``rendered`` with WeasyPrint and write the PDF at ``target`` (atomically).

    ``typesetters``: processes started as the command began (``publish.processes.workers.start_pool``);
    ``kept``: parts typeset by the last build (``typeset_book``).
    """
    pdf = render_book_pdf(rendered, options, typesetters, kept)
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)
    return target
