"""Render each piece's Markdown to safe, well-formed XHTML and gather its headings."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urljoin, urlsplit

import markdown
from lxml import etree, html
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension

from publish.assemble import Book, normalise_reference
from publish.confine import IMAGE, ConfinementError, check_file
from publish.errors import Problems
from publish.i18n import book_words
from publish.images import BookImages, ImageError, kind
from publish.manuscript import Piece, slugify
from publish.markdown_ext import FencedDivExtension, fenced_code_extension
from publish.processes.forking import can_share_work
from publish.processes.workers import ChildMap
from publish.sanitize import anchors_as_ids, repair_structure, sanitize_html, strip_control_chars, unwrap
from publish.typography import TypographyExtension
from publish.urls import LINK_SCHEMES, UrlError, link_href, normalise_link, quote_fragment, scheme_of, shorten

CONTINUE_READING_FILE = "continue-reading.xhtml"

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".svg": "image/svg+xml", ".webp": "image/webp"}  # fmt: skip

# A remote reference in CSS: @import "http://..." / @import url(//...) / url(https://...).
_CSS_REMOTE = re.compile(
    r"""@import\s+(?:url\(\s*)?(?P<q1>['"]?)(?P<import>(?:[a-z][a-z0-9+.-]*:)?//[^'")\s;]*)(?P=q1)\s*\)?[^;]*;?"""
    r"""|url\(\s*(?P<q2>['"]?)(?P<url>(?:[a-z][a-z0-9+.-]*:)?//[^'")\s]*)(?P=q2)\s*\)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Heading:
    """A section heading inside a piece."""

    level: int
    text: str
    id: str


@dataclass(frozen=True)
class ImageRef:
    """An image file the book uses."""

    name: str  # its path inside the EPUB (safe for OCF and URLs; see publish.images.safe_image_name)
    path: Path  # the file in the manuscript folder
    media_type: str  # from the file's bytes, not its name
    alt: str
    content: bytes | None = None  # a sanitised SVG's bytes, which replace the file's; None for other images


@dataclass(frozen=True)
class RenderedPiece:
    """A piece as XHTML: its body (without the title), headings, images."""

    piece: Piece
    filename: str
    lang: str
    body: str
    headings: tuple[Heading, ...]
    images: tuple[ImageRef, ...]
    hero: ImageRef | None
    has_footnotes: bool

    @property
    def title(self) -> str:
        """The piece's title."""
        return self.piece.title

    @property
    def slug(self) -> str:
        """The piece's slug."""
        return self.piece.slug


@dataclass(frozen=True)
class RenderedBook:
    """The whole book rendered once, for every writer."""

    book: Book
    pieces: tuple[RenderedPiece, ...]
    cover: ImageRef | None
    logo: ImageRef | None = None  # book.yaml's practice.logo (publish.brand)

    @property
    def link_only(self) -> tuple[Piece, ...]:
        """The pieces listed under "Continue reading"."""
        return self.book.link_only

    @property
    def images(self) -> tuple[ImageRef, ...]:
        """Every image the book's pieces use, once each."""
        seen: dict[str, ImageRef] = {}
        for piece in self.pieces:
            for image in (*piece.images, *((piece.hero,) if piece.hero else ())):
                seen.setdefault(image.name, image)
        if self.logo is not None:
            seen.setdefault(self.logo.name, self.logo)
        return tuple(seen.values())


def piece_filename(piece: Piece) -> str:
    """The XHTML document name of a piece."""
    return f"{piece.slug}.xhtml"


def new_markdown(language: str = "en") -> markdown.Markdown:
    """A fresh Markdown instance with the extensions a book needs (quotation marks in ``language``)."""
    # Instances, not names: a name makes Python-Markdown look through every installed package's entry
    # points (importlib.metadata) on each new instance. Typography stands in smarty's place (see typography.py).
    extensions: list[markdown.Extension] = [
        TocExtension(),
        FootnoteExtension(SEPARATOR="-", BACKLINK_TITLE="Back to note %d in the text"),
        TableExtension(),
        TypographyExtension(language=language),
        AttrListExtension(),
        DefListExtension(),
        fenced_code_extension(),
        SaneListExtension(),
        AbbrExtension(),
        MarkdownInHtmlExtension(),
        FencedDivExtension(),
    ]
    return markdown.Markdown(extensions=extensions, output_format="xhtml")


@dataclass(frozen=True)
class ConvertedPiece:
    """A piece's Markdown converted to HTML, as Python-Markdown gives it and sanitized."""

    html: str
    sanitized: str


def convert_markdown(body: str, language: str = "en") -> ConvertedPiece:
    """Convert a piece's Markdown to HTML, without the characters HTML forbids, and sanitize it.

    Depends on the text and its language alone, so it can run in another process (see ``_conversions``).
    """
    converted = new_markdown(language).convert(strip_control_chars(body))
    return ConvertedPiece(converted, sanitize_html(converted))


# Conversion in a second process pays from about this many characters of Markdown (measured on two
# cores, whole runs: forking and sending the HTML back cost a few milliseconds).
PARALLEL_CHARACTERS = 40_000
# The part of the text converted here while the child converts the rest: this process also checks
# and repairs every piece's HTML, about half as long again as converting it.
PARENT_SHARE = 0.4


def _convert(text: tuple[str, str]) -> ConvertedPiece:
    return convert_markdown(*text)


class KnownConversions(Protocol):
    """Conversions made before, by a piece's Markdown and language: ``publish.cache.ConversionCache`` (kept in
    the output folder between builds) or the preview's (kept in memory from the last build)."""

    def get(self, body: str, language: str) -> ConvertedPiece | None: ...

    def put(self, body: str, language: str, converted: ConvertedPiece) -> None: ...


def _conversions(
    texts: list[tuple[str, str]], parallel: bool | None, cache: KnownConversions | None = None
) -> Generator[ConvertedPiece, None, None]:
    """Every piece (its Markdown and its language) converted, in order: in two processes for a long book
    (``parallel=None``), or as told; with a ``cache``, only the pieces it does not hold are converted (and
    given to it).

    The same results either way: a forked child computes exactly what this process would.
    """
    if cache is not None:
        known = [cache.get(body, language) for body, language in texts]
        missing = [text for text, hit in zip(texts, known, strict=True) if hit is None]
        with closing(_conversions(missing, parallel)) as converted:
            for (body, language), hit in zip(texts, known, strict=True):
                if hit is None:
                    hit = next(converted)
                    cache.put(body, language, hit)
                yield hit
        return
    bodies = [body for body, _ in texts]
    total = sum(len(body) for body in bodies)
    if parallel is None:
        parallel = total >= PARALLEL_CHARACTERS
    if not parallel or len(bodies) < 2 or not can_share_work():
        yield from map(_convert, texts)
        return
    split, running = 1, len(bodies[0])
    while split < len(bodies) - 1 and running < total * PARENT_SHARE:
        running += len(bodies[split])
        split += 1
    with ChildMap(_convert, texts, split) as converted:
        yield from converted


def line_in_piece(piece: Piece, needle: str) -> int | None:
    """The line of the piece's file where ``needle`` first appears in the body."""
    if not needle:
        return None
    index = piece.body.find(needle)
    if index < 0:
        return None
    return piece.body_line + piece.body.count("\n", 0, index)


# Text just before a URL that makes it an image: Markdown ![alt]( or an HTML <img ... src=".
_IMAGE_BEFORE = re.compile(r"""(?:!\[[^\]\n]*\]\(\s*<?|<img\b[^>]*\bsrc\s*=\s*["']?)$""", re.IGNORECASE)


# Where a link's target is written: a Markdown link (``](target``), an autolink (``<target>``) or raw
# HTML (``href="target"``); or, for a reference link, its definition (``[label]: target``).
_LINK_TARGET_BEFORE = r"""(?:\]\(\s*<?|<(?=[a-z][a-z0-9+.-]*:)|\bhref\s*=\s*["']?)"""
_DEFINITION_BEFORE = r"""^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?"""
_TARGET_AFTER = r"""(?=[\s)"'>]|$)"""  # the whole target, not the start of a longer one


class _LineFinder:
    """Finds the line of each reference in turn, so a URL used twice is reported on each of its lines."""

    def __init__(self, piece: Piece):
        self.piece = piece
        self.used: dict[tuple[str, bool], int] = {}
        self.links: dict[str, int] = {}  # a link's target or text: where to look for its next use
        self.met: list[tuple[str, str]] = []  # the links met in document order: (target, text)
        self.places: list[tuple[int | None, int | None]] = []  # the places of the first of them, looked for

    def meet(self, href: str, text: str = "") -> int:
        """Note the next link (see ``link``) and return its number for ``place``: most links need no place
        (nothing is reported about them), and looking for one is most of the time spent on a link."""
        self.met.append((href, text))
        return len(self.met) - 1

    def place(self, number: int) -> tuple[int | None, int | None]:
        """The line and column of link ``number`` (from ``meet``): the links before it are looked for first, in
        order, so each is found where calling ``link`` for every link in document order finds it."""
        while len(self.places) <= number:
            self.places.append(self.link(*self.met[len(self.places)]))
        return self.places[number]

    def link(self, href: str, text: str = "") -> tuple[int | None, int | None]:
        """The line and column where the next link to ``href`` (reading ``text``) is written, in document order.

        A reference link (``[text][label]``) is found where it is used, else at its definition; a target not
        found as a link falls back to the first place its text appears (and no column).
        """
        forms = "|".join(re.escape(form) for form in dict.fromkeys((href, escape(href), unquote(href))) if form)
        if not forms:
            return None, None
        if text.strip():
            used = self._next(f"[{text}]", re.compile(rf"(?P<target>\[{re.escape(text)}\])\[[^\]\n]*\]"))
            if used is not None:
                return used
        written = self._next(
            href, re.compile(f"{_LINK_TARGET_BEFORE}(?P<target>{forms}){_TARGET_AFTER}", re.IGNORECASE)
        )
        if written is not None:
            return written
        definition = re.compile(f"{_DEFINITION_BEFORE}(?P<target>{forms}){_TARGET_AFTER}", re.IGNORECASE | re.MULTILINE)
        if match := definition.search(self.piece.body):
            return self._place(match.start("target"))
        return line_in_piece(self.piece, href), None

    def _next(self, key: str, pattern: re.Pattern[str]) -> tuple[int, int] | None:
        """The place of the next match of ``pattern`` (not an image's source) after the last one found for ``key``."""
        body = self.piece.body
        for match in pattern.finditer(body, self.links.get(key, 0)):
            index = match.start("target")
            if not _IMAGE_BEFORE.search(body, max(0, index - 300), index):
                self.links[key] = index + 1
                return self._place(index)
        return None

    def _place(self, index: int) -> tuple[int, int]:
        body = self.piece.body
        return self.piece.body_line + body.count("\n", 0, index), index - body.rfind("\n", 0, index)

    def line(self, needle: str, image: bool) -> int | None:
        """The line of the next occurrence of ``needle`` used as an image (or not), else of any occurrence."""
        body = self.piece.body
        if not needle:
            return None
        start = self.used.get((needle, image), 0)
        index = body.find(needle, start)
        while index >= 0 and bool(_IMAGE_BEFORE.search(body, max(0, index - 300), index)) != image:
            index = body.find(needle, index + 1)
        if index < 0:
            return line_in_piece(self.piece, needle)
        self.used[(needle, image)] = index + 1
        return self.piece.body_line + body.count("\n", 0, index)


def remote_css_references(css: str) -> list[tuple[int, str, str]]:
    """Every remote URL that CSS refers to: (line, URL, "stylesheet" for ``@import`` or "resource" for ``url()``)."""
    found = []
    for match in _CSS_REMOTE.finditer(css):
        line = css.count("\n", 0, match.start()) + 1
        if match.group("import"):
            found.append((line, match.group("import"), "stylesheet"))
        else:
            found.append((line, match.group("url"), "resource in CSS"))
    return found


def strip_remote_css(css: str) -> str:
    """Leave remote references out of a stylesheet: an ``@import`` goes, a ``url()`` becomes ``none``."""
    return _CSS_REMOTE.sub(lambda m: "" if m.group("import") else "none", css)


def report_remote(
    problems: Problems, path: Path, line: int | None, what: str, reference: str, allow_remote: bool
) -> None:
    """Report a remote reference: an error, or with ``allow_remote`` a warning; either way it is left out."""
    if allow_remote:
        problems.warning(path, line, f"remote {what} {shorten(reference)} left out: building never fetches anything")
    else:
        problems.error(
            path, line,
            f"remote {what} {shorten(reference)} is not fetched: copy it into the manuscript folder "
            "(or use --allow-remote to leave it out)",
        )  # fmt: skip


# Ids that Kobo's own markup takes in every document (its wrappers and sentence spans, written by
# publish.epub.kobo): a heading or raw HTML never takes them, so no target has an id twice.
KOBO_COLUMNS_ID, KOBO_INNER_ID, KOBO_SPAN_ID_PREFIX = "book-columns", "book-inner", "kobo."


# lxml.html's parser without its element classes: finding the Python class of every element handed out
# was a fifth of the time spent checking a piece's tree, and nothing here uses lxml.html's methods.
_FRAGMENT_PARSER = etree.HTMLParser()


def parse_fragment(markup: str) -> etree._Element:
    """``markup`` parsed as HTML, in a new ``div``: what ``lxml.html.fragment_fromstring(markup,
    create_parent="div")`` gives, as plain lxml elements."""
    elements = html.fragments_fromstring(markup, parser=_FRAGMENT_PARSER)
    root: etree._Element = _FRAGMENT_PARSER.makeelement("div")
    if elements and isinstance(elements[0], str):
        root.text = elements.pop(0)
    root.extend(elements)
    return root


# The style attribute Python-Markdown's tables extension writes on a cell of an aligned column.
_TABLE_ALIGNMENT = re.compile(r' style="text-align: (?:left|right|center);"')


class _PieceRenderer:
    """Renders one piece; checks its images and remembers its links for the second pass."""

    def __init__(
        self, book: Book, piece: Piece, problems: Problems, allow_remote: bool = False, files: BookImages | None = None
    ):
        self.book = book
        self.piece = piece
        self.problems = problems
        self.allow_remote = allow_remote
        self.files = files if files is not None else BookImages()
        self.images: dict[str, ImageRef] = {}
        self.lines = _LineFinder(piece)

    def render(self, converted: ConvertedPiece) -> tuple[etree._Element, tuple[Heading, ...], bool]:
        """Check and repair the piece's converted HTML; return it as a tree, with its headings and whether it has notes."""
        self._check_raw_stylesheets(converted.html)
        root = parse_fragment(converted.sanitized)
        for element in root.iter():
            if isinstance(element.tag, str):
                for attribute in list(element.attrib):
                    element.attrib[attribute] = strip_control_chars(element.attrib[attribute])
        repair_structure(root)
        anchors_as_ids(root)
        self._demote_headings(root)
        headings = self._collect_headings(root)
        self._check_images(root)
        # An <li> that an author's raw HTML started inside a note belongs to that note: the writers make one
        # note of each list item and need its id.
        for notes in root.xpath('//div[@class="footnote"]/ol'):
            for item in [li for li in notes if li.tag == "li" and li.get("id") is None]:
                previous = item.getprevious()
                if previous is not None and previous.tag == "li":
                    if len(previous):
                        previous[-1].tail = (previous[-1].tail or "") + (item.text or "")
                    else:
                        previous.text = (previous.text or "") + (item.text or "")
                    previous.extend(list(item))
                    notes.remove(item)
                else:
                    item.set("id", f"fn-{notes.index(item) + 1}-extra")
        # A note that refers to a note (itself, even): its number stays as text, not a second way into the notes.
        for reference in root.xpath('//div[@class="footnote"]//sup[a[@class="footnote-ref"]]'):
            reference.attrib.pop("id", None)
            unwrap(reference.find("a"))
        has_footnotes = bool(root.xpath('//div[@class="footnote"]'))
        return root, headings, has_footnotes

    def _check_raw_stylesheets(self, converted: str) -> None:
        """Report remote stylesheets in raw HTML (the sanitizer removes them, but the author should know)."""
        # Only a <link>, a <style> or a style attribute can refer to a stylesheet: those names are never
        # written with entities, so text without them needs no parse. The alignment Python-Markdown's tables
        # give a column refers to nothing, and leaves no "style" or "<link" behind when taken out.
        lowered = _TABLE_ALIGNMENT.sub("", converted).lower()
        if "<link" not in lowered and "style" not in lowered:
            return
        tree = parse_fragment(converted)
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            references: list[tuple[str, str]] = []
            if element.tag == "link" and "stylesheet" in (element.get("rel") or "").lower():
                href = (element.get("href") or "").strip()
                if urlsplit(href).scheme in ("http", "https") or href.startswith("//"):
                    references.append((href, "stylesheet"))
            if element.tag == "style":
                references += [(url, what) for _, url, what in remote_css_references("".join(element.itertext()))]
            if element.get("style"):
                references += [(url, what) for _, url, what in remote_css_references(element.get("style", ""))]
            # Each once per element: the same URL twice in one <style> has one line to show.
            for reference, what in dict.fromkeys(references):
                line = self.lines.line(reference, image=False)
                report_remote(self.problems, self.piece.path, line, what, reference, self.allow_remote)

    def _demote_headings(self, root: etree._Element) -> None:
        """The piece title is the only level-1 heading: push body headings down when an author used #."""
        levels = [int(el.tag[1]) for el in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        if levels and min(levels) == 1:
            for element in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
                element.tag = f"h{min(int(element.tag[1]) + 1, 6)}"

    def _collect_headings(self, root: etree._Element) -> tuple[Heading, ...]:
        headings: list[Heading] = []
        used: set[str] = {KOBO_COLUMNS_ID, KOBO_INNER_ID}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            identifier = element.get("id")
            if identifier is not None:
                if identifier in used or not identifier.strip() or identifier.startswith(KOBO_SPAN_ID_PREFIX):
                    element.attrib.pop("id")
                else:
                    used.add(identifier)
        for element in root.iter("h2", "h3"):
            text = " ".join("".join(element.itertext()).split())
            identifier = element.get("id")
            if not identifier:
                base = slugify(text) or "section"
                identifier, n = base, 0  # "intro", "intro_1", ...: Python-Markdown toc's own numbering
                while identifier in used:
                    n += 1
                    identifier = f"{base}_{n}"
                element.set("id", identifier)
                used.add(identifier)
            if text:  # a heading of images only has nothing to show in a table of contents
                headings.append(Heading(int(element.tag[1]), text, identifier))
        return tuple(headings)

    def _check_images(self, root: etree._Element) -> None:
        for image in list(root.iter("img")):
            src = image.get("src", "").strip()
            alt = image.get("alt")
            if not src:
                line = self.lines.line(alt, image=False) if alt else None
                self.problems.error(
                    self.piece.path,
                    line,
                    f"image {alt or ''!r} has no usable source: use a file in the manuscript folder",
                )
                image.tail = (alt or "") + (image.tail or "")
                unwrap(image)
                continue
            reference = resolve_image(
                self.book,
                self.piece,
                src,
                alt or "",
                self.problems,
                self.lines.line(src, image=True),
                self.allow_remote,
                self.files,
            )
            if reference is None:
                # Left out, but its description stays for the reader.
                image.tail = (alt or "") + (image.tail or "")
                unwrap(image)
                continue
            if alt is None:
                self.problems.warning(
                    self.piece.path, line_in_piece(self.piece, src), f"image {shorten(src)} has no alt text"
                )
                image.set("alt", "")
            image.set("src", reference.name)
            self.images[reference.name] = reference


def resolve_image(
    book: Book,
    piece: Piece | None,
    src: str,
    alt: str,
    problems: Problems,
    line: int | None,
    allow_remote: bool = False,
    files: BookImages | None = None,
) -> ImageRef | None:
    """Check an image reference: local, inside the manuscript, present, a readable image of a known type.

    Nothing is ever fetched: a remote image is an error, or with ``allow_remote`` a warning, and is left out.
    ``files`` (the book's images) checks each file once and gives it its name inside the EPUB.
    """
    where = piece.path if piece else book.root / "book.yaml"
    parts = urlsplit(src)
    if parts.scheme or src.startswith("//"):
        if parts.scheme in ("http", "https") or src.startswith("//"):
            report_remote(problems, where, line, "image", src, allow_remote)
        else:
            problems.error(where, line, f"image {shorten(src)} is not a file in the manuscript folder")
        return None
    if not src or src.startswith("/"):
        problems.error(where, line, f"image path {src!r} must be relative to the piece, inside the manuscript folder")
        return None
    base = posixpath.dirname(piece.name) if piece else ""
    name = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
    files = files if files is not None else BookImages()
    path = files.found.get(name)
    if path is None:  # not yet found in this book: where it leads is checked once
        root = book.root.resolve()
        path = (book.root / name).resolve()
        if name.startswith("../") or not path.is_relative_to(root):
            problems.error(where, line, f"image {src} is outside the manuscript folder")
            return None
        try:
            check_file(path, IMAGE, [root])
        except ConfinementError as refused:
            problems.error(where, line, f"image {src} {refused.problems[0].message}")
            return None
        except (FileNotFoundError, NotADirectoryError):
            problems.error(where, line, f"image {src} not found")
            return None
        except OSError as error:
            problems.error(where, line, f"image {src} cannot be read: {error.strerror}")
            return None
        files.found[name] = path
    named_type = IMAGE_TYPES.get(path.suffix.lower())
    if named_type is None:
        problems.error(where, line, f"image {src} is not a PNG, JPEG, GIF, WebP or SVG file")
        return None
    try:
        checked = files.check(path)
    except ImageError as problem:
        problems.error(where, line, f"image {src} {problem}")
        return None
    epub_name = files.name(path, name, checked.media_type)
    if checked.media_type != named_type:
        problems.warning(
            where, line,
            f"image {src} is a {kind(checked.media_type)} file, not {kind(named_type)}: it goes into the EPUB "
            f"as {epub_name} (rename the file to match)",
        )  # fmt: skip
    if checked.removed:
        problems.warning(
            where, line,
            f"image {src}: removed {', '.join(checked.removed)} (SVG images may hold no active content "
            "and no reference to anything outside the image)",
        )  # fmt: skip
    return ImageRef(name=epub_name, path=path, media_type=checked.media_type, alt=alt, content=checked.content)


def _normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path.rstrip('/')}"


class _LinkResolver:
    """Turns the author's links into links between the book's documents."""

    def __init__(self, book: Book, anchors: dict[str, set[str]], problems: Problems):
        self.book = book
        self.anchors = anchors
        self.problems = problems
        self.by_url = {_normalise_url(p.url): p for p in book.pieces if p.url}
        self.by_name = {p.name: p for p in book.pieces}

    def resolve(self, piece: Piece, root: etree._Element) -> None:
        lines = _LineFinder(piece)
        for link in list(root.iter("a")):
            href = link.get("href")
            if href is None:
                continue
            if "footnote" in (link.get("class") or "") and href.startswith("#"):
                # Python-Markdown's own note links; one whose other end did not survive (a note referenced
                # only inside HTML that was removed) is no link to report, just one to drop.
                if href[1:] not in self.anchors.get(piece.name, set()):
                    unwrap(link)
                continue
            # Resolved with no line; one is looked for only when this link has something to report.
            met, line = lines.meet(href, "".join(link.itertext())), None
            reported = len(self.problems.items)
            if _is_autolink(link, href) and any(character.isspace() for character in href.strip()):
                # CommonMark: an autolink holds no white space, so <https://a.b/c d> is text, not a link.
                self.problems.warning(
                    piece.path, line, f"link {shorten(href)} is not a valid URL (it holds a space); kept as text"
                )
                new = None
            else:
                new = self._resolve_href(piece, href, line)
            if new is None:
                unwrap(link)
            else:
                link.set("href", new)
                self._name_empty_link(piece, link, line)
            if len(self.problems.items) > reported:
                line, column = lines.place(met)
                found = self.problems.items[reported:]
                self.problems.items[reported:] = [replace(p, line=line, column=column) for p in found]

    def _name_empty_link(self, piece: Piece, link: etree._Element, line: int | None) -> None:
        """Name a link that has none (no text, and no alt text on its image): its address, when it has one
        to show; a link inside the book has not, and is left out (its image stays).

        A warning (an error with ``--strict``): the author should describe the image or word the link.
        """
        images = list(link.iter("img"))
        if "".join(link.itertext()).strip() or any((image.get("alt") or "").strip() for image in images):
            return
        href = link.get("href", "")
        why = "its image has no alt text" if images else "it has no text"
        if scheme_of(href) not in LINK_SCHEMES:
            self.problems.warning(piece.path, line, f"link {shorten(href)} is left out: {why}")
            unwrap(link)
            return
        name = href.split(":", 1)[1] if href.startswith(("mailto:", "tel:")) else href
        if images:
            images[0].set("alt", name)
        else:
            link.text = name
        self.problems.warning(piece.path, line, f"link {shorten(href)} is named by its address: {why}")

    def _target(self, piece: Piece, target: Piece, anchor: str, href: str, line: int | None) -> str | None:
        if target.is_link_only:
            if anchor:
                self.problems.error(
                    piece.path, line, f"link {href}: {target.name} has no text yet, so no section #{anchor}"
                )
                return None
            return link_href(target.url) or f"{CONTINUE_READING_FILE}#{target.slug}"
        if anchor and anchor not in self.anchors.get(target.name, set()):
            self.problems.error(piece.path, line, f"link {href}: {target.name} has no section #{anchor}")
            return None
        document = "" if target is piece else piece_filename(target)
        return f"{document}#{quote_fragment(anchor)}" if anchor else (document or "#")

    def _external(self, piece: Piece, href: str, line: int | None) -> str | None:
        """A link out of the book, normalised; one that cannot be made a valid URL is kept as text."""
        try:
            return normalise_link(href)
        except UrlError as error:
            self.problems.warning(piece.path, line, f"link {shorten(href)} is not a valid URL ({error}); kept as text")
            return None

    def _resolve_href(self, piece: Piece, href: str, line: int | None) -> str | None:
        parts = urlsplit(href)
        anchor = unquote(parts.fragment)
        if parts.scheme in ("mailto", "tel"):
            return self._external(piece, href, line)
        if parts.scheme in ("http", "https") or href.startswith("//"):
            target = self.by_url.get(_normalise_url(href.split("#")[0]))
            if target:
                return self._target(piece, target, anchor, href, line)
            return self._external(piece, f"https:{href}" if href.startswith("//") else href, line)
        if parts.scheme == "file":
            self.problems.error(
                piece.path,
                line,
                f"link {shorten(href)} points to a file on this computer: link to a piece or a web page",
            )
            return None
        if parts.scheme:
            self.problems.error(
                piece.path, line, f"link {shorten(href)}: only http, https, mailto and tel links are allowed"
            )
            return None
        if not parts.path:
            return self._target(piece, piece, anchor, href, line) if anchor else None
        if parts.path.startswith("/"):
            if piece.url:
                absolute = urljoin(piece.url, href)
                target = self.by_url.get(_normalise_url(absolute.split("#")[0]))
                return (
                    self._target(piece, target, anchor, href, line) if target else self._external(piece, absolute, line)
                )
            self.problems.warning(
                piece.path,
                line,
                f"link {href} is relative to the website, and the piece has no 'url' to resolve it against; kept as text",
            )
            return None
        name = normalise_reference(unquote(parts.path), piece)
        if (name == ".." or name.startswith("../")) and not piece.url:
            self.problems.error(piece.path, line, f"link {href} leads outside the manuscript folder")
            return None
        target = self.by_name.get(name)
        if target is not None:
            return self._target(piece, target, anchor, href, line)
        if name.endswith(".md"):
            exists = (self.book.root / name).is_file()
            reason = "is not part of the book" if exists else "does not exist"
            self.problems.error(piece.path, line, f"link {href}: {name} {reason}")
            return None
        if piece.url:
            return self._external(piece, urljoin(piece.url, href), line)
        self.problems.warning(piece.path, line, f"link {href} does not lead to a piece of the book; kept as text")
        return None


def _is_autolink(link: etree._Element, href: str) -> bool:
    """True for a link written as ``<https://...>``: its text is its address."""
    return len(link) == 0 and (link.text or "") == href


def to_xhtml(root: etree._Element) -> str:
    """Serialise a parsed fragment's children as XHTML (XML syntax, characters not entities)."""
    parts = [escape(root.text, quote=False)] if root.text else []
    for child in root:
        parts.append(etree.tostring(child, method="xml", encoding="unicode", with_tail=True))
    return "".join(parts)


def render_book(
    book: Book, problems: Problems, allow_remote: bool = False, parallel: bool | None = None,
    cache: KnownConversions | None = None,
) -> RenderedBook:  # fmt: skip
    """Render every piece with text, resolve links between pieces, check every image.

    ``allow_remote`` turns a remote image or stylesheet from an error into a warning; it is left out either way.
    ``parallel`` converts the Markdown in two processes (True) or one (False); by default a long book's is.
    ``cache`` holds conversions made before (see ``KnownConversions``): only the pieces it lacks are converted.
    """
    rendered: list[tuple[Piece, etree._Element, tuple[Heading, ...], bool, dict[str, ImageRef]]] = []
    anchors: dict[str, set[str]] = {}
    files = BookImages()
    # Closed when done, or on an error: a child process converting the rest is then stopped.
    texts = [(piece.body, piece.lang or book.meta.language) for piece in book.chapters]
    with closing(_conversions(texts, parallel, cache)) as conversions:
        for piece, converted in zip(book.chapters, conversions, strict=True):
            renderer = _PieceRenderer(book, piece, problems, allow_remote, files)
            root, headings, has_footnotes = renderer.render(converted)
            anchors[piece.name] = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
            rendered.append((piece, root, headings, has_footnotes, renderer.images))
    resolver = _LinkResolver(book, anchors, problems)
    pieces: list[RenderedPiece] = []
    for piece, root, headings, has_footnotes, images in rendered:
        resolver.resolve(piece, root)
        hero = None
        if piece.image:
            hero = resolve_image(
                book, piece, piece.image, piece.image_alt or "", problems, piece.line_of("image"), allow_remote, files
            )
            if hero is not None and not piece.image_alt:
                problems.warning(
                    piece.path,
                    piece.line_of("image"),
                    "'image' has no 'image_alt': describe the image for readers who cannot see it",
                )
        pieces.append(
            RenderedPiece(
                piece=piece,
                filename=piece_filename(piece),
                lang=piece.lang or book.meta.language,
                body=to_xhtml(root),
                headings=headings,
                images=tuple(images.values()),
                hero=hero,
                has_footnotes=has_footnotes,
            )
        )
    cover = None
    if book.meta.cover:
        cover = resolve_image(
            book,
            None,
            book.meta.cover,
            book_words(book.meta)("cover_of", title=book.meta.title),
            problems,
            book.meta.line_of("cover"),
            allow_remote,
            files,
        )
    logo = _resolve_logo(book, problems, files)
    return RenderedBook(book=book, pieces=tuple(pieces), cover=cover, logo=logo)


def _resolve_logo(book: Book, problems: Problems, files: BookImages) -> ImageRef | None:
    """The checked logo named by ``practice.logo``, or None (without one, or with a problem, reported).

    A remote logo is always an error (``--allow-remote`` leaves out images of the text, not the letterhead);
    an SVG logo from which sanitising would remove anything is an error naming what.
    """
    from urllib.parse import urlsplit

    from publish.errors import Problems as Collected
    from publish.i18n import logo_alt

    meta = book.meta
    source = meta.practice.logo
    if not source:
        return None
    where, line = book.root / "book.yaml", meta.line_of("practice.logo")
    if urlsplit(source).scheme or source.startswith("//"):
        problems.error(where, line, f"'practice.logo' {source} is not a file: put the logo in the manuscript folder")
        return None
    found = Collected()
    reference = resolve_image(book, None, source, logo_alt(meta), found, line, False, files)
    for item in found.items:
        message = item.message.replace(f"image {source}", f"'practice.logo' {source}", 1)
        if reference is not None and item.severity == "warning" and ": removed " in item.message:
            removed = ", ".join(files.check(reference.path).removed)
            problems.error(
                where, line,
                f"'practice.logo' {source} holds {removed}: a logo may hold no active content and no reference "
                "to anything outside the image; save it again without them",
            )  # fmt: skip
            reference = None
        elif item.severity == "error":
            problems.error(item.path, item.line, message)
        else:
            problems.warning(item.path, item.line, message)
    return reference
