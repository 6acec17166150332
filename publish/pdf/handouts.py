"""Client handouts: one article on its own, with the practice's letterhead, for printing at the office."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path
from typing import Any

from publish.book.front_matter import format_date
from publish.errors import PublishError
from publish.i18n import piece_words
from publish.output import atomic_output
from publish.pdf.css import css_string, finishing_css, font_faces
from publish.pdf.engine import report_warnings
from publish.pdf.finishing import strip_producer_metadata, typeset
from publish.pdf.handout_parts import (
    PLAIN,
    HandoutChoices,
    crisis_html,
    handout_extra_css,
    handout_head,
    letterhead_html,
    write_in_end,
    write_in_top,
)
from publish.pdf.html import piece_body_html, qr_data_uri, title_html
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


def footer_content(
    rendered: RenderedBook, lang: str, page: str = "counter(page)", pages: str = "counter(pages)"
) -> str:
    """The footer's CSS ``content``: contact line · page X of Y (in ``lang``), then the disclaimer; ``page``
    and ``pages`` are CSS values (counters, or a pack's numbers written in)."""
    import string

    footer = [css_string(f"{line} · ") for line in (contact_line(rendered),) if line]
    numbers = {"page": page, "pages": pages}
    words = piece_words(rendered.book.meta, lang)
    for text, field, _, _ in string.Formatter().parse(words("handout_page", page="{page}", pages="{pages}")):
        footer += [css_string(text)] if text else []
        footer += [numbers[field]] if field in numbers else []
    if disclaimer := rendered.book.meta.handout.disclaimer:
        footer.append(css_string("\n" + disclaimer))
    return " ".join(footer)


def handout_page_css(rendered: RenderedBook, options: PdfOptions, lang: str | None = None) -> str:
    """Page size and margins, and the footer: contact line · page X of Y, then the disclaimer."""
    size, margin = _HANDOUT_PAGES.get(options.paper, _HANDOUT_PAGES["letter"])
    if options.large_print:
        margin = "1in 0.75in"  # large print needs no wide margins (DESIGN.md), the letterhead some room
    footer = footer_content(rendered, lang or rendered.book.meta.language)
    return f"@page {{ size: {size}; margin: {margin}; }}\n@page {{ @bottom-center {{ content: {footer}; }} }}\n"


def handout_html(rendered: RenderedBook, piece: RenderedPiece, options: PdfOptions = DEFAULT_OPTIONS,
                 choices: HandoutChoices = PLAIN, cover: str = "",
                 more: tuple[RenderedPiece, ...] = ()) -> str:  # fmt: skip
    """One piece as a handout: letterhead, title and date, the text, and a QR code to read it online.

    ``more`` pieces follow it in the same document, after a ``cover`` (publish.pdf.packs: a pack).
    """
    meta = rendered.book.meta
    practice = meta.practice
    name = meta.practice_name
    website = f'<span class="website">{escape(practice.website)}</span>' if practice.website else ""
    classes = "handout large-print" if options.large_print else "handout"
    titles = " · ".join(p.title for p in (piece, *more))
    articles = "".join(handout_article_html(rendered, p, choices, piece.lang) for p in (piece, *more))
    return (
        f'<!DOCTYPE html><html lang="{escape(piece.lang)}" class="{classes}">'
        f"{handout_head(titles, name)}<body>"
        f"{letterhead_html(rendered, name, website)}{cover}{articles}</body></html>"
    )


def handout_article_html(rendered: RenderedBook, piece: RenderedPiece, choices: HandoutChoices, lang: str) -> str:
    """A handout's article: title, crisis line, date, write-in lines, the text, the QR code (``lang``: the page's)."""
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

    words = piece_words(rendered.book.meta, piece.lang)
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
    own_lang = f' lang="{escape(piece.lang)}"' if piece.lang != lang else ""
    top = write_in_top(words) if choices.write_in else ""
    end = write_in_end(words) if choices.write_in else ""
    return (
        f'<article class="handout" id="{escape(piece.slug)}"{own_lang}>'
        f'<h1 class="handout-title">{title_html(piece.title)}</h1>{crisis_html(rendered)}{date}{top}'
        f'{piece_body_html(piece, resolve, words)}{online}{end}<span class="handout-end" id="{escape(piece.slug)}--end"></span>'
        "</article>"
    )


def handout_styles(
    rendered: RenderedBook, options: PdfOptions, choices: HandoutChoices = PLAIN, lang: str | None = None
) -> list[str]:
    """The handout's stylesheets in cascade order: the book's print styles, then the handout's over them."""
    styles = [font_faces(), read_style("print.css", options.styles)]
    if options.large_print:
        styles.append(read_style("large-print.css", options.styles))
    styles += [handout_page_css(rendered, options, lang), read_style("handout.css", options.styles)]
    if options.large_print:
        styles.append("@page { @bottom-center { font-size: 13pt; color: #000; } }")
    if extra := handout_extra_css(rendered, options.large_print, choices):
        styles.append(extra)
    styles.append(finishing_css(PdfOptions(bleed=options.bleed, crop_marks=options.crop_marks)))
    return styles


def render_handout(
    rendered: RenderedBook, piece: RenderedPiece, options: PdfOptions = DEFAULT_OPTIONS,
    choices: HandoutChoices = PLAIN,
) -> tuple[bytes, list[str]]:  # fmt: skip
    """Typeset one handout; return the PDF's bytes and WeasyPrint's warnings."""
    allowed = [options.styles] if options.styles else []
    document = handout_html(rendered, piece, options, choices)
    styles = handout_styles(rendered, options, choices, piece.lang)
    return typeset(document, styles, rendered.book.root, allowed, bleed_points(options), amend=strip_handout_metadata)


def strip_handout_metadata(document: Any, pdf: Any) -> None:
    """A handout's PDF says its title, the practice's name and its language, nothing else: no producer,
    creator, subject, keywords or dates (in the document information dictionary; the XMP follows it)."""
    strip_producer_metadata(pdf)


def handout_path(folder: Path, piece: RenderedPiece) -> Path:
    """Where a piece's handout goes in ``folder``."""
    return folder / f"{piece.slug}.pdf"


def _render_one(rendered: RenderedBook, job: tuple[str, PdfOptions, HandoutChoices]) -> tuple[bytes, list[str]]:
    """Typeset one handout (in a worker process, for write_all_handouts); refuse it on warnings with ``strict``."""
    slug, options, choices = job
    piece = find_piece(rendered, slug)
    pdf, warnings = render_handout(rendered, piece, options, choices)
    if warnings and options.strict:
        report_warnings(warnings, True, piece.piece.name)
    return pdf, warnings


def _write_one(
    rendered: RenderedBook, slug: str, target: Path, options: PdfOptions, choices: HandoutChoices = PLAIN
) -> tuple[Path, list[str]]:
    """Render and write one handout."""
    pdf, warnings = _render_one(rendered, (slug, options, choices))
    _write_pdf_file(target, pdf)
    return target, warnings


def _write_pdf_file(target: Path, pdf: bytes) -> None:
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)


def write_handout(rendered: RenderedBook, reference: str, target: Path | None = None,
                  options: PdfOptions = DEFAULT_OPTIONS, choices: HandoutChoices = PLAIN) -> Path:  # fmt: skip
    """Write the handout of one piece (file name or slug); by default to dist/handouts/<slug>.pdf."""
    warn_if_untested()
    piece = find_piece(rendered, reference)
    target = target or handout_path(Path("dist") / "handouts", piece)
    written, warnings = _write_one(rendered, piece.slug, target, options, choices)
    report_warnings(warnings, options.strict, piece.piece.name)
    return written


def write_all_handouts(
    rendered: RenderedBook, folder: Path, options: PdfOptions = DEFAULT_OPTIONS, pool: Pool | None = None,
    workers: int = HANDOUT_PROCESSES, choices: HandoutChoices = PLAIN,
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
        results = [_write_one(rendered, slug, target, options, choices) for slug, target in jobs]
    else:
        # The workers typeset (the book reaches each once); this process writes each handout as it
        # comes back, so nothing is written by a worker, nor after this process is gone. A worker
        # that dies is reported; those at work after a failure or Ctrl-C are ended (Pool.map).
        pool = pool or Pool(min(workers, len(jobs)))
        typeset = pool.map(
            _render_one, rendered, [(slug, options, choices) for slug, _ in jobs], "typesetting the handouts"
        )
        results = []
        for number, ((_, target), (pdf, warnings)) in enumerate(zip(jobs, typeset, strict=True), 1):
            _write_pdf_file(target, pdf)
            results.append((target, warnings))
            report_progress("handouts: %d of %d written", number, len(jobs))
    for (slug, _), (_, warnings) in zip(jobs, results, strict=True):
        report_warnings(warnings, options.strict, f"handout {slug}")
    return [target for target, _ in results]
