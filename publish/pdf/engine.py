"""The engine: HTML and stylesheets in, PDF bytes out, through WeasyPrint's public API (imports no sibling).

Only WeasyPrint's own layout (``HTML.render``) sits inside the translation of its failures into
"WeasyPrint could not typeset this": the finisher and the writing of the PDF run after it, so a
bug in publish's own finishing reaches the command as an internal error, never blamed on the Markdown.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from publish.errors import RenderError
from publish.resources import book_fonts, styles_dir

log = logging.getLogger("publish.pdf")

Finisher = Callable[[Any, Any], None]


_FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


def url_fetcher(allowed: list[Path], reads: dict[str, str] | None = None) -> Any:
    """A WeasyPrint URL fetcher that reads data: URIs and local files under ``allowed``, nothing else.

    Local files are read under the confinement rule (``publish.confine``): the real path inside one of
    ``allowed``, a regular file, within the size limit of its kind (font, stylesheet, image). Each file
    asked for is noted in ``reads``, if given: its path, and the SHA-256 of the bytes read ("" if none were).
    """
    import hashlib
    import mimetypes
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from publish.confine import ConfinementError

    roots = [Path(os.path.realpath(folder)) for folder in allowed]

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no types
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"not fetched (building never uses the network): {url}")
            path = Path(url2pathname(parts.path))
            if reads is not None:
                reads[str(path)] = ""  # not read (a file that appears later changes the result)
            try:
                data = read_local(path, roots)
            except ConfinementError as refused:
                raise ValueError(f"{path} {refused.problems[0].message}") from None
            except OSError as error:
                raise ValueError(f"{path}: {error.strerror}") from None
            if reads is not None:
                reads[str(path)] = hashlib.sha256(data).hexdigest()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, data, {"Content-Type": content_type})

    return LocalOnlyFetcher()


def read_local(path: Path, roots: list[Path]) -> bytes:
    """A local file WeasyPrint asks for, read under the confinement rule as a font, stylesheet or image.

    Raises ``ConfinementError`` or ``OSError``.
    """
    from publish.confine import FONT, IMAGE, STYLESHEET, read_confined

    suffix = path.suffix.lower()
    kind = FONT if suffix in _FONT_SUFFIXES else STYLESHEET if suffix == ".css" else IMAGE
    return read_confined(path, kind, roots, "the manuscript and styles folders")


# What WeasyPrint says about the machine rather than the book: fontTools subsets the fonts where the
# system has no HarfBuzz-Subset library (Debian: libharfbuzz-subset0), with the same glyphs embedded.
_ABOUT_THE_MACHINE = ("Using fontTools instead of HarfBuzz-Subset",)


class _WarningCollector(logging.Handler):
    """Keeps what WeasyPrint logs at warning level and above (bad CSS, missing images, missing alt)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(_ABOUT_THE_MACHINE):
            log.debug("WeasyPrint: %s", message)
            return
        self.messages.append(message)


@contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    collector = _WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)


def report_warnings(warnings: list[str], strict: bool, what: str) -> None:
    """Log WeasyPrint's warnings on the ``publish.pdf`` logger; with ``strict`` raise them as an error."""
    if warnings and strict:
        raise RenderError(f"{what}: WeasyPrint: " + "; ".join(warnings))
    for message in warnings:
        log.warning("%s: WeasyPrint: %s", what, message)


def typesetting_roots(base: Path, allowed: list[Path]) -> list[Path]:
    """The folders WeasyPrint may read from: the manuscript (``base``), the built-in styles, the fonts, ``allowed``."""
    return [base, styles_dir(), *(font.path.parent for font in book_fonts()), *allowed]


# The options of every PDF publish writes (WeasyPrint's public options).
_PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_identifier": True}


def typeset_document(
    document_html: str,
    stylesheets: list[str],
    base: Path,
    allowed: list[Path],
    finisher: Finisher | None = None,
    reads: dict[str, str] | None = None,
) -> tuple[bytes, list[str]]:
    """Render an HTML document to PDF/UA-1 bytes with the book's fonts; return them with WeasyPrint's warnings.

    ``finisher(document, pdf)`` amends the PDF's objects after layout, before they are written
    (WeasyPrint's public ``finisher``); what it raises is not translated. ``reads`` is given the
    local files WeasyPrint read (see ``url_fetcher``).
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = url_fetcher(typesetting_roots(base, allowed), reads)
    # WeasyPrint's line breaking fails an assertion on U+2029 PARAGRAPH SEPARATOR inside a
    # line; in flowing HTML text it means no more than a space.
    document_html = document_html.replace("\u2029", " ")
    stylesheets = [css.replace("\u2029", " ") for css in stylesheets]
    with _weasyprint_warnings() as warnings:
        document = HTML(string=document_html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher)
        fonts = FontConfiguration()  # @font-face rules load only through a font configuration
        sheets = [CSS(string=css, url_fetcher=fetcher, font_config=fonts) for css in stylesheets]
        try:
            # WeasyPrint's own layout: the only call whose failures are WeasyPrint's.
            laid_out = document.render(font_config=fonts, stylesheets=sheets, **_PDF_OPTIONS)
        except RecursionError as error:
            # What check_tree_depth lets through should never get here; if it does, still one line.
            raise RenderError(
                "WeasyPrint could not typeset this: its elements nest too deep; the EPUB is not affected", base
            ) from error
        except (AssertionError, IndexError, KeyError, TypeError, ValueError, ZeroDivisionError) as error:
            # A failure inside WeasyPrint's layout is its bug, not the author's; still one line, no traceback.
            raise RenderError(
                f"WeasyPrint could not typeset this ({type(error).__name__}: {error}); "
                "the EPUB is not affected; try simplifying the Markdown changed last",
                base,
            ) from error
        # Outside the translation: the finisher is publish's own code (HTML.write_pdf does the same two steps).
        pdf = laid_out.write_pdf(None, 1, finisher, **_PDF_OPTIONS)
    if pdf is None:
        raise RenderError("WeasyPrint produced no PDF")
    return bytes(pdf), list(dict.fromkeys(warnings))
