"""The EPUB, unzipped and read back: container, spine, navigation, metadata, documents, style, reproducibility.

The external validators (EPUBCheck, Ace, Calibre) run in ``test_epub_validators.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import posixpath
import re
import subprocess
import sys
import uuid
import zipfile
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import tinycss2
from fontTools.ttLib import TTFont
from lxml import etree
from PIL import Image, ImageChops, ImageDraw

from publish.book.front_matter import has_about_page
from publish.build import prepare
from publish.cover import (
    ACCENT,
    BAND,
    BAND_TOP,
    HEIGHT,
    MARGIN,
    RULE,
    RULE_WIDTH,
    TEXT_COLOURS,
    WIDTH,
    generate_cover,
    lay_out_cover,
    wrap_text,
)
from publish.epub.options import EpubOptions
from publish.epub.package import (
    CONFORMANCE,
    COPYRIGHT_FILE,
    COVER_FILE,
    GENERATED_COVER,
    NAV_FILE,
    TITLEPAGE_FILE,
    accessibility_problems,
    book_identifier,
    write_epub,
)
from publish.render import RenderedBook, piece_filename
from publish.resources import book_fonts

from conftest import BOOKS, ROOT, BuiltBook, copy_manuscript, write_manuscript

OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
NCX = "http://www.daisy.org/z3986/2005/ncx/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{OPS}}}type"
NS = {"opf": OPF, "dc": DC, "h": XHTML, "epub": OPS, "ncx": NCX}

# The W3C Schema.org Accessibility Properties for Discoverability Vocabulary (2023).
ACCESS_MODES = {"auditory", "chartOnVisual", "chemOnVisual", "colorDependent", "diagramOnVisual", "mathOnVisual",
                "musicOnVisual", "tactile", "textOnVisual", "textual", "visual"}  # fmt: skip
FEATURES = {"annotations", "ARIA", "index", "pageBreakMarkers", "pageNavigation", "readingOrder",
            "structuralNavigation", "tableOfContents", "taggedPDF", "alternativeText", "audioDescription",
            "closedCaptions", "describedMath", "longDescription", "openCaptions", "rubyAnnotations", "signLanguage",
            "transcript", "displayTransformability", "synchronizedAudioText", "timingControl", "unlocked", "ChemML",
            "latex", "MathML", "ttsMarkup", "highContrastAudio", "highContrastDisplay", "largePrint", "braille",
            "tactileGraphic", "tactileObject"}  # fmt: skip
HAZARDS = {"flashing", "noFlashingHazard", "motionSimulation", "noMotionSimulationHazard", "sound", "noSoundHazard",
           "none"}  # fmt: skip
FRONT_MATTER = [COVER_FILE, TITLEPAGE_FILE, COPYRIGHT_FILE, NAV_FILE]


class Epub:
    """An EPUB opened for reading: the package document and any file by its manifest href."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = etree.fromstring(self.zip.read("META-INF/container.xml"))
        self.opf_path = container.find(".//{*}rootfile").get("full-path")
        self.base = posixpath.dirname(self.opf_path)
        self.opf = etree.fromstring(self.zip.read(self.opf_path))

    def read(self, href: str) -> bytes:
        return self.zip.read(posixpath.join(self.base, href))

    def exists(self, href: str) -> bool:
        return posixpath.join(self.base, href) in self.zip.namelist()

    def xhtml(self, href: str) -> etree._Element:
        return etree.fromstring(self.read(href))

    @cached_property
    def manifest(self) -> dict[str, etree._Element]:
        """Manifest items by href."""
        return {item.get("href"): item for item in self.opf.iterfind("opf:manifest/opf:item", NS)}

    def item_with(self, prop: str) -> etree._Element:
        (item,) = [i for i in self.manifest.values() if prop in (i.get("properties") or "").split()]
        return item

    @cached_property
    def spine(self) -> list[str]:
        by_id = {item.get("id"): href for href, item in self.manifest.items()}
        return [by_id[ref.get("idref")] for ref in self.opf.iterfind("opf:spine/opf:itemref", NS)]

    def dc(self, name: str) -> list[str]:
        return [el.text for el in self.opf.iterfind(f"opf:metadata/dc:{name}", NS)]

    def meta(self, prop: str, refines: str | None = None) -> list[str]:
        return [
            el.text
            for el in self.opf.iterfind("opf:metadata/opf:meta", NS)
            if el.get("property") == prop and el.get("refines") == refines
        ]

    def ids(self, href: str) -> set[str]:
        return {el.get("id") for el in self.xhtml(href).iter() if isinstance(el.tag, str) and el.get("id")}

    def resolves(self, document: str, href: str) -> bool:
        """True when ``href`` (relative to ``document``) names a file of the book and, if given, an id in it."""
        parts = urlsplit(href)
        target = (
            posixpath.normpath(posixpath.join(posixpath.dirname(document), unquote(parts.path)))
            if parts.path
            else document
        )
        if target not in self.manifest:
            return False
        return not parts.fragment or unquote(parts.fragment) in self.ids(target)


def nav_tree(epub: Epub) -> list[tuple[str, str, list]]:
    """The nav document's table of contents as (label, href, children)."""
    nav_href = epub.item_with("nav").get("href")
    (toc,) = epub.xhtml(nav_href).xpath("//h:nav[@epub:type='toc']", namespaces=NS)

    def entries(ol: etree._Element) -> list[tuple[str, str, list]]:
        result = []
        for li in ol.iterfind("h:li", NS):
            link = li.find("h:a", NS)
            nested = li.find("h:ol", NS)
            result.append(("".join(link.itertext()), link.get("href"), entries(nested) if nested is not None else []))
        return result

    return entries(toc.find("h:ol", NS))


def ncx_tree(epub: Epub) -> list[tuple[str, str, list]]:
    """The NCX navMap as (label, src, children)."""
    root = etree.fromstring(epub.read("toc.ncx"))

    def entries(parent: etree._Element) -> list[tuple[str, str, list]]:
        return [
            (
                point.findtext("ncx:navLabel/ncx:text", namespaces=NS),
                point.find("ncx:content", NS).get("src"),
                entries(point),
            )
            for point in parent.iterfind("ncx:navPoint", NS)
        ]

    return entries(root.find("ncx:navMap", NS))


def expected_contents(rendered: RenderedBook, depth: int = 2) -> list[tuple[str, str, list]]:
    """Each piece with its h2 sections, each h2 with the h3 sections after it (``depth`` 3)."""
    contents = []
    for piece in rendered.book.chapters:
        (rendered_piece,) = [p for p in rendered.pieces if p.piece is piece]
        document = piece_filename(piece)
        sections: list[tuple[str, str, list]] = []
        for heading in rendered_piece.headings:
            entry = (heading.text, f"{document}#{heading.id}", [])
            if heading.level > depth:
                continue
            if heading.level == 3 and sections:
                sections[-1][2].append(entry)
            else:
                sections.append(entry)
        contents.append((piece.title, document, sections))
    if rendered.book.link_only:
        contents.append(("Continue reading", "continue-reading.xhtml", []))
    if has_about_page(rendered.book.meta):
        contents.append(("About the practice", "back.about.xhtml", []))
    return contents


def flatten(tree: list[tuple[str, str, list]]) -> list[tuple[str, str]]:
    return [item for label, href, children in tree for item in [(label, href), *flatten(children)]]


@pytest.fixture(scope="session")
def linked(build_book) -> BuiltBook:
    return build_book("linked")


@pytest.fixture(scope="session")
def linked_epub(linked: BuiltBook) -> Epub:
    return Epub(linked.epub)


@pytest.fixture(scope="session")
def fonts_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with ``--embed-fonts``."""
    target = tmp_path_factory.mktemp("fonts") / "demo-fonts.epub"
    return write_epub(prepare(BOOKS["demo"]), target, EpubOptions(embed_fonts=True))


def build_changed(tmp_path: Path, name: str, change) -> Epub:
    """Copy a fixture manuscript, let ``change`` edit it, and build its EPUB."""
    root = copy_manuscript(BOOKS[name], tmp_path / name)
    change(root)
    return Epub(write_epub(prepare(root), tmp_path / f"{name}.epub"))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def add_front_matter(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("---\n", f"---\n{line}\n", 1), encoding="utf-8")


# --- container ---------------------------------------------------------------------


def test_mimetype_is_first_and_stored(any_book: BuiltBook) -> None:
    first = zipfile.ZipFile(any_book.epub).infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert zipfile.ZipFile(any_book.epub).read("mimetype") == b"application/epub+zip"
    # OCF: no extra field, so the media type sits at byte 38 for magic-number sniffers.
    assert any_book.epub.read_bytes()[30:58] == b"mimetypeapplication/epub+zip"


def test_manifest_and_zip_hold_the_same_files(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    in_zip = {name for name in epub.zip.namelist() if name not in ("mimetype", "META-INF/container.xml", epub.opf_path)}
    assert in_zip == {posixpath.join(epub.base, href) for href in epub.manifest}


# --- reading order and navigation ------------------------------------------------


def test_spine_follows_the_assembled_order(any_book: BuiltBook) -> None:
    book = any_book.rendered.book
    expected = FRONT_MATTER + [piece_filename(p) for p in book.pieces if not p.is_link_only]
    if book.link_only:
        expected.append("continue-reading.xhtml")
    meta = book.meta
    if meta.practice.name or meta.practice.website or meta.practice.phone or meta.practice.email:
        expected.append("back.about.xhtml")
    assert Epub(any_book.epub).spine == expected


def test_nav_lists_every_piece_and_section_nested(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    assert nav_tree(epub) == expected_contents(any_book.rendered)


def test_nav_nests_h3_under_its_h2_three_levels_deep(linked: BuiltBook, tmp_path: Path) -> None:
    epub = Epub(write_epub(linked.rendered, tmp_path / "deep.epub", EpubOptions(toc_depth=3)))
    assert nav_tree(epub) == expected_contents(linked.rendered, depth=3)
    talk = next(entry for entry in nav_tree(epub) if entry[0] == "Making Room to Talk")
    assert [(label, [c[0] for c in children]) for label, _, children in talk[2]] == [
        ("Choosing the right time", ["When it doesn’t go well"]),
        ("Speaking so you can be heard", []),
    ]


def test_ncx_is_nested_like_the_nav(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    assert ncx_tree(epub) == nav_tree(epub)
    ncx = etree.fromstring(epub.read("toc.ncx"))
    points = list(ncx.iter(f"{{{NCX}}}navPoint"))
    assert [int(p.get("playOrder")) for p in points] == list(range(1, len(points) + 1))
    assert len({p.get("id") for p in points}) == len(points)
    depth = max(len(list(p.iterancestors(f"{{{NCX}}}navPoint"))) + 1 for p in points)
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content") == str(depth)
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:uid']", NS).get("content") == epub.dc("identifier")[0]
    assert epub.opf.find("opf:spine", NS).get("toc") == epub.manifest["toc.ncx"].get("id")


def test_every_toc_entry_resolves(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    nav = epub.item_with("nav").get("href")
    for label, href in flatten(nav_tree(epub)) + flatten(ncx_tree(epub)):
        assert label.strip(), href
        assert epub.resolves(nav, href), href


def test_landmarks(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    nav = epub.item_with("nav").get("href")
    (landmarks,) = epub.xhtml(nav).xpath("//h:nav[@epub:type='landmarks']", namespaces=NS)
    marks = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iterfind(".//h:a", NS)}
    first_piece = piece_filename(any_book.rendered.book.chapters[0])
    back = [name for name in ("continue-reading.xhtml", "back.about.xhtml") if name in epub.spine]
    assert marks == {
        "cover": COVER_FILE,
        "titlepage": TITLEPAGE_FILE,
        "toc": NAV_FILE,
        "bodymatter": first_piece,
        **({"backmatter": back[0]} if back else {}),
    }
    assert all(epub.resolves(nav, href) for href in marks.values())


def test_every_link_in_every_document_resolves(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    for document in epub.spine:
        root = epub.xhtml(document)
        for element in root.iter(f"{{{XHTML}}}a", f"{{{XHTML}}}img", f"{{{XHTML}}}link"):
            href = element.get("href") or element.get("src")
            if urlsplit(href).scheme in ("http", "https", "mailto", "tel"):
                continue
            assert epub.resolves(document, href), f"{document}: {href}"


def test_links_between_pieces_land_on_the_right_document_and_anchor(linked_epub: Epub) -> None:
    second = linked_epub.xhtml("making-room-to-talk.xhtml")
    links = {"".join(a.itertext()): a.get("href") for a in second.iter(f"{{{XHTML}}}a") if a.get("href")}
    assert links["noticing the small moments"] == "first-steps.xhtml"  # first.md
    assert links["First Steps"] == "first-steps.xhtml"  # first's URL, https://example.com/blog/first-steps
    assert links["how to repair after a disagreement"] == "repair-after-a-disagreement.xhtml#a-simple-repair-plan"
    assert "a-simple-repair-plan" in linked_epub.ids("repair-after-a-disagreement.xhtml")


# --- metadata -------------------------------------------------------------------


def test_metadata_from_book_yaml(linked_epub: Epub) -> None:
    epub = linked_epub
    opf = epub.opf
    assert epub.dc("title") == ["Small Steps Together", "Everyday Skills for Couples"]
    titles = {el.get("id"): el.text for el in opf.iterfind("opf:metadata/dc:title", NS)}
    assert epub.meta("title-type", f"#{next(k for k, v in titles.items() if v == 'Small Steps Together')}") == ["main"]
    assert epub.meta("title-type", f"#{next(k for k, v in titles.items() if v.startswith('Everyday'))}") == ["subtitle"]
    (creator,) = opf.iterfind("opf:metadata/dc:creator", NS)
    assert creator.text == "Test Author"
    assert epub.meta("role", f"#{creator.get('id')}") == ["aut"]
    assert epub.dc("publisher") == ["Test Press"]
    assert epub.dc("language") == ["en-US"]
    assert opf.get(XML_LANG) == "en-US"
    unique = opf.get("unique-identifier")
    assert (
        opf.find(f"opf:metadata/dc:identifier[@id='{unique}']", NS).text
        == "urn:uuid:5a0d1f1e-6a5b-4c1e-9d3c-0b8f3a6e2c11"
    )
    assert epub.dc("date") == ["2024-03-01T12:00:00Z"]  # noon UTC: the same day in every time zone
    assert epub.dc("rights") == ["© 2024 Test Author. All rights reserved."]
    assert epub.dc("description")[0].startswith("Three short pieces on everyday relationship skills")
    assert epub.dc("subject") == ["Relationships", "Communication", "Couples"]
    (series,) = opf.xpath("opf:metadata/opf:meta[@property='belongs-to-collection']", namespaces=NS)
    assert series.text == "Couples Notes"
    assert epub.meta("collection-type", f"#{series.get('id')}") == ["series"]
    assert epub.meta("group-position", f"#{series.get('id')}") == ["2"]
    (modified,) = epub.meta("dcterms:modified")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)


def test_identifier_is_derived_from_title_and_author_when_none_is_given(build_book) -> None:
    minimal = build_book("minimal")
    (identifier,) = Epub(minimal.epub).dc("identifier")
    assert identifier == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'publish:Minimal Book|Test Author')}"
    assert book_identifier(prepare(BOOKS["minimal"])) == identifier  # stable from build to build
    other = replace(minimal.rendered.book, meta=replace(minimal.rendered.book.meta, title="Another Book"))
    assert book_identifier(replace(minimal.rendered, book=other)) != identifier


def test_generated_cover_is_declared_and_described(linked_epub: Epub) -> None:
    epub = linked_epub
    cover = epub.item_with("cover-image")
    assert cover.get("media-type") == "image/png"
    (kindle,) = epub.opf.xpath("opf:metadata/opf:meta[@name='cover']", namespaces=NS)
    assert kindle.get("content") == cover.get("id")
    with Image.open(io.BytesIO(epub.read(cover.get("href")))) as image:
        assert image.size == (1600, 2560)
    (img,) = epub.xhtml(COVER_FILE).iter(f"{{{XHTML}}}img")
    assert img.get("src") == cover.get("href")
    assert img.get("role") == "doc-cover"
    assert "Small Steps Together" in img.get("alt") and "Test Author" in img.get("alt")


def test_cover_from_book_yaml(tmp_path: Path) -> None:
    def add_cover(root: Path) -> None:
        (root / "art").mkdir()
        Image.new("RGB", (800, 1280), (200, 120, 90)).save(root / "art" / "front.jpg")
        append(root / "book.yaml", "cover: art/front.jpg\n")

    epub = build_changed(tmp_path, "minimal", add_cover)
    cover = epub.item_with("cover-image")
    assert (cover.get("href"), cover.get("media-type")) == ("art/front.jpg", "image/jpeg")
    assert epub.read("art/front.jpg") == (tmp_path / "minimal" / "art" / "front.jpg").read_bytes()
    assert not epub.exists(GENERATED_COVER)
    (img,) = epub.xhtml(COVER_FILE).iter(f"{{{XHTML}}}img")
    assert img.get("src") == "art/front.jpg" and img.get("alt")


# --- front and back matter -------------------------------------------------------


def text_of(epub: Epub, href: str) -> str:
    return " ".join("".join(epub.xhtml(href).find("h:body", NS).itertext()).split())


def test_title_page(linked_epub: Epub) -> None:
    text = text_of(linked_epub, TITLEPAGE_FILE)
    for part in ("Small Steps Together", "Everyday Skills for Couples", "Test Author", "Test Press"):
        assert part in text


def test_title_page_names_a_practice_that_is_author_and_publisher_once(build_book) -> None:
    assert text_of(Epub(build_book("demo").epub), TITLEPAGE_FILE).count("Your Practice Name") == 1


def test_generated_cover_steps_aside_for_a_manuscript_image_of_its_name(tmp_path: Path) -> None:
    def add_image(root: Path) -> None:
        (root / posixpath.dirname(GENERATED_COVER)).mkdir()
        Image.new("RGB", (40, 40), (0, 0, 255)).save(root / GENERATED_COVER)
        append(root / "only.md", f"\n![A blue square]({GENERATED_COVER})\n")

    epub = build_changed(tmp_path, "minimal", add_image)
    cover = epub.item_with("cover-image").get("href")
    assert cover != GENERATED_COVER
    assert GENERATED_COVER in epub.manifest
    assert epub.read(GENERATED_COVER) == (tmp_path / "minimal" / GENERATED_COVER).read_bytes()
    with Image.open(io.BytesIO(epub.read(cover))) as image:
        assert image.size == (1600, 2560)


def test_copyright_page(linked_epub: Epub) -> None:
    text = text_of(linked_epub, COPYRIGHT_FILE)
    for part in ("© 2024 Test Author. All rights reserved.", "Published by Test Press",
                 "First published March 1, 2024", "Part of the series Couples Notes, number 2"):  # fmt: skip
        assert part in text
    assert "urn:uuid" not in text  # an identifier that means nothing to a reader


def test_continue_reading_links_the_pieces_without_text(linked_epub: Epub) -> None:
    root = linked_epub.xhtml("continue-reading.xhtml")
    (item,) = root.iterfind(".//h:ul/h:li", NS)
    link = item.find("h:a", NS)
    assert (link.text, link.get("href")) == (
        "Listening Without Fixing",
        "https://example.com/blog/listening-without-fixing",
    )
    assert linked_epub.spine[-2:] == ["continue-reading.xhtml", "back.about.xhtml"]


def test_no_continue_reading_without_link_only_pieces(build_book) -> None:
    assert not Epub(build_book("minimal").epub).exists("continue-reading.xhtml")


# --- documents: language and semantics --------------------------------------------


def test_every_document_declares_its_language(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    for href, item in epub.manifest.items():
        if item.get("media-type") == "application/xhtml+xml":
            root = epub.xhtml(href)
            assert root.get("lang") == root.get(XML_LANG) == "en-US", href
    assert etree.fromstring(epub.read("toc.ncx")).get(XML_LANG) == "en-US"


def test_a_piece_in_another_language_says_so(tmp_path: Path) -> None:
    epub = build_changed(tmp_path, "linked", lambda root: add_front_matter(root / "third.md", "lang: fr"))
    assert epub.xhtml("repair-after-a-disagreement.xhtml").get("lang") == "fr"
    assert epub.xhtml("repair-after-a-disagreement.xhtml").get(XML_LANG) == "fr"
    assert epub.xhtml("first-steps.xhtml").get("lang") == "en-US"
    (entry,) = epub.xhtml(NAV_FILE).xpath("//h:a[@href='repair-after-a-disagreement.xhtml']", namespaces=NS)
    assert entry.get("lang") == entry.get(XML_LANG) == "fr"


def test_structural_semantics_and_roles(linked_epub: Epub) -> None:
    epub = linked_epub

    def types(href: str) -> dict[str, str | None]:
        """epub:type -> role of the first element that has it."""
        found: dict[str, str | None] = {}
        for element in epub.xhtml(href).iter():
            if element.get(EPUB_TYPE):
                found.setdefault(element.get(EPUB_TYPE), element.get("role"))
        return found

    assert epub.xhtml(COVER_FILE).xpath("//h:section[@epub:type='cover']/h:img[@role='doc-cover']", namespaces=NS)
    assert "titlepage" in types(TITLEPAGE_FILE)
    assert "copyright-page" in types(COPYRIGHT_FILE)
    assert types(NAV_FILE)["toc"] == "doc-toc"
    piece = types("making-room-to-talk.xhtml")
    assert piece["bodymatter"] is None  # on body
    assert piece["chapter"] == "doc-chapter"
    assert piece["noteref"] == "doc-noteref"
    assert piece["footnote"] == "doc-footnote"


def test_footnotes_are_popup_notes_with_a_way_back(linked_epub: Epub) -> None:
    root = linked_epub.xhtml("making-room-to-talk.xhtml")
    refs = root.xpath("//h:a[@epub:type='noteref']", namespaces=NS)
    assert len(refs) == 2
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    for ref in refs:
        note = by_id[ref.get("href").removeprefix("#")]
        assert (etree.QName(note).localname, note.get(EPUB_TYPE), note.get("role")) == (
            "aside",
            "footnote",
            "doc-footnote",
        )
        (back,) = note.xpath(".//h:a[@role='doc-backlink']", namespaces=NS)
        assert ref in by_id[back.get("href").removeprefix("#")].iter()
        assert back.get("aria-label")
    assert "A simple way to check" in "".join(by_id["fn-2"].itertext())
    assert not root.xpath("//h:div[@class='footnote']", namespaces=NS)


def test_footnotes_stay_with_their_piece(linked_epub: Epub) -> None:
    for href in ("first-steps.xhtml", "repair-after-a-disagreement.xhtml"):
        assert not linked_epub.xhtml(href).xpath("//*[@epub:type='footnote' or @epub:type='noteref']", namespaces=NS)


def test_reflection_is_a_labelled_aside_with_visible_text(linked_epub: Epub) -> None:
    root = linked_epub.xhtml("repair-after-a-disagreement.xhtml")
    assert not root.xpath("//h:div[contains(@class, 'reflection')]", namespaces=NS)
    (aside,) = root.xpath("//h:aside[@class='reflection']", namespaces=NS)
    (label,) = root.xpath(f"//*[@id='{aside.get('aria-labelledby')}']", namespaces=NS)
    assert label.getparent() is aside and label.text == "Reflection"
    assert [li.text for li in aside.iterfind(".//h:li", NS)] == [
        "What did you notice today?",
        "When did you feel most at ease?",
    ]


def test_a_paragraph_holding_only_an_image_is_marked(linked_epub: Epub) -> None:
    root = linked_epub.xhtml("first-steps.xhtml")
    (paragraph,) = root.xpath("//h:p[h:img]", namespaces=NS)
    assert "image" in paragraph.get("class").split()
    assert paragraph.find("h:img", NS).get("alt") == "A small blue square on white"


# --- accessibility metadata --------------------------------------------------------


def test_accessibility_metadata_with_described_images(linked_epub: Epub) -> None:
    epub = linked_epub
    assert epub.meta("schema:accessMode") == ["textual", "visual"]
    assert epub.meta("schema:accessModeSufficient") == ["textual"]
    assert set(epub.meta("schema:accessibilityFeature")) == {
        "structuralNavigation", "tableOfContents", "readingOrder", "ARIA", "displayTransformability", "alternativeText",
    }  # fmt: skip
    assert epub.meta("schema:accessibilityHazard") == ["none"]
    (summary,) = epub.meta("schema:accessibilitySummary")
    assert "Every image has a text description" in summary
    assert epub.meta("dcterms:conformsTo") == [CONFORMANCE]


def test_accessibility_metadata_uses_the_vocabulary(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    assert set(epub.meta("schema:accessMode")) <= ACCESS_MODES
    for sufficient in epub.meta("schema:accessModeSufficient"):
        assert set(sufficient.split(",")) <= ACCESS_MODES
    assert set(epub.meta("schema:accessibilityFeature")) <= FEATURES
    assert set(epub.meta("schema:accessibilityHazard")) <= HAZARDS
    assert epub.meta("schema:accessibilitySummary")


def test_a_book_without_images_claims_no_visual_content(build_book) -> None:
    epub = Epub(build_book("minimal").epub)
    assert epub.meta("schema:accessMode") == ["textual"]
    assert "alternativeText" not in epub.meta("schema:accessibilityFeature")
    assert epub.meta("dcterms:conformsTo") == [CONFORMANCE]


def test_no_conformance_claim_when_an_image_lacks_alt_text(tmp_path: Path) -> None:
    epub = build_changed(tmp_path, "linked", lambda root: append(root / "first.md", "\n![](images/square.png)\n"))
    assert epub.meta("dcterms:conformsTo") == []
    assert epub.meta("schema:accessModeSufficient") == ["textual,visual"]
    assert "alternativeText" not in epub.meta("schema:accessibilityFeature")
    assert "Some images have no text description" in epub.meta("schema:accessibilitySummary")[0]


def test_no_conformance_claim_when_a_heading_level_is_skipped(tmp_path: Path) -> None:
    epub = build_changed(tmp_path, "linked", lambda root: append(root / "third.md", "\n#### Too deep\n\nText.\n"))
    assert epub.meta("dcterms:conformsTo") == []
    assert "It meets" not in epub.meta("schema:accessibilitySummary")[0]


def test_accessibility_problems_name_every_image_and_heading_in_reading_order(tmp_path: Path) -> None:
    root = write_manuscript(tmp_path / "m", {}, title="A", author="B")
    Image.new("RGB", (10, 10)).save(root / "i.png")
    (root / "a.md").write_text("---\ntitle: A\nnext: b.md\nimage: i.png\n---\n\n#### Deep\n\n![](i.png)\n\n"
                               "## Two\n\n##### Five\n\n<img src=\"i.png\">\n", encoding="utf-8")  # fmt: skip
    (root / "b.md").write_text(
        "---\ntitle: B\nprevious: a.md\n---\n\n### Three\n\n![x](i.png) ![](i.png)\n", encoding="utf-8"
    )
    rendered = prepare(root)
    assert accessibility_problems(rendered) == [
        "image without alt text: a.md: i.png",  # the Markdown image
        "image without alt text: a.md: i.png",  # the HTML one
        "image without alt text: a.md: i.png",  # the hero image (no image_alt)
        "image without alt text: b.md: i.png",
        "a.md: heading level 4 follows level 1",
        "a.md: heading level 5 follows level 2",
        "b.md: heading level 3 follows level 1",
    ]


# --- style ------------------------------------------------------------------------


def declarations(css: str) -> list[tuple[str, str, list]]:
    """(selector, property, value tokens) for every declaration of a style sheet."""
    result = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        selector = tinycss2.serialize(rule.prelude).strip()
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if declaration.type == "declaration":
                result.append((selector, declaration.lower_name, declaration.value))
    return result


def contrast(hex_colour: str, other: tuple[int, int, int]) -> float:
    def luminance(rgb: tuple[int, ...]) -> float:
        channels = [(c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4) for c in rgb]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    high, low = sorted((luminance(rgb), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_stylesheet_leaves_the_reader_in_control(linked_epub: Epub) -> None:
    css = linked_epub.read("style/book.css").decode()
    found = declarations(css)
    assert len(found) > 50
    for selector, name, value in found:
        where = f"{selector} {{ {name}: {tinycss2.serialize(value).strip()} }}"
        # Reflowable: relative sizes only.
        for token in value:
            if token.type == "dimension":
                assert token.lower_unit in ("em", "rem", "vh", "vw"), where
        # No forced colours or backgrounds, no layout tricks, no generated text.
        assert name not in ("color", "background", "background-color", "background-image", "position", "float",
                            "content"), where  # fmt: skip
        if selector == "body":  # no line height or font size: the reader's settings rule
            assert name in ("widows", "orphans"), where
        # The landmarks nav is hidden="hidden"; a display rule on nav would show it.
        assert not (name == "display" and re.search(r"\bnav\b", selector)), where
        if name == "font-family":
            assert tinycss2.serialize(value).strip().endswith(("serif", "sans-serif", "monospace")), where
        # Rules and borders must show on light and dark pages alike.
        for token in value:
            if token.type == "hash":
                assert contrast(token.value, (255, 255, 255)) >= 2.5 and contrast(token.value, (0, 0, 0)) >= 2.5, where
    assert "::before" not in css and "::after" not in css


def test_stylesheet_styles_what_the_documents_use(linked_epub: Epub) -> None:
    css = linked_epub.read("style/book.css").decode()
    for selector in ("blockquote", "table", "th, td", "section.footnotes", "aside.footnote p", "aside.reflection",
                     "p.reflection-label", "nav#toc ol ol", "section.titlepage", "section.copyright", "p + p"):  # fmt: skip
        assert re.search(rf"(^|\n|,\s*){re.escape(selector)}\s*[{{,]", css), selector


# --- fonts --------------------------------------------------------------------------


def test_embedded_fonts_are_in_the_manifest_unobfuscated(fonts_epub: Path) -> None:
    epub = Epub(fonts_epub)
    fonts = {href: item for href, item in epub.manifest.items() if href.startswith("fonts/")}
    sources = {font.path.name: font.path for font in book_fonts()}
    assert {"SourceSerifPro-Regular.otf", "SourceSerifPro-It.otf", "SourceSerifPro-Bold.otf",
            "SourceSansPro-Semibold.otf"} <= {posixpath.basename(h) for h in fonts}  # fmt: skip
    for href, item in fonts.items():
        assert item.get("media-type") == "font/otf"
        # Not obfuscated: a font fontTools reads, of the same family (a subset: see test_ereaders.py).
        with TTFont(io.BytesIO(epub.read(href))) as font, TTFont(sources[posixpath.basename(href)]) as original:
            assert font["name"].getDebugName(1) == original["name"].getDebugName(1)
    assert "META-INF/encryption.xml" not in epub.zip.namelist()
    css = epub.read("style/book.css").decode()
    urls = re.findall(r'@font-face \{[^}]*src: url\("([^"]+)"\)', css)
    assert sorted(posixpath.normpath(posixpath.join("style", url)) for url in urls) == sorted(fonts)
    assert re.search(r'body \{ font-family: "Source Serif Pro", serif; \}', css)


def test_fonts_are_not_embedded_by_default(any_book: BuiltBook) -> None:
    epub = Epub(any_book.epub)
    assert not [href for href in epub.manifest if href.startswith("fonts/")]
    assert "@font-face" not in epub.read("style/book.css").decode()


# --- cover image ---------------------------------------------------------------


def test_generated_cover_keeps_long_text_inside_its_margins(linked: BuiltBook) -> None:
    meta = replace(
        linked.rendered.book.meta,
        title="A Very Long Title About Everything That Matters When Couples Talk About Money and the Future",
        subtitle="And a subtitle that goes on for quite a while, as subtitles do",
        author="Dr. Firstname Middlename Lastname-Doublebarrel, LMFT",
    )
    with Image.open(io.BytesIO(generate_cover(meta))) as image:
        assert image.size == (WIDTH, HEIGHT)
        image = image.convert("RGB")  # a palette image: its colours, not its palette indices
        for box in ((0, 0, MARGIN - 10, HEIGHT), (WIDTH - MARGIN + 10, 0, WIDTH, HEIGHT)):
            assert {colour for _, colour in image.crop(box).getcolors(1 << 16)} <= {ACCENT, BAND}


def test_generated_cover_title_reads_as_a_thumbnail(linked: BuiltBook) -> None:
    with Image.open(io.BytesIO(generate_cover(linked.rendered.book.meta))) as image:
        column = image.convert("L").crop((MARGIN, 0, WIDTH - MARGIN, int(HEIGHT * 0.6)))
        rows = [y for y in range(column.height) if column.crop((0, y, column.width, y + 1)).getextrema()[1] > 200]
    # The first line of the title ("Small Steps"), from cap height to descender: at least 150 of the
    # 2560 px, so about 6 px on a 100 px high thumbnail.
    first_line_end = next(y for a, y in itertools.pairwise(rows) if y - a > 1)
    assert first_line_end - rows[0] >= 150


@pytest.mark.parametrize(
    "title, subtitle, author",
    [
        ("Small Steps", "Essays on couples, change and the courage it takes", "Someone"),
        ("Égalité Ångström Qjpg Gygax", "Éclat Ñandú gjpqy ÅÉÎ", "Ünïcødé Àuthor-Smith, LMFT"),
        ("A Very Long Title About Everything That Matters When Couples Talk About Money and the Future",
         "And a subtitle that goes on for quite a while, as subtitles do", "Dr. Firstname Lastname-Doublebarrel"),
    ],
)  # fmt: skip
def test_generated_cover_looks_as_drawn_in_full_colour(
    linked: BuiltBook, title: str, subtitle: str, author: str
) -> None:
    # The cover is a palette PNG drawn as palette indices; drawn directly in RGB (fields, text, rule) it
    # must look the same: no pixel more than 2 of 255 apart in any channel, nearly all of them equal.
    meta = replace(linked.rendered.book.meta, title=title, subtitle=subtitle, author=author)
    data = generate_cover(meta)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "P", (WIDTH, HEIGHT))
        cover = image.convert("RGB")
    expected = Image.new("RGB", (WIDTH, HEIGHT), ACCENT)
    draw = ImageDraw.Draw(expected)
    draw.rectangle((0, BAND_TOP, WIDTH, HEIGHT), fill=BAND)
    for line in lay_out_cover(meta):
        draw.text((line.x, line.y), line.text, font=line.font, fill=TEXT_COLOURS[line.role])
    draw.line(RULE, fill=BAND, width=RULE_WIDTH)
    difference = ImageChops.difference(cover, expected)
    assert max(high for _, high in difference.getextrema()) <= 2
    differing = sum(difference.convert("L").point(lambda v: 255 if v else 0).histogram()[255:])
    assert differing < WIDTH * HEIGHT // 100  # only antialiased edge pixels
    assert {TEXT_COLOURS["title"], TEXT_COLOURS["subtitle"], TEXT_COLOURS["author"]} <= {
        c for _, c in cover.getcolors(1 << 16)
    }


class _Drawing:
    """Stands in for a cover being drawn in another process (publish.cover.CoverDrawing)."""

    def __init__(self, meta, png: bytes):
        self.meta, self._png = meta, png

    def png(self) -> bytes:
        return self._png


def test_a_cover_drawn_beforehand_is_used_only_for_the_same_book(linked: BuiltBook, tmp_path: Path) -> None:
    meta = linked.rendered.book.meta
    drawn = generate_cover(replace(meta, title="Drawn Beforehand"))
    epub = Epub(write_epub(linked.rendered, tmp_path / "same.epub", cover=_Drawing(meta, drawn)))
    assert epub.read(GENERATED_COVER) == drawn
    # book.yaml changed between the drawing and the loading: the cover is drawn again, from the book.
    stale = _Drawing(replace(meta, title="An Older Title"), drawn)
    epub = Epub(write_epub(linked.rendered, tmp_path / "changed.epub", cover=stale))
    assert epub.read(GENERATED_COVER) == generate_cover(meta)


def test_cover_text_breaks_at_spaces_only() -> None:
    from PIL import ImageFont

    font = ImageFont.truetype(str(next(f.path for f in book_fonts() if f.weight == 600)), 150)
    lines = wrap_text("Supporting Your Partner in Developing Self-Compassion", font, WIDTH - 2 * MARGIN)
    assert "Self-Compassion" in " ".join(lines).split()
    assert all(word != "Self-" for line in lines for word in line.split())


# --- reproducibility ---------------------------------------------------------------


def run_epub(manuscript: Path, output: Path, **env: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "TZ")} | env
    subprocess.run([sys.executable, "-m", "publish", "-q", "epub", "-m", str(manuscript), "-o", str(output)],
                   check=True, env=environment, cwd=ROOT)  # fmt: skip


def test_builds_are_byte_identical_with_source_date_epoch(tmp_path: Path) -> None:
    first, second = tmp_path / "utc.epub", tmp_path / "chicago.epub"
    run_epub(BOOKS["linked"], first, SOURCE_DATE_EPOCH="1700000000", TZ="UTC")
    run_epub(BOOKS["linked"], second, SOURCE_DATE_EPOCH="1700000000", TZ="America/Chicago")
    assert first.read_bytes() == second.read_bytes()
    epub = Epub(first)
    assert epub.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    assert {info.date_time for info in epub.zip.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_without_source_date_epoch_modified_is_the_build_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    epub = Epub(write_epub(prepare(BOOKS["minimal"]), tmp_path / "now.epub"))
    (modified,) = epub.meta("dcterms:modified")
    stamp = dt.datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(dt.datetime.now(dt.UTC) - stamp) < dt.timedelta(minutes=1)
