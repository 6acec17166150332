"""Write the rendered book as a print-ready PDF with WeasyPrint (imported only here, and only when used)."""

from __future__ import annotations

import base64
import gc
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree, html

from publish.errors import PublishError, RenderError
from publish.front_matter import (
    WORDS,
    contacts_html,
    copyright_lines,
    format_date,
    has_about_page,
)
from publish.limits import MAX_TREE_DEPTH, deepest_element, parse_bleed
from publish.output import atomic_output
from publish.resources import book_fonts, read_style, styles_dir
from publish.urls import link_href

if TYPE_CHECKING:  # a worker process that only typesets never loads the Markdown side
    from publish.render import ImageRef, RenderedBook, RenderedPiece
    from publish.typesetters import Typesetters

log = logging.getLogger(__name__)


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
    jobs: int | None = None  # processes typesetting the book; None: two for a long book (publish.parallel)
    toc_depth: int = 2  # levels in the contents and the outline: 1 pieces, 2 and ## sections, 3 and ### sections


DEFAULT_OPTIONS = PdfOptions()


# --- The pieces as print HTML -------------------------------------------------


LinkResolver = Callable[[str, str], "str | None"]


def _rewrite_ids_and_links(root: etree._Element, slug: str, resolve_document: LinkResolver) -> None:
    """Prefix ids with the piece's slug (unique in a one-document PDF) and point links at them.

    ``resolve_document(document, anchor)`` gives the target of a link to another
    XHTML document of the book, or None to keep the link's text only.
    """
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if identifier := element.get("id"):
            element.set("id", f"{slug}--{identifier}")
        href = element.get("href") if element.tag == "a" else None
        if href is None:
            continue
        if "://" in href or href.startswith(("mailto:", "tel:")):
            # Written by publish.render, normalised; checked again so that no other scheme reaches a PDF.
            if link_href(href) is None:
                _unwrap(element)
            continue
        document, _, anchor = href.partition("#")
        target = (
            (f"#{slug}--{anchor}" if anchor else f"#{slug}") if not document else resolve_document(document, anchor)
        )
        if target is None:
            _unwrap(element)
        else:
            element.set("href", target)


def _unwrap(element: etree._Element) -> None:
    """Keep a link's text, without the link."""
    element.tag = "span"
    for attribute in list(element.attrib):
        del element.attrib[attribute]


def _inline_footnotes(root: etree._Element) -> None:
    """Move each footnote's text to its call site as ``float: footnote`` content (CSS GCPM 3)."""
    notes: dict[str, etree._Element] = {}
    for block in root.xpath('//div[@class="footnote"]'):
        for item in block.xpath("./ol/li"):
            notes[item.get("id", "")] = item
        block.getparent().remove(block)
    for ref in root.xpath('//a[@class="footnote-ref"]'):
        note = notes.get(ref.get("href", "").lstrip("#"))
        call = ref.getparent() if ref.getparent() is not None and ref.getparent().tag == "sup" else ref
        if note is None or call.getparent() is None:
            _unwrap(ref)  # a call without its note (raw HTML): keep the number, drop the dead link
            continue
        for back in note.xpath('.//a[@class="footnote-backref"]'):
            _drop_keeping_tail(back)
        span = etree.Element("span", {"class": "footnote"})
        paragraphs = note.findall("p") or [note]
        for index, paragraph in enumerate(paragraphs):
            if index:
                etree.SubElement(span, "br")
            _append_text(span, paragraph.text)
            for child in list(paragraph):
                span.append(child)
        if len(span):
            span[-1].tail = (span[-1].tail or "").rstrip() or None
        else:
            span.text = (span.text or "").rstrip()
        _collapse_line_breaks(span)
        span.tail = call.tail
        call.getparent().replace(call, span)


def _collapse_line_breaks(element: etree._Element) -> None:
    """Turn soft line breaks in a note into spaces (same rendering in normal white space).

    WeasyPrint 70 fails an assertion ("Got ' \\n' between two lines") when a footnote's
    text holds a space before a newline and the note is the whole of its paragraph.
    """
    for node in element.iter():
        if node.tag == "pre":
            continue
        if node.text:
            node.text = _SOFT_BREAK.sub(" ", node.text)
        if node is not element and node.tail:
            node.tail = _SOFT_BREAK.sub(" ", node.tail)


_SOFT_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def _append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _drop_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (element.tail or "")
    else:
        parent.text = (parent.text or "") + (element.tail or "")
    parent.remove(element)


def _figures(root: etree._Element) -> None:
    """A paragraph holding only an image becomes a figure; the image's title, if any, its caption."""
    for paragraph in root.xpath("//p[count(*)=1 and img]"):
        image = paragraph[0]
        if (paragraph.text or "").strip() or (image.tail or "").strip():
            continue
        paragraph.tag = "figure"
        image.tail = None
        if caption := image.get("title"):
            etree.SubElement(paragraph, "figcaption").text = caption


def _table_scopes(root: etree._Element) -> None:
    """Header cells name what they head, so assistive technology can read the table (PDF/UA-1 7.5)."""
    for cell in root.xpath("//thead//th[not(@scope)]"):
        cell.set("scope", "col")
    for cell in root.xpath("//tbody//th[not(@scope)]"):
        cell.set("scope", "row")


def check_tree_depth(piece: RenderedPiece, root: etree._Element) -> None:
    """Refuse a piece whose elements nest deeper than WeasyPrint can typeset (its layout recurses per level).

    Each kind of nesting is limited before Python-Markdown runs (``publish.limits``); together they can
    still go deeper than the PDF allows.
    """
    depth, deepest = deepest_element(root)
    if depth <= MAX_TREE_DEPTH:
        return
    from publish.render import line_in_piece

    text = next((t.strip() for t in deepest.itertext() if t.strip()), "")
    raise RenderError(
        f"elements nest {depth} deep here (lists, quotes, '::: ' blocks, emphasis and raw HTML together); "
        f"the PDF can typeset at most {MAX_TREE_DEPTH}: nest less",
        piece.piece.path,
        line_in_piece(piece.piece, text[:40]),
    )


# Columns from which a table is set smaller (print.css ``table.wide`` and ``table.widest``): at 10 pt
# six columns of short words already fill the 4.9 in measure.
WIDE_TABLE_COLUMNS = 6
WIDEST_TABLE_COLUMNS = 9
# Words in table cells get break opportunities (zero-width spaces) where a reader expects a word to
# break: between the humps of camelCase and after . / _ before a letter (identifiers, paths, hosts).
# WeasyPrint breaks there only when a column needs it.
_WORD_JOINTS = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[./_])(?=[A-Za-z])")
_WORD_GAPS = re.compile(r"[\s\u200b]+")
# A piece of a word still this long (in characters) breaks anywhere in its cell (``.breakable``).
UNBREAKABLE = 16
# The narrowest a table can be, from its longest unbreakable pieces (about 0.55 em a character, and
# the cells' padding, in ems of the table's type) must fit the smallest measure, 4.3 in (half-letter):
# otherwise every word of the table may break anywhere.
_EM_PER_CHARACTER = 0.55
_MEASURE_EMS = {"": 31.0, "wide": 36.0, "widest": 41.0}
_PADDING_EMS = {"": 0.7, "wide": 0.45, "widest": 0.45}


def _wide_tables(root: etree._Element) -> None:
    """Fit tables to the measure: many columns set smaller (print.css ``table.wide``, ``table.widest``),
    words given break points at their joints, and what still cannot fit allowed to break anywhere
    (``.breakable``), so that no column is ever lost past the margin.
    """
    for table in root.iter("table"):
        narrowest: dict[int, int] = {}  # column: its longest unbreakable piece, in characters
        for row in table.iter("tr"):
            column = 0
            for cell in (child for child in row if child.tag in ("td", "th")):
                for element in cell.iter():
                    element.text = _breakable(element.text)
                    if element is not cell:
                        element.tail = _breakable(element.tail)
                longest = max(len(piece) for piece in _WORD_GAPS.split(cell.text_content()))
                if longest >= UNBREAKABLE:
                    _add_class(cell, "breakable")
                if _span(cell) == 1:
                    narrowest[column] = max(narrowest.get(column, 0), min(longest, UNBREAKABLE))
                column += _span(cell)
        size = ""
        if len(narrowest) >= WIDE_TABLE_COLUMNS:
            size = "widest" if len(narrowest) >= WIDEST_TABLE_COLUMNS else "wide"
            _add_class(table, "wide" if size == "wide" else "wide widest")
        if sum(narrowest.values()) * _EM_PER_CHARACTER + len(narrowest) * _PADDING_EMS[size] > _MEASURE_EMS[size]:
            _add_class(table, "breakable")


def _add_class(element: etree._Element, name: str) -> None:
    element.set("class", " ".join(filter(None, (element.get("class"), name))))


def _breakable(text: str | None) -> str | None:
    """``text`` with break opportunities at the joints of its words."""
    return _WORD_JOINTS.sub("\u200b", text) if text else text


def _span(cell: etree._Element) -> int:
    value = cell.get("colspan", "1")
    return int(value) if value.isdigit() else 1


def _code_lines(root: etree._Element) -> None:
    """Put each source line of a block of code in its own ``span.line``, so that print.css can wrap a
    long line under a hanging indent with a continuation mark. Code holding markup is left as it is.
    """
    for pre in root.iter("pre"):
        target = pre[0] if len(pre) == 1 and pre[0].tag == "code" and not (pre.text or "").strip() else pre
        if len(target) or not target.text:
            continue
        lines = target.text.removesuffix("\n").split("\n")
        target.text = None
        if target is not pre:
            pre.text, target.tail = None, None
        for line in lines:
            # Trailing spaces are invisible, and a line of them only would draw a stray mark.
            etree.SubElement(target, "span", {"class": "line"}).text = line.rstrip() or None


def piece_body_html(piece: RenderedPiece, resolve_document: LinkResolver) -> str:
    """The piece's body prepared for print: unique ids, footnotes in place, figures, code lines, wide tables."""
    wrapper = html.fragment_fromstring(piece.body, create_parent="div")
    images = {image.name: image for image in piece.images}
    for element in wrapper.iter("img"):
        if (image := images.get(element.get("src", ""))) is not None:
            element.set("src", image_source(image))
    check_tree_depth(piece, wrapper)
    _rewrite_ids_and_links(wrapper, piece.slug, resolve_document)
    _inline_footnotes(wrapper)
    _figures(wrapper)
    _table_scopes(wrapper)
    _wide_tables(wrapper)
    _code_lines(wrapper)
    _keep_heading_endings(wrapper)
    body = "".join(etree.tostring(child, encoding="unicode", method="html") for child in wrapper)
    return (escape(wrapper.text, quote=False) if wrapper.text else "") + body


def title_html(title: str) -> str:
    """A title, escaped, that wraps the way a typesetter would: hyphenated compounds stay whole
    ("Self-Compassion", not "Self-" then "Compassion") and a short last word keeps its neighbour.
    """
    words = escape(title, quote=False).split(" ")
    if len(words) >= 3 and len(words[-1]) <= 8:
        words[-2:] = [f"{words[-2]} {words[-1]}"]
    return " ".join(f'<span class="nobr">{word}</span>' if " " in word or "-" in word else word for word in words)


def _keep_heading_endings(root: etree._Element) -> None:
    """Body headings get the same line breaking as titles (plain-text headings only)."""
    for heading in root.iter("h2", "h3", "h4", "h5", "h6"):
        if len(heading) or not heading.text:
            continue
        fragment = html.fragment_fromstring(title_html(heading.text), create_parent="span")
        heading.text = fragment.text
        for child in fragment:
            heading.append(child)


def hero_html(piece: RenderedPiece) -> str:
    """The piece's lead image as a figure, or nothing."""
    if piece.hero is None:
        return ""
    return (
        f'<figure class="hero"><img src="{escape(image_source(piece.hero))}" alt="{escape(piece.hero.alt)}"></figure>'
    )


def image_source(image: ImageRef) -> str:
    """Where WeasyPrint reads an image: a sanitised SVG from its bytes (a data URI), any other from its file."""
    if image.content is not None:
        return "data:image/svg+xml;base64," + base64.b64encode(image.content).decode("ascii")
    return image.path.as_uri()


def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` (normalised, as the link is) as an SVG data URI (vector, so it prints sharp)."""
    import segno

    return str(segno.make(link_href(url) or url, error="m").svg_data_uri(scale=4, border=0, dark="#000"))


# --- The book -------------------------------------------------------------------


def _book_links(rendered: RenderedBook) -> LinkResolver:
    """Links between the book's documents become links inside the one PDF document."""
    from publish.render import CONTINUE_READING_FILE

    continue_reading = CONTINUE_READING_FILE.removesuffix(".xhtml")

    def resolve(document: str, anchor: str) -> str:
        slug = document.removesuffix(".xhtml")
        if slug == continue_reading:
            return f"#{continue_reading}--{anchor}" if anchor else f"#{continue_reading}"
        return f"#{slug}--{anchor}" if anchor else f"#{slug}"

    return resolve


def _piece_html(piece: RenderedPiece, resolve: LinkResolver, opening: bool) -> str:
    date = ""
    if piece.piece.date:
        date = f'<p class="piece-date">{escape(format_date(piece.piece.date, piece.lang))}</p>'
    classes = "piece opening" if opening else "piece"
    return (
        f'<section class="{classes}" id="{escape(piece.slug)}" lang="{escape(piece.lang)}" data-title="{escape(piece.title)}">'
        f'<h1 class="piece-title">{title_html(piece.title)}</h1>{date}{hero_html(piece)}'
        f"{piece_body_html(piece, resolve)}</section>"
    )


def _toc_link(target: str, title: str) -> str:
    """A contents entry's link; the title in a span that the stylesheet draws the leader beside."""
    return f'<a href="#{escape(target)}"><span class="toc-title">{title}</span></a>'


def _toc_html(rendered: RenderedBook, depth: int = 2) -> str:
    """The contents ``depth`` levels deep: pieces, their sections and subsections (as in the EPUB's
    navigation), numbered by WeasyPrint (``target-counter``).
    """
    items = []
    for piece in rendered.pieces:
        sections: list[str] = []  # the h2 entries, each with its h3 entries nested
        subsections: list[str] = []
        shown = [heading for heading in piece.headings if heading.level < depth + 1]
        for heading in (*shown, None):
            if heading is not None and heading.level == 3:
                link = _toc_link(f"{piece.slug}--{heading.id}", escape(heading.text))
                subsections.append(f'<li class="toc-subsection">{link}</li>')
                continue
            if subsections:  # close the previous section's subsections (or keep them under the piece)
                nested = f"<ol>{''.join(subsections)}</ol>"
                if sections:
                    sections[-1] = sections[-1].removesuffix("</li>") + nested + "</li>"
                else:
                    sections.append(f'<li class="toc-orphans">{nested}</li>')
                subsections = []
            if heading is not None and heading.level == 2:
                link = _toc_link(f"{piece.slug}--{heading.id}", escape(heading.text))
                sections.append(f'<li class="toc-section">{link}</li>')
        nested = f"<ol>{''.join(sections)}</ol>" if sections else ""
        items.append(f'<li class="toc-piece">{_toc_link(piece.slug, title_html(piece.title))}{nested}</li>')
    if rendered.link_only:
        items.append(f'<li class="toc-piece">{_toc_link("continue-reading", "Continue reading")}</li>')
    if has_about_page(rendered.book.meta):
        items.append(f'<li class="toc-piece">{_toc_link("about", escape(WORDS["about"]))}</li>')
    return f'<nav class="toc" id="contents"><h1>Contents</h1><ol>{"".join(items)}</ol></nav>'


def _continue_html(rendered: RenderedBook) -> str:
    # In a book of titles only, this page is page 1.
    classes = "continue-reading" if rendered.pieces else "continue-reading opening"
    items = []
    from publish.render import CONTINUE_READING_FILE

    prefix = CONTINUE_READING_FILE.removesuffix(".xhtml")
    with_urls = any(piece.url for piece in rendered.link_only)
    for piece in rendered.link_only:
        qr = url = ""
        if piece.url and (href := link_href(piece.url)):
            qr = f'<img class="qr" src="{qr_data_uri(href)}" alt="QR code linking to {escape(piece.url)}">'
            url = f'<a class="url" href="{escape(href)}">{escape(piece.url)}</a>'
        summary = f'<span class="summary">{escape(piece.summary)}</span>' if piece.summary else ""
        items.append(
            f'<li id="{prefix}--{escape(piece.slug)}">{qr}<div class="entry">'
            f'<span class="title">{escape(piece.title)}</span>{summary}{url}</div></li>'
        )
    intro = "More articles in this series, not yet part of this book"
    intro += ". Scan a code with a phone camera, or type the address, to read them online." if with_urls else "."
    return (
        f'<section class="{classes}" id="{prefix}" data-title="Continue reading"><h1>Continue reading</h1>'
        f'<p class="intro">{intro}</p><ul class="further">{"".join(items)}</ul></section>'
    )


def _about_html(rendered: RenderedBook) -> str:
    """ "About the practice": the practice's name, website, phone and email, and the disclaimer."""
    meta = rendered.book.meta
    name = meta.practice.name or meta.publisher or meta.author
    contacts = contacts_html(meta)
    disclaimer = f'<p class="disclaimer">{escape(meta.handout.disclaimer)}</p>' if meta.handout.disclaimer else ""
    title = escape(WORDS["about"])
    return (
        f'<section class="continue-reading about" id="about" data-title="{title}"><h1>{title}</h1>'
        f'<p class="intro">{escape(WORDS["about_intro"].format(name=name))}</p>'
        f"{contacts}{disclaimer}</section>"
    )


def document_head(title: str, author: str, description: str | None, subjects: tuple[str, ...]) -> str:
    """The document head: WeasyPrint takes the PDF's metadata from these ``meta`` elements."""
    from publish.identity import build_time

    head_meta = [f'<meta name="author" content="{escape(author)}">']
    if description:
        head_meta.append(f'<meta name="description" content="{escape(description)}">')
    if subjects:
        head_meta.append(f'<meta name="keywords" content="{escape(", ".join(subjects))}">')
    stamp = build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
    head_meta.append(f'<meta name="dcterms.created" content="{stamp}">')
    head_meta.append(f'<meta name="dcterms.modified" content="{stamp}">')
    return f'<head><meta charset="utf-8"><title>{escape(title)}</title>{"".join(head_meta)}</head>'


@dataclass(frozen=True)
class BookSections:
    """The book's HTML in the order it is typeset: ``book_html`` joins them into one document."""

    start: str  # the doctype, <html> with its language and classes, the head, <body>
    front: str  # the title page and the copyright page
    toc: str  # the contents
    pieces: tuple[str, ...]  # one <section> per piece
    further: str  # Continue reading, or nothing
    end: str = "</body></html>"


def book_sections(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> BookSections:
    """The parts of the book's print HTML (see ``book_html``)."""
    from publish.identity import book_identifier

    meta = rendered.book.meta
    resolve = _book_links(rendered)
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>' if meta.subtitle else ""
    copyright_page = [
        meta.title + (f": {meta.subtitle}" if meta.subtitle else ""),
        WORDS["by"].format(author=meta.author),
        *(line.text for line in copyright_lines(meta, book_identifier(rendered))),
        colophon(rendered),
    ]
    copyright_html = "".join(f"<p>{escape(line)}</p>" for line in copyright_page if line)
    pieces = tuple(_piece_html(piece, resolve, index == 0) for index, piece in enumerate(rendered.pieces))
    further = _continue_html(rendered) if rendered.link_only else ""
    further += _about_html(rendered) if has_about_page(meta) else ""
    classes = " ".join(
        name for name, on in (("small-paper", _paper_of(options).small), ("large-print", options.large_print)) if on
    )
    return BookSections(
        start=(
            f'<!DOCTYPE html><html lang="{escape(meta.language)}" class="{classes}">'
            f"{document_head(meta.title, meta.author, meta.description, meta.subjects)}<body>"
        ),
        front=(
            f'<section class="titlepage"><h1 class="book-title">{title_html(meta.title)}</h1>{subtitle}'
            f'<hr class="ornament"><p class="author">{escape(meta.author)}</p></section>'
            f'<section class="copyright">{copyright_html}</section>'
        ),
        toc=_toc_html(rendered, options.toc_depth),
        pieces=pieces,
        further=further,
    )


# The names the colophon gives the book's faces (the families without "Pro", as typographers say them).
_FACE_NAMES = {
    "Source Serif Pro": "Source Serif",
    "Source Sans Pro": "Source Sans",
    "Source Code Pro": "Source Code Pro",
}
_CODE_TAGS = ("pre", "code", "kbd", "samp")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def colophon(rendered: RenderedBook) -> str:
    """The colophon: the faces that really set the book's text, and the system's fonts when they set much of it.

    Each character of the text, the headings and the code is checked against the cmap of the face that
    sets it (fontTools): a face none of whose characters appears is not named; characters that none has
    are set in the system's fallback fonts, named by script (Unicode character names).
    """
    text, headings, code = _book_texts(rendered)
    roles = (("Source Serif Pro", text), ("Source Sans Pro", headings), ("Source Code Pro", code))
    used: list[str] = []
    missing: dict[str, int] = {}
    covered = uncovered = 0
    for family, characters in roles:
        cmap = _family_characters(family)
        hits = sum(count for character, count in characters.items() if ord(character) in cmap)
        if hits:
            used.append(_FACE_NAMES[family])
        covered += hits
        for character, count in characters.items():
            if ord(character) not in cmap:
                uncovered += count
                script = _script(character)
                missing[script] = missing.get(script, 0) + count
    code_face = "Source Code Pro" in used
    faces = _and([face for face in used if face != "Source Code Pro"])
    scripts = _and(sorted(missing, key=lambda script: -missing[script])[:3])
    if not uncovered:
        sentence = f"Set in {faces}" if faces else "Set"
    elif uncovered > covered:
        sentence = f"Set mostly in the system's fonts ({scripts})" + (f", with {faces}" if faces else "")
    else:
        sentence = f"Set in {faces}, with the system's fonts for {scripts}"
    return sentence + ("; code in Source Code Pro." if code_face else ".")


def _book_texts(rendered: RenderedBook) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """How often each letter and digit appears in the book's text, in its titles and headings, and in its code."""
    from collections import Counter

    counters: dict[str, Counter[str]] = {"text": Counter(), "headings": Counter(), "code": Counter()}
    # The furniture is always Source Sans: the contents' heading, the folios.
    counters["headings"].update(f"{rendered.book.meta.title}Contents0123456789")

    def count(element: etree._Element, role: str) -> None:
        role = "code" if element.tag in _CODE_TAGS or role == "code" else role
        role = "headings" if element.tag in _HEADING_TAGS and role == "text" else role
        counters[role].update(element.text or "")
        for child in element:
            if isinstance(child.tag, str):
                count(child, role)
            counters[role].update(child.tail or "")

    for piece in rendered.pieces:
        counters["headings"].update(piece.title)
        count(html.fragment_fromstring(piece.body, create_parent="div"), "text")
    return tuple(  # type: ignore[return-value]
        {c: n for c, n in counters[role].items() if unicodedata.category(c).startswith(("L", "N"))}
        for role in ("text", "headings", "code")
    )


@cache
def _family_characters(family: str) -> frozenset[int]:
    """The characters a family of the book's fonts has (its regular face's cmap)."""
    from fontTools.ttLib import TTFont

    face = next(font for font in book_fonts() if font.family == family and font.style == "normal")
    with TTFont(face.path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _script(character: str) -> str:
    """A reader's name for the script of a character (the first word of its Unicode name): CJK, Hangul, Arabic."""
    name = unicodedata.name(character, "")
    word = name.split(" ")[0] if name else "other"
    return word if word in ("CJK",) else word.capitalize()


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def book_html(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> str:
    """The whole book as one HTML document for WeasyPrint."""
    parts = book_sections(rendered, options)
    return f"{parts.start}{parts.front}{parts.toc}<main>{''.join(parts.pieces)}{parts.further}</main>{parts.end}"


# --- Typesetting ------------------------------------------------------------------


def _paper_of(options: PdfOptions) -> Paper:
    if options.paper not in PAPERS:
        raise PublishError(f"unknown paper size {options.paper!r}: use one of {', '.join(PAPERS)}")
    if options.booklet:
        # Two pages side by side on a landscape sheet: half-letter on letter, A5 on A4.
        return PAPERS["a5" if options.paper in ("a4", "a5") else "half-letter"]
    return PAPERS[options.paper]


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that nothing in it can end (CSS Syntax 3, 4.3.5 and 2.3).

    Quotes and backslashes are escaped, and so is every control character: a line feed, a carriage
    return or a form feed would otherwise end the string and let the rest be read as rules (an
    ``@import`` of a file elsewhere). A line break is written ``\\A`` (the ``white-space`` of the
    element decides whether it breaks the line).
    """
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F:
            escaped.append(f"\\{ord(character):X} ")
        else:
            escaped.append(character)
    return f'"{"".join(escaped)}"'


def font_faces() -> str:
    """``@font-face`` rules for the book's OFL fonts, so WeasyPrint embeds exactly these."""
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; font-style: {f.style}; '
        f'src: url("{f.path.as_uri()}"); }}\n'
        for f in book_fonts()
    )


def page_css(options: PdfOptions) -> str:
    """The page size and margins for the chosen paper, bleed and marks (before print.css, which may override)."""
    paper = _paper_of(options)
    rules = [
        f"@page {{ size: {paper.size}; margin: {paper.top} {paper.outer} {paper.bottom} {paper.inner}; }}",
        f"@page :left {{ margin-left: {paper.outer}; margin-right: {paper.inner}; }}",
        f"@page :right {{ margin-left: {paper.inner}; margin-right: {paper.outer}; }}",
    ]
    return "\n".join(rules)


DEFAULT_BLEED = "0.125in"


def bleed_points(options: PdfOptions) -> float | None:
    """The bleed in points, when the print shop gets one (``--bleed``, or ``--crop-marks``' default)."""
    if options.bleed is None and not options.crop_marks:
        return None
    return parse_bleed(options.bleed or DEFAULT_BLEED)


def finishing_css(options: PdfOptions) -> str:
    """Rules the command's options impose over every stylesheet: bleed, crop marks, duplex breaks."""
    rules = []
    bleed = bleed_points(options)
    if bleed is not None:
        # WeasyPrint draws crop marks inside the CSS bleed area, half its width long; three
        # times the bleed keeps them clear of the printed bleed. The PDF's BleedBox is set
        # to the real bleed afterwards (_finish_pdf).
        area = 3 * bleed if options.crop_marks else bleed
        rules.append(f"@page {{ bleed: {area:.3f}pt; }}")
    if options.crop_marks:
        rules.append("@page { marks: crop cross; }")
    if options.duplex or options.booklet:
        # Each piece opens on a right-hand page; WeasyPrint leaves the verso before it blank.
        rules.append("nav.toc, section.piece, section.continue-reading { break-before: right; }")
    return "\n".join(rules)


class FinishingError(Exception):
    """publish's own finishing of the PDF failed: a bug in publish, not a problem of the book or of WeasyPrint."""


def _finish_pdf(
    bleed: float | None = None, arabic_from: str | None = None, amend: Callable[[Any, Any], None] | None = None
) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher: amends the PDF objects after layout, before they are written.

    - Running heads, folios and letterheads (margin boxes) become pagination artifacts.
      WeasyPrint marks them as content but leaves them out of the structure tree; PDF/UA-1
      (ISO 14289-1, 7.8) wants page headers and footers marked as artifacts.
    - Table header cells get a /Scope.
    - A link annotation belongs to its Link structure element.
    - Link annotations get the Print flag, so print and screen agree.
    - ``/PageLabels`` (ISO 32000-1, 12.4.2): viewers show the roman front matter as i, ii, iii
      and number from 1 on the page holding the element with id ``arabic_from``.
    - The BleedBox is the real bleed (WeasyPrint caps it at 10 pt, and the crop marks widen the CSS bleed).
    """

    def finish(document: Any, pdf: Any) -> None:
        try:
            finish_objects(document, pdf)
        except PublishError:
            raise
        except Exception as error:
            # publish's own code, called from inside WeasyPrint: not to be taken for WeasyPrint's failure.
            raise FinishingError(f"{type(error).__name__}: {error}") from error

    def finish_objects(document: Any, pdf: Any) -> None:
        import pydyf

        def get(reference: bytes) -> Any:
            return pdf.objects[int(reference.split()[0])]

        _margin_boxes_as_artifacts(pdf, get, pydyf)
        _strip_jpeg_metadata(pdf)
        _links_own_their_annotations(pdf, get)
        for page_reference in pdf.page_references:
            page = get(page_reference)
            for annotation in page.get("Annots", []):
                annotation = get(annotation) if isinstance(annotation, bytes) else annotation
                if annotation.get("Subtype") == "/Link":
                    annotation["F"] = 4  # Print
            if bleed is not None:
                left, bottom, right, top = (float(v) for v in page["TrimBox"])
                page["BleedBox"] = pydyf.Array([left - bleed, bottom - bleed, right + bleed, top + bleed])
        if arabic_from is not None:
            first = next((i for i, page in enumerate(document.pages) if arabic_from in page.anchors), None)
            if first:
                labels = [0, pydyf.Dictionary({"S": "/r"}), first, pydyf.Dictionary({"S": "/D"})]
                pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(labels)})
        if amend is not None:
            amend(document, pdf)

    return finish


def _strip_jpeg_metadata(pdf: Any) -> None:
    """Leave the EXIF, GPS and XMP of the book's JPEG photos out of the PDF (WeasyPrint embeds JPEGs as they are)."""
    import pydyf

    from publish.image_prep import strip_jpeg_metadata

    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.extra.get("Filter") == "/DCTDecode":
            data = b"".join(chunk if isinstance(chunk, bytes) else chunk.data for chunk in item.stream)
            item.stream = [strip_jpeg_metadata(data)]


def _links_own_their_annotations(pdf: Any, get: Callable[[bytes], Any]) -> None:
    """Hand a link annotation that WeasyPrint gave to an element inside a link (a span, an
    emphasis) to the enclosing Link structure element (PDF/UA-1 7.18.5: links are Link elements).
    """
    if "StructTreeRoot" not in pdf.catalog:
        return
    numbers = get(get(pdf.catalog["StructTreeRoot"])["ParentTree"])["Nums"]
    for index in range(1, len(numbers), 2):
        owner_reference = numbers[index]
        if not isinstance(owner_reference, bytes):
            continue  # a page's array of marked-content owners
        owner = get(owner_reference)
        if owner.get("S") == "/Link":
            continue
        link = owner
        while link.get("S") != "/Link" and isinstance(link.get("P"), bytes):
            link = get(link["P"])
        if link.get("S") != "/Link":
            continue
        moved = [kid for kid in owner["K"] if isinstance(kid, bytes) and get(kid).get("Type") == "/OBJR"]
        owner["K"][:] = [kid for kid in owner["K"] if kid not in moved]
        link["K"].extend(moved)
        numbers[index] = link.reference


def _margin_boxes_as_artifacts(pdf: Any, get: Callable[[bytes], Any], pydyf: Any) -> None:
    """Re-mark the content that no structure element reaches (the margin boxes) as pagination artifacts.

    On the way through the structure tree, give table header cells their scope.
    """
    if "StructTreeRoot" not in pdf.catalog:
        return
    root = get(pdf.catalog["StructTreeRoot"])
    reachable: set[bytes] = set()
    stack: list[tuple[Any, str]] = [(kid, "") for kid in root["K"]]
    while stack:
        reference, grandparent = stack.pop()
        if not isinstance(reference, bytes) or reference in reachable:
            continue
        reachable.add(reference)
        element = get(reference)
        if element.get("S") == "/TH" and isinstance(element.get("A"), dict):
            # Say what a header cell heads (PDF/UA-1 7.5; ISO 32000-1 table 349), which WeasyPrint leaves out.
            element["A"]["Scope"] = "/Column" if grandparent == "/THead" else "/Row"
        kids = element.get("K")
        if isinstance(kids, list):
            parent = get(element["P"]).get("S", "") if isinstance(element.get("P"), bytes) else ""
            stack.extend((kid, parent) for kid in kids)
    numbers = get(root["ParentTree"])["Nums"]
    # pydyf finds the pages by walking every object each time it is asked: ask once.
    pages = pdf.page_references
    for key, mapping in zip(numbers[::2], numbers[1::2], strict=True):
        if not isinstance(mapping, list) or key >= len(pages):
            continue  # an annotation's entry, not a page's
        orphans = {mcid for mcid, reference in enumerate(mapping) if reference not in reachable}
        if not orphans:
            continue
        content = get(get(pages[key])["Contents"]).stream
        for index in range(2, len(content)):
            properties = content[index - 1]
            if content[index] == b"BDC" and isinstance(properties, dict) and properties.get("MCID") in orphans:
                content[index - 2] = "/Artifact"
                content[index - 1] = pydyf.Dictionary({"Type": "/Pagination"})
                mapping[properties["MCID"]] = "null"


_FONT_SUFFIXES = (".otf", ".ttf", ".woff", ".woff2")


def url_fetcher(allowed: list[Path]) -> Any:
    """A WeasyPrint URL fetcher that reads data: URIs and local files under ``allowed``, nothing else.

    Local files are read under the confinement rule (``publish.confine``): the real path inside one of
    ``allowed``, a regular file, within the size limit of its kind (font, stylesheet, image).
    """
    import mimetypes
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    from publish.confine import FONT, IMAGE, STYLESHEET, ConfinementError, read_confined

    roots = [Path(os.path.realpath(folder)) for folder in allowed]

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"not fetched (building never uses the network): {url}")
            path = Path(url2pathname(parts.path))
            suffix = path.suffix.lower()
            kind = FONT if suffix in _FONT_SUFFIXES else STYLESHEET if suffix == ".css" else IMAGE
            try:
                data = read_confined(path, kind, roots, "the manuscript and styles folders")
            except ConfinementError as refused:
                raise ValueError(f"{path} {refused.problems[0].message}") from None
            except OSError as error:
                raise ValueError(f"{path}: {error.strerror}") from None
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, data, {"Content-Type": content_type})

    return LocalOnlyFetcher()


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


@contextmanager
def _pages_listed_once() -> Iterator[None]:
    """Let pydyf list the PDF's pages once, not once per structure element.

    WeasyPrint asks for one page's reference for every structure element and link it tags,
    and pydyf builds the list of all pages each time: the time grows with elements × pages
    (about 10 s of a 1,000-page book). The list is kept while the page count stays the same;
    pages are only ever appended.
    """
    import pydyf

    original = pydyf.PDF.page_references

    def page_references(pdf: Any) -> Any:
        count = len(pdf.pages["Kids"])
        cached = pdf.__dict__.get("_publish_page_references")
        if cached is None or cached[0] != count:
            cached = (count, original.fget(pdf))
            pdf.__dict__["_publish_page_references"] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


@contextmanager
def _few_full_collections() -> Iterator[None]:
    """No full garbage collections while WeasyPrint typesets (young generations are still collected).

    WeasyPrint builds millions of objects that live as long as the document (boxes, styles);
    each full collection walks them all again, and the cycle collector starts one whenever
    they have grown by a quarter: about a sixth of the time of a long book. The price is the
    cycles left for later: peak memory up to 15% higher (measured on 500- and 1,000-page
    books). What exists before is frozen out of the way; the settings are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def typeset(
    document_html: str,
    stylesheets: list[str],
    base: Path,
    allowed: list[Path],
    bleed: float | None = None,
    arabic_from: str | None = None,
    amend: Callable[[Any, Any], None] | None = None,
) -> tuple[bytes, list[str]]:
    """Render an HTML document to PDF/UA-1 bytes with the book's fonts; return them with WeasyPrint's warnings.

    ``bleed`` (points) sets the PDF's BleedBox; ``arabic_from`` is the id of the element whose
    page is labelled 1 (the pages before it get roman labels); ``amend(document, pdf)`` changes
    the PDF's objects after the book's own finishing, before they are written.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = url_fetcher([base, styles_dir(), *(f.path.parent for f in book_fonts()), *allowed])
    # WeasyPrint's line breaking fails an assertion on U+2029 PARAGRAPH SEPARATOR inside a
    # line; in flowing HTML text it means no more than a space.
    document_html = document_html.replace("\u2029", " ")
    stylesheets = [css.replace("\u2029", " ") for css in stylesheets]
    with (
        _weasyprint_warnings() as warnings,
        _pages_listed_once(),
        _few_full_collections(),
    ):
        document = HTML(string=document_html, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher)
        fonts = FontConfiguration()  # @font-face rules load only through a font configuration
        sheets = [CSS(string=css, url_fetcher=fetcher, font_config=fonts) for css in stylesheets]
        try:
            pdf = document.write_pdf(
                stylesheets=sheets,
                font_config=fonts,
                pdf_variant="pdf/ua-1",
                pdf_identifier=True,
                finisher=_finish_pdf(bleed, arabic_from, amend),
            )
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
    if pdf is None:
        raise RenderError("WeasyPrint produced no PDF")
    return bytes(pdf), list(dict.fromkeys(warnings))


def report_warnings(warnings: list[str], strict: bool, what: str) -> None:
    """Log WeasyPrint's warnings on the ``publish.pdf`` logger; with ``strict`` raise them as an error."""
    if warnings and strict:
        raise RenderError(f"{what}: WeasyPrint: " + "; ".join(warnings))
    for message in warnings:
        log.warning("%s: WeasyPrint: %s", what, message)


def book_styles(options: PdfOptions) -> list[str]:
    """The stylesheets of the book, in cascade order."""
    styles = [font_faces(), page_css(options), read_style("print.css", options.styles)]
    if options.large_print:
        styles.append(read_style("large-print.css", options.styles))
    styles.append(finishing_css(options))
    styles.append(outline_css(options.toc_depth))
    return styles


def outline_css(depth: int) -> str:
    """Leave the headings below the contents' ``depth`` out of the PDF outline (bookmarks), as out of the contents."""
    levels = [f"section.piece h{level} {{ bookmark-level: none; }}" for level in (2, 3) if level > depth]
    return "\n".join(levels)


def pdf_inputs(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> tuple[str, list[str]]:
    """The HTML document and the stylesheets (in cascade order) that the book's PDF is typeset from."""
    return book_html(rendered, options), book_styles(options)


def opening_id(rendered: RenderedBook) -> str:
    """The id of the element on page 1: the first piece, or Continue reading in a book of titles only."""
    from publish.render import CONTINUE_READING_FILE

    return rendered.pieces[0].slug if rendered.pieces else CONTINUE_READING_FILE.removesuffix(".xhtml")


def typeset_book(
    rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Typesetters | None = None
) -> bytes:
    """Typeset the book's pages (for a booklet, its half-size pages, not yet imposed); report warnings.

    ``typesetters``: processes started ahead (``publish.typesetters``) that do the typesetting; the
    ones not needed are ended.
    """
    if options.booklet and (options.bleed or options.crop_marks):
        raise PublishError("--booklet imposes pages for an office printer: leave out --bleed and --crop-marks")
    try:
        from publish.parallel import parallel_jobs, typeset_book_parallel

        jobs = parallel_jobs(rendered, options)
        if jobs > 1 and (pdf_in_parts := typeset_book_parallel(rendered, options, jobs, typesetters)) is not None:
            return pdf_in_parts
        allowed = [options.styles] if options.styles else []
        document, styles = pdf_inputs(rendered, options)
        arguments = (document, styles, rendered.book.root, allowed, bleed_points(options), opening_id(rendered))
        worker = typesetters.take() if typesetters is not None else None
        if worker is not None:
            from publish.typesetters import typeset_in

            pdf, warnings = typeset_in(worker, *arguments)
        else:
            pdf, warnings = typeset(*arguments)
    finally:
        if typesetters is not None:
            typesetters.close()
    report_warnings(warnings, options.strict, rendered.book.meta.title)
    return pdf


def booklet_sheet(options: PdfOptions) -> str:
    """The sheet a booklet is printed on: A4 for the A sizes, letter otherwise."""
    return "A4" if options.paper in ("a4", "a5") else "letter"


def render_book_pdf(
    rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Typesetters | None = None
) -> bytes:
    """Typeset the book and return the PDF's bytes (imposed as a booklet with ``options.booklet``)."""
    pdf = typeset_book(rendered, options, typesetters)
    if options.booklet:
        from publish.booklet import impose_booklet

        pdf = impose_booklet(pdf, booklet_sheet(options))
    return pdf


def write_pdf(
    rendered: RenderedBook, target: Path, options: PdfOptions = DEFAULT_OPTIONS, typesetters: Typesetters | None = None
) -> Path:
    """Typeset ``rendered`` with WeasyPrint and write the PDF at ``target`` (atomically).

    ``typesetters``: processes started as the command began (``publish.typesetters.start_typesetters``).
    """
    pdf = render_book_pdf(rendered, options, typesetters)
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)
    return target
