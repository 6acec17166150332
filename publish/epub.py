"""Write the rendered book as an EPUB 3 with ebooklib."""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from ebooklib import epub
from lxml import etree

from publish.output import atomic_output
from publish.render import CONTINUE_READING_FILE, RenderedBook, RenderedPiece
from publish.resources import book_fonts, read_style

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
OPF_NS = "http://www.idpf.org/2007/opf"
STYLESHEET = "style/book.css"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@dataclass(frozen=True)
class EpubOptions:
    """Choices for the EPUB output."""

    embed_fonts: bool = False
    styles: Path | None = None  # a folder whose epub.css replaces the built-in one


def build_time() -> dt.datetime:
    """The build's timestamp: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def book_identifier(rendered: RenderedBook) -> str:
    """The book's identifier: ``book.yaml``'s, else a urn:uuid derived from title and author (stable across builds)."""
    meta = rendered.book.meta
    if meta.identifier:
        return meta.identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'publish:{meta.title}|{meta.author}')}"


def _document(title: str, lang: str, body: str, body_type: str = "", extra_head: str = "") -> bytes:
    """A complete XHTML content document."""
    epub_type = f' epub:type="{body_type}"' if body_type else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" lang="{escape(lang)}" xml:lang="{escape(lang)}">\n'
        f'<head>\n<meta charset="utf-8"/>\n<title>{escape(title)}</title>\n'
        f'<link rel="stylesheet" type="text/css" href="{STYLESHEET}"/>\n{extra_head}</head>\n'
        f"<body{epub_type}>\n{body}\n</body>\n</html>\n"
    ).encode("utf-8")


def _piece_body(piece: RenderedPiece) -> str:
    """The piece's section: title, hero image, text, and its footnotes as EPUB 3 popup notes."""
    wrapper = etree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">{piece.body}</div>')
    _convert_footnotes(wrapper)
    inner = "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in wrapper)
    inner = (escape(wrapper.text, quote=False) if wrapper.text else "") + inner
    inner = inner.replace(f' xmlns="{XHTML_NS}"', "").replace(f' xmlns:epub="{EPUB_NS}"', "")
    title_id = f"{piece.slug}-title"
    hero = ""
    if piece.hero is not None:
        hero = f'<figure class="hero"><img src="{escape(piece.hero.name)}" alt="{escape(piece.hero.alt)}"/></figure>\n'
    byline = ""
    if piece.piece.author:
        byline = f'<p class="byline">{escape(piece.piece.author)}</p>\n'
    return (
        f'<section epub:type="chapter" role="doc-chapter" aria-labelledby="{title_id}">\n'
        f'<h1 id="{title_id}" class="piece-title">{escape(piece.title)}</h1>\n{byline}{hero}{inner}\n</section>'
    )


def _convert_footnotes(wrapper: etree._Element) -> None:
    """Turn Python-Markdown's footnote list into ``aside epub:type="footnote"`` popups with a way back."""
    ns = {"h": XHTML_NS}
    for ref in wrapper.xpath('.//h:a[@class="footnote-ref"]', namespaces=ns):
        ref.set(f"{{{EPUB_NS}}}type", "noteref")
        ref.set("role", "doc-noteref")
    for block in wrapper.xpath('.//h:div[@class="footnote"]', namespaces=ns):
        notes = etree.Element(f"{{{XHTML_NS}}}section", {"class": "footnotes", "aria-label": "Notes"})
        for item in block.xpath("./h:ol/h:li", namespaces=ns):
            aside = etree.SubElement(notes, f"{{{XHTML_NS}}}aside", {"id": item.get("id", ""), "class": "footnote"})
            aside.set(f"{{{EPUB_NS}}}type", "footnote")
            aside.set("role", "doc-footnote")
            for back in item.xpath('.//h:a[@class="footnote-backref"]', namespaces=ns):
                back.set("role", "doc-backlink")
                back.set("aria-label", "Back to the text")
                back.attrib.pop("title", None)
                back.text = "↩\ufe0e"
            aside.text = item.text
            for child in list(item):
                aside.append(child)
        block.getparent().replace(block, notes)


def _title_page(rendered: RenderedBook) -> str:
    meta = rendered.book.meta
    subtitle = f'<p class="subtitle">{escape(meta.subtitle)}</p>\n' if meta.subtitle else ""
    publisher = f'<p class="publisher">{escape(meta.publisher)}</p>\n' if meta.publisher else ""
    return (
        '<section epub:type="titlepage" class="titlepage" aria-label="Title page">\n'
        f'<h1 class="book-title">{escape(meta.title)}</h1>\n{subtitle}'
        f'<hr class="ornament"/>\n<p class="author">{escape(meta.author)}</p>\n{publisher}</section>'
    )


def _copyright_page(rendered: RenderedBook, identifier: str) -> str:
    meta = rendered.book.meta
    lines = []
    if meta.rights:
        lines.append(escape(meta.rights))
    if meta.publisher:
        lines.append(f"Published by {escape(meta.publisher)}")
    if meta.date:
        lines.append(f"First published {escape(meta.date)}")
    if meta.series:
        position = f", number {meta.series.position}" if meta.series.position is not None else ""
        lines.append(f"Part of the series {escape(meta.series.name)}{position}")
    lines.append(f"Identifier: {escape(identifier)}")
    paragraphs = "\n".join(f"<p>{line}</p>" for line in lines)
    return (
        '<section epub:type="copyright-page" class="copyright" aria-label="Copyright">\n'
        f"{paragraphs}\n</section>"
    )


def _continue_reading(rendered: RenderedBook) -> str:
    items = []
    for piece in rendered.link_only:
        title = escape(piece.title)
        if piece.url:
            entry = f'<a href="{escape(piece.url)}">{title}</a><br/><span class="url">{escape(piece.url)}</span>'
        else:
            entry = title
        items.append(f'<li id="{piece.slug}">{entry}</li>')
    return (
        '<section epub:type="backmatter" class="continue-reading" aria-labelledby="continue-reading">\n'
        '<h1 id="continue-reading">Continue reading</h1>\n'
        '<p>More articles in this series, not yet part of this book:</p>\n'
        f'<ul class="further">\n{chr(10).join(items)}\n</ul>\n</section>'
    )


def _nav(rendered: RenderedBook, has_cover: bool) -> str:
    entries = []
    for piece in rendered.pieces:
        sections = []
        for heading in [h for h in piece.headings if h.level == 2]:
            sections.append(f'<li><a href="{piece.filename}#{escape(heading.id)}">{escape(heading.text)}</a></li>')
        nested = f"\n<ol>\n{chr(10).join(sections)}\n</ol>" if sections else ""
        entries.append(f'<li><a href="{piece.filename}">{escape(piece.title)}</a>{nested}</li>')
    if rendered.link_only:
        entries.append(f'<li><a href="{CONTINUE_READING_FILE}">Continue reading</a></li>')
    landmarks = []
    if has_cover:
        landmarks.append('<li><a epub:type="cover" href="cover.xhtml">Cover</a></li>')
    landmarks.append('<li><a epub:type="titlepage" href="titlepage.xhtml">Title page</a></li>')
    landmarks.append('<li><a epub:type="toc" href="nav.xhtml">Contents</a></li>')
    if rendered.pieces:
        landmarks.append(f'<li><a epub:type="bodymatter" href="{rendered.pieces[0].filename}">Start of content</a></li>')
    return (
        '<nav epub:type="toc" role="doc-toc" id="toc" aria-labelledby="toc-title">\n'
        f'<h1 id="toc-title">Contents</h1>\n<ol>\n{chr(10).join(entries)}\n</ol>\n</nav>\n'
        '<nav epub:type="landmarks" id="landmarks" hidden="hidden" aria-label="Landmarks">\n'
        f"<ol>\n{chr(10).join(landmarks)}\n</ol>\n</nav>"
    )


def _meets_accessibility(rendered: RenderedBook) -> bool:
    """True when every image has alt text, every document a language, and headings never skip a level."""
    if not rendered.book.meta.language or any(not image.alt for image in rendered.images):
        return False
    for piece in rendered.pieces:
        level = 1
        for heading in piece.headings:
            if heading.level > level + 1:
                return False
            level = heading.level
    return True


class _Document(epub.EpubItem):
    """An XHTML content document written exactly as given (ebooklib would re-template an EpubHtml)."""

    def __init__(self, uid: str, file_name: str, content: bytes, properties: list[str] | None = None):
        super().__init__(uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=content)
        self.properties = properties or []
        self.is_linear = True


def write_epub(rendered: RenderedBook, target: Path, options: EpubOptions = EpubOptions()) -> Path:
    """Write ``rendered`` as an EPUB 3 at ``target`` (atomically)."""
    meta = rendered.book.meta
    identifier = book_identifier(rendered)
    modified = build_time()
    book = epub.EpubBook()
    book.FOLDER_NAME = "EPUB"
    book.set_identifier(identifier)
    book.set_language(meta.language)
    book.add_metadata("DC", "title", meta.title, {"id": "title"})
    book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.add_metadata("DC", "creator", meta.author, {"id": "creator"})
    book.add_metadata(None, "meta", "aut", {"refines": "#creator", "property": "role", "scheme": "marc:relators"})
    for key in ("publisher", "rights", "description"):
        if value := getattr(meta, key):
            book.add_metadata("DC", key, value)
    if meta.date:
        book.add_metadata("DC", "date", meta.date)
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    if meta.series:
        book.add_metadata(None, "meta", meta.series.name, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        if meta.series.position is not None:
            book.add_metadata(None, "meta", str(meta.series.position), {"refines": "#series", "property": "group-position"})
    has_images = bool(rendered.images)
    _add_accessibility_metadata(book, rendered, has_images)

    css = read_style("epub.css", options.styles)
    if options.embed_fonts:
        css = _font_faces() + css
        for font in book_fonts():
            book.add_item(epub.EpubItem(uid=f"font-{font.path.stem}", file_name=f"fonts/{font.path.name}",
                                        media_type="font/otf", content=font.path.read_bytes()))  # fmt: skip
    book.add_item(epub.EpubItem(uid="style", file_name=STYLESHEET, media_type="text/css", content=css.encode()))

    for image in rendered.images:
        book.add_item(epub.EpubItem(uid=f"img-{len(book.items)}", file_name=image.name,
                                    media_type=image.media_type, content=image.path.read_bytes()))  # fmt: skip

    spine: list[epub.EpubItem] = []
    lang = meta.language
    cover_name, cover_bytes, cover_type = _cover(rendered)
    cover_item = epub.EpubItem(uid="cover-image", file_name=cover_name, media_type=cover_type, content=cover_bytes)
    cover_item.properties = ["cover-image"]
    book.add_item(cover_item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    cover_alt = f"Cover: {meta.title}" + (f", {meta.subtitle}" if meta.subtitle else "") + f", by {meta.author}"
    cover_body = (
        '<section epub:type="cover" class="cover" aria-label="Cover">\n'
        f'<img src="{cover_name}" alt="{escape(cover_alt)}"/>\n</section>'
    )
    spine.append(_Document("cover", "cover.xhtml", _document("Cover", lang, cover_body)))
    spine.append(_Document("titlepage", "titlepage.xhtml", _document(meta.title, lang, _title_page(rendered), "frontmatter")))
    spine.append(_Document("copyright", "copyright.xhtml", _document("Copyright", lang, _copyright_page(rendered, identifier), "frontmatter")))
    spine.append(_Document("nav", "nav.xhtml", _document("Contents", lang, _nav(rendered, True), "frontmatter"), ["nav"]))
    for piece in rendered.pieces:
        document = _document(piece.title, piece.lang, _piece_body(piece), "bodymatter")
        spine.append(_Document(f"piece-{piece.slug}", piece.filename, document))
    if rendered.link_only:
        spine.append(_Document("continue-reading", CONTINUE_READING_FILE,
                               _document("Continue reading", lang, _continue_reading(rendered), "backmatter")))  # fmt: skip
    for item in spine:
        book.add_item(item)
    book.spine = spine

    book.toc = [
        (epub.Section(piece.title, piece.filename),
         [epub.Link(f"{piece.filename}#{h.id}", h.text, f"{piece.slug}-{h.id}") for h in piece.headings if h.level == 2])
        if any(h.level == 2 for h in piece.headings) else epub.Link(piece.filename, piece.title, piece.slug)
        for piece in rendered.pieces
    ]  # fmt: skip
    if rendered.link_only:
        book.toc.append(epub.Link(CONTINUE_READING_FILE, "Continue reading", "continue-reading"))
    book.add_item(epub.EpubNcx())
    book.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                  {"type": "toc", "href": "nav.xhtml", "title": "Contents"}]  # fmt: skip
    if rendered.pieces:
        book.guide.append({"type": "text", "href": rendered.pieces[0].filename, "title": "Start"})

    buffer = io.BytesIO()
    writer = epub.EpubWriter(buffer, book, {"mtime": modified, "epub3_landmark": False, "raise_exceptions": True})
    writer.process()
    writer.write()
    with atomic_output(target) as temporary:
        temporary.write_bytes(_repack(buffer.getvalue(), modified, meta.language))
    return target


def _add_accessibility_metadata(book: epub.EpubBook, rendered: RenderedBook, has_images: bool) -> None:
    """Schema.org accessibility metadata (EPUB Accessibility 1.1, section 2)."""
    modes = ["textual"] + (["visual"] if has_images else [])
    for mode in modes:
        book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
    book.add_metadata(None, "meta", "textual", {"property": "schema:accessModeSufficient"})
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if has_images:
        features.append("alternativeText")
    if any(p.has_footnotes for p in rendered.pieces):
        features.append("pageBreakMarkers" if False else "annotations")
    for feature in features:
        book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
    book.add_metadata(None, "meta", "none", {"property": "schema:accessibilityHazard"})
    conforms = _meets_accessibility(rendered)
    summary = (
        "This publication has a table of contents, structured headings, and a logical reading order. "
        + ("Every image has a text description. " if has_images else "It contains no images. ")
        + ("It meets the EPUB Accessibility 1.1 and WCAG 2.2 Level AA requirements." if conforms else "")
    ).strip()
    book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
    if conforms:
        book.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo"})


def _font_faces() -> str:
    rules = []
    for font in book_fonts():
        rules.append(
            f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; font-style: {font.style}; '
            f'src: url("../fonts/{font.path.name}"); }}\n'
        )
    return "".join(rules)


def _cover(rendered: RenderedBook) -> tuple[str, bytes, str]:
    """The cover image: ``book.yaml``'s, else one generated from title and author."""
    if rendered.cover is not None:
        return rendered.cover.name, rendered.cover.path.read_bytes(), rendered.cover.media_type
    from publish.cover import generate_cover

    return "images/cover.png", generate_cover(rendered.book.meta), "image/png"


def _repack(data: bytes, modified: dt.datetime, language: str) -> bytes:
    """Rewrite ebooklib's ZIP reproducibly (fixed timestamps, sorted order, mimetype first and stored) and fix its OPF."""
    source = zipfile.ZipFile(io.BytesIO(data))
    stamp = max(modified, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        names = source.namelist()
        ordered = ["mimetype", "META-INF/container.xml"] + sorted(n for n in names if n not in ("mimetype", "META-INF/container.xml"))
        for name in ordered:
            content = source.read(name)
            if name.endswith(".opf"):
                content = _fix_opf(content, language)
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            # OCF 3.3 section 4.3: the mimetype file must be first and stored uncompressed.
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return output.getvalue()


def _fix_opf(content: bytes, language: str) -> bytes:
    """Add what ebooklib leaves out: ``xml:lang`` on the package element."""
    root = etree.fromstring(content)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
