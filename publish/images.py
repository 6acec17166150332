"""What an image file really is, whether it is safe to put in a book, and its name inside the EPUB.

- The type comes from the bytes (the file signature; SVG from its XML root), not from the name.
- A raster image over ``PIXEL_LIMIT`` pixels is refused from its header, before anything is decoded.
- An SVG image is rebuilt from an allow-list of elements and attributes (never rasterised): no
  scripts, event handlers, ``foreignObject``, animation, DOCTYPE or entities, and no reference to
  anything outside the image but an embedded PNG, JPEG, GIF or WebP; what is removed is reported.
  The sanitised bytes go into the EPUB and are what WeasyPrint reads for the PDF.
- Every image gets a name inside the EPUB that OCF and URLs accept as it is.
"""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from publish.urls import UrlError, normalise_link

# Far above any photo a book needs (a 300 dpi full-page letter photo is 8.4 megapixels; a 61-megapixel
# camera's image at full size is 9504 × 6336), far below what exhausts memory when decoded (4 bytes a pixel).
PIXEL_LIMIT = 50_000_000

# The extension each type is named with inside the EPUB, and the other extensions that already say it.
EXTENSIONS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/svg+xml": (".svg",),
}
_KINDS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP", "image/svg+xml": "SVG"}
_PIL_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class ImageError(ValueError):
    """An image file that cannot go into the book; the message completes "image <name> ..."."""


@dataclass(frozen=True)
class CheckedImage:
    """An image file's real type, and for an SVG the sanitised bytes that replace the file's."""

    media_type: str
    content: bytes | None = None  # None: the file's own bytes are used as they are
    removed: tuple[str, ...] = ()  # what sanitising an SVG took out, to report


def read_image_file(path: Path) -> bytes:
    """The bytes of an image file (the one place images are read from the manuscript)."""
    return path.read_bytes()


def image_bytes(path: Path, checked_content: bytes | None) -> bytes:
    """What goes into the book for an image: the sanitised SVG, else the file as it is."""
    return checked_content if checked_content is not None else read_image_file(path)


def sniff_type(data: bytes) -> str | None:
    """The media type the bytes say, from the file signature; "image/svg+xml" for anything XML-like."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "image/svg+xml"  # confirmed (or refused) by its root element
    return None


def kind(media_type: str) -> str:
    """The type's usual name: PNG, JPEG, GIF, WebP, SVG."""
    return _KINDS.get(media_type, media_type)


def check_image(data: bytes) -> CheckedImage:
    """Check an image's bytes: a PNG, JPEG, GIF or WebP within the pixel limit, or an SVG, sanitised.

    Raises ImageError.
    """
    media_type = sniff_type(data)
    if media_type is None:
        raise ImageError("is empty or corrupt")
    if media_type == "image/svg+xml":
        content, removed = sanitize_svg(data)
        return CheckedImage(media_type, content, removed)
    _check_raster(data, media_type)
    return CheckedImage(media_type)


def _check_raster(data: bytes, media_type: str) -> None:
    """Refuse a raster image that PIL cannot read, or one over the pixel limit, without decoding it."""
    from PIL import Image, UnidentifiedImageError

    # Image.open reads the header only; PIL warns above this many pixels and refuses above twice as many.
    Image.MAX_IMAGE_PIXELS = PIXEL_LIMIT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # corrupt EXIF: left out of the book anyway
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                real = _PIL_TYPES.get(image.format or "")
                image.verify()  # checks the chunks and their checksums; decodes nothing
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageError(
                f"has more than {PIXEL_LIMIT // 1_000_000} million pixels, far more than a book needs "
                "(or a decompression bomb): scale it down"
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ImageError("is empty or corrupt") from None
    if real != media_type:
        raise ImageError("is empty or corrupt")


# --- SVG ---------------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Static SVG 1.1/2 content: shapes, text, paint servers, clipping, masking, filters. Not allowed:
# script, foreignObject (HTML inside), animation (animate/set can rewrite an href into a javascript: link),
# iframe/video/audio/canvas, cursor, and anything unknown.
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "desc", "title", "metadata", "symbol", "use", "switch", "view", "a", "image", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath",
    "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker", "filter", "feBlend",
    "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix", "feDiffuseLighting",
    "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
    "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
    "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence"
})  # fmt: skip
# Namespaces of drawing programs' own data (Inkscape, Sodipodi, Illustrator, RDF metadata): never active,
# never shown; left out without a word.
_EDITOR_DATA = re.compile(r"inkscape|sodipodi|adobe|purl\.org|w3\.org/1999/02/22-rdf|creativecommons|sketch")
# Elements that show what their href refers to, and nothing without it.
_REFERRING = frozenset({"image", "feImage", "use"})
# Attributes that only make sense with what is removed, or change how references resolve.
_DROPPED_ATTRIBUTES = frozenset({"xml:base", "base", "externalResourcesRequired"})
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_ACTIVE = re.compile(r"expression\s*\(|-moz-binding|behavior\s*:|javascript:", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:(image/(?:png|jpeg|gif|webp))(?:;[^,]*)?;base64,(.*)$", re.IGNORECASE | re.DOTALL)


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an element or attribute name."""
    qname = etree.QName(name)
    return qname.namespace or "", qname.localname


@dataclass
class _Sanitizer:
    removed: dict[str, None] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.removed.setdefault(what, None)

    def allowed_reference(self, value: str, link: bool) -> str | None:
        """A reference inside the image as it may stay: a #fragment, an embedded PNG, JPEG, GIF or WebP
        within the pixel limit, or (for a link) an allowed URL, normalised; None for anything else."""
        value = value.strip()
        if value.startswith("#"):
            return value
        if match := _DATA_IMAGE.match(value):
            try:
                data = base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True)
                checked = check_image(data)
            except (binascii.Error, ImageError):
                return None
            return value if checked.media_type == match.group(1).lower() else None
        if link:
            try:
                return normalise_link(value)
            except UrlError:
                return None
        return None

    def clean_css(self, css: str) -> str:
        """CSS with no ``@import``, no ``url()`` to anything outside the image, nothing scriptable."""
        if _CSS_IMPORT.search(css):
            self.note("@import")
            css = _CSS_IMPORT.sub("", css)

        def url(match: re.Match[str]) -> str:
            if self.allowed_reference(match.group(2), link=False) is not None:
                return match.group(0)
            self.note("url() to outside the image")
            return "none"

        css = _CSS_URL.sub(url, css)
        if _CSS_ACTIVE.search(css):
            self.note("scriptable CSS")
            css = _CSS_ACTIVE.sub("", css)
        return css

    def clean(self, element: etree._Element) -> None:
        """Sanitise ``element``'s attributes and children (the element itself is allowed)."""
        self.clean_attributes(element)
        for child in list(element):
            if not isinstance(child.tag, str):  # comments, processing instructions, entity references
                if isinstance(child, etree._Entity):
                    self.note(f"entity &{child.name};")
                _remove_keeping_tail(child)
                continue
            namespace, name = _local(child.tag)
            if namespace != SVG_NS or name not in SVG_ELEMENTS:
                if not _EDITOR_DATA.search(namespace):
                    self.note(f"<{name}>")
                _remove_keeping_tail(child)
                continue
            self.clean(child)
            if name in _REFERRING and child.get("href") is None and child.get(f"{{{XLINK_NS}}}href") is None:
                _remove_keeping_tail(child)  # nothing left to show (WeasyPrint fails on an <image> without one)
        if etree.QName(element).localname == "style" and element.text:
            element.text = self.clean_css(element.text)

    def clean_attributes(self, element: etree._Element) -> None:
        element_name = etree.QName(element).localname
        for attribute in list(element.attrib):
            namespace, name = _local(attribute)
            value = element.attrib[attribute]
            shown = f"xlink:{name}" if namespace == XLINK_NS else (f"xml:{name}" if namespace == XML_NS else name)
            if namespace not in ("", XLINK_NS, XML_NS):
                if not _EDITOR_DATA.search(namespace):
                    self.note(f"attribute {name}")
                del element.attrib[attribute]
            elif name.lower().startswith("on"):
                self.note(f"{name}= handler")
                del element.attrib[attribute]
            elif shown in _DROPPED_ATTRIBUTES or name in _DROPPED_ATTRIBUTES:
                self.note(f"attribute {shown}")
                del element.attrib[attribute]
            elif name == "href":
                allowed = self.allowed_reference(value, link=element_name == "a")
                if allowed is None:
                    self.note(f"{shown}={_describe(value)}")
                    del element.attrib[attribute]
                else:
                    element.attrib[attribute] = allowed
            elif name == "style" or "url(" in value.lower() or _CSS_ACTIVE.search(value):
                element.attrib[attribute] = self.clean_css(value)


def _describe(reference: str) -> str:
    """A removed reference as named in a warning: its scheme, or the start of it."""
    match = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", reference)
    return f"{match.group(1).lower()}:..." if match else repr(reference[:40])


def _remove_keeping_tail(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def sanitize_svg(data: bytes) -> tuple[bytes, tuple[str, ...]]:
    """An SVG image rebuilt without active content or outside references; with what was removed.

    Raises ImageError for a file that is not a well-formed SVG document.
    """
    # No entity is ever read from outside (resolve_entities=False keeps &x; as a node, removed below);
    # libxml2 refuses internal entities that expand too far; nothing from the network, no huge trees.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             remove_comments=True, remove_pis=True)  # fmt: skip
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        if "amplification" in str(error) or "entity" in str(error).lower():
            raise ImageError("declares entities that expand too far (an entity bomb): remove its DOCTYPE") from None
        raise ImageError("is empty or corrupt") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageError("is not an SVG image (its root element is not <svg>)")
    sanitizer = _Sanitizer()
    # The DOCTYPE is left out: its internal entities are expanded already, an external one never is.
    if (dtd := root.getroottree().docinfo.internalDTD) is not None:
        for entity in dtd.iterentities():
            if entity.system_url:
                sanitizer.note(f"external entity {entity.name}")
    sanitizer.clean(root)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True), tuple(sanitizer.removed)


# --- names inside the EPUB ---------------------------------------------------------------------------

# OCF 3.3, 4.1.3: file names in the container; kept to what needs no escaping in a URL either.
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_segment(segment: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", segment).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"\.{2,}", ".", _UNSAFE_RUN.sub("-", ascii_text))
    return cleaned.strip(".-")


def safe_image_name(source: str, media_type: str) -> str:
    """A name for the image inside the EPUB: the manuscript's path where it is safe for OCF and URLs,
    else the same path with each unsafe run of characters made a "-", and an extension that says the type.

    ``images/a b.png`` becomes ``images/a-b.png``; ``..\\..\\evil.png`` becomes ``evil.png``; a JPEG
    named ``photo.png`` becomes ``photo.jpg``.
    """
    folder, file_name = posixpath.split(source)
    stem, extension = posixpath.splitext(file_name)
    if extension.lower() not in EXTENSIONS[media_type]:
        if extension.lower() not in _ALL_EXTENSIONS:
            stem = file_name
        extension = EXTENSIONS[media_type][0]
    parts = [_safe_segment(part) or "folder" for part in folder.split("/") if part]
    parts.append((_safe_segment(stem) or "image") + extension)
    return "/".join(parts)


_ALL_EXTENSIONS = {extension for extensions in EXTENSIONS.values() for extension in extensions}


class BookImages:
    """The image files of one book: each checked once, and given one EPUB name, unique even when letter
    case is ignored."""

    def __init__(self) -> None:
        self.by_source: dict[Path, str] = {}
        self.taken: set[str] = set()
        self.checked: dict[Path, CheckedImage | ImageError] = {}
        # A reference (relative to the manuscript) found to be a file inside it, and that file: a picture
        # used by many pieces is looked for once.
        self.found: dict[str, Path] = {}

    def check(self, path: Path) -> CheckedImage:
        """``check_image`` of the file at ``path``, once per file. Raises ImageError."""
        if path not in self.checked:
            try:
                self.checked[path] = check_image(read_image_file(path))
            except ImageError as problem:
                self.checked[path] = problem
        result = self.checked[path]
        if isinstance(result, ImageError):
            raise result
        return result

    def name(self, path: Path, source: str, media_type: str) -> str:
        """The EPUB name of the file at ``path`` (``source`` relative to the manuscript)."""
        if path in self.by_source:
            return self.by_source[path]
        wanted = safe_image_name(source, media_type)
        stem, extension = posixpath.splitext(wanted)
        name, number = wanted, 1
        while name.casefold() in self.taken:
            number += 1
            name = f"{stem}-{number}{extension}"
        self.taken.add(name.casefold())
        self.by_source[path] = name
        return name
