"""The book as one HTML document for print: the pieces, title and copyright pages, contents, colophon."""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import TYPE_CHECKING

from lxml import etree, html

from publish.book.contents import ContentsEntry, contents_tree
from publish.book.front_matter import (
    byline,
    contacts_html,
    copyright_lines,
    copyright_title,
    format_date,
    has_about_page,
    title_page_publisher,
)
from publish.brand import crisis_box, logo_html
from publish.errors import RenderError
from publish.i18n import Words, book_words, piece_words
from publish.limits import MAX_TREE_DEPTH, deepest_element
from publish.pdf.paper import DEFAULT_OPTIONS, PdfOptions, paper_of
from publish.resources import book_fonts
from publish.urls import link_href

if TYPE_CHECKING:  # a worker process that only typesets never loads the Markdown side
    from publish.render import ImageRef, RenderedBook, RenderedPiece


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


def piece_body_html(piece: RenderedPiece, resolve_document: LinkResolver, words: Words, internal: str = "#") -> str:
    """The piece's body prepared for print: unique ids, footnotes in place, figures, code lines, wide tables.

    ``internal`` begins the links inside the book (``publish.pdf.parts`` links across parts with its own).
    """
    wrapper = html.fragment_fromstring(piece.body, create_parent="div")
    for block in wrapper.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " reflection ")]'):
        block.set("data-label", words("reflection"))  # print.css writes it above the prompts
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
    if internal != "#":
        for link in wrapper.iter("a"):
            if (href := link.get("href", "")).startswith("#"):
                link.set("href", internal + href[1:])
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


def _piece_html(piece: RenderedPiece, resolve: LinkResolver, opening: bool, words: Words, internal: str = "#") -> str:
    date = ""
    if piece.piece.date:
        date = f'<p class="piece-date">{escape(format_date(piece.piece.date, piece.lang))}</p>'
    classes = "piece opening" if opening else "piece"
    return (
        f'<section class="{classes}" id="{escape(piece.slug)}" lang="{escape(piece.lang)}" data-title="{escape(piece.title)}">'
        f'<h1 class="piece-title">{title_html(piece.title)}</h1>{date}{hero_html(piece)}'
        f"{piece_body_html(piece, resolve, words, internal)}</section>"
    )


# The page of an entry of the contents, given its target's id, when the numbers are written in.
PageOf = Callable[[str], int]


def _toc_link(target: str, label: str, internal: str, page_of: PageOf | None) -> str:
    """A contents entry's link: the title in a span, beside which the stylesheet draws the leader (an artifact)."""
    page = f' data-page="{page_of(target)}"' if page_of is not None else ""
    return f'<a href="{internal}{escape(target)}"{page}><span class="toc-title">{label}</span></a>'


def _toc_item(entry: ContentsEntry, internal: str, page_of: PageOf | None, level: int = 0) -> str:
    """An entry of the book's contents (``publish.book.contents``) as a list item linking to its place."""
    nested = "".join(_toc_item(child, internal, page_of, level + 1) for child in entry.children)
    nested = f"<ol>{nested}</ol>" if nested else ""
    if entry.back is not None:
        return f'<li class="toc-piece">{_toc_link(entry.back, escape(entry.label), internal, page_of)}</li>'
    assert entry.piece is not None
    if entry.heading is None:
        link = _toc_link(entry.piece.slug, title_html(entry.label), internal, page_of)
        return f'<li class="toc-piece">{link}{nested}</li>'
    kind = "toc-section" if level == 1 else "toc-subsection"
    link = _toc_link(f"{entry.piece.slug}--{entry.heading}", escape(entry.label), internal, page_of)
    return f'<li class="{kind}">{link}{nested}</li>'


def toc_html(rendered: RenderedBook, depth: int = 2, internal: str = "#", page_of: PageOf | None = None) -> str:
    """The contents ``depth`` levels deep (``publish.book.contents``: the entries of the EPUB's navigation),
    numbered by WeasyPrint (``target-counter``), or with each entry's page written in by ``page_of``.
    """
    items = "".join(_toc_item(entry, internal, page_of) for entry in contents_tree(rendered, depth))
    contents = escape(book_words(rendered.book.meta)("contents"))
    return f'<nav class="toc" id="contents"><h1>{contents}</h1><ol>{items}</ol></nav>'


def _continue_html(rendered: RenderedBook) -> str:
    # In a book of titles only, this page is page 1.
    classes = "continue-reading" if rendered.pieces else "continue-reading opening"
    items = []
    from publish.render import CONTINUE_READING_FILE

    prefix = CONTINUE_READING_FILE.removesuffix(".xhtml")
    with_urls = any(piece.url for piece in rendered.link_only)
    words = book_words(rendered.book.meta)
    for piece in rendered.link_only:
        qr = url = ""
        if piece.url and (href := link_href(piece.url)):
            qr = f'<img class="qr" src="{qr_data_uri(href)}" alt="{escape(words("qr_alt", url=piece.url))}">'
            url = f'<a class="url" href="{escape(href)}">{escape(piece.url)}</a>'
        summary = f'<span class="summary">{escape(piece.summary)}</span>' if piece.summary else ""
        items.append(
            f'<li id="{prefix}--{escape(piece.slug)}">{qr}<div class="entry">'
            f'<span class="title">{escape(piece.title)}</span>{summary}{url}</div></li>'
        )
    further = escape(words("continue_reading"))
    intro = escape(words("continue_intro_scan" if with_urls else "continue_intro_print"))
    return (
        f'<section class="{classes}" id="{prefix}" data-title="{further}"><h1>{further}</h1>'
        f'<p class="intro">{intro}</p><ul class="further">{"".join(items)}</ul></section>'
    )


def _about_html(rendered: RenderedBook) -> str:
    """ "About the practice": the practice's name, website, phone and email, and the disclaimer."""
    meta = rendered.book.meta
    name = meta.practice_name
    contacts = contacts_html(meta)
    disclaimer = f'<p class="disclaimer">{escape(meta.handout.disclaimer)}</p>' if meta.handout.disclaimer else ""
    disclaimer += crisis_box(meta)
    words = book_words(meta)
    title = escape(words("about"))
    return (
        f'<section class="continue-reading about" id="about" data-title="{title}"><h1>{title}</h1>'
        f'<p class="intro">{escape(words("about_intro", name=name))}</p>'
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


def book_sections(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS, internal: str = "#") -> BookSections:
    """The parts of the book's print HTML (see ``book_html``); ``internal`` begins the links inside the book."""
    from publish.identity import book_identifier

    meta = rendered.book.meta
    resolve = _book_links(rendered)
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>' if meta.subtitle else ""
    shown_publisher = title_page_publisher(meta)
    publisher = f'<p class="publisher">{escape(shown_publisher)}</p>' if shown_publisher else ""
    copyright_page = [
        copyright_title(meta),
        byline(meta),
        *(line.text for line in copyright_lines(meta, book_identifier(rendered))),
        colophon(rendered),
    ]
    copyright_html = "".join(f"<p>{escape(line)}</p>" for line in copyright_page if line)
    pieces = tuple(
        _piece_html(piece, resolve, index == 0, piece_words(meta, piece.lang), internal)
        for index, piece in enumerate(rendered.pieces)
    )
    further = _continue_html(rendered) if rendered.link_only else ""
    further += _about_html(rendered) if has_about_page(meta) else ""
    classes = " ".join(
        name for name, on in (("small-paper", paper_of(options).small), ("large-print", options.large_print)) if on
    )
    return BookSections(
        start=(
            f'<!DOCTYPE html><html lang="{escape(meta.language)}" class="{classes}">'
            f"{document_head(meta.title, meta.author, meta.description, meta.subjects)}<body>"
        ),
        front=(
            f'<section class="titlepage">{_title_logo(rendered)}<h1 class="book-title">{title_html(meta.title)}</h1>{subtitle}'
            f'<hr class="ornament"><p class="author">{escape(meta.author)}</p>{publisher}</section>'
            f'<section class="copyright">{copyright_html}</section>'
        ),
        toc=toc_html(rendered, options.toc_depth, internal),
        pieces=pieces,
        further=further,
    )


def _title_logo(rendered: RenderedBook) -> str:
    logo = rendered.logo
    return logo_html(logo, rendered.book.meta, image_source(logo)) if logo is not None else ""


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
    words = book_words(rendered.book.meta)
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
    faces = words.join([face for face in used if face != "Source Code Pro"])
    scripts = words.join(sorted(missing, key=lambda script: -missing[script])[:3])
    if not uncovered:
        sentence = words("colophon_faces", faces=faces)
    elif uncovered > covered:
        sentence = words("colophon_system_with" if faces else "colophon_system", scripts=scripts, faces=faces)
    else:
        sentence = words("colophon_fallback", faces=faces, scripts=scripts)
    return words("colophon_code" if code_face else "colophon_end", sentence=sentence)


def _book_texts(rendered: RenderedBook) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """How often each letter and digit appears in the book's text, in its titles and headings, and in its code."""
    from collections import Counter

    counters: dict[str, Counter[str]] = {"text": Counter(), "headings": Counter(), "code": Counter()}
    # The furniture is always Source Sans: the contents' heading, the folios.
    contents = book_words(rendered.book.meta)("contents")
    counters["headings"].update(f"{rendered.book.meta.title}{contents}0123456789")

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


def book_html(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> str:
    """The whole book as one HTML document for WeasyPrint."""
    parts = book_sections(rendered, options)
    return f"{parts.start}{parts.front}{parts.toc}<main>{''.join(parts.pieces)}{parts.further}</main>{parts.end}"


# --- Typesetting ------------------------------------------------------------------
