"""Write the rendered book as a print-ready PDF with WeasyPrint (imported only here, and only when used)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from lxml import etree, html

from publish.epub import book_identifier, build_time
from publish.errors import PublishError, RenderError
from publish.output import atomic_output
from publish.render import CONTINUE_READING_FILE, RenderedBook, RenderedPiece
from publish.resources import book_fonts, read_style, styles_dir

PAPER_SIZES = {"letter": "letter", "a4": "A4", "a5": "A5", "half-letter": "5.5in 8.5in"}


@dataclass(frozen=True)
class PdfOptions:
    """Choices for the PDF output."""

    paper: str = "letter"
    duplex: bool = False
    bleed: str | None = None
    crop_marks: bool = False
    large_print: bool = False
    styles: Path | None = None


def _prefix_ids(piece: RenderedPiece, root: etree._Element) -> None:
    """Make the piece's ids unique in the one-document PDF and point its links at them."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if identifier := element.get("id"):
            element.set("id", f"{piece.slug}--{identifier}")
        href = element.get("href") if element.tag == "a" else None
        if href is None or "://" in href or href.startswith(("mailto:", "tel:")):
            continue
        document, _, anchor = href.partition("#")
        if not document:
            element.set("href", f"#{piece.slug}--{anchor}")
        else:
            slug = document.removesuffix(".xhtml")
            element.set("href", f"#{slug}--{anchor}" if anchor else f"#{slug}")


def _inline_footnotes(root: etree._Element) -> None:
    """Move each footnote's text to its call site as ``float: footnote`` content."""
    notes: dict[str, etree._Element] = {}
    for block in root.xpath('//div[@class="footnote"]'):
        for item in block.xpath("./ol/li"):
            notes[item.get("id", "")] = item
        block.getparent().remove(block)
    for ref in root.xpath('//a[@class="footnote-ref"]'):
        note = notes.get(ref.get("href", "").split("--", 1)[-1].lstrip("#")) or notes.get(ref.get("href", "").lstrip("#"))
        sup = ref.getparent()
        if note is None or sup is None:
            continue
        span = etree.Element("span", {"class": "footnote"})
        for back in note.xpath('.//a[@class="footnote-backref"]'):
            back.getparent().remove(back)
        paragraphs = note.findall("p") or [note]
        for index, paragraph in enumerate(paragraphs):
            if index:
                etree.SubElement(span, "br")
            if paragraph.text:
                if len(span):
                    span[-1].tail = (span[-1].tail or "") + paragraph.text
                else:
                    span.text = (span.text or "") + paragraph.text
            for child in list(paragraph):
                span.append(child)
        span.tail = sup.tail
        sup.getparent().replace(sup, span)


def _piece_html(piece: RenderedPiece) -> str:
    wrapper = html.fragment_fromstring(piece.body, create_parent="div")
    for element in wrapper.iter():
        if isinstance(element.tag, str) and element.get("id", "").startswith("fn"):
            pass
    _prefix_ids(piece, wrapper)
    _inline_footnotes(wrapper)
    body = "".join(etree.tostring(child, encoding="unicode", method="html") for child in wrapper)
    body = (escape(wrapper.text, quote=False) if wrapper.text else "") + body
    hero = ""
    if piece.hero is not None:
        hero = f'<figure class="hero"><img src="{escape(piece.hero.name)}" alt="{escape(piece.hero.alt)}"></figure>'
    date = f'<p class="piece-date">{escape(piece.piece.date)}</p>' if piece.piece.date else ""
    return (
        f'<section class="piece" id="{piece.slug}" lang="{escape(piece.lang)}">'
        f'<h1 class="piece-title">{escape(piece.title)}</h1>{date}{hero}{body}</section>'
    )


def _toc_html(rendered: RenderedBook) -> str:
    items = []
    for piece in rendered.pieces:
        sections = "".join(
            f'<li class="toc-section"><a href="#{piece.slug}--{escape(h.id)}">{escape(h.text)}</a></li>'
            for h in piece.headings
            if h.level == 2
        )
        nested = f"<ol>{sections}</ol>" if sections else ""
        items.append(f'<li class="toc-piece"><a href="#{piece.slug}">{escape(piece.title)}</a>{nested}</li>')
    if rendered.link_only:
        items.append('<li class="toc-piece"><a href="#continue-reading">Continue reading</a></li>')
    return f'<nav class="toc" id="contents"><h1>Contents</h1><ol>{"".join(items)}</ol></nav>'


def _qr_svg(url: str) -> str:
    import segno

    qr = segno.make(url, error="m")
    return qr.svg_data_uri(scale=4, border=0, dark="#000")


def _continue_html(rendered: RenderedBook) -> str:
    items = []
    for piece in rendered.link_only:
        qr = ""
        url = ""
        if piece.url:
            qr = f'<img class="qr" src="{_qr_svg(piece.url)}" alt="QR code for {escape(piece.url)}">'
            url = f'<a class="url" href="{escape(piece.url)}">{escape(piece.url)}</a>'
        items.append(f'<li id="{CONTINUE_READING_FILE.removesuffix(".xhtml")}--{piece.slug}">{qr}<span class="title">{escape(piece.title)}</span>{url}</li>')
    return (
        '<section class="continue-reading" id="continue-reading"><h1>Continue reading</h1>'
        "<p>More articles in this series, not yet part of this book:</p>"
        f'<ul class="further">{"".join(items)}</ul></section>'
    )


def book_html(rendered: RenderedBook) -> str:
    """The whole book as one HTML document for WeasyPrint."""
    meta = rendered.book.meta
    identifier = book_identifier(rendered)
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>' if meta.subtitle else ""
    publisher = f'<p class="publisher">{escape(meta.publisher)}</p>' if meta.publisher else ""
    copyright_lines = [x for x in (meta.rights, f"Published by {meta.publisher}" if meta.publisher else None,
                                   f"First published {meta.date}" if meta.date else None,
                                   f"Identifier: {identifier}") if x]  # fmt: skip
    head_meta = [f'<meta name="author" content="{escape(meta.author)}">']
    if meta.description:
        head_meta.append(f'<meta name="description" content="{escape(meta.description)}">')
    if meta.subjects:
        head_meta.append(f'<meta name="keywords" content="{escape(", ".join(meta.subjects))}">')
    modified = build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
    head_meta.append(f'<meta name="dcterms.created" content="{modified}">')
    head_meta.append(f'<meta name="dcterms.modified" content="{modified}">')
    pieces = "".join(_piece_html(piece) for piece in rendered.pieces)
    further = _continue_html(rendered) if rendered.link_only else ""
    return (
        f'<!DOCTYPE html><html lang="{escape(meta.language)}"><head><meta charset="utf-8">'
        f"<title>{escape(meta.title)}</title>{''.join(head_meta)}</head><body>"
        f'<section class="titlepage"><h1 class="book-title">{escape(meta.title)}</h1>{subtitle}'
        f'<hr class="ornament"><p class="author">{escape(meta.author)}</p>{publisher}</section>'
        f'<section class="copyright">{"".join(f"<p>{escape(line)}</p>" for line in copyright_lines)}</section>'
        f"{_toc_html(rendered)}<main>{pieces}{further}</main></body></html>"
    )


def _font_faces() -> str:
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; font-style: {f.style}; '
        f'src: url("{f.path.as_uri()}"); }}\n'
        for f in book_fonts()
    )


def _page_css(options: PdfOptions) -> str:
    size = PAPER_SIZES[options.paper]
    rules = [f"@page {{ size: {size}; }}"]
    if options.bleed:
        rules.append(f"@page {{ bleed: {options.bleed}; }}")
    if options.crop_marks:
        rules.append("@page { marks: crop cross; }")
        if not options.bleed:
            rules.append("@page { bleed: 0.125in; }")
    if options.duplex:
        rules.append("section.piece, section.continue-reading { break-before: right; }")
    return "\n".join(rules)


def _url_fetcher(allowed: list[Path]) -> Any:
    """A WeasyPrint URL fetcher that reads local files under ``allowed`` and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    roots = [folder.resolve() for folder in allowed]

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if not url.startswith("file:"):
                raise ValueError(f"not fetched (building never uses the network): {url}")
            from urllib.request import url2pathname

            path = Path(url2pathname(url.removeprefix("file://").split("?")[0].split("#")[0])).resolve()
            if not any(path.is_relative_to(root) for root in roots):
                raise ValueError(f"not read (outside the manuscript and styles folders): {url}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def write_pdf(rendered: RenderedBook, target: Path, options: PdfOptions = PdfOptions()) -> Path:
    """Typeset ``rendered`` with WeasyPrint and write the PDF at ``target`` (atomically)."""
    if options.paper not in PAPER_SIZES:
        raise PublishError(f"unknown paper size {options.paper!r}: use one of {', '.join(PAPER_SIZES)}")
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    styles = [_font_faces(), read_style("print.css", options.styles)]
    if options.large_print:
        styles.append(read_style("large-print.css", options.styles))
    styles.append(_page_css(options))
    allowed = [rendered.book.root, styles_dir(), *(f.path.parent for f in book_fonts())]
    if options.styles:
        allowed.append(options.styles)
    fetcher = _url_fetcher(allowed)
    collector = _WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        document = HTML(string=book_html(rendered), base_url=str(rendered.book.root.resolve()) + "/", url_fetcher=fetcher)
        fonts = FontConfiguration()  # @font-face rules load only through a font configuration
        stylesheets = [CSS(string=css, url_fetcher=fetcher, font_config=fonts) for css in styles]
        pdf = document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_variant="pdf/ua-1", pdf_identifier=True)
    finally:
        logger.removeHandler(collector)
    if pdf is None:
        raise RenderError("WeasyPrint produced no PDF")
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)
    return target
