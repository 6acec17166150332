"""Write the rendered book as an EPUB 3 with ebooklib.

ebooklib writes the package document (metadata, manifest, spine) and the ZIP; every content
document, the navigation document and the NCX are written here, exactly as they should be,
and the ZIP is then repacked so that the same book always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ebooklib import epub
from lxml import etree

from publish.book.contents import CONTINUE_READING, ContentsEntry, contents_tree
from publish.book.front_matter import (
    byline,
    contacts_html,
    copyright_lines,
    copyright_title,
    file_as_person,
    file_as_title,
    has_about_page,
    package_date,
    title_page_publisher,
    website_url,
)
from publish.brand import crisis_box, epub_css, logo_html
from publish.epub.options import DEFAULT_TOC_DEPTH, EpubOptions
from publish.i18n import Words, book_words, languages_without_catalog, piece_words
from publish.identity import book_identifier, build_time
from publish.images import image_bytes
from publish.output import atomic_output
from publish.render import CONTINUE_READING_FILE, ImageRef, RenderedBook, RenderedPiece
from publish.resources import Font, book_fonts, read_style
from publish.urls import link_href, quote_path

if TYPE_CHECKING:
    from publish.cover import CoverDrawing
    from publish.manuscript import Piece

log = logging.getLogger(__name__)

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
NCX_NS = "http://www.daisy.org/z3986/2005/ncx/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STYLESHEET = "style/book.css"
# The documents this module adds to the pieces. A piece's document is named for its slug, and a slug
# never holds a dot, so these names can never be taken by a piece.
COVER_FILE = "front.cover.xhtml"
TITLEPAGE_FILE = "front.titlepage.xhtml"
COPYRIGHT_FILE = "front.copyright.xhtml"
NAV_FILE = "front.contents.xhtml"  # the contents page, in the reading order
# The navigation document (contents and landmarks), outside the reading order: the landmarks are for the
# reading system only, and a list hidden inside a page of the reading order still reaches some readers.
NAVIGATION_FILE = "nav.xhtml"
ABOUT_FILE = "back.about.xhtml"
NCX_FILE = "toc.ncx"
GENERATED_COVER = "images/front.cover.png"
# Apple Books uses a book's embedded fonts only when this file says so (Apple Books Asset Guide, "Fonts").
APPLE_DISPLAY_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
# EPUB Accessibility 1.1, section 2.1: the conformance identifier for EPUB content meeting WCAG 2.2 AA.
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
# The faces styles/epub.css asks for: Source Serif regular, italic, bold and bold italic for the text,
# Source Sans semibold (and its italic) for headings. Other faces would only make the book heavier.
EMBEDDED_FACES = {
    ("Source Serif Pro", 400, "normal"), ("Source Serif Pro", 400, "italic"),
    ("Source Serif Pro", 700, "normal"), ("Source Serif Pro", 700, "italic"),
    ("Source Sans Pro", 600, "normal"), ("Source Sans Pro", 600, "italic"),
}  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
DEFAULT_OPTIONS = EpubOptions()  # frozen: one value for every call


@dataclass(frozen=True)
class TocEntry:
    """One entry of the table of contents, with the entries nested under it."""

    label: str
    href: str
    lang: str | None = None  # set when it differs from the book's language
    children: tuple[TocEntry, ...] = ()


def cover_alt(rendered: RenderedBook) -> str:
    """The cover image's text alternative: what the cover says."""
    meta = rendered.book.meta
    words = book_words(meta)
    if meta.subtitle:
        return words("cover_alt_subtitle", title=meta.title, subtitle=meta.subtitle, author=meta.author)
    return words("cover_alt", title=meta.title, author=meta.author)


# --- content documents -------------------------------------------------------


def _lang_attributes(lang: str) -> str:
    return f'lang="{escape(lang)}" xml:lang="{escape(lang)}"'


def _document(title: str, lang: str, body: str, body_type: str = "", body_class: str = "") -> bytes:
    """A complete XHTML content document."""
    attributes = (f' epub:type="{body_type}"' if body_type else "") + (f' class="{body_class}"' if body_class else "")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" {_lang_attributes(lang)}>\n'
        f'<head>\n<meta charset="utf-8"/>\n<title>{escape(title)}</title>\n'
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET}"/>\n</head>\n'
        f"<body{attributes}>\n{body}\n</body>\n</html>\n"
    ).encode()


def _cover_page(image_name: str, alt: str) -> str:
    # DPUB-ARIA 1.1: doc-cover goes on the image itself.
    return (
        '<section epub:type="cover" class="cover">\n'
        f'<img role="doc-cover" src="{escape(quote_path(image_name))}" alt="{escape(alt)}"/>\n</section>'
    )


def _title_page(rendered: RenderedBook) -> str:
    meta = rendered.book.meta
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>\n' if meta.subtitle else ""
    shown_publisher = title_page_publisher(meta)
    publisher = f'<p class="publisher">{escape(shown_publisher)}</p>\n' if shown_publisher else ""
    logo = logo_html(rendered.logo, meta, quote_path(rendered.logo.name), closed=True) + "\n" if rendered.logo else ""
    return (
        '<section epub:type="titlepage" class="titlepage" aria-labelledby="book-title">\n'
        f'{logo}<h1 id="book-title" class="book-title">{escape(meta.title)}</h1>\n{subtitle}'
        f'<hr class="ornament"/>\n<p class="author">{escape(meta.author)}</p>\n{publisher}</section>'
    )


def _copyright_page(rendered: RenderedBook, identifier: str) -> str:
    meta = rendered.book.meta
    lines = [
        f'<p class="copyright-title"><cite>{escape(copyright_title(meta))}</cite></p>',
        f"<p>{escape(byline(meta))}</p>",
    ]
    for line in copyright_lines(meta, identifier):
        text = escape(line.text)
        if line.datetime and line.date_text:  # the date inside its sentence, machine-readable
            shown = escape(line.date_text)
            text = text.replace(shown, f'<time datetime="{escape(line.datetime)}">{shown}</time>', 1)
        lines.append(f"<p>{text}</p>")
    return (
        f'<section epub:type="copyright-page" class="copyright" aria-label="{escape(book_words(meta)("copyright"))}">\n'
        + "\n".join(lines)
        + "\n</section>"
    )


def _continue_reading(rendered: RenderedBook) -> str:
    """The pieces not yet in the book, each linked to its ``url``, else to the practice's website."""
    website = rendered.book.meta.practice.website
    words = book_words(rendered.book.meta)
    items = []
    for piece in rendered.link_only:
        lang = f" {_lang_attributes(piece.lang)}" if piece.lang and piece.lang != rendered.book.meta.language else ""
        title = escape(piece.title)
        if href := link_href(piece.url):
            entry = f'<a href="{escape(href)}"{lang}>{title}</a><br/><span class="url">{escape(piece.url or "")}</span>'
        elif website and (site := website_url(website)):
            where = escape(words("continue_website", website=website))
            entry = f'<span{lang}>{title}</span><br/><a class="url" href="{escape(site)}">{where}</a>'
        else:
            entry = f"<span{lang}>{title}</span>"
        items.append(f'<li id="{escape(piece.slug)}">{entry}</li>')
    # DPUB-ARIA doc-appendix: supplemental information after the main content.
    return (
        '<section epub:type="appendix" role="doc-appendix" class="continue-reading" '
        'aria-labelledby="continue-reading-title">\n'
        f'<h1 id="continue-reading-title">{escape(words("continue_reading"))}</h1>\n'
        f"<p>{escape(words('continue_intro'))}</p>\n"
        f'<ul class="further">\n{chr(10).join(items)}\n</ul>\n</section>'
    )


def _about_page(rendered: RenderedBook) -> str:
    """ "About the practice": its name, website, phone and email (as links), and the disclaimer."""
    meta = rendered.book.meta
    name = meta.practice_name
    words = book_words(meta)
    lines = [f"<p>{escape(words('about_intro', name=name))}</p>"]
    if contacts := contacts_html(meta):
        lines.append(contacts)
    if meta.handout.disclaimer:
        lines.append(f'<p class="disclaimer">{escape(meta.handout.disclaimer)}</p>')
    if crisis := crisis_box(meta):
        lines.append(crisis)
    return (
        '<section epub:type="appendix" role="doc-appendix" class="about" aria-labelledby="about-title">\n'
        f'<h1 id="about-title">{escape(words("about"))}</h1>\n' + "\n".join(lines) + "\n</section>"
    )


def _piece_body(piece: RenderedPiece, words: Words) -> str:
    """The piece's section: title, byline, hero image, text; footnotes as popups, reflections as asides."""
    wrapper = etree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">{piece.body}</div>')
    _convert_footnotes(wrapper, words)
    _convert_reflections(wrapper, piece.slug, words)
    _mark_image_paragraphs(wrapper)
    _wrap_tables(wrapper)
    _link_self_to_title(wrapper, f"{piece.slug}-title")
    inner = etree.tostring(wrapper, encoding="unicode")
    # Drop the wrapper's own tags; its namespace declarations are the ones the document root carries.
    inner = inner[inner.index(">") + 1 : inner.rindex("</div>")] if not inner.endswith("/>") else ""
    title_id = f"{piece.slug}-title"
    hero = ""
    if piece.hero is not None:
        src = escape(quote_path(piece.hero.name))
        hero = f'<figure class="hero"><img src="{src}" alt="{escape(piece.hero.alt)}"/></figure>\n'
    byline = f'<p class="byline">{escape(piece.piece.author)}</p>\n' if piece.piece.author else ""
    return (
        f'<section epub:type="chapter" role="doc-chapter" aria-labelledby="{title_id}">\n'
        f'<h1 id="{title_id}" class="piece-title">{escape(piece.title)}</h1>\n{byline}{hero}{inner}\n</section>'
    )


def _convert_footnotes(wrapper: etree._Element, words: Words) -> None:
    """Turn Python-Markdown's footnote list into EPUB 3 popup notes, each opening with its number.

    EPUB 3 Structural Semantics: a ``noteref`` link opens the ``aside epub:type="footnote"`` it points to
    as a popup. Readers without popups (and Kobo, which shows asides) list the notes at the end of the
    piece: each note starts with its number, which is also the link back to the text, as Standard Ebooks
    writes notes for Kindle (a back link at the end of a note runs notes together in Kindle's popups).
    """
    ns = {"h": XHTML_NS}
    for ref in wrapper.xpath('.//h:a[@class="footnote-ref"]', namespaces=ns):
        ref.set(f"{{{EPUB_NS}}}type", "noteref")
        ref.set("role", "doc-noteref")
    for block in wrapper.xpath('.//h:div[@class="footnote"]', namespaces=ns):
        notes = etree.Element(f"{{{XHTML_NS}}}section", {"class": "footnotes", "aria-label": words("notes")})
        notes.set(f"{{{EPUB_NS}}}type", "footnotes")
        for number, item in enumerate(block.xpath("./h:ol/h:li", namespaces=ns), 1):
            aside = etree.SubElement(notes, f"{{{XHTML_NS}}}aside", {"id": item.get("id", ""), "class": "footnote"})
            aside.set(f"{{{EPUB_NS}}}type", "footnote")
            aside.set("role", "doc-footnote")
            backrefs = item.xpath('.//h:a[@class="footnote-backref"]', namespaces=ns)
            for back in backrefs:
                holder = back.getparent()
                _remove_keeping_tail(back)
                if etree.QName(holder).localname == "p" and not len(holder) and not (holder.text or "").strip():
                    holder.getparent().remove(holder)  # Python-Markdown's paragraph for the back link alone
            aside.text = item.text
            for child in list(item):
                aside.append(child)
            _number_note(aside, number, backrefs[0].get("href") if backrefs else None, words)
        block.getparent().replace(block, notes)


def _remove_keeping_tail(element: etree._Element) -> None:
    """Remove ``element`` but keep the text after it; trailing spaces it leaves at the end of a block go too."""
    parent = element.getparent()
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
        if element.getnext() is None:
            previous.tail = previous.tail.rstrip() or None
    else:
        parent.text = (parent.text or "") + tail
        if element.getnext() is None:
            parent.text = parent.text.rstrip() or None
    parent.remove(element)


def _number_note(aside: etree._Element, number: int, back: str | None, words: Words) -> None:
    """Open the note with ``<a href="#fnref-…">N</a>. ``: its number, and the way back to the text."""
    if back is not None:
        label = etree.Element(f"{{{XHTML_NS}}}a", {"href": back, "role": "doc-backlink",
                                                   "aria-label": words("note_back", number=number)})  # fmt: skip
    else:
        label = etree.Element(f"{{{XHTML_NS}}}span")
    label.set("class", "note-number")
    label.text = str(number)
    first = next((child for child in aside if isinstance(child.tag, str)), None)
    if first is not None and etree.QName(first).localname == "p" and not (aside.text or "").strip():
        holder = first
    else:  # a note that opens with a list or a quotation: its number gets a paragraph of its own
        holder = etree.Element(f"{{{XHTML_NS}}}p")
        holder.text, aside.text = aside.text, "\n"
        aside.insert(0, holder)
        holder.tail = "\n"
    text = (holder.text or "").lstrip()
    label.tail = f". {text}" if text or len(holder) else "."
    holder.text = None
    holder.insert(0, label)


def _convert_reflections(wrapper: etree._Element, slug: str, words: Words) -> None:
    """Turn ``div.reflection`` (from ``::: reflection``) into an aside with a visible, real-text label.

    Text generated by CSS ``::before`` is skipped by some screen readers and by Kindle, so the label
    is part of the document and names the aside for assistive technology.
    """
    ns = {"h": XHTML_NS}
    blocks = wrapper.xpath(
        './/h:div[contains(concat(" ", normalize-space(@class), " "), " reflection ")]', namespaces=ns
    )
    for number, block in enumerate(blocks, 1):
        label_id = f"{slug}-reflection-{number}"
        block.tag = f"{{{XHTML_NS}}}aside"
        block.set("aria-labelledby", label_id)
        label = etree.Element(f"{{{XHTML_NS}}}p", {"class": "reflection-label", "id": label_id})
        label.text = words("reflection")
        label.tail = block.text
        block.text = "\n"
        block.insert(0, label)


def _mark_image_paragraphs(wrapper: etree._Element) -> None:
    """Class a paragraph holding nothing but an image as ``image``, so it is centred and not indented."""
    for paragraph in wrapper.iter(f"{{{XHTML_NS}}}p"):
        children = list(paragraph)
        if (
            len(children) == 1
            and children[0].tag == f"{{{XHTML_NS}}}img"
            and not (paragraph.text or "").strip()
            and not (children[0].tail or "").strip()
        ):
            paragraph.set("class", " ".join(filter(None, (paragraph.get("class"), "image"))))


def _link_self_to_title(wrapper: etree._Element, title_id: str) -> None:
    """A link from the piece to itself (``href="#"``) leads to its title."""
    for link in wrapper.iter(f"{{{XHTML_NS}}}a"):
        if link.get("href") == "#":
            link.set("href", f"#{title_id}")


def _wrap_tables(wrapper: etree._Element) -> None:
    """Put each table in a ``div.table`` box, which scrolls on a screen narrower than the table."""
    for table in list(wrapper.iter(f"{{{XHTML_NS}}}table")):
        box = etree.Element(f"{{{XHTML_NS}}}div", {"class": "table"})
        box.tail, table.tail = table.tail, None
        table.addprevious(box)
        box.append(table)


# --- navigation ----------------------------------------------------------------


def _toc_entry(entry: ContentsEntry, book_lang: str) -> TocEntry:
    """An entry of the book's contents (``publish.book.contents``) with its place in the EPUB."""
    children = tuple(_toc_entry(child, book_lang) for child in entry.children)
    if entry.back is not None:
        return TocEntry(entry.label, CONTINUE_READING_FILE if entry.back == CONTINUE_READING else ABOUT_FILE)
    assert entry.piece is not None
    if entry.heading is not None:
        return TocEntry(entry.label, f"{entry.piece.filename}#{entry.heading}", children=children)
    lang = entry.piece.lang if entry.piece.lang != book_lang else None
    return TocEntry(entry.label, entry.piece.filename, lang, children)


def table_of_contents(rendered: RenderedBook, depth: int = DEFAULT_TOC_DEPTH) -> tuple[TocEntry, ...]:
    """The book's contents ``depth`` levels deep: each piece, its sections nested under it, then "Continue reading"."""
    return tuple(_toc_entry(entry, rendered.book.meta.language) for entry in contents_tree(rendered, depth))


def _nav_list(entries: tuple[TocEntry, ...]) -> str:
    items = []
    for entry in entries:
        lang = f" {_lang_attributes(entry.lang)}" if entry.lang else ""
        nested = f"\n{_nav_list(entry.children)}" if entry.children else ""
        items.append(f'<li><a href="{escape(entry.href)}"{lang}>{escape(entry.label)}</a>{nested}</li>')
    return "<ol>\n" + "\n".join(items) + "\n</ol>"


def _contents_page(entries: tuple[TocEntry, ...], words: Words) -> str:
    """The contents page of the reading order."""
    return (
        '<nav epub:type="toc" role="doc-toc" id="toc" aria-labelledby="toc-title">\n'
        f'<h1 id="toc-title">{escape(words("contents"))}</h1>\n{_nav_list(entries)}\n</nav>'
    )


def _nav(entries: tuple[TocEntry, ...], landmarks: list[tuple[str, str, str]], words: Words) -> str:
    """The EPUB 3 navigation document's body: the table of contents and the landmarks.

    It is outside the spine, so the landmarks never show in the reading order; its contents link to the
    documents beside it, as the contents page's do.
    """
    marks = "\n".join(
        f'<li><a epub:type="{kind}" href="{href}">{escape(label)}</a></li>' for kind, href, label in landmarks
    )
    return (
        f"{_contents_page(entries, words)}\n"
        f'<nav epub:type="landmarks" id="landmarks" hidden="hidden" aria-label="{escape(words("landmarks"))}">\n'
        f"<ol>\n{marks}\n</ol>\n</nav>"
    )


def _ncx(entries: tuple[TocEntry, ...], rendered: RenderedBook, identifier: str) -> bytes:
    """The EPUB 2 NCX, for reading systems that predate the navigation document (nested like the nav)."""
    meta = rendered.book.meta
    root = etree.Element(f"{{{NCX_NS}}}ncx", {"version": "2005-1", XML_LANG: meta.language}, nsmap={None: NCX_NS})

    def depth(items: tuple[TocEntry, ...]) -> int:
        return 1 + max((depth(e.children) for e in items), default=0) if items else 0

    head = etree.SubElement(root, f"{{{NCX_NS}}}head")
    for name, content in (("dtb:uid", identifier), ("dtb:depth", str(depth(entries))),
                          ("dtb:totalPageCount", "0"), ("dtb:maxPageNumber", "0")):  # fmt: skip
        etree.SubElement(head, f"{{{NCX_NS}}}meta", {"name": name, "content": content})
    for tag, text in (("docTitle", meta.title), ("docAuthor", meta.author)):
        etree.SubElement(etree.SubElement(root, f"{{{NCX_NS}}}{tag}"), f"{{{NCX_NS}}}text").text = text
    counter = 0

    def add(parent: etree._Element, items: tuple[TocEntry, ...]) -> None:
        nonlocal counter
        for entry in items:
            counter += 1  # playOrder follows the reading order; every entry has its own target
            point = etree.SubElement(
                parent, f"{{{NCX_NS}}}navPoint", {"id": f"navpoint-{counter}", "playOrder": str(counter)}
            )
            etree.SubElement(etree.SubElement(point, f"{{{NCX_NS}}}navLabel"), f"{{{NCX_NS}}}text").text = entry.label
            etree.SubElement(point, f"{{{NCX_NS}}}content", {"src": entry.href})
            add(point, entry.children)

    add(etree.SubElement(root, f"{{{NCX_NS}}}navMap"), entries)
    written: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
    return written


# --- accessibility -----------------------------------------------------------------


@dataclass(frozen=True)
class AccessibilityGap:
    """One reason not to claim EPUB Accessibility conformance: the failed check, what and where."""

    check: str  # the WCAG success criterion that fails
    message: str  # as ``accessibility_problems`` lists it
    what: str  # what fails, for a message that already names the file
    path: Path | None = None
    line: int | None = None


_NO_ALT = "WCAG 1.1.1 text alternatives"
_SKIPPED_LEVEL = "WCAG 1.3.1 headings in order"
_NO_LANGUAGE = "WCAG 3.1.1 language of page"
_NO_WORDS = "WCAG 3.1.2 language of parts"


def book_languages(rendered: RenderedBook) -> list[str]:
    """Every language of the book's text, each once: the book's, then its pieces' in reading order."""
    languages = [rendered.book.meta.language]
    for lang in (*(piece.lang for piece in rendered.pieces), *(piece.lang for piece in rendered.link_only)):
        if lang and lang.lower() not in (known.lower() for known in languages):
            languages.append(lang)
    return languages


def _untranslated(rendered: RenderedBook) -> list[AccessibilityGap]:
    """Documents whose generated labels would fall back to English under another language (no catalog)."""
    meta = rendered.book.meta
    places: dict[str, tuple[Path | None, int | None]] = {
        meta.language: (rendered.book.root / "book.yaml", meta.line_of("language"))
    }
    for piece in rendered.pieces:  # a piece's own labels: its notes, its reflection prompts
        if piece.has_footnotes or 'class="reflection' in piece.body:
            places.setdefault(piece.lang, (piece.piece.path, piece.piece.line_of("lang")))
    gaps = []
    for language in languages_without_catalog(places):
        what = f"publish has no words in '{language}', so the labels it writes there would be in English"
        gaps.append(AccessibilityGap(_NO_WORDS, what, what, *places[language]))
    return gaps


def _check_piece(piece: RenderedPiece) -> tuple[list[AccessibilityGap], list[AccessibilityGap]]:
    """The piece's images without a text alternative ("piece: image") and its headings that skip a level
    (counting the piece title as the h1), from one parse of its body."""
    from publish.render import line_in_piece

    source = piece.piece
    body = etree.fromstring(f'<div xmlns="{XHTML_NS}">{piece.body}</div>')
    images: list[tuple[str, str, int | None]] = []
    skips, level = [], 1
    for element in body.iter(f"{{{XHTML_NS}}}img", *(f"{{{XHTML_NS}}}{tag}" for tag in _HEADINGS)):
        name = etree.QName(element).localname
        if name == "img":
            src = element.get("src", "")
            alt = element.get("alt", "")
            images.append((src, alt, None if alt.strip() else _undescribed_image_line(source, src)))
            continue
        new = int(name[1])
        if new > level + 1:
            line = line_in_piece(source, " ".join("".join(element.itertext()).split()))
            what = f"heading level {new} follows level {level}"
            skips.append(AccessibilityGap(_SKIPPED_LEVEL, f"{source.name}: {what}", what, source.path, line))
        level = new
    if piece.hero is not None:
        images.append((piece.hero.name, piece.hero.alt, source.line_of("image")))
    undescribed = [
        AccessibilityGap(_NO_ALT, f"image without alt text: {source.name}: {src}", f"image {src} has no alt text",
                         source.path, line)
        for src, alt, line in images
        if not alt.strip()
    ]  # fmt: skip
    return undescribed, skips


def _undescribed_image_line(piece: Piece, src: str) -> int | None:
    """The line of the first reference to ``src`` written without alt text (``![](…)`` or ``<img>`` without alt)."""
    from publish.render import line_in_piece

    name = re.escape(posixpath.basename(src))
    pattern = re.compile(rf"!\[\s*\]\(\s*<?[^)\s]*{name}|<img\b(?![^>]*\balt\s*=\s*[\"'][^\"']+)[^>]*{name}")
    match = pattern.search(piece.body)
    if match is None:
        return line_in_piece(piece, posixpath.basename(src))
    return piece.body_line + piece.body.count("\n", 0, match.start())


def _accessibility(rendered: RenderedBook) -> tuple[list[AccessibilityGap], bool]:
    """What keeps the book from meeting EPUB Accessibility 1.1 (see ``accessibility_problems``), and
    whether every image has a text alternative."""
    meta = rendered.book.meta
    no_language = "the book has no language"
    gaps = [] if meta.language else [AccessibilityGap(_NO_LANGUAGE, no_language, no_language)]
    gaps += [
        AccessibilityGap(_NO_LANGUAGE, f"{piece.piece.name} has no language", "no language", piece.piece.path)
        for piece in rendered.pieces
        if not piece.lang
    ]
    undescribed, skips = [], []
    for piece in rendered.pieces:
        piece_undescribed, piece_skips = _check_piece(piece)
        undescribed += piece_undescribed
        skips += piece_skips
    return gaps + _untranslated(rendered) + undescribed + skips, not undescribed


def accessibility_gaps(rendered: RenderedBook) -> list[AccessibilityGap]:
    """What keeps the book from meeting EPUB Accessibility 1.1 / WCAG 2.2 AA, each with its check and place."""
    return _accessibility(rendered)[0]


def accessibility_problems(rendered: RenderedBook) -> list[str]:
    """What keeps the book from meeting EPUB Accessibility 1.1 / WCAG 2.2 AA; empty when it does.

    Checked: a language for the book and every piece (WCAG 3.1.1, 3.1.2), a text alternative for
    every image (1.1.1), and headings that never skip a level (1.3.1; the piece title is the h1).
    """
    return [gap.message for gap in accessibility_gaps(rendered)]


def _warn_withheld_claim(gaps: list[AccessibilityGap]) -> None:
    """Say on every build why the conformance claim is withheld: the check, the file and line of each gap."""
    from publish.errors import Problem

    for gap in gaps:
        message = f"no EPUB Accessibility conformance claim ({gap.check}): {gap.what}"
        log.warning("%s", Problem(gap.path, gap.line, message, "warning").format(Path.cwd()))


def _add_accessibility_metadata(book: epub.EpubBook, rendered: RenderedBook) -> None:
    """Schema.org accessibility metadata (EPUB Accessibility 1.1, section 2; values from the W3C vocabulary)."""
    images = rendered.images
    problems, all_described = _accessibility(rendered)
    modes = ["textual"] + (["visual"] if images else [])
    for mode in modes:
        book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    # Text alone carries everything only when every image has a text alternative.
    sufficient = "textual" if all_described else ",".join(modes)
    book.add_metadata(None, "meta", sufficient, {"property": "schema:accessModeSufficient"})
    # structuralNavigation: headings mark the sections; tableOfContents: the nav document;
    # readingOrder: the spine and the markup order agree, notes are marked as asides;
    # ARIA: DPUB-ARIA roles (doc-chapter, doc-toc, doc-noteref, doc-footnote, doc-backlink);
    # displayTransformability: the style sheet leaves font, size, colours and spacing to the reader.
    # Not "annotations" for footnotes: the term ("annotations from the author, instructor and/or others")
    # names no accessibility feature and its editors consider it deprecated (w3c-cg/a11y-discov-vocab#166).
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "ARIA", "displayTransformability"]
    if images and all_described:
        features.append("alternativeText")
    for feature in features:
        book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    book.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    words = book_words(rendered.book.meta)  # the summary is in the book's language (xml:lang of the package)
    summary = [words("a11y_structure"), words("a11y_display")]
    if any(piece.has_footnotes for piece in rendered.pieces):
        summary.append(words("a11y_footnotes"))
    if not images:
        summary.append(words("a11y_no_images"))
    elif all_described:
        summary.append(words("a11y_all_described"))
    else:
        summary.append(words("a11y_some_undescribed"))
    if problems:
        _warn_withheld_claim(problems)
    else:
        summary.append(words("a11y_conforms"))
        book.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo"})
    book.add_metadata(None, "meta", " ".join(summary), {"property": "schema:accessibilitySummary"})


# --- package ---------------------------------------------------------------------------


def _add_metadata(book: epub.EpubBook, rendered: RenderedBook, identifier: str) -> None:
    """Dublin Core and EPUB 3 metadata from ``book.yaml`` (EPUB 3.3, section 5.5)."""
    meta = rendered.book.meta
    book.set_identifier(identifier)
    book.set_language(meta.language)
    # One dc:language for each language of the text, the book's first (EPUB 3.3, section 5.5.3.1.3).
    for language in book_languages(rendered)[1:]:
        book.add_metadata("DC", "language", language)
    book.add_metadata("DC", "title", meta.title, {"id": "title"})
    book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    book.add_metadata(None, "meta", file_as_title(meta.title), {"refines": "#title", "property": "file-as"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.add_metadata("DC", "creator", meta.author, {"id": "creator"})
    book.add_metadata(None, "meta", "aut", {"refines": "#creator", "property": "role", "scheme": "marc:relators"})
    book.add_metadata(None, "meta", file_as_person(meta.author), {"refines": "#creator", "property": "file-as"})
    for key in ("publisher", "rights", "description"):
        if value := getattr(meta, key):
            book.add_metadata("DC", key, value)
    if meta.date:
        book.add_metadata("DC", "date", package_date(meta.date))
    for piece in rendered.pieces:  # where the text comes from (DCMES: "a related resource ... derived")
        if piece.piece.url:
            book.add_metadata("DC", "source", piece.piece.url)
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    if meta.series:
        book.add_metadata(None, "meta", meta.series.name, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        if meta.series.position is not None:
            book.add_metadata(
                None, "meta", str(meta.series.position), {"refines": "#series", "property": "group-position"}
            )
        # Calibre's own series metadata, which it shows and sorts by (it reads belongs-to-collection only lately).
        book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": meta.series.name})
        if meta.series.position is not None:
            book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": str(meta.series.position)})
    _add_accessibility_metadata(book, rendered)


def _embedded_fonts() -> list[Font]:
    return [font for font in book_fonts() if (font.family, font.weight, font.style) in EMBEDDED_FACES]


def _font_css(fonts: list[Font]) -> str:
    """``@font-face`` rules for the embedded fonts, and the text face as the book's preference."""
    rules = [
        f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; font-style: {font.style}; '
        f'src: url("../fonts/{font.path.name}"); }}\n'
        for font in fonts
    ]
    # Only a preference: reading systems still let the reader choose another font.
    rules.append('body { font-family: "Source Serif Pro", serif; }\n\n')
    return "".join(rules)


def _add_fonts(book: epub.EpubBook, fonts: list[Font], documents: list[bytes]) -> None:
    """Embed ``fonts`` cut down to the characters of ``documents`` (a book uses a few hundred of thousands)."""
    from publish.epub.font_subset import subset_font, used_characters

    characters = used_characters(documents)
    for font in fonts:
        # Not obfuscated: the fonts are OFL, and obfuscation only hinders readers. Subsetting to embed them
        # in a document is what the OFL FAQ (2.2, 5.9) allows without renaming the font.
        book.add_item(epub.EpubItem(uid=f"font-{font.path.stem}", file_name=f"fonts/{font.path.name}",
                                    media_type="font/otf", content=subset_font(font.path, characters)))  # fmt: skip


def _prepared(image: ImageRef) -> bytes:
    """The image's bytes for the EPUB: no metadata, scaled when too large for e-readers (said as a warning)."""
    from publish.image_prep import describe_scaling, prepare_image

    prepared = prepare_image(image_bytes(image.path, image.content), image.media_type)
    if prepared.scaled_from is not None:
        log.warning("%s", describe_scaling(image.name, prepared, image.path.stat().st_size))
    return prepared.data


def flat_cover(image: Any) -> Any:
    """An image as opaque 8-bit RGB: transparency laid on white (a JPEG has none), 16-bit values scaled."""
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode in ("P", "L", "RGB") and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _jpeg_cover(name: str, png: bytes) -> tuple[str, bytes, str]:
    """The cover as a JPEG: Amazon's Kindle Publishing Guidelines (4.1) ask for a JPEG or TIFF cover."""
    from PIL import Image

    output = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        flat_cover(image).save(output, "JPEG", quality=92, optimize=True)
    return name.rsplit(".", 1)[0] + ".jpg", output.getvalue(), "image/jpeg"


def _cover_image(rendered: RenderedBook, drawing: CoverDrawing | None) -> tuple[str, bytes, str]:
    """The cover image: ``book.yaml``'s, else one generated from title, subtitle and author (or ``drawing``'s)."""
    if rendered.cover is not None:
        return rendered.cover.name, _prepared(rendered.cover), rendered.cover.media_type
    from publish.cover import generate_cover

    name, taken, number = GENERATED_COVER, {image.name.casefold() for image in rendered.images}, 1
    while name.casefold() in taken:  # the manuscript has an image of that name: step aside
        number += 1
        name = GENERATED_COVER.replace(".png", f"-{number}.png")
    meta = rendered.book.meta
    # A drawing started from book.yaml before the book was loaded: the same text, unless the file changed.
    if rendered.logo is not None:
        png = generate_cover(meta, rendered.logo)
    else:
        png = drawing.png() if drawing is not None and drawing.meta == meta else generate_cover(meta)
    return name, png, "image/png"


class _Document(epub.EpubItem):  # type: ignore[misc]  # ebooklib has no types
    """An XHTML content document written exactly as given (ebooklib would re-template an EpubHtml)."""

    def __init__(self, uid: str, file_name: str, content: bytes, properties: list[str] | None = None):
        super().__init__(uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=content)
        self.properties = properties or []
        self.is_linear = True


def reading_order(rendered: RenderedBook) -> list[str]:
    """The spine: cover, title page, copyright, contents, the pieces in reading order, "Continue reading",
    "About the practice"."""
    order = [COVER_FILE, TITLEPAGE_FILE, COPYRIGHT_FILE, NAV_FILE, *(piece.filename for piece in rendered.pieces)]
    order += [CONTINUE_READING_FILE] if rendered.link_only else []
    return order + ([ABOUT_FILE] if has_about_page(rendered.book.meta) else [])


def write_epub(
    rendered: RenderedBook, target: Path, options: EpubOptions = DEFAULT_OPTIONS, cover: CoverDrawing | None = None
) -> Path:
    """Write ``rendered`` as an EPUB 3 at ``target`` (atomically).

    ``cover`` is the generated cover being drawn already (``publish.build.build_epub`` starts it early).
    """
    meta = rendered.book.meta
    identifier = book_identifier(rendered)
    modified = build_time()
    lang = meta.language
    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    _add_metadata(book, rendered, identifier)

    css = read_style("epub.css", options.styles)
    if brand := epub_css(meta):
        css += "\n/* The practice's own look (book.yaml: theme, practice.logo, handout.crisis) */\n" + brand + "\n"
    fonts = _embedded_fonts() if options.embed_fonts else []
    css = (_font_css(fonts) if fonts else "") + css
    book.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=css.encode()))

    cover_name, cover_bytes, cover_type = _cover_image(rendered, cover)
    if options.target == "kindle" and cover_type in ("image/png", "image/gif", "image/webp"):
        cover_name, cover_bytes, cover_type = _jpeg_cover(cover_name, cover_bytes)
    cover_item = epub.EpubItem(uid="cover-image", file_name=cover_name, media_type=cover_type, content=cover_bytes)
    cover_item.properties = ["cover-image"]
    book.add_item(cover_item)
    # EPUB 2 cover declaration, still what Kindle conversion looks for.
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    images: list[ImageRef] = [image for image in rendered.images if image.name != cover_name]
    for number, image in enumerate(images, 1):
        book.add_item(epub.EpubItem(uid=f"image-{number}", file_name=image.name,
                                    media_type=image.media_type, content=_prepared(image)))  # fmt: skip

    contents = table_of_contents(rendered, options.contents_depth)
    words = book_words(meta)
    landmarks = [
        ("cover", COVER_FILE, words("cover")),
        ("titlepage", TITLEPAGE_FILE, words("title_page")),
        ("toc", NAV_FILE, words("contents")),
    ]
    if rendered.pieces:
        landmarks.append(("bodymatter", rendered.pieces[0].filename, words("start_of_content")))
    back = [name for name in (CONTINUE_READING_FILE, ABOUT_FILE) if name in reading_order(rendered)]
    if back:
        landmarks.append(("backmatter", back[0], words("back_matter")))
    documents = {
        COVER_FILE: _Document("cover", COVER_FILE, _document(words("cover"), lang, _cover_page(cover_name, cover_alt(rendered)), body_class="cover")),
        TITLEPAGE_FILE: _Document("titlepage", TITLEPAGE_FILE, _document(meta.title, lang, _title_page(rendered), "frontmatter")),
        COPYRIGHT_FILE: _Document("copyright", COPYRIGHT_FILE, _document(words("copyright"), lang, _copyright_page(rendered, identifier), "frontmatter")),
        NAV_FILE: _Document("contents", NAV_FILE, _document(words("contents"), lang, _contents_page(contents, words), "frontmatter")),
        CONTINUE_READING_FILE: _Document("continue-reading", CONTINUE_READING_FILE,
                                         _document(words("continue_reading"), lang, _continue_reading(rendered), "backmatter")),
        ABOUT_FILE: _Document("about", ABOUT_FILE, _document(words("about"), lang, _about_page(rendered), "backmatter")),
    }  # fmt: skip
    for piece in rendered.pieces:
        document = _document(piece.title, piece.lang, _piece_body(piece, piece_words(meta, piece.lang)), "bodymatter")
        documents[piece.filename] = _Document(f"piece-{piece.slug}", piece.filename, document)
    if options.target == "kobo":
        from publish.epub.kobo import add_kobo_spans

        for document in documents.values():
            document.content = add_kobo_spans(document.content)
    book.spine = [documents[name] for name in reading_order(rendered)]
    for item in book.spine:
        book.add_item(item)
    navigation = _document(words("contents"), lang, _nav(contents, landmarks, words), "frontmatter")
    book.add_item(_Document("nav", NAVIGATION_FILE, navigation, ["nav"]))
    if fonts:
        _add_fonts(book, fonts, [item.content for item in book.spine])
    book.add_item(epub.EpubItem(uid="ncx", file_name=NCX_FILE, media_type="application/x-dtbncx+xml",
                                content=_ncx(contents, rendered, identifier)))  # fmt: skip
    # EPUB 2 guide: deprecated in EPUB 3 but still read by Kindle ("go to beginning").
    book.guide = [{"type": "cover", "href": COVER_FILE, "title": words("cover")},
                  {"type": "title-page", "href": TITLEPAGE_FILE, "title": words("title_page")},
                  {"type": "toc", "href": NAV_FILE, "title": words("contents")}]  # fmt: skip
    if rendered.pieces:
        book.guide.append({"type": "text", "href": rendered.pieces[0].filename, "title": words("start_of_content")})

    buffer = io.BytesIO()
    # ebooklib's ZIP is only read back by _repack, which compresses every file again: not compressed here.
    writer_options = {"mtime": modified, "epub3_landmark": False, "raise_exceptions": True, "compresslevel": 0}
    writer = epub.EpubWriter(buffer, book, writer_options)
    writer.process()
    writer.write()
    apple = bool(fonts) or options.target == "apple"
    extra = {APPLE_DISPLAY_OPTIONS: _apple_display_options(bool(fonts))} if apple else {}
    with atomic_output(target) as temporary:
        temporary.write_bytes(_repack(buffer.getvalue(), modified, lang, extra))
    return target


def _apple_display_options(specified_fonts: bool) -> bytes:
    """Apple's display options: use the embedded fonts (``specified-fonts``) on every device."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<display_options>\n<platform name="*">\n'
        f'<option name="specified-fonts">{"true" if specified_fonts else "false"}</option>\n'
        "</platform>\n</display_options>\n"
    ).encode()


def _repack(data: bytes, modified: dt.datetime, language: str, extra: dict[str, bytes] | None = None) -> bytes:
    """Rewrite ebooklib's ZIP reproducibly (fixed timestamps, sorted order, mimetype first and stored) and fix its OPF."""
    source = zipfile.ZipFile(io.BytesIO(data))
    # ZIP times have no zone: write the UTC wall time, so TZ does not change the bytes.
    stamp = max(modified, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    output = io.BytesIO()
    first = ["mimetype", "META-INF/container.xml"]
    files = {name: source.read(name) for name in source.namelist()} | (extra or {})
    with zipfile.ZipFile(output, "w") as target:
        for name in first + sorted(n for n in files if n not in first):
            content = files[name]
            if name.endswith(".opf"):
                content = _fix_opf(content, language)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever system builds it
            # OCF 3.3, section 4.3: the mimetype file must be the first entry, stored uncompressed.
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            target.writestr(info, content, compresslevel=None if stored else 9)
    return output.getvalue()


def _fix_opf(content: bytes, language: str) -> bytes:
    """Add what ebooklib leaves out: ``xml:lang`` on the package element (Ace: epub-lang)."""
    root = etree.fromstring(content)
    root.set(XML_LANG, language)
    written: bytes = etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
    return written
