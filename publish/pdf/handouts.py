"""Client handouts: one article on its own, with the practice's letterhead, for printing at the office."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from publish.book.front_matter import format_date
from publish.errors import PublishError
from publish.i18n import Words, book_words, piece_words
from publish.output import atomic_output
from publish.pdf.css import css_string, finishing_css, font_faces
from publish.pdf.engine import report_warnings
from publish.pdf.finishing import typeset
from publish.pdf.html import document_head, piece_body_html, qr_data_uri, title_html
from publish.pdf.paper import DEFAULT_OPTIONS, PdfOptions, bleed_points
from publish.pdf.weasyprint_compat import warn_if_untested
from publish.processes.workers import HANDOUT_PROCESSES, Pool
from publish.progress import report_progress
from publish.render import CONTINUE_READING_FILE, RenderedBook, RenderedPiece
from publish.resources import read_style
from publish.urls import link_href, quote_fragment

log = logging.getLogger(__name__)

# Handout margins by paper (DESIGN.md: 0.8-1 in on letter). The sides are wider than that:
# 12 pt type across a 6.7 in line sets about 90 characters; 1.3 in sides bring it to ~75.
_HANDOUT_PAGES = {
    "letter": ("letter", "1in 1.3in 1.05in"),
    "a4": ("A4", "1in 1.2in 1.1in"),
    "a5": ("A5", "0.75in 0.6in 0.8in"),
    "half-letter": ("5.5in 8.5in", "0.75in 0.55in 0.8in"),
}


def find_piece(rendered: RenderedBook, reference: str) -> RenderedPiece:
    """The piece named by file name, path or slug; it must have text."""
    wanted = Path(reference)
    for candidate in rendered.book.pieces:
        named = reference in (candidate.name, candidate.slug, candidate.path.name)
        if named or (wanted.exists() and wanted.resolve() == candidate.path.resolve()):
            for piece in rendered.pieces:
                if piece.piece is candidate:
                    return piece
            raise PublishError(
                f"{candidate.name} has no text yet (it is listed under Continue reading), so it has no handout"
            )
    names = ", ".join(p.slug for p in rendered.pieces)
    raise PublishError(f"no piece {reference!r} in the book: give a file name or one of these slugs: {names}")


def contact_line(rendered: RenderedBook) -> str:
    """The handout's contact line: book.yaml's ``handout.footer``, else the practice's phone, email and website."""
    meta = rendered.book.meta
    if meta.handout.footer:
        return meta.handout.footer
    practice = meta.practice
    return " · ".join(x for x in (practice.name, practice.phone, practice.email, practice.website) if x)


def _page_of_pages(words: Words) -> list[str]:
    """ "Page X of Y" in the handout's language, as CSS content: its words as strings, its numbers as counters."""
    import string

    parts = []
    for text, field, _, _ in string.Formatter().parse(words("handout_page", page="{page}", pages="{pages}")):
        parts += [css_string(text)] if text else []
        parts += [f"counter({field})"] if field in ("page", "pages") else []
    return parts


def handout_page_css(rendered: RenderedBook, options: PdfOptions, words: Words | None = None) -> str:
    """Page size and margins, and the footer: contact line · page X of Y (in ``words``' language), then the disclaimer."""
    size, margin = _HANDOUT_PAGES.get(options.paper, _HANDOUT_PAGES["letter"])
    if options.large_print:
        margin = "1in 0.75in"  # large print needs no wide margins (DESIGN.md), the letterhead some room
    footer = [css_string(f"{line} · ") for line in (contact_line(rendered),) if line]
    footer += _page_of_pages(words or book_words(rendered.book.meta))
    if disclaimer := rendered.book.meta.handout.disclaimer:
        footer.append(css_string("\n" + disclaimer))
    return (
        f"@page {{ size: {size}; margin: {margin}; }}\n@page {{ @bottom-center {{ content: {' '.join(footer)}; }} }}\n"
    )


def handout_html(rendered: RenderedBook, piece: RenderedPiece, options: PdfOptions = DEFAULT_OPTIONS) -> str:
    """One piece as a handout: letterhead, title and date, the text, and a QR code to read it online."""
    meta = rendered.book.meta
    practice = meta.practice
    by_file = {f"{p.slug}.xhtml": p for p in rendered.book.pieces}
    by_slug = {p.slug: p for p in rendered.book.link_only}

    def resolve(document: str, anchor: str) -> str | None:
        # A handout travels alone: links to the book's other pieces go to their web pages,
        # or stay plain text when a piece has none.
        target = by_slug.get(anchor) if document == CONTINUE_READING_FILE else by_file.get(document)
        href = link_href(target.url) if target is not None else None
        if href is None:
            return None
        return (
            f"{href.split('#')[0]}#{quote_fragment(anchor)}" if anchor and document != CONTINUE_READING_FILE else href
        )

    name = practice.name or meta.publisher or meta.author
    words = piece_words(meta, piece.lang)
    website = f'<span class="website">{escape(practice.website)}</span>' if practice.website else ""
    date = (
        f'<p class="handout-date">{escape(format_date(piece.piece.date, piece.lang))}</p>' if piece.piece.date else ""
    )
    online = ""
    if href := link_href(piece.piece.url):
        url = escape(piece.piece.url or "")
        online = (
            f'<aside class="read-online"><img class="qr" src="{qr_data_uri(href)}" alt="{escape(words("qr_alt", url=piece.piece.url or ""))}">'
            f'<p><span class="caption">{escape(words("read_online"))}</span><a href="{escape(href)}">{url}</a></p></aside>'
        )
    classes = "handout large-print" if options.large_print else "handout"
    author = name or meta.author
    return (
        f'<!DOCTYPE html><html lang="{escape(piece.lang)}" class="{classes}">'
        f"{document_head(piece.title, author, piece.piece.summary, meta.subjects)}<body>"
        f'<header class="letterhead"><span class="practice">{escape(name)}</span>{website}</header>'
        f'<article class="handout" id="{escape(piece.slug)}">'
        f'<h1 class="handout-title">{title_html(piece.title)}</h1>{date}'
        f"{piece_body_html(piece, resolve, words)}{online}</article></body></html>"
    )


def handout_styles(rendered: RenderedBook, options: PdfOptions, words: Words | None = None) -> list[str]:
    """The handout's stylesheets in cascade order: the book's print styles, then the handout's over them."""
    styles = [font_faces(), read_style("print.css", options.styles)]
    if options.large_print:
        styles.append(read_style("large-print.css", options.styles))
    styles += [handout_page_css(rendered, options, words), read_style("handout.css", options.styles)]
    if options.large_print:
        styles.append("@page { @bottom-center { font-size: 13pt; color: #000; } }")
    styles.append(finishing_css(PdfOptions(bleed=options.bleed, crop_marks=options.crop_marks)))
    return styles


def render_handout(
    rendered: RenderedBook, piece: RenderedPiece, options: PdfOptions = DEFAULT_OPTIONS
) -> tuple[bytes, list[str]]:
    """Typeset one handout; return the PDF's bytes and WeasyPrint's warnings."""
    allowed = [options.styles] if options.styles else []
    document = handout_html(rendered, piece, options)
    words = piece_words(rendered.book.meta, piece.lang)
    return typeset(
        document, handout_styles(rendered, options, words), rendered.book.root, allowed, bleed_points(options)
    )


def handout_path(folder: Path, piece: RenderedPiece) -> Path:
    """Where a piece's handout goes in ``folder``."""
    return folder / f"{piece.slug}.pdf"


def _render_one(rendered: RenderedBook, job: tuple[str, PdfOptions]) -> tuple[bytes, list[str]]:
    """Typeset one handout (in a worker process, for write_all_handouts); refuse it on warnings with ``strict``."""
    slug, options = job
    piece = find_piece(rendered, slug)
    pdf, warnings = render_handout(rendered, piece, options)
    if warnings and options.strict:
        report_warnings(warnings, True, piece.piece.name)
    return pdf, warnings


def _write_one(rendered: RenderedBook, slug: str, target: Path, options: PdfOptions) -> tuple[Path, list[str]]:
    """Render and write one handout."""
    pdf, warnings = _render_one(rendered, (slug, options))
    _write_pdf_file(target, pdf)
    return target, warnings


def _write_pdf_file(target: Path, pdf: bytes) -> None:
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)


def write_handout(rendered: RenderedBook, reference: str, target: Path | None = None,
                  options: PdfOptions = DEFAULT_OPTIONS) -> Path:  # fmt: skip
    """Write the handout of one piece (file name or slug); by default to dist/handouts/<slug>.pdf."""
    warn_if_untested()
    piece = find_piece(rendered, reference)
    target = target or handout_path(Path("dist") / "handouts", piece)
    written, warnings = _write_one(rendered, piece.slug, target, options)
    report_warnings(warnings, options.strict, piece.piece.name)
    return written


def write_all_handouts(
    rendered: RenderedBook, folder: Path, options: PdfOptions = DEFAULT_OPTIONS, pool: Pool | None = None,
    workers: int = HANDOUT_PROCESSES,
) -> list[Path]:  # fmt: skip
    """Write one handout per piece with text into ``folder``, two at a time in worker processes: ``pool``'s,
    started as the command began (``publish.processes.workers.start_pool``), else started here.
    """
    warn_if_untested()
    if folder.exists() and not folder.is_dir():
        raise PublishError("the handouts go into a folder: give a folder, not a file", folder)
    jobs = [(piece.slug, handout_path(folder, piece)) for piece in rendered.pieces]
    if len(jobs) == 1 or workers < 2:
        if pool is not None:
            pool.close()
        results = [_write_one(rendered, slug, target, options) for slug, target in jobs]
    else:
        # The workers typeset (the book reaches each once); this process writes each handout as it
        # comes back, so nothing is written by a worker, nor after this process is gone. A worker
        # that dies is reported; those at work after a failure or Ctrl-C are ended (Pool.map).
        pool = pool or Pool(min(workers, len(jobs)))
        typeset = pool.map(_render_one, rendered, [(slug, options) for slug, _ in jobs], "typesetting the handouts")
        results = []
        for number, ((_, target), (pdf, warnings)) in enumerate(zip(jobs, typeset, strict=True), 1):
            _write_pdf_file(target, pdf)
            results.append((target, warnings))
            report_progress("handouts: %d of %d written", number, len(jobs))
    for (slug, _), (_, warnings) in zip(jobs, results, strict=True):
        report_warnings(warnings, options.strict, f"handout {slug}")
    return [target for target, _ in results]
