"""The pipeline from a manuscript folder to the rendered book, shared by every command."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from publish.assemble import Book, assemble_book
from publish.errors import ManuscriptError, Problem, Problems
from publish.manuscript import load_manuscript, read_text
from publish.progress import report_progress

if TYPE_CHECKING:
    from publish.epub.options import EpubOptions
    from publish.render import KnownConversions, RenderedBook

# publish.render (Python-Markdown, lxml, nh3) is imported where it is used: build_epub starts drawing
# the cover in a forked child before that import, so that the two overlap.

log = logging.getLogger(__name__)


def check_stylesheets(folder: Path, problems: Problems, allow_remote: bool = False) -> None:
    """Report every remote or absolute local ``@import`` or ``url()`` in a folder of stylesheets (the writers
    leave them out), and a stylesheet that cannot be read under the confinement rule.
    """
    from publish.confine import STYLESHEET
    from publish.render import remote_css_references, report_remote
    from publish.resources import local_css_references
    from publish.urls import shorten

    for path in sorted(folder.glob("*.css")):
        css = read_text(path, problems, STYLESHEET, [folder], "the styles folder")
        if css is None:
            continue
        for line, reference, what in remote_css_references(css):
            report_remote(problems, path, line, what, reference, allow_remote)
        for line, reference in local_css_references(css):
            problems.error(
                path,
                line,
                f"{shorten(reference)} names a file outside the styles folder, which is never read: remove it",
            )


def collect_problems(
    root: Path, allow_remote: bool = False, styles: Path | None = None, cache: KnownConversions | None = None
) -> tuple[Book | None, RenderedBook | None, list[Problem]]:
    """Run every stage that can run and return what it made with every problem found.

    ``cache`` holds conversions of pieces' Markdown made before (``publish.cache`` for ``publish build``; the
    preview keeps the last build's): only the pieces it lacks are converted.
    """
    from publish.render import render_book

    problems = Problems()
    manuscript = load_manuscript(root, problems)
    book = assemble_book(manuscript, problems) if manuscript is not None else None
    if book is not None:
        report_progress("rendering %d pieces", len(book.chapters))
    rendered = render_book(book, problems, allow_remote, cache=cache) if book is not None else None
    if rendered is not None and rendered.cover is not None:
        _check_cover(rendered, problems)
    if book is not None:
        _check_languages(book, problems)
    if styles is not None:
        check_stylesheets(styles, problems, allow_remote)
    return book, rendered, problems.items


def _check_languages(book: Book, problems: Problems) -> None:
    """One warning for each language of the book in which publish has no words (its labels fall back to English)."""
    from publish.i18n import languages_without_catalog

    meta = book.meta
    places = {meta.language: (book.root / "book.yaml", meta.line_of("language"))}
    for piece in book.pieces:
        if piece.lang:
            places.setdefault(piece.lang, (piece.path, piece.line_of("lang")))
    for language in languages_without_catalog(places):
        path, line = places[language]
        problems.warning(
            path,
            line,
            f"publish has no words in '{language}': its titles and labels (Contents, Notes…) will be in English",
        )


def _check_cover(rendered: RenderedBook, problems: Problems) -> None:
    """Check the cover ``book.yaml`` names against what stores accept (``publish.image_prep.check_cover``)."""
    from publish.image_prep import check_cover

    cover, meta = rendered.cover, rendered.book.meta
    assert cover is not None
    check_cover(cover.path, cover.media_type, problems, rendered.book.root / "book.yaml", meta.line_of("cover"))


def _finish(problems: list[Problem], strict: bool) -> None:
    """Log the warnings; raise a ManuscriptError with every error (every problem with ``strict``)."""
    failing = [p for p in problems if p.severity == "error" or strict]
    for problem in problems:
        if problem not in failing:
            log.warning("%s", problem.format())
    if failing:
        raise ManuscriptError(failing)


def _not_made(root: Path, what: str) -> ManuscriptError:
    # Every stage reports why it returns nothing; this guards the pipeline if one ever does not.
    return ManuscriptError([Problem(root, None, f"the manuscript could not be {what}, and no reason was found")])


def assemble(root: Path, strict: bool = False) -> Book:
    """Load and order a manuscript, without rendering it; raise on any error."""
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    book = assemble_book(manuscript, problems) if manuscript is not None else None
    _finish(problems.items, strict)
    if book is None:
        raise _not_made(root, "put in order")
    return book


def prepare(
    root: Path, strict: bool = False, allow_remote: bool = False, styles: Path | None = None,
    cache: KnownConversions | None = None,
) -> RenderedBook:  # fmt: skip
    """Load, assemble and render a manuscript; raise a ManuscriptError listing every error.

    ``allow_remote`` makes a remote image or stylesheet a warning instead of an error (it is left out
    either way: building never fetches anything). ``styles`` is a folder of stylesheets to check too.
    ``cache`` spares converting the pieces converted before (see ``collect_problems``); the caller
    saves a ``publish.cache`` once the book is written.
    """
    _, rendered, problems = collect_problems(root, allow_remote, styles, cache)
    _finish(problems, strict)
    if rendered is None:
        raise _not_made(root, "rendered")
    book = rendered.book
    log.info(
        "%s: %d pieces in reading order, %d with text, %d link-only",
        root, len(book.pieces), len(book.chapters), len(book.link_only),
    )  # fmt: skip
    return rendered


def build_epub(
    root: Path, output: Path | None = None, strict: bool = False, allow_remote: bool = False,
    options: EpubOptions | None = None,
) -> Path:  # fmt: skip
    """Load, render and write a manuscript's EPUB: at ``output``, by default ``dist/<slug>.epub``.

    ``options`` default to ``EpubOptions()``; their ``styles`` folder is checked too.
    A cover to generate is drawn in a second process meanwhile, where one can be forked: it takes as
    long as rendering a short book. Raises a ManuscriptError listing every error, as ``prepare`` does.
    """
    from publish.cache import ConversionCache
    from publish.cover import CoverDrawing
    from publish.manuscript import read_book_meta
    from publish.processes.forking import can_share_work

    meta = read_book_meta(root)
    drawing = CoverDrawing(meta) if meta is not None and meta.cover is None and can_share_work() else None
    try:
        from publish.epub.options import EpubOptions, epub_filename
        from publish.epub.package import write_epub

        options = options or EpubOptions()
        cache = ConversionCache(output.parent if output else Path("dist"), (root, options.styles), create=False)
        rendered = prepare(root, strict, allow_remote, options.styles, cache)
        target = output or Path("dist") / epub_filename(rendered.book.slug, options.target)
        written = write_epub(rendered, target, options, drawing)
        cache.save()
        return written
    finally:
        if drawing is not None:
            drawing.close()
