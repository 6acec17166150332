"""The EPUB as e-readers show it: numbered notes, contents depth, front and back matter, images, store targets."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont
from lxml import etree
from PIL import Image, PngImagePlugin
from test_epub import NS, Epub, declarations, nav_tree, ncx_tree

from publish.book.front_matter import (
    copyright_notice,
    file_as_person,
    file_as_title,
    format_date,
    format_identifier,
    package_date,
)
from publish.build import prepare
from publish.cli import main
from publish.cover import MARGIN, WIDTH, lay_out_cover
from publish.epub.options import TARGETS, EpubOptions, epub_filename
from publish.epub.package import write_epub
from publish.image_prep import strip_jpeg_metadata
from publish.manuscript import BookMeta
from publish.pdf.paper import PdfOptions
from publish.pdf.write import write_pdf
from publish.resources import book_fonts

from conftest import BOOKS, FIXTURES, copy_manuscript, write_manuscript
from pdf_helpers import outline
from validators import ace_violations, calibre_convert, epubcheck_messages

NOTES_PIECE = """---
title: Notes Everywhere
---

A claim.[^a] Another.[^b] A third.[^c] The first again.[^a]

## A section

Text.

### A subsection

More text.

[^a]: The first note.
[^b]: A note of two paragraphs.

    Its second paragraph.
[^c]:
    - a note that is a list
    - of two items
"""


def write_book(root: Path, pieces: dict[str, str], extra: str = "") -> Path:
    """A manuscript of the given pieces (the first is the start) in ``root``."""
    return write_manuscript(root, pieces, title="Reader Test", author="A. Practice", language="en-US", extra=extra)


@pytest.fixture(scope="module")
def notes_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-piece book with three notes (one of two paragraphs, one a list), built once."""
    folder = tmp_path_factory.mktemp("notes")
    root = write_book(folder / "notes", {"notes.md": NOTES_PIECE})
    return write_epub(prepare(root), folder / "notes.epub")


def note_asides(epub: Path) -> list[etree._Element]:
    return Epub(epub).xhtml("notes.xhtml").xpath("//h:aside[@epub:type='footnote']", namespaces=NS)


# --- notes ----------------------------------------------------------------------------


def test_each_note_opens_with_its_number_linking_back_to_the_text(notes_book: Path) -> None:
    asides = note_asides(notes_book)
    root = Epub(notes_book).xhtml("notes.xhtml")
    refs = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert len(asides) == 3
    for number, aside in enumerate(asides, 1):
        first = aside.find("h:p", NS)
        link = first[0]
        assert etree.QName(link).localname == "a" and link.text == str(number)
        assert (link.tail or "").startswith(".")
        assert link.get("role") == "doc-backlink"
        # The number leads back to the (first) reference to this note.
        back = refs[link.get("href").removeprefix("#")]
        assert back.xpath("string(.)") == str(number)
        assert "".join(first.itertext()).startswith(f"{number}.")
    assert "".join(asides[0].itertext()).strip() == "1. The first note."


def test_a_note_has_no_trailing_back_link(notes_book: Path) -> None:
    for aside in note_asides(notes_book):
        links = aside.xpath(".//h:a", namespaces=NS)
        assert len(links) == 1, etree.tostring(aside)
        assert "↩" not in "".join(aside.itertext())
        assert not "".join(aside.itertext()).rstrip().endswith(("↩", "\ufe0e"))


def test_a_note_of_two_paragraphs_stays_one_note(notes_book: Path) -> None:
    second = note_asides(notes_book)[1]
    paragraphs = second.findall("h:p", NS)
    assert ["".join(p.itertext()).strip() for p in paragraphs] == [
        "2. A note of two paragraphs.",
        "Its second paragraph.",
    ]


def test_a_note_opening_with_a_list_gets_its_number_in_a_paragraph_of_its_own(notes_book: Path) -> None:
    third = note_asides(notes_book)[2]
    children = [etree.QName(child).localname for child in third]
    assert children == ["p", "ul"]
    assert "".join(third[0].itertext()).strip() == "3."


def test_notes_section_leaves_no_box_when_a_reader_hides_the_asides(notes_book: Path) -> None:
    css = Epub(notes_book).read("style/book.css").decode()
    (rule,) = re.findall(r"section\.footnotes\s*\{([^}]*)\}", css)
    assert "border-top" not in rule and "margin-top" not in rule and "padding-top" not in rule
    assert re.search(r"section\.footnotes > aside\.footnote:first-child\s*\{[^}]*border-top", css)


@pytest.mark.slow
def test_calibre_text_shows_each_note_with_its_number(notes_book: Path) -> None:
    result, text_file = calibre_convert(notes_book, ".txt")
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    text = " ".join(text_file.read_text(encoding="utf-8").split())
    assert "1. The first note." in text
    assert "2. A note of two paragraphs. Its second paragraph." in text
    assert re.search(r"3\. a note that is a list", text)
    assert "↩" not in text


# --- contents depth ----------------------------------------------------------------------


def depth_of(tree: list) -> int:
    return 1 + max((depth_of(children) for _, _, children in tree), default=0) if tree else 0


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_contents_depth_in_nav_and_ncx(notes_book: Path, tmp_path: Path, depth: int) -> None:
    rendered = prepare(notes_book.parent / "notes")
    epub = Epub(write_epub(rendered, tmp_path / "book.epub", EpubOptions(toc_depth=depth)))
    labels = [label for label, _ in _flatten(nav_tree(epub))]
    assert labels == ["Notes Everywhere", "A section", "A subsection"][:depth]
    assert depth_of(nav_tree(epub)) == depth
    assert ncx_tree(epub) == nav_tree(epub)
    ncx = etree.fromstring(epub.read("toc.ncx"))
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content") == str(depth)


def test_contents_are_two_levels_deep_by_default(notes_book: Path) -> None:
    assert depth_of(nav_tree(Epub(notes_book))) == 2


def _flatten(tree: list) -> list[tuple[str, str]]:
    return [item for label, href, children in tree for item in [(label, href), *_flatten(children)]]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_contents_depth_in_the_pdf_outline(tmp_path: Path, depth: int) -> None:
    root = write_book(tmp_path / "book", {"notes.md": NOTES_PIECE})
    pdf = write_pdf(prepare(root), tmp_path / "book.pdf", PdfOptions(toc_depth=depth))
    titles = [(level, title) for level, title, _ in outline(pdf)]
    assert titles == [(1, "Notes Everywhere"), (2, "A section"), (3, "A subsection")][:depth]


def test_toc_depth_option_on_the_command_line(tmp_path: Path) -> None:
    root = copy_manuscript(BOOKS["linked"], tmp_path / "linked")
    target = tmp_path / "deep.epub"
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(target), "--toc-depth", "3"])
    assert result.exit_code == 0, result.output
    assert depth_of(nav_tree(Epub(target))) == 3
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(target), "--toc-depth", "4"])
    assert result.exit_code == 2
    assert "Invalid value for '--toc-depth': 4 is not in the range 1<=x<=3." in result.output


# --- narrow screens (the browser test is tests/test_narrow_screens.py) -------------------


def test_running_text_wraps_and_is_hyphenated_everywhere(notes_book: Path) -> None:
    css = Epub(notes_book).read("style/book.css").decode()
    rules: dict[str, dict[str, str]] = {}
    for selector, name, value in declarations(css):
        for part in selector.split(","):
            rules.setdefault(part.strip(), {})[name] = "".join(token.serialize() for token in value).strip()
    for element in ("p", "li", "dd", "td", "th"):
        assert rules[element].get("hyphens") == "auto", element
    for element in ("p", "li", "dd", "dt", "td", "th", "h1", "h2", "blockquote", "a"):
        assert rules[element].get("overflow-wrap") in ("break-word", "anywhere"), element
    assert "line-height" not in rules["body"] and "font-size" not in rules["body"]
    assert rules["div.table"]["overflow-x"] == "auto"
    assert rules["hr"]["width"] == "2.5em" and rules["hr"]["border-top"] == "0.3em dotted"


def test_tables_sit_in_their_own_scrolling_box(tmp_path: Path) -> None:
    table = "| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    root = write_book(tmp_path / "book", {"table.md": f"---\ntitle: Table\n---\n\n{table}"})
    epub = Epub(write_epub(prepare(root), tmp_path / "book.epub"))
    (table_element,) = epub.xhtml("table.xhtml").xpath("//h:table", namespaces=NS)
    box = table_element.getparent()
    assert (etree.QName(box).localname, box.get("class")) == ("div", "table")


# --- front and back matter ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "shown"),
    [
        ("urn:isbn:9780306406157", "ISBN 978-0-306-40615-7"),
        ("urn:isbn:0306406152", "ISBN 0-306-40615-2"),
        ("ISBN 978-0-306-40615-7", "ISBN 978-0-306-40615-7"),
        ("9781566199094", "ISBN 978-1-56619-909-4"),
        ("urn:uuid:5a0d1f1e-6a5b-4c1e-9d3c-0b8f3a6e2c11", None),
        ("doi:10.1000/182", "doi:10.1000/182"),
    ],
)
def test_identifiers_as_readers_read_them(identifier: str, shown: str | None) -> None:
    assert format_identifier(identifier) == shown


@pytest.mark.parametrize(
    ("value", "lang", "words"),
    [
        ("2025-06-01", "en-US", "June 1, 2025"),
        ("2025-06-01", "en-GB", "1 June 2025"),
        ("June 2025", "en-US", "June 2025"),
    ],
)
def test_dates_in_words(value: str, lang: str, words: str) -> None:
    assert format_date(value, lang) == words


def test_dc_date_is_a_timestamp_at_noon_utc() -> None:
    assert package_date("2025-06-01") == "2025-06-01T12:00:00Z"


@pytest.mark.parametrize(
    ("rights", "date", "notice"),
    [
        ("© Your Practice Name. All rights reserved.", "2025-06-01", "© 2025 Your Practice Name. All rights reserved."),
        ("© 2023 Someone.", "2025-06-01", "© 2023 Someone."),
        (None, "2025-06-01", "© 2025 A. Practice. All rights reserved."),
        (None, None, "© 2001 A. Practice. All rights reserved."),  # the build's year (SOURCE_DATE_EPOCH)
    ],
)
def test_copyright_notice_has_its_year(
    rights: str | None, date: str | None, notice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")  # 2001-09-09
    meta = BookMeta(title="T", author="A. Practice", language="en-US", start="a.md", rights=rights, date=date)
    assert copyright_notice(meta) == notice


@pytest.mark.parametrize(
    ("name", "sorted_as"),
    [("Jane Doe", "Doe, Jane"), ("Mary Ann Smith", "Smith, Mary Ann"), ("Your Practice Name", "Your Practice Name"),
     ("Calm Waters Counseling", "Calm Waters Counseling"), ("Plato", "Plato")],
)  # fmt: skip
def test_file_as_for_authors(name: str, sorted_as: str) -> None:
    assert file_as_person(name) == sorted_as


def test_file_as_for_titles() -> None:
    assert file_as_title("The Art of Listening") == "Art of Listening, The"
    assert file_as_title("Small Steps Together") == "Small Steps Together"


ISBN_BOOK = (
    'date: 2025-06-01\nidentifier: urn:isbn:9780306406157\nrights: "© Calm Waters Counseling. All rights reserved."\n'
    "series: {name: Couples Notes, position: 3}\n"
    "practice: {name: Calm Waters Counseling, website: www.calm.example, phone: (555) 010-0100, email: hi@calm.example}\n"
    "handout: {disclaimer: Not a substitute for professional care.}\n"
)
SELF_LINK = "---\ntitle: The Piece\nurl: https://calm.example/blog/piece\nnext: later.md\n---\n\nSee [this very piece](piece.md).\n"
LATER = "---\ntitle: Later\nprevious: piece.md\n---\n"


@pytest.fixture(scope="module")
def matter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Epub, Path]:
    """A book with an ISBN, a date, a series, the practice's details and a link-only piece without a URL."""
    folder = tmp_path_factory.mktemp("matter")
    root = write_book(folder / "book", {"piece.md": SELF_LINK, "later.md": LATER}, ISBN_BOOK)
    rendered = prepare(root)
    return Epub(write_epub(rendered, folder / "book.epub")), write_pdf(rendered, folder / "book.pdf")


def text_of(epub: Epub, href: str) -> str:
    return " ".join("".join(epub.xhtml(href).find(".//h:body", NS).itertext()).split())


def test_copyright_page_reads_like_a_book(matter: tuple[Epub, Path]) -> None:
    text = text_of(matter[0], "front.copyright.xhtml")
    assert "© 2025 Calm Waters Counseling. All rights reserved." in text
    assert "First published June 1, 2025" in text
    assert "ISBN 978-0-306-40615-7" in text
    assert "urn:isbn" not in text and "2025-06-01" not in text
    (time,) = matter[0].xhtml("front.copyright.xhtml").xpath("//h:time", namespaces=NS)
    assert (time.get("datetime"), time.text) == ("2025-06-01", "June 1, 2025")


def test_package_metadata_for_stores_and_libraries(matter: tuple[Epub, Path]) -> None:
    epub = matter[0]
    assert epub.dc("date") == ["2025-06-01T12:00:00Z"]
    assert epub.dc("source") == ["https://calm.example/blog/piece"]
    assert epub.meta("file-as", "#creator") == ["A. Practice"]  # "practice": an organisation, sorted as written
    assert epub.meta("file-as", "#title") == ["Reader Test"]
    named = {m.get("name"): m.get("content") for m in epub.opf.iterfind("opf:metadata/opf:meta", NS) if m.get("name")}
    assert (named["calibre:series"], named["calibre:series_index"]) == ("Couples Notes", "3")


def test_continue_reading_points_to_the_website_without_a_url(matter: tuple[Epub, Path]) -> None:
    root = matter[0].xhtml("continue-reading.xhtml")
    (section,) = root.xpath("//h:section", namespaces=NS)
    assert section.get("{http://www.idpf.org/2007/ops}type") == "appendix"
    (link,) = root.xpath("//h:li//h:a", namespaces=NS)
    assert (link.get("href"), link.text) == ("https://www.calm.example/", "Read it on www.calm.example")


def test_about_the_practice_in_the_epub(matter: tuple[Epub, Path]) -> None:
    epub = matter[0]
    assert epub.spine[-1] == "back.about.xhtml"
    text = text_of(epub, "back.about.xhtml")
    for part in ("About the practice", "Calm Waters Counseling", "www.calm.example", "(555) 010-0100",
                 "hi@calm.example", "Not a substitute for professional care."):  # fmt: skip
        assert part in text
    hrefs = [a.get("href") for a in epub.xhtml("back.about.xhtml").iter(f"{{{NS['h']}}}a")]
    assert hrefs == ["https://www.calm.example/", "tel:5550100100", "mailto:hi@calm.example"]


def test_about_the_practice_in_the_pdf(matter: tuple[Epub, Path]) -> None:
    from pypdf import PdfReader

    last = " ".join(PdfReader(matter[1]).pages[-1].extract_text().split())
    assert "About the practice" in last and "(555) 010-0100" in last and "Not a substitute" in last
    assert ("About the practice" in [title for _, title, _ in outline(matter[1])]) is True
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(matter[1]).pages[:3]).split())
    assert "ISBN 978-0-306-40615-7" in text and "June 1, 2025" in text


def test_a_link_to_the_piece_itself_leads_to_its_title(matter: tuple[Epub, Path]) -> None:
    root = matter[0].xhtml("piece.xhtml")
    (link,) = [a for a in root.iter(f"{{{NS['h']}}}a") if a.text == "this very piece"]
    assert link.get("href") == "#piece-title"
    assert root.xpath("//h:h1[@id='piece-title']", namespaces=NS)


def test_landmarks_are_outside_the_reading_order_and_name_the_back_matter(matter: tuple[Epub, Path]) -> None:
    epub = matter[0]
    nav = epub.item_with("nav").get("href")
    assert nav not in epub.spine
    (landmarks,) = epub.xhtml(nav).xpath("//h:nav[@epub:type='landmarks']", namespaces=NS)
    kinds = {a.get("{http://www.idpf.org/2007/ops}type"): a.get("href") for a in landmarks.iterfind(".//h:a", NS)}
    assert kinds["backmatter"] == "continue-reading.xhtml"
    for document in epub.spine:
        assert not epub.xhtml(document).xpath("//h:nav[@epub:type='landmarks']", namespaces=NS), document


# --- the accessibility claim --------------------------------------------------------------


def test_a_withheld_accessibility_claim_is_a_warning_naming_the_check_and_the_line(tmp_path: Path) -> None:
    root = copy_manuscript(BOOKS["linked"], tmp_path / "linked")
    (root / "third.md").write_text((root / "third.md").read_text() + "\n#### Too deep\n\nText.\n")
    (root / "first.md").write_text((root / "first.md").read_text() + "\n![](images/square.png)\n")
    skipped = (root / "third.md").read_text().splitlines().index("#### Too deep") + 1
    undescribed = (root / "first.md").read_text().splitlines().index("![](images/square.png)") + 1
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(tmp_path / "b.epub")])  # no -v
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "conformance" in line]
    assert warnings == [
        f"Warning: {root / 'first.md'}:{undescribed}: no EPUB Accessibility conformance claim "
        "(WCAG 1.1.1 text alternatives): image images/square.png has no alt text",
        f"Warning: {root / 'third.md'}:{skipped}: no EPUB Accessibility conformance claim "
        "(WCAG 1.3.1 headings in order): heading level 4 follows level 2",
    ]


def test_no_warning_when_the_claim_is_made(tmp_path: Path) -> None:
    root = copy_manuscript(BOOKS["linked"], tmp_path / "linked")
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(tmp_path / "b.epub")])
    assert result.exit_code == 0 and "conformance" not in result.output


# --- embedded fonts ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fonts_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with ``--embed-fonts``."""
    return write_epub(
        prepare(BOOKS["demo"]), tmp_path_factory.mktemp("fonts") / "demo.epub", EpubOptions(embed_fonts=True)
    )


def test_embedded_fonts_are_subset_to_the_characters_the_book_uses(fonts_epub: Path) -> None:
    epub = Epub(fonts_epub)
    text = "".join("".join(epub.xhtml(document).itertext()) for document in epub.spine)
    used = {ord(character) for character in text if not character.isspace()}
    sources = {font.path.name: font.path for font in book_fonts()}
    fonts = [href for href in epub.manifest if href.startswith("fonts/")]
    assert len(fonts) == 6
    total = 0
    for href in fonts:
        data = epub.read(href)
        total += len(data)
        with TTFont(sources[posixpath.basename(href)]) as original, TTFont(io.BytesIO(data)) as subset:
            covered = set(subset.getBestCmap())
            # Every character of the text the original font has, and not many more.
            assert used & set(original.getBestCmap()) <= covered, href
            assert len(covered) < len(original.getBestCmap()) / 3, href
            names = " ".join(str(record) for record in subset["name"].names)
            assert "Open Font License" in names, href  # the licence travels with the subset
    whole = sum(sources[posixpath.basename(href)].stat().st_size for href in fonts)
    assert total < whole / 3, (total, whole)  # 574 KB of whole fonts


def test_embedded_fonts_come_with_apples_display_options(fonts_epub: Path, notes_book: Path) -> None:
    with zipfile.ZipFile(fonts_epub) as archive:
        options = etree.fromstring(archive.read("META-INF/com.apple.ibooks.display-options.xml"))
    assert options.xpath("/display_options/platform[@name='*']/option[@name='specified-fonts']/text()") == ["true"]
    with zipfile.ZipFile(notes_book) as archive:
        assert "META-INF/com.apple.ibooks.display-options.xml" not in archive.namelist()


# --- images ------------------------------------------------------------------------------

GPS_MAKER = "PhoneMakerGPS"


def exif_bytes() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = GPS_MAKER  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 16.0, 12.0), 3: "W", 4: (97.0, 44.0, 30.0)}  # GPS: Austin, TX
    return exif.tobytes()


def photo_book(root: Path, image: str, cover: str | None = None) -> Path:
    extra = f"cover: {cover}\n" if cover else ""
    return write_book(root, {"photo.md": f"---\ntitle: Photo\n---\n\nText.\n\n![A photo]({image})\n"}, extra)


@pytest.fixture(scope="module")
def huge_photo_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A book with a 6000×4000 JPEG of over 30 MB, with EXIF and a GPS position."""
    root = tmp_path_factory.mktemp("huge") / "book"
    (root / "images").mkdir(parents=True)
    noise = Image.effect_noise((6000, 4000), 64).convert("RGB")
    gradient = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    Image.blend(noise, gradient, 0.4).save(
        root / "images" / "photo.jpg", "JPEG", quality=100, subsampling=0, exif=exif_bytes()
    )
    return photo_book(root, "images/photo.jpg")


def test_a_30_mb_photo_gives_an_epub_under_3_mb_without_its_exif(huge_photo_book: Path, tmp_path: Path) -> None:
    original = (huge_photo_book / "images" / "photo.jpg").stat().st_size
    assert original > 30_000_000
    result = CliRunner().invoke(main, ["epub", "-m", str(huge_photo_book), "-o", str(tmp_path / "b.epub")])
    assert result.exit_code == 0, result.output
    size = (tmp_path / "b.epub").stat().st_size
    assert size < 3_000_000
    with Image.open(io.BytesIO(Epub(tmp_path / "b.epub").read("images/photo.jpg"))) as image:
        assert image.size == (2449, 1632)  # 4 megapixels, the same shape
        assert not image.getexif()
    scaled = re.search(r"images/photo\.jpg: scaled for e-readers, 6000×4000 px, ([\d.]+) MB → 2449×1632 px, (\d+) KB",
                       result.output)  # fmt: skip
    assert scaled and float(scaled.group(1)) == round(original / 1_048_576, 1), result.output
    assert result.output.rstrip().splitlines()[-1].startswith(f"Wrote {tmp_path / 'b.epub'} (")


def test_metadata_is_stripped_from_every_image_in_both_outputs(tmp_path: Path) -> None:
    root = tmp_path / "book"
    (root / "images").mkdir(parents=True)
    gradient = Image.linear_gradient("L").convert("RGB").resize((300, 200))
    gradient.save(root / "images" / "small.jpg", "JPEG", quality=90, exif=exif_bytes())
    png_info = PngImagePlugin.PngInfo()
    png_info.add_text("Comment", GPS_MAKER)
    gradient.save(root / "images" / "small.png", "PNG", exif=exif_bytes(), pnginfo=png_info)
    write_book(root, {"photo.md": "---\ntitle: Photo\n---\n\n![A](images/small.jpg)\n\n![B](images/small.png)\n"})
    rendered = prepare(root)
    epub = Epub(write_epub(rendered, tmp_path / "b.epub"))
    for name in ("images/small.jpg", "images/small.png"):
        data = epub.read(name)
        assert GPS_MAKER.encode() not in data, name
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif() and image.size == (300, 200), name
    # The JPEG's image data is untouched: only its metadata segments went.
    with (
        Image.open(io.BytesIO(epub.read("images/small.jpg"))) as stripped,
        Image.open(root / "images/small.jpg") as raw,
    ):
        assert stripped.tobytes() == raw.tobytes()
    pdf = write_pdf(rendered, tmp_path / "b.pdf").read_bytes()
    assert GPS_MAKER.encode() not in pdf and b"Exif\x00\x00" not in pdf


def test_strip_jpeg_metadata_keeps_the_scan_and_drops_app1() -> None:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(output, "JPEG", exif=exif_bytes())
    data = output.getvalue()
    assert b"Exif" in data
    stripped = strip_jpeg_metadata(data)
    assert b"Exif" not in stripped and stripped.endswith(data[data.index(b"\xff\xda") :])
    assert strip_jpeg_metadata(b"not a jpeg") == b"not a jpeg"


@pytest.mark.parametrize(
    ("size", "mode", "messages"),
    [
        ((400, 300), "RGB", ["is 400×300 px: stores ask for at least 1000×1600 px (1600×2560 is best)",
                             "is 400×300 px, 1:0.75: a book's cover is about 1:1.6 (portrait), or readers crop or letterbox it"]),
        ((1600, 2560), "RGB", []),
        ((1000, 1000), "RGB", ["is 1000×1000 px: stores ask for at least 1000×1600 px (1600×2560 is best)",
                               "is 1000×1000 px, 1:1.00: a book's cover is about 1:1.6 (portrait), or readers crop or letterbox it"]),
    ],
)  # fmt: skip
def test_cover_size_and_shape_are_checked(
    tmp_path: Path, size: tuple[int, int], mode: str, messages: list[str]
) -> None:
    root = tmp_path / "book"
    (root / "images").mkdir(parents=True)
    Image.new(mode, size, (30, 80, 90)).save(root / "images" / "cover.png")
    photo_book(root, "images/cover.png", cover="images/cover.png")
    result = CliRunner().invoke(main, ["check", "-m", str(root)])
    shown = [line for line in result.output.splitlines() if "cover" in line]
    assert shown == [f"Warning: {root / 'book.yaml'}:5: cover cover.png {message}" for message in messages]
    strict = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(tmp_path / "b.epub"), "--strict"])
    assert strict.exit_code == (1 if messages else 0), strict.output


def test_a_fully_transparent_cover_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "book"
    (root / "images").mkdir(parents=True)
    Image.new("RGBA", (1600, 2560), (0, 0, 0, 0)).save(root / "images" / "cover.png")
    photo_book(root, "images/cover.png", cover="images/cover.png")
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(tmp_path / "b.epub")])
    assert result.exit_code == 1
    assert (
        f"Error: {root / 'book.yaml'}:5: cover cover.png is fully transparent: it would show as a blank page"
        in result.output
    )
    assert not (tmp_path / "b.epub").exists()


# --- builds per store ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The linked fixture (a ### section, notes, images) built once for each target, with --toc-depth 3."""
    folder = tmp_path_factory.mktemp("targets")
    rendered = prepare(BOOKS["linked"])
    built = {}
    for target in TARGETS:
        (folder / target).mkdir()
        options = EpubOptions(toc_depth=3, target=target)
        built[target] = write_epub(rendered, folder / target / epub_filename("linked", target), options)
    return built


def test_kindle_contents_are_two_levels_deep_whatever_is_asked(targets: dict[str, Path]) -> None:
    assert depth_of(nav_tree(Epub(targets["generic"]))) == 3
    kindle = Epub(targets["kindle"])
    assert depth_of(nav_tree(kindle)) == depth_of(ncx_tree(kindle)) == 2


def test_kindle_cover_is_a_jpeg(targets: dict[str, Path]) -> None:
    kindle, generic = Epub(targets["kindle"]), Epub(targets["generic"])
    assert generic.item_with("cover-image").get("media-type") == "image/png"
    cover = kindle.item_with("cover-image")
    assert cover.get("media-type") == "image/jpeg"
    with Image.open(io.BytesIO(kindle.read(cover.get("href")))) as image:
        assert (image.format, image.size) == ("JPEG", (1600, 2560))
    assert kindle.resolves("front.cover.xhtml", kindle.xhtml("front.cover.xhtml").find(".//h:img", NS).get("src"))


def test_kobo_has_reading_spans_around_every_sentence(targets: dict[str, Path]) -> None:
    kobo, generic = Epub(targets["kobo"]), Epub(targets["generic"])
    assert targets["kobo"].name == "linked.kepub.epub"
    for document in kobo.spine[1:]:  # the cover page has an image and no text
        root = kobo.xhtml(document)
        spans = root.xpath("//h:span[@class='koboSpan']", namespaces=NS)
        assert spans, document
        ids = [span.get("id") for span in spans]
        assert len(set(ids)) == len(ids) and all(re.fullmatch(r"kobo\.\d+\.\d+", i) for i in ids), document
        assert root.xpath("/h:html/h:body/h:div[@id='book-columns']/h:div[@id='book-inner']", namespaces=NS)
        # The same text as the generic book, word for word.
        words = " ".join("".join(root.find("h:body", NS).itertext()).split())
        assert words == " ".join("".join(generic.xhtml(document).find("h:body", NS).itertext()).split()), document
    text = kobo.xhtml("making-room-to-talk.xhtml")
    (first,) = text.xpath("//h:span[starts-with(., 'Some conversations')]", namespaces=NS)
    assert first.text == "Some conversations are easy to have over dinner."
    assert " ".join(first.getnext().text.split()) == "Others need a little more room."
    assert first.tail == " "
    assert not Epub(targets["generic"]).xhtml("making-room-to-talk.xhtml").xpath("//*[@class='koboSpan']")


def test_apple_has_its_display_options(targets: dict[str, Path]) -> None:
    for target, path in targets.items():
        with zipfile.ZipFile(path) as archive:
            present = "META-INF/com.apple.ibooks.display-options.xml" in archive.namelist()
        assert present == (target == "apple"), target


def test_target_option_names_the_kobo_file(tmp_path: Path) -> None:
    root = copy_manuscript(BOOKS["minimal"], tmp_path / "minimal")
    result = CliRunner().invoke(main, ["build", "-m", str(root), "-o", str(tmp_path / "out"), "--target", "kobo"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        "minimal-book.kepub.epub",
        "minimal-book.pdf",
    ]
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "--target", "nook"])
    assert result.exit_code == 2 and "Invalid value for '--target'" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_each_target_passes_epubcheck_and_ace(targets: dict[str, Path], target: str) -> None:
    assert epubcheck_messages(targets[target]) == []
    assert ace_violations(targets[target]) == []


@pytest.mark.slow
def test_kindle_target_converts_to_azw3_without_falling_back(targets: dict[str, Path]) -> None:
    result, output = calibre_convert(targets["kindle"])
    log = result.stdout + result.stderr
    assert result.returncode == 0 and output.stat().st_size > 0, log[-3000:]
    assert "Traceback" not in log and "Initial parse failed" not in log and " as HTML" not in log, log[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("book", ["narrow", "notes", "matter", "fonts"])
def test_the_new_fixture_books_pass_epubcheck_and_ace(
    book: str, notes_book: Path, matter: tuple[Epub, Path], fonts_epub: Path, tmp_path: Path
) -> None:
    paths = {"notes": notes_book, "matter": matter[0].path, "fonts": fonts_epub}
    path = paths.get(book) or write_epub(prepare(FIXTURES / "narrow"), tmp_path / "narrow.epub")
    assert epubcheck_messages(path) == []
    assert ace_violations(path) == []


# --- the generated cover --------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["Abcdefghijklmnopqrstuvwxyzabcdefghijklmn", "Supercalifragilisticexpialidociousnesses and Other Long Words"],
)
def test_generated_cover_keeps_a_40_character_word_inside_and_the_subtitle_smaller(title: str) -> None:
    meta = BookMeta(title=title, author="Tests for Narrow Screens", language="en-US", start="a.md",
                    subtitle="Pneumonoultramicroscopicsilicovolcanoconiosis for narrow screens")  # fmt: skip
    lines = lay_out_cover(meta)
    for line in lines:
        assert line.x >= MARGIN and line.x + line.font.getlength(line.text) <= WIDTH - MARGIN, line.text
    title_size = {line.font.size for line in lines if line.role == "title"}
    subtitle_size = {line.font.size for line in lines if line.role == "subtitle"}
    assert len(title_size) == len(subtitle_size) == 1
    assert subtitle_size.pop() < title_size.pop()


# --- hostile input on the store targets and images ------------------------------------------------------


def test_kobo_ids_never_clash_with_the_books_own(tmp_path: Path) -> None:
    """A heading "Book columns" or raw HTML with Kobo's ids: every id stays unique in the Kobo EPUB."""
    root = write_book(tmp_path / "m", {"a.md": (
        '---\ntitle: K\n---\n\n## Book columns\n\nText.\n\n## Book inner\n\nMore.\n\n'
        '<p id="kobo.2.1">Raw.</p>\n'
    )})  # fmt: skip
    epub = write_epub(prepare(root), tmp_path / "k.epub", EpubOptions(target="kobo"))
    with zipfile.ZipFile(epub) as archive:
        document = etree.fromstring(archive.read("EPUB/a.xhtml"))
    ids = document.xpath("//@id")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"book-columns", "book-inner", "book-columns_1", "book-inner_1"} <= set(ids)


def test_kindle_cover_keeps_what_is_drawn_on_transparency(tmp_path: Path) -> None:
    """A cover of black on transparent becomes black on white, not a black JPEG; 16-bit grey stays grey."""
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\nText.\n"}, "cover: images/c.png\n")
    (root / "images").mkdir()
    cover = Image.new("RGBA", (1000, 1600), (0, 0, 0, 0))
    cover.paste((0, 0, 0, 255), (0, 700, 1000, 900))
    cover.save(root / "images" / "c.png")
    epub = write_epub(prepare(root), tmp_path / "k.epub", EpubOptions(target="kindle"))
    with zipfile.ZipFile(epub) as archive, Image.open(io.BytesIO(archive.read("EPUB/images/c.jpg"))) as jpeg:
        assert jpeg.getpixel((500, 100)) == pytest.approx((255, 255, 255), abs=3)
        assert jpeg.getpixel((500, 800)) == pytest.approx((0, 0, 0), abs=3)
    Image.new("I;16", (1000, 1600), 32768).save(root / "images" / "c.png")
    epub = write_epub(prepare(root), tmp_path / "k16.epub", EpubOptions(target="kindle"))
    with zipfile.ZipFile(epub) as archive, Image.open(io.BytesIO(archive.read("EPUB/images/c.jpg"))) as jpeg:
        assert 120 <= jpeg.convert("L").getpixel((500, 800)) <= 136


def test_a_small_photo_turned_by_exif_stands_upright_without_its_exif(tmp_path: Path) -> None:
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\n![A photo](images/p.jpg)\n"})
    (root / "images").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° clockwise to show
    Image.new("RGB", (200, 150), "red").save(root / "images" / "p.jpg", exif=exif)
    epub = write_epub(prepare(root), tmp_path / "p.epub")
    with zipfile.ZipFile(epub) as archive, Image.open(io.BytesIO(archive.read("EPUB/images/p.jpg"))) as photo:
        assert photo.size == (150, 200)
        assert not photo.getexif()


def _png_turned(how: str) -> PngImagePlugin.PngInfo | Image.Exif:
    """What says to turn a PNG 90° clockwise: an EXIF orientation (an eXIf chunk) or an XMP one (iTXt)."""
    if how == "exif":
        exif = Image.Exif()
        exif[0x0112] = 6
        return exif
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                  '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff='
                  '"http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')  # fmt: skip
    return info


@pytest.mark.parametrize("how", ["exif", "xmp", "none"])
def test_a_png_turned_by_its_metadata_stands_upright_and_one_without_stays_as_drawn(tmp_path: Path, how: str) -> None:
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\n![A drawing](images/p.png)\n"})
    (root / "images").mkdir()
    turned = _png_turned(how)
    options = {} if how == "none" else {"exif": turned} if how == "exif" else {"pnginfo": turned}
    Image.new("RGB", (200, 150), "red").save(root / "images" / "p.png", **options)
    epub = write_epub(prepare(root), tmp_path / "p.epub")
    with zipfile.ZipFile(epub) as archive, Image.open(io.BytesIO(archive.read("EPUB/images/p.png"))) as drawing:
        assert drawing.size == ((200, 150) if how == "none" else (150, 200))
        assert not drawing.getexif()


@pytest.mark.parametrize(
    ("identifier", "problem"),
    [("urn:isbn:123", "'urn:isbn:123'"), ("urn:isbn:9780306406158", "'urn:isbn:9780306406158'"),
     ("urn:isbn:", "'urn:isbn:'")],
)  # fmt: skip
def test_an_isbn_with_a_wrong_check_digit_is_an_error(tmp_path: Path, identifier: str, problem: str) -> None:
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\nText.\n"}, f'identifier: "{identifier}"\n')
    result = CliRunner().invoke(main, ["epub", "-m", str(root), "-o", str(tmp_path / "a.epub")])
    assert result.exit_code == 1
    assert result.output.endswith(
        f"book.yaml:5: 'identifier' {problem} is not a valid ISBN (10 or 13 digits with a right check digit)\n"
    )


def test_a_valid_isbn_is_kept_compact_in_the_package(tmp_path: Path) -> None:
    extra = 'identifier: "urn:isbn:978-0-306-40615-7"\n'
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\nText.\n"}, extra)
    epub = write_epub(prepare(root), tmp_path / "a.epub")
    with zipfile.ZipFile(epub) as archive:
        assert "urn:isbn:9780306406157</dc:identifier>" in archive.read("EPUB/content.opf").decode()


def test_a_photo_with_corrupt_exif_gives_no_pillow_warning(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    root = write_book(tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\n![A photo](images/p.jpg)\n"})
    (root / "images").mkdir()
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(buffer, "JPEG")
    data = buffer.getvalue()
    broken_exif = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00\x12\x01"  # an IFD cut short
    segment = b"\xff\xe1" + (len(broken_exif) + 2).to_bytes(2, "big") + broken_exif
    (root / "images" / "p.jpg").write_bytes(data[:2] + segment + data[2:])
    write_epub(prepare(root), tmp_path / "p.epub")
    assert not [(w.filename, w.lineno, str(w.message)) for w in recwarn if "EXIF" in str(w.message)]
