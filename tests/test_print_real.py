"""Print that survives real manuscripts: a book of other people's Markdown (tests/fixtures/real-print,
sources in its SOURCES.md) typeset once for this module, then read back glyph by glyph."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from lxml import etree, html

from publish.assemble import assemble_book
from publish.build import prepare
from publish.epub.package import write_epub
from publish.errors import ManuscriptError, Problems
from publish.limits import parse_length
from publish.manuscript import load_manuscript
from publish.pdf.html import _code_lines, _wide_tables, colophon
from publish.pdf.paper import PAPERS
from publish.pdf.write import write_pdf
from publish.render import RenderedBook, render_book
from publish.sanitize import anchors_as_ids, repair_structure

from conftest import FIXTURES, write_manuscript
from pdf_helpers import publish_warnings
from validators import epubcheck_messages

REAL = FIXTURES / "real-print" / "book"
XHTML = "{http://www.w3.org/1999/xhtml}"
TOLERANCE = 1.0  # points: a glyph box may touch the text block's edge


@dataclass(frozen=True)
class RealBook:
    """The fixture book rendered, with its EPUB and PDF, and what building it reported."""

    rendered: RenderedBook
    epub: Path
    pdf: Path
    pdf_warnings: tuple[str, ...]


@pytest.fixture(scope="module")
def real_book(tmp_path_factory: pytest.TempPathFactory) -> RealBook:
    folder = tmp_path_factory.mktemp("real-print")
    root = shutil.copytree(REAL, folder / "book")
    rendered = prepare(root)
    epub = write_epub(rendered, folder / "real.epub")
    with publish_warnings() as warnings:
        pdf = write_pdf(rendered, folder / "real.pdf")
    return RealBook(rendered, epub, pdf, tuple(warnings))


def _source(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def test_the_fixture_holds_what_real_manuscripts_hold() -> None:
    """The cases this module is about are in the fixture, as written by others (or it proves nothing)."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in REAL.glob("*.md")}
    everything = "\n".join(sources.values())
    assert re.search(r"^title: [A-Za-z]{80,}$", sources["taumata.md"], re.MULTILINE)  # a title no line holds
    assert re.search(r"^## .*[A-Za-z]{35,}", sources["blob-metadata.md"], re.MULTILINE)  # a long identifier heading
    assert (
        "| ID Type| AppType| GameType| MovieType| MusicArtistType| MusicType| TVType| WebVideoType| Unknown|"
        in (sources["media-details.md"])
    )
    code_lines = [
        line for block in re.findall(r"```\w*\n(.*?)```", everything, re.DOTALL) for line in block.split("\n")
    ]
    assert max(len(line) for line in code_lines) >= 120
    assert "First Header  | Second Header\n------------- | -------------" in sources["tables-extension.md"]
    assert "</figcaption><br></figure>" in sources["taumata.md"]
    assert "[![](images/hill.png)](https://example.com/hill)" in sources["taumata.md"]
    assert len(re.findall(r'<a id="[^"]+"></a>', everything)) >= 15


# --- Nothing drawn outside the text block ------------------------------------------------------------


def test_every_glyph_is_inside_the_text_block_on_every_page(real_book: RealBook) -> None:
    paper = PAPERS["letter"]
    inner, outer = parse_length(paper.inner), parse_length(paper.outer)
    outside = []
    with pdfplumber.open(real_book.pdf) as pdf:
        for index, page in enumerate(pdf.pages):
            # Page 1 is a right-hand page: the inner margin on the left (print.css, publish.pdf.css.page_css).
            left, right = (inner, outer) if index % 2 == 0 else (outer, inner)
            for char in page.chars:
                if char["text"].isspace():
                    continue  # a space at a line's end draws nothing
                if (
                    char["x0"] < left - TOLERANCE
                    or char["x1"] > page.width - right + TOLERANCE
                    or char["top"] < -TOLERANCE
                    or char["bottom"] > page.height + TOLERANCE
                ):
                    outside.append((index + 1, char["text"], round(char["x0"], 1), round(char["x1"], 1)))
        text = " ".join(page.extract_text() or "" for page in pdf.pages)
    assert outside == []
    # What used to run past the edge is there, inside it: the hill's name, the table's last column.
    flat = re.sub(r"[\s\u2010-]", "", text)
    assert flat.count("Taumatawhakatangihangakoauauotamateaturipukakapikimaungahoronukupokaiwhenuakitanatahu") >= 3
    with pdfplumber.open(real_book.pdf) as pdf:
        table_heads = [
            word["text"]
            for page in pdf.pages
            for word in page.extract_words(extra_attrs=["size"])
            if word["size"] < 8 and word["text"].replace("\u200b", "") in ("MusicArtist", "Unknown", "ProviderContent")
        ]
    assert sorted(set(table_heads)) == ["MusicArtist", "ProviderContent", "Unknown"]  # the 9-column table, in 7.5 pt


def test_tables_of_many_columns_are_set_smaller_and_given_break_points() -> None:
    root = html.fragment_fromstring(
        "<table><tr>" + "".join(f"<th>MusicArtistType{n}</th>" for n in range(9)) + "</tr></table>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>short</td><td>Windows.Xbox.ApplicationModel</td></tr></table>"
        "<table><tr><td>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</td></tr></table>",
        create_parent="div",
    )
    _wide_tables(root)
    wide, narrow, unbreakable = root.findall("table")
    assert wide.get("class") == "wide widest"
    assert wide.find("tr/th").text == "Music\u200bArtist\u200bType0"
    assert narrow.get("class") is None
    assert narrow.findall("tr")[1][1].text == "Windows.\u200bXbox.\u200bApplication\u200bModel"
    assert unbreakable.find("tr/td").get("class") == "breakable"


# --- Code ----------------------------------------------------------------------------------------------


def _code_fonts(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Dictionary]:
    fonts = {}
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            if "Source-Code-Pro" in str(font.get("/BaseFont", "")):
                fonts[str(font.BaseFont)] = font
    return fonts


def _advances(widths: pikepdf.Array) -> set[int]:
    """The glyph advances of a CID font's /W array (ISO 32000-1, 9.7.4.3): ``c [w1 w2 ...]`` or ``c_first c_last w``."""
    advances: set[int] = set()
    index = 0
    while index < len(widths):
        if isinstance(widths[index + 1], pikepdf.Array):
            advances |= {int(width) for width in widths[index + 1]}
            index += 2
        else:
            advances.add(int(widths[index + 2]))
            index += 3
    return advances


def test_code_is_set_in_an_embedded_monospaced_face_with_unicode_mapping(real_book: RealBook) -> None:
    with pikepdf.open(real_book.pdf) as pdf:
        fonts = _code_fonts(pdf)
        assert fonts, "no Source Code Pro font in the PDF"
        for font in fonts.values():
            assert "/ToUnicode" in font
            descendant = font.DescendantFonts[0]
            assert "/FontFile2" in descendant.FontDescriptor or "/FontFile3" in descendant.FontDescriptor
            assert _advances(descendant.W) == {600}, f"{font.BaseFont} is not monospaced"


def test_code_is_never_hyphenated_nor_changed(real_book: RealBook) -> None:
    """The code drawn in the monospaced face is the code of the manuscript, character for character."""
    expected = []
    for piece in real_book.rendered.pieces:
        root = html.fragment_fromstring(piece.body, create_parent="div")
        for element in root.iter("pre", "code", "kbd", "samp"):
            if element.getparent().tag not in ("pre", "code", "kbd", "samp"):
                expected.append(element.text_content())
    with pdfplumber.open(real_book.pdf) as pdf:
        drawn = "".join(c["text"] for page in pdf.pages for c in page.chars if "Source-Code-Pro" in c["fontname"])
    assert "\u2010" not in drawn and "\u00ad" not in drawn
    assert re.sub(r"\s", "", drawn) == re.sub(r"\s", "", "".join(expected))
    # The 150-character URL is in the book whole, only wrapped.
    assert "TotalFlagsCaptured/columns/deaths?maxItems=3&skipToRank=15000" in re.sub(r"\s", "", drawn)


def test_each_code_line_is_a_block_that_wraps_with_a_mark() -> None:
    root = html.fragment_fromstring("<pre><code>one\n\n  three\n</code></pre><pre>a<b>b</b></pre>", create_parent="div")
    _code_lines(root)
    lines = root.findall("pre/code/span")
    assert [(span.get("class"), span.text) for span in lines] == [("line", "one"), ("line", None), ("line", "  three")]
    assert etree.tostring(root.findall("pre")[1], encoding="unicode") == "<pre>a<b>b</b></pre>"


# --- Misplaced elements and empty links -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        (
            '<figure><img src="a.png" alt="A"><figcaption>The caption</figcaption><br></figure>',
            '<figure><img src="a.png" alt="A"/><figcaption>The caption</figcaption></figure>',
        ),
        (
            '<figure><img src="a.png" alt="A"><figcaption>C</figcaption> Photo: me<p>credit</p> end</figure>after',
            '<figure><img src="a.png" alt="A"/><figcaption>C</figcaption></figure> Photo: me<p>credit</p> endafter',
        ),
        (
            '<figure><figcaption>One</figcaption><img src="a.png" alt="A"><figcaption>Two</figcaption></figure>',
            '<figure><figcaption>One</figcaption><img src="a.png" alt="A"/><div>Two</div></figure>',
        ),
        (  # already valid: left alone
            '<figure><br><img src="a.png" alt="A"><figcaption>Last</figcaption></figure>',
            '<figure><br/><img src="a.png" alt="A"/><figcaption>Last</figcaption></figure>',
        ),
    ],
)
def test_a_figure_keeps_one_caption_at_an_edge(raw: str, repaired: str) -> None:
    root = html.fragment_fromstring(raw, create_parent="div")
    repair_structure(root)
    assert etree.tostring(root, encoding="unicode", method="xml") == f"<div>{repaired}</div>"


@pytest.mark.parametrize(
    ("raw", "result"),
    [
        ('<a id="x"></a><p>Text</p>', '<p id="x">Text</p>'),
        ('<p><a id="x"></a>Text</p>', '<p id="x">Text</p>'),
        ('<p>Some <a id="x"></a>text</p>', '<p>Some <span id="x"/>text</p>'),
        ('<a id="x"></a><h2 id="taken">Title</h2>', '<span id="x"/><h2 id="taken">Title</h2>'),
    ],
)
def test_an_empty_anchor_becomes_an_id_not_a_link(raw: str, result: str) -> None:
    root = html.fragment_fromstring(raw, create_parent="div")
    anchors_as_ids(root)
    assert etree.tostring(root, encoding="unicode", method="xml") == f"<div>{result}</div>"


def test_no_link_without_a_name_in_the_epub(real_book: RealBook) -> None:
    nameless = []
    with zipfile.ZipFile(real_book.epub) as archive:
        for name in archive.namelist():
            if not name.endswith(".xhtml"):
                continue
            tree = etree.fromstring(archive.read(name))
            for link in tree.iter(f"{XHTML}a"):
                alts = [image.get("alt", "") for image in link.iter(f"{XHTML}img")]
                if not "".join(link.itertext()).strip() and not any(alt.strip() for alt in alts):
                    nameless.append((name, etree.tostring(link, encoding="unicode")))
    assert nameless == []
    pieces = {p.piece.name: html.fragment_fromstring(p.body, create_parent="div") for p in real_book.rendered.pieces}
    (image,) = pieces["taumata.md"].xpath('//a[@href="https://example.com/hill"]/img')
    assert image.get("alt") == "https://example.com/hill"  # the linked image without alt text
    leaderboards = pieces["leaderboards.md"]
    assert leaderboards.xpath('//a[@href="#ID4EY"]/text()') == ["Remarks"]
    assert [element.tag for element in leaderboards.xpath('//*[@id="ID4EY"]')] == ["span"]  # a target, not a link
    assert leaderboards.xpath("//a[not(@href)]") == []


def test_no_empty_link_in_the_pdf(real_book: RealBook) -> None:
    """Every link annotation covers something to read, and every Link element has an annotation and content."""
    empty = []
    with pikepdf.open(real_book.pdf) as pdf, pdfplumber.open(real_book.pdf) as plumber:
        for index, page in enumerate(pdf.pages):
            drawn = plumber.pages[index]
            for annotation in page.get("/Annots", []):
                if annotation.get("/Subtype") != "/Link":
                    continue
                x0, y0, x1, y1 = (float(v) for v in annotation.Rect)
                top, bottom = drawn.height - max(y0, y1), drawn.height - min(y0, y1)
                inside = [
                    item
                    for item in (*drawn.chars, *drawn.images)
                    if item["x0"] < max(x0, x1)
                    and item["x1"] > min(x0, x1)
                    and item["top"] < bottom
                    and item["bottom"] > top
                ]
                if not inside:
                    empty.append((index + 1, [round(x0), round(y0), round(x1), round(y1)]))
        links = []

        def visit(element: pikepdf.Object) -> None:
            if not isinstance(element, pikepdf.Dictionary):
                return
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
            if element.get("/S") == "/Link":
                annotations = [k for k in kids if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"]
                links.append((len(annotations), len(kids) - len(annotations)))
            for kid in kids:
                visit(kid)

        visit(pdf.Root.StructTreeRoot)
    assert empty == []
    assert links, "no Link elements at all"
    assert [link for link in links if 0 in link] == []


@pytest.mark.slow
def test_epubcheck_finds_nothing_in_the_real_book(real_book: RealBook) -> None:
    assert epubcheck_messages(real_book.epub) == []


def _render_problems(root: Path) -> Problems:
    """What rendering the manuscript at ``root`` reports (warnings kept, nothing raised)."""
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    assert manuscript is not None
    book = assemble_book(manuscript, problems)
    assert book is not None
    render_book(book, problems)
    return problems


def test_a_nameless_image_link_is_named_by_its_address_and_refused_when_strict(tmp_path: Path) -> None:
    root = shutil.copytree(REAL, tmp_path / "book")
    problems = _render_problems(root)
    assert [(p.severity, p.line, p.message) for p in problems.items] == [
        ("warning", 15, "link https://example.com/hill is named by its address: its image has no alt text")
    ]
    with pytest.raises(ManuscriptError) as caught:
        prepare(root, strict=True)
    assert [p.message for p in caught.value.problems] == [
        "link https://example.com/hill is named by its address: its image has no alt text"
    ]


# --- Messages at the link -------------------------------------------------------------------------------


def test_link_errors_point_at_the_line_and_column_of_the_link(tmp_path: Path) -> None:
    root = write_manuscript(tmp_path / "m", {}, language="en-US")
    (root / "a.md").write_text(
        "---\ntitle: A\n---\n\n"  # lines 1-4
        "The file ghost.md is mentioned here, before any link to it.\n\n"  # line 5
        "Text.\n\n"  # line 7
        "See [one](ghost.md), then [two](ghost.md#part).\n\n"  # line 9
        "Again <a href='ghost.md'>three</a>, and [four][g].\n\n"  # line 11
        "[g]: ghost.md\n",  # line 13
        encoding="utf-8",
    )
    problems = _render_problems(root)
    assert [(p.line, p.column, p.message) for p in problems.items] == [
        (9, 11, "link ghost.md: ghost.md does not exist"),
        (9, 33, "link ghost.md#part: ghost.md does not exist"),
        (11, 16, "link ghost.md: ghost.md does not exist"),
        (11, 41, "link ghost.md: ghost.md does not exist"),
    ]
    assert problems.items[0].format() == f"{root}/a.md:9: link ghost.md: ghost.md does not exist"


# --- The colophon ---------------------------------------------------------------------------------------


def test_the_colophon_names_the_faces_that_set_the_book(real_book: RealBook) -> None:
    with pdfplumber.open(real_book.pdf) as pdf:
        copyright_page = pdf.pages[1].extract_text() or ""
    assert "Set in Source Serif and Source Sans; code in Source Code Pro." in " ".join(copyright_page.split())


def test_a_book_set_mostly_in_fallback_fonts_says_so(tmp_path: Path) -> None:
    piece = "---\ntitle: 支持你的伴侣\n---\n\n当你的伴侣对自己很苛刻时，你可以陪伴他们。Self-compassion 是一种练习。\n"
    root = write_manuscript(tmp_path / "m", {"a.md": piece}, title="自我同情", author="练习", language="zh-CN")
    assert colophon(prepare(root)) == "Set mostly in the system's fonts (CJK), with Source Serif and Source Sans."
    assert colophon(prepare(FIXTURES / "minimal")) == "Set in Source Serif and Source Sans."


def test_typesetting_the_real_book_warns_of_nothing(real_book: RealBook) -> None:
    assert real_book.pdf_warnings == ()
