"""The typeset book: structure, contents and outline, page furniture, typography, PDF/UA, options."""

from __future__ import annotations

import itertools
import os
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from publish import __version__
from publish.book.front_matter import has_about_page
from publish.build import prepare
from publish.cli import main
from publish.pdf.paper import PdfOptions, paper_of
from publish.pdf.write import write_pdf
from publish.render import RenderedBook

from conftest import BOOKS, FIXTURES, ROOT, Once, copy_manuscript, write_manuscript
from pdf_helpers import (
    SOFT_HYPHEN_BREAK,
    BuiltPdf,
    folio,
    full_line_lengths,
    link_targets,
    normalise,
    outline,
    page_texts,
    publish_warnings,
    text_runs,
)


@pytest.fixture(scope="session")
def book_pdf(once: Once) -> Callable[..., BuiltPdf]:
    """Typeset a fixture book with the given options, once per test run."""

    def build(name: str, **options: object) -> BuiltPdf:
        pdf_options = PdfOptions(**options)  # type: ignore[arg-type]

        def make(folder: Path) -> BuiltPdf:
            rendered = once.rendered(name)
            with publish_warnings() as warnings:
                path = write_pdf(rendered, folder / f"{name}.pdf", pdf_options)
            return BuiltPdf(rendered, path, tuple(warnings), tuple(page_texts(path)))

        return once(("pdf", name, pdf_options), make)

    return build


def expected_contents(rendered: RenderedBook, depth: int = 2) -> list[tuple[int, str]]:
    """The entries the contents and the outline must have, as the EPUB's navigation: pieces, their
    sections (and subsections, ``depth`` 3), Continue reading."""
    entries: list[tuple[int, str]] = []
    for piece in rendered.pieces:
        entries.append((1, piece.title))
        entries += [(heading.level, heading.text) for heading in piece.headings if 2 <= heading.level <= depth]
    if rendered.link_only:
        entries.append((1, "Continue reading"))
    if has_about_page(rendered.book.meta):
        entries.append((1, "About the practice"))
    return entries


def contents_numbers(built: BuiltPdf) -> list[tuple[str, int]]:
    """Read the contents pages: each expected entry with the page number printed after its leader."""
    start = next(i for i, text in enumerate(built.texts) if text.lstrip().startswith("Contents"))
    text = normalise(" ".join(built.texts[start : start + 3]))
    numbers = []
    position = 0
    for _, title in expected_contents(built.rendered):
        match = re.compile(re.escape(normalise(title)) + r"[\s.]*?(\d+)").search(text, position)
        assert match, f"{title!r} not found in the contents after position {position}"
        numbers.append((title, int(match.group(1))))
        position = match.end()
    return numbers


def physical_page(built: BuiltPdf, number: int) -> int:
    """The index of the page whose folio reads ``number``."""
    pages = [i for i, text in enumerate(built.texts) if folio(text) == str(number)]
    assert len(pages) == 1, f"folio {number} printed on pages {pages}"
    return pages[0]


# --- Every book --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_no_weasyprint_warnings(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    assert book_pdf(name).warnings == ()


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_outline_equals_the_contents(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name)
    assert [(level, title) for level, title, _ in outline(built.path)] == expected_contents(built.rendered)
    assert [title for title, _ in contents_numbers(built)] == [title for _, title in expected_contents(built.rendered)]


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_contents_numbers_are_the_pages_the_headings_are_on(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name)
    marks = outline(built.path)
    for (title, number), (_, _, bookmarked) in zip(contents_numbers(built), marks, strict=True):
        page = physical_page(built, number)
        assert normalise(title) in normalise(built.texts[page]), f"{title!r} is not on the page numbered {number}"
        assert bookmarked == page, f"the bookmark for {title!r} goes to page index {bookmarked}, not {page}"


def _contents_pages(built: BuiltPdf) -> range:
    start = next(i for i, text in enumerate(built.texts) if text.lstrip().startswith("Contents"))
    first_piece = outline(built.path)[0][2]
    return range(start, first_piece)


# Path painting operators (ISO 32000-1, table 60).
_PAINTING = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}


@pytest.mark.parametrize(("name", "large_print"), [("demo", False), ("contents", False), ("linked", True)])
def test_contents_leaders_are_drawn_artifacts_not_text(
    book_pdf: Callable[..., BuiltPdf], name: str, large_print: bool
) -> None:
    """A contents line reads "title page" in the text layer (pypdf and pdftotext alike); its dots are
    drawn, and drawn as an artifact, so a screen reader does not read them out."""
    built = book_pdf(name, large_print=large_print)
    pages = _contents_pages(built)
    layout = subprocess.run(
        ["pdftotext", "-layout", "-f", str(pages.start + 1), "-l", str(pages.stop), str(built.path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for text in (*(built.texts[index] for index in pages), layout):
        assert not re.search(r"\.\s*\.\s*\.", text), "a run of dots in the contents' text"
    pypdf_text = normalise(" ".join(built.texts[index] for index in pages))
    for title, number in contents_numbers(built):
        assert f"{normalise(title)} {number}" in pypdf_text, f"{title!r} is not followed by its page number"
    lines = [" ".join(line.split()) for line in layout.splitlines()]
    for title, number in contents_numbers(built):
        # The line that ends a title (one that wraps ends further down) carries its number at the right.
        ending = re.compile(re.escape(title.split()[-1]) + f" {number}$")
        assert any(ending.search(line) for line in lines), f"no contents line ends {title!r} … {number}"
    with pikepdf.open(built.path) as pdf:
        leaders = 0
        for index in pages:
            marked: list[str] = []  # the open marked-content tags, innermost last
            for operation in pikepdf.parse_content_stream(pdf.pages[index]):
                operator = str(operation.operator)
                if operator in ("BMC", "BDC"):
                    marked.append(str(operation.operands[0]))
                elif operator == "EMC":
                    marked.pop()
                elif operator in _PAINTING:
                    assert "/Artifact" in marked, f"page {index}: a shape drawn outside an artifact"
                elif operator == "scn" and isinstance(operation.operands[-1], pikepdf.Name):
                    leaders += 1  # a row of dots: a tiling pattern filled in
        assert leaders >= len(contents_numbers(built)), "the leaders are not drawn"


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_page_sequence_and_folios(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name)
    meta = built.rendered.book.meta
    texts = built.texts
    assert meta.title in normalise(texts[0]) and folio(texts[0]) is None  # title page, no folio
    assert f"by {meta.author}" in texts[1] and folio(texts[1]) is None  # copyright page
    assert texts[2].lstrip().startswith("Contents") and folio(texts[2]) == "iii"  # roman front matter
    first = outline(built.path)[0][2]
    assert first % 2 == 0, "page 1 is a right-hand page"
    assert folio(texts[first]) == "1"
    assert all(not text.strip() for text in texts[3:first]), "only blank pages between the contents and page 1"
    # Arabic folios count on from 1 and odd numbers fall on right-hand (even-index) pages.
    for index in range(first, len(texts)):
        if texts[index].strip():
            assert folio(texts[index]) == str(index - first + 1)


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_running_heads(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name)
    book_head = built.rendered.book.meta.title.upper()
    piece_heads = {piece.title.upper() for piece in built.rendered.pieces} | {"CONTINUE READING"}
    openings = {page for level, _, page in outline(built.path) if level == 1}
    first = min(openings)
    for index, text in enumerate(built.texts):
        lines = {line.strip() for line in text.splitlines()}
        if index < first or index in openings:
            assert book_head not in lines and not lines & piece_heads, f"a running head on page index {index}"
        elif text.strip() and index % 2 == 1:  # a left-hand page: the book's title
            assert book_head in lines, f"no book title over left-hand page index {index}"
        elif text.strip():  # a right-hand page: the piece's title
            assert lines & piece_heads, f"no piece title over right-hand page index {index}"


def test_the_demo_has_right_hand_running_heads_too(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("demo")
    title = built.rendered.pieces[0].title.upper()
    right_pages = [i for i in range(5, len(built.texts), 2) if title in built.texts[i].splitlines()]
    assert right_pages, "the demo's piece runs over a right-hand page with its running head"


def _text_span(page: object, needle: str) -> tuple[float, float]:
    """The left and right edges (points) of the first occurrence of ``needle`` on a pypdfium2 page."""
    text_page = page.get_textpage()  # type: ignore[attr-defined]
    text = text_page.get_text_range()
    start = text.index(needle)
    boxes = [text_page.get_charbox(i) for i in range(start, start + len(needle)) if not text[i].isspace()]
    return min(box[0] for box in boxes), max(box[2] for box in boxes)


@pytest.mark.parametrize("paper", ["letter", "a5"])
def test_running_heads_and_folios_sit_on_the_text_blocks_edges_and_centre(
    book_pdf: Callable[..., BuiltPdf], paper: str
) -> None:
    """A left-hand head starts at the text block's left edge, a right-hand head ends at its right
    edge, and the folio is centred under it (print.css sets the margin boxes as wide as the block)."""
    import pypdfium2

    built = book_pdf("demo", paper=paper)
    margins = paper_of(PdfOptions(paper=paper))
    inner, outer = (float(length.removesuffix("in")) * 72 for length in (margins.inner, margins.outer))
    book_head = built.rendered.book.meta.title.upper()
    piece_head = built.rendered.pieces[0].title.upper()
    openings = {page for level, _, page in outline(built.path) if level == 1}
    document = pypdfium2.PdfDocument(built.path)
    checked = {"left": 0, "right": 0}
    for index, text in enumerate(built.texts):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        number = folio(text)
        if index <= min(openings) or index in openings or number is None or not number.isdigit():
            continue
        page = document[index]
        width = page.get_width()
        left_hand = index % 2 == 1
        left, right = (outer, width - inner) if left_hand else (inner, width - outer)
        folio_left, folio_right = _text_span(page, number)
        assert abs((folio_left + folio_right) / 2 - (left + right) / 2) < 1, f"folio off centre on page {index}"
        head = book_head if left_hand else piece_head
        if head not in lines:
            continue
        head_left, head_right = _text_span(page, head)
        if left_hand:
            assert abs(head_left - left) < 1.5, f"left-hand head not at the block's left edge on page {index}"
        else:
            # The last letter's ink ends short of the edge by its letter-spacing and side bearing.
            assert 0 <= right - head_right < 2.5, f"right-hand head not at the block's right edge on page {index}"
        checked["left" if left_hand else "right"] += 1
    document.close()
    assert checked["left"] and checked["right"], checked


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_pdf_ua_essentials(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name)
    meta = built.rendered.book.meta
    with pikepdf.open(built.path) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root and len(root.StructTreeRoot.K) > 0
        assert bool(root.MarkInfo.Marked)
        assert str(root.Lang) == meta.language
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        info = pdf.docinfo
        assert str(info["/Title"]) == meta.title
        assert str(info["/Author"]) == meta.author
        if meta.description:
            assert str(info["/Subject"]) == " ".join(meta.description.split())
        if meta.subjects:
            assert str(info["/Keywords"]) == ", ".join(meta.subjects)
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
            assert xmp.get("dc:title") == meta.title
        for page in pdf.pages:
            for font in _fonts(page):
                assert _embedded(font), f"font {font.get('/BaseFont')} is not embedded"


def _fonts(page: pikepdf.Page) -> list[pikepdf.Dictionary]:
    fonts = []
    resources = page.obj.get("/Resources", {})
    for font in resources.get("/Font", {}).values():
        fonts.append(font)
    for xobject in resources.get("/XObject", {}).values():
        for font in xobject.get("/Resources", {}).get("/Font", {}).values():
            fonts.append(font)
    return fonts


def _embedded(font: pikepdf.Dictionary) -> bool:
    descendants = font.get("/DescendantFonts")
    descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
    return descriptor is not None and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_fonts_are_the_books_own(book_pdf: Callable[..., BuiltPdf]) -> None:
    with pikepdf.open(book_pdf("linked").path) as pdf:
        names = {str(font.BaseFont).split("+")[-1] for page in pdf.pages for font in _fonts(page)}
    assert names and all(name.startswith(("Source-Serif-Pro", "Source-Sans-Pro")) for name in names), names


# --- Links, notes, figures ------------------------------------------------------------


def test_cross_links_go_to_the_right_pages(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked")
    marks = {title: page for _, title, page in outline(built.path)}
    second = marks["Making Room to Talk"]
    # second.md links to first.md (twice: a file link and the first piece's URL) and to third.md#a-simple-repair-plan.
    targets = set(link_targets(built.path, second)) | set(link_targets(built.path, second + 1))
    assert marks["First Steps: Noticing the Small Moments"] in targets
    assert marks["A simple repair plan"] in targets
    # The contents link every entry to its page.
    contents = next(i for i, text in enumerate(built.texts) if text.lstrip().startswith("Contents"))
    assert set(link_targets(built.path, contents)) == set(marks.values())


def test_footnotes_sit_at_the_foot_of_their_page(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked")
    page = next(i for i, text in enumerate(built.texts) if "ambushed" in text)
    runs = text_runs(built.path, page)
    # Not "check-in": the hyphen glyph reads as U+2010 when WeasyPrint also hyphenated a word (one ToUnicode entry).
    note = next(run for run in runs if "weekly check" in run.text)
    marker = next(run for run in runs if run.text == "1." and run.y == note.y)
    body = [run for run in runs if run.size == 11.5]
    assert note.size == marker.size == 9
    assert note.y < min(run.y for run in body), "the note is below the text"
    assert "Many couples find that a regular weekly check" in normalise(built.texts[page])
    assert "Back to note" not in built.texts[page]
    # Numbered from 1 again in each piece: the third piece has none, the second has 1 and 2.
    second_note = next(i for i, text in enumerate(built.texts) if "A simple way to check is to repeat back" in text)
    assert "2. A simple way to check" in normalise(built.texts[second_note])


def test_images_and_table_are_typeset(book_pdf: Callable[..., BuiltPdf]) -> None:
    with pikepdf.open(book_pdf("linked").path) as pdf:
        figures = []

        def walk(element: pikepdf.Object) -> None:
            if isinstance(element, pikepdf.Dictionary):
                if element.get("/S") == "/Figure":
                    figures.append(str(element.get("/Alt", "")))
                for kid in element.get("/K", []) if isinstance(element.get("/K"), pikepdf.Array) else []:
                    walk(kid)

        walk(pdf.Root.StructTreeRoot.K[0])
    assert "A small blue square on white" in figures
    assert "A wide flat field of soft green under a pale yellow band" in figures
    assert any(
        alt.startswith("QR code linking to https://example.com/blog/listening-without-fixing") for alt in figures
    )
    text = normalise(" ".join(book_pdf("linked").texts))
    assert "Name the need “I think we both wanted to feel listened to.”" in text


def test_continue_reading_prints_urls_with_qr_codes(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked")
    page = next(page for _, title, page in outline(built.path) if title == "Continue reading")
    assert "Listening Without Fixing" in built.texts[page]
    assert "https://example.com/blog/listening-without-fixing" in built.texts[page]
    with pikepdf.open(built.path) as pdf:
        assert pdf.pages[page].obj.Resources.get("/XObject"), "the QR code is drawn"


def test_smart_quotes_and_dashes(book_pdf: Callable[..., BuiltPdf]) -> None:
    text = " ".join(book_pdf("demo").texts)
    assert "“I know this is hard. I’m here.”" in normalise(text)
    assert "—" in text and '"' not in text and " -- " not in text


def test_reflection_prompts_get_writing_lines(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked")
    page = next(i for i, text in enumerate(built.texts) if "What did you notice today?" in text)
    with pikepdf.open(built.path) as pdf:
        instructions = pikepdf.parse_content_stream(pdf.pages[page])
    # WeasyPrint draws each border as a closed path (m, l, l, l): a ruled line is a path
    # under a point high and several inches wide (in its px-scaled coordinates).
    paths: list[list[tuple[float, float]]] = []
    for instruction in instructions:
        operator = str(instruction.operator)
        if operator == "m":
            paths.append([])
        if operator in ("m", "l"):
            paths[-1].append((float(instruction.operands[0]), float(instruction.operands[1])))
    rules = [
        points
        for points in paths
        if max(y for _, y in points) - min(y for _, y in points) < 1.5
        and max(x for x, _ in points) - min(x for x, _ in points) > 200
    ]
    assert len(rules) >= 6, f"three lines for each of the two prompts, found {len(rules)}"


# --- Typography ---------------------------------------------------------------------


def _body_pages(built: BuiltPdf) -> list[int]:
    openings = {page for level, _, page in outline(built.path) if level == 1}
    first = min(openings)
    return [i for i in range(first, len(built.texts)) if i not in openings and len(built.texts[i]) > 800]


@pytest.mark.parametrize("paper", ["letter", "a4", "a5", "half-letter"])
def test_measure_is_62_to_70_characters(book_pdf: Callable[..., BuiltPdf], paper: str) -> None:
    built = book_pdf("demo", paper=paper)
    lengths = [n for page in _body_pages(built)[:2] for n in full_line_lengths(built.texts[page])]
    assert len(lengths) > 40
    assert 62 <= statistics.median(lengths) <= 70, statistics.median(lengths)


@pytest.mark.parametrize(
    ("paper", "size"),
    [("letter", (612, 792)), ("a4", (595.28, 841.89)), ("a5", (419.53, 595.28)), ("half-letter", (396, 612))],
)
def test_paper_sizes(book_pdf: Callable[..., BuiltPdf], paper: str, size: tuple[float, float]) -> None:
    built = book_pdf("demo", paper=paper)
    with pikepdf.open(built.path) as pdf:
        for page in pdf.pages:
            box = [float(v) for v in page.trimbox]
            assert box[2] - box[0] == pytest.approx(size[0], abs=0.5) and box[3] - box[1] == pytest.approx(
                size[1], abs=0.5
            )
    assert built.warnings == ()


def test_body_type_is_source_serif_11_5_on_1_45(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("demo")
    page = _body_pages(built)[0]
    runs = [run for run in text_runs(built.path, page) if run.font == "Source-Serif-Pro"]
    assert Counter(run.size for run in runs).most_common(1)[0][0] == 11.5
    lines = sorted({round(run.y, 1) for run in runs if run.size == 11.5}, reverse=True)
    gaps = Counter(round(a - b, 2) for a, b in itertools.pairwise(lines))
    assert gaps.most_common(1)[0][0] == pytest.approx(11.5 * 1.45, abs=0.05)


def test_hyphenation_follows_the_language(book_pdf: Callable[..., BuiltPdf]) -> None:
    texts = book_pdf("demo").texts
    ends = [
        line.rstrip()
        for text in texts
        for line in text.splitlines()
        if line.rstrip().endswith(("-", SOFT_HYPHEN_BREAK))
    ]
    # Words broken by the English hyphenation patterns, not only at compounds' own hyphens.
    broken = [line.split()[-1] for line in ends]
    assert any(word[:-1].isalpha() for word in broken), broken


def test_headings_never_end_a_page(book_pdf: Callable[..., BuiltPdf]) -> None:
    for name in ("demo", "linked"):
        built = book_pdf(name)
        headings = {normalise(h.text) for piece in built.rendered.pieces for h in piece.headings}
        for text in built.texts:
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            body = [line for line in lines if line != folio(text) and not line.isupper()]
            if body:
                assert normalise(body[-1]) not in headings, f"heading {body[-1]!r} alone at the foot of a page"


@pytest.mark.parametrize("name", ["contents", "linked"])
def test_duplex_starts_pieces_on_right_hand_pages(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    built = book_pdf(name, duplex=True)
    assert built.warnings == ()
    openings = [page for level, _, page in outline(built.path) if level == 1]
    assert all(page % 2 == 0 for page in openings), openings
    simplex = [page for level, _, page in outline(book_pdf(name).path) if level == 1]
    if name == "contents":  # one-page pieces: a blank verso after each, carrying nothing, not even a folio
        assert simplex == [4, 5] and openings == [4, 6]
        assert not built.texts[5].strip()
    for (title, number), (_, _, page) in zip(contents_numbers(built), outline(built.path), strict=True):
        assert physical_page(built, number) == page, title


def test_bleed_and_crop_marks(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("minimal", bleed="3mm", crop_marks=True)
    assert built.warnings == ()
    bleed = 3 / 25.4 * 72
    with pikepdf.open(built.path) as pdf:
        page = pdf.pages[0]
        trim = [float(v) for v in page.trimbox]
        bleed_box = [float(v) for v in page.bleedbox]
        media = [float(v) for v in page.mediabox]
    assert trim[2] - trim[0] == pytest.approx(612, abs=0.5) and trim[3] - trim[1] == pytest.approx(792, abs=0.5)
    assert bleed_box[2] - bleed_box[0] == pytest.approx(612 + 2 * bleed, abs=0.5)
    assert media[2] - media[0] == pytest.approx(612 + 6 * bleed, abs=0.5), "room for the crop marks outside the bleed"
    with pikepdf.open(built.path) as pdf:
        drawn = [str(op.operator) for op in pikepdf.parse_content_stream(pdf.pages[0])]
    assert drawn.count("re") > 0 and ("l" in drawn or "Do" in drawn), "marks are drawn"


def test_bleed_must_be_a_length(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["pdf", "-m", str(FIXTURES / "minimal"), "--bleed", "wide", "-o", str(tmp_path / "a.pdf")],
        prog_name="publish",
    )
    # A mistake in the command line, found before the manuscript is read: exit status 2, one line.
    assert result.exit_code == 2
    assert result.output == (
        "Error: Invalid value for '--bleed': bleed 'wide' is not a length: give a number and a unit, "
        "e.g. 0.125in or 3mm (see 'publish pdf -h')\n"
    )


# --- Large print --------------------------------------------------------------------


def test_large_print(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("demo", large_print=True)
    assert built.warnings == ()
    for page in _body_pages(built)[:3]:
        runs = text_runs(built.path, page)
        body = [run for run in runs if len(run.text) > 30 and not run.text.isupper()]
        assert body and min(run.size for run in body) >= 18, sorted({run.size for run in body})
        assert all(run.font.startswith("Source-Sans-Pro") for run in body)
        assert not any(run.font.endswith("It") or "Italic" in run.font for run in body)
    lines = [line.rstrip() for text in built.texts for line in text.splitlines()]
    assert not [line for line in lines if line.endswith(SOFT_HYPHEN_BREAK) or re.search(r"[a-z]-$", line)]
    lengths = [n for page in _body_pages(built)[:2] for n in full_line_lengths(built.texts[page])]
    assert 50 <= statistics.median(lengths) <= 70  # 18 pt sans on a 6.85 in line still reads comfortably


def test_large_print_keeps_contents_and_outline(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked", large_print=True)
    assert [(level, title) for level, title, _ in outline(built.path)] == expected_contents(built.rendered)
    for (title, number), (_, _, page) in zip(contents_numbers(built), outline(built.path), strict=True):
        assert physical_page(built, number) == page, title


# --- Warnings, reproducibility, command line ----------------------------------------------


def test_weasyprint_warnings_are_reported_and_strict_makes_them_errors(tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "print.css").write_text("p { colour: red; }\n", encoding="utf-8")
    book = copy_manuscript(FIXTURES / "minimal", tmp_path / "book")
    runner = CliRunner()
    result = runner.invoke(main, ["pdf", "-m", str(book), "--styles", str(styles), "-o", str(tmp_path / "a.pdf")])
    assert result.exit_code == 0, result.output
    assert "Warning: Minimal Book: WeasyPrint: Ignored `colour: red` at 1:5, unknown property." in result.output
    result = runner.invoke(
        main, ["pdf", "-m", str(book), "--styles", str(styles), "--strict", "-o", str(tmp_path / "b.pdf")]
    )
    assert result.exit_code == 1
    assert "Error: Minimal Book: WeasyPrint: Ignored `colour: red`" in result.output
    assert not (tmp_path / "b.pdf").exists()


def test_weasyprint_notice_about_the_machine_is_no_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without the system's HarfBuzz-Subset library, WeasyPrint subsets fonts with fontTools and says so at
    # warning level: that is about the machine, not the book, so neither a warning nor fatal with --strict.
    import logging

    from weasyprint import HTML

    render = HTML.render

    def render_saying_so(self: HTML, *args: object, **kwargs: object) -> object:
        logging.getLogger("weasyprint").warning(
            'Using fontTools instead of HarfBuzz-Subset for font "Source Serif Pro". '
            "This will be unsupported in future versions of WeasyPrint."
        )
        return render(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "render", render_saying_so)
    book = copy_manuscript(FIXTURES / "minimal", tmp_path / "book")
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(book), "--strict", "--jobs", "1", "-o", str(tmp_path / "a.pdf")]
    )
    assert result.exit_code == 0, result.output
    assert "HarfBuzz" not in result.output and "Warning" not in result.output
    assert (tmp_path / "a.pdf").is_file()


def _build_in_subprocess(target: Path, timezone: str, *extra: str) -> bytes:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TZ": timezone}
    command = [sys.executable, "-m", "publish", "-q", "pdf", "-m", str(FIXTURES / "linked"), "-o", str(target), *extra]
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return target.read_bytes()


@pytest.mark.parametrize("extra", [(), ("--booklet",)], ids=["book", "booklet"])
def test_reproducible_across_builds_and_time_zones(tmp_path: Path, extra: tuple[str, ...]) -> None:
    first = _build_in_subprocess(tmp_path / "utc.pdf", "UTC", *extra)
    second = _build_in_subprocess(tmp_path / "chicago.pdf", "America/Chicago", *extra)
    assert first == second
    with pikepdf.open(tmp_path / "utc.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20231114221320")  # SOURCE_DATE_EPOCH, in UTC


def test_default_output_and_paper_choice_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "minimal"), "--paper", "a5"])
    assert result.exit_code == 0, result.output
    target = tmp_path / "dist" / "minimal-book.pdf"
    assert result.output.startswith(f"Wrote {Path('dist') / 'minimal-book.pdf'} (")
    with pikepdf.open(target) as pdf:
        assert result.output.endswith(f" KB, {len(pdf.pages)} pages)\n")
    with pikepdf.open(target) as pdf:
        assert float(pdf.pages[0].trimbox[2]) == pytest.approx(419.53, abs=0.5)


def test_styles_folder_replaces_print_css(tmp_path: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    css = (ROOT / "styles" / "print.css").read_text(encoding="utf-8")
    (styles / "print.css").write_text(css + "\nhtml { font-size: 14pt; }\n", encoding="utf-8")
    rendered = prepare(FIXTURES / "minimal")
    with publish_warnings() as warnings:
        path = write_pdf(rendered, tmp_path / "custom.pdf", PdfOptions(styles=styles))
    assert warnings == []
    page = outline(path)[0][2]
    assert Counter(run.size for run in text_runs(path, page)).most_common(1)[0][0] == 14


# --- What the finishing pass amends ----------------------------------------------------


def _reachable_elements(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    seen: set[tuple[int, int]] = set()
    stack = list(pdf.Root.StructTreeRoot.K)
    while stack:
        element = stack.pop()
        if not isinstance(element, pikepdf.Dictionary) or element.objgen in seen:
            continue
        seen.add(element.objgen)
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return seen


@pytest.mark.parametrize("name", ["demo", "linked"])
def test_running_heads_and_folios_are_artifacts_and_all_else_is_tagged(
    book_pdf: Callable[..., BuiltPdf], name: str
) -> None:
    built = book_pdf(name)
    with pikepdf.open(built.path) as pdf:
        reachable = _reachable_elements(pdf)
        parents = dict(
            zip(
                pdf.Root.StructTreeRoot.ParentTree.Nums[::2], pdf.Root.StructTreeRoot.ParentTree.Nums[1::2], strict=True
            )
        )
        for index, page in enumerate(pdf.pages):
            marked = [op.operands for op in pikepdf.parse_content_stream(page) if str(op.operator) == "BDC"]
            artifacts = [operands for operands in marked if operands[0] == "/Artifact"]
            mcids = [int(operands[1].MCID) for operands in marked if "/MCID" in operands[1]]
            mapping = parents[int(page.obj.StructParents)]
            for mcid in mcids:
                assert mapping[mcid].objgen in reachable, f"page {index}: MCID {mcid} is outside the structure tree"
            if folio(built.texts[index]):
                assert artifacts, f"page {index}: its folio is not an artifact"


def test_page_labels_are_roman_then_arabic(book_pdf: Callable[..., BuiltPdf]) -> None:
    built = book_pdf("linked")
    from pypdf import PdfReader

    labels = PdfReader(built.path).page_labels
    first = outline(built.path)[0][2]
    assert labels[:first] == ["i", "ii", "iii", "iv"][:first]
    assert labels[first:] == [str(n) for n in range(1, len(labels) - first + 1)]
    assert all(folio(text) in (None, label) for text, label in zip(built.texts, labels, strict=True))


@pytest.mark.parametrize("name", ["demo", "linked"])
def test_links_are_link_elements_and_print(book_pdf: Callable[..., BuiltPdf], name: str) -> None:
    with pikepdf.open(book_pdf(name).path) as pdf:
        numbers = pdf.Root.StructTreeRoot.ParentTree.Nums
        owners = {int(key): value for key, value in zip(numbers[::2], numbers[1::2], strict=True)}
        count = 0
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                count += 1
                assert int(annotation.F) & 4, "a link without the Print flag"
                owner = owners[int(annotation.StructParent)]
                assert owner.S == "/Link", f"the annotation belongs to a {owner.S} element"
                kids = [kid for kid in owner.K if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"]
                assert any(kid.Obj.objgen == annotation.objgen for kid in kids)
        assert count > 10


def test_tables_say_what_their_headers_head(book_pdf: Callable[..., BuiltPdf]) -> None:
    with pikepdf.open(book_pdf("linked").path) as pdf:
        scopes = []
        stack = list(pdf.Root.StructTreeRoot.K)
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary):
                if element.get("/S") == "/TH":
                    scopes.append(str(element.A.Scope))
                if isinstance(element.get("/K"), pikepdf.Array):
                    stack.extend(element.K)
    assert scopes == ["/Column", "/Column"]


# --- The pieces' HTML prepared for print ------------------------------------------------


def _prepared(body: str) -> str:
    from types import SimpleNamespace

    from publish.i18n import Words
    from publish.pdf.html import piece_body_html

    def resolve(document: str, anchor: str) -> str | None:
        return None if document == "gone.xhtml" else f"#{document.removesuffix('.xhtml')}--{anchor}"

    return piece_body_html(SimpleNamespace(body=body, slug="p", images=()), resolve, Words("en"))  # type: ignore[arg-type]


def test_lone_image_becomes_a_figure_with_its_title_as_caption() -> None:
    html = _prepared(
        '<p><img src="a.png" alt="A thing" title="The thing, drawn"/></p><p>Text <img src="b.png" alt=""/></p>'
    )
    assert (
        '<figure><img src="a.png" alt="A thing" title="The thing, drawn"><figcaption>The thing, drawn</figcaption></figure>'
        in html
    )
    assert '<p>Text <img src="b.png" alt=""></p>' in html  # an image inside text stays inline


def test_footnotes_move_to_their_calls() -> None:
    body = (
        '<p>Said.<sup id="fnref-1"><a class="footnote-ref" href="#fn-1">1</a></sup> More.</p>'
        '<div class="footnote"><hr/><ol><li id="fn-1"><p>The note. '
        '<a class="footnote-backref" href="#fnref-1" title="Back">&#8617;</a></p></li></ol></div>'
    )
    assert _prepared(body) == '<p>Said.<span class="footnote">The note.</span> More.</p>'


def test_links_ids_and_headings() -> None:
    html = _prepared(
        '<h2 id="why">Why it is so</h2><p><a href="#why">here</a>, <a href="other.xhtml#x">there</a>, '
        '<a href="gone.xhtml">gone</a>, <a href="https://example.com/">web</a></p>'
    )
    assert '<h2 id="p--why">Why it <span class="nobr">is so</span></h2>' in html
    assert '<a href="#p--why">here</a>' in html and '<a href="#other--x">there</a>' in html
    assert "<span>gone</span>" in html and '<a href="https://example.com/">web</a>' in html


@pytest.mark.parametrize(
    ("title", "html"),
    [
        ("Supporting Your Partner in Developing Self-Compassion",
         'Supporting Your Partner in Developing <span class="nobr">Self-Compassion</span>'),
        ("Why Your Support Matters (Even If They Can’t Say It Yet)",
         'Why Your Support Matters (Even If They Can’t Say <span class="nobr">It Yet)</span>'),
        ("Rock & Roll", 'Rock <span class="nobr">&amp; Roll</span>'),
        ("Hello", "Hello"),
    ],
)  # fmt: skip
def test_title_line_breaking(title: str, html: str) -> None:
    from publish.pdf.html import title_html

    assert title_html(title) == html


def test_a_book_of_titles_only_numbers_continue_reading_as_page_1(tmp_path: Path) -> None:
    write_manuscript(
        tmp_path, {"a.md": "---\ntitle: Coming Soon\nurl: https://example.com/soon\n---\n"}, title="Only Links"
    )
    with publish_warnings() as warnings:
        path = write_pdf(prepare(tmp_path), tmp_path / "out.pdf")
    assert warnings == []
    texts = page_texts(path)
    assert outline(path) == [(1, "Continue reading", len(texts) - 1)]
    assert folio(texts[-1]) == "1" and "https://example.com/soon" in texts[-1]


def _body_lines(built: BuiltPdf, page: int, size: float) -> list[tuple[float, str]]:
    """The lines of body text on a page, top to bottom, as (x of the line start, text)."""
    lines: dict[float, list] = {}
    for run in text_runs(built.path, page):
        if run.size == size and run.font.startswith("Source-Serif-Pro"):
            lines.setdefault(round(run.y, 1), []).append(run)
    return [
        (min(run.x for run in runs), " ".join(run.text for run in runs))
        for _, runs in sorted(lines.items(), reverse=True)
    ]


@pytest.mark.parametrize(
    ("name", "paper", "size"),
    [("demo", "letter", 11.5), ("demo", "a4", 11.5), ("demo", "a5", 10.5), ("demo", "half-letter", 10.5)],
)
def test_no_orphans_or_widows(book_pdf: Callable[..., BuiltPdf], name: str, paper: str, size: float) -> None:
    built = book_pdf(name, paper=paper)
    openings = {page for level, _, page in outline(built.path) if level == 1}
    checked = 0
    for page in _body_pages(built):
        lines = _body_lines(built, page, size)
        left = min(x for x, _ in lines)
        indented = [abs(x - left - 1.2 * size) < 0.5 for x, _ in lines]
        # Orphan: a paragraph's indented first line alone at the foot of the page (not where the piece ends).
        if page + 1 < len(built.texts) and page + 1 not in openings:
            assert not indented[-1], f"page {page} ends with the first line of a paragraph: {lines[-1][1]!r}"
        # Widow: the last line of a paragraph alone at the head of the page.
        assert not (not indented[0] and indented[1]), (
            f"page {page} starts with a paragraph's last line: {lines[0][1]!r}"
        )
        checked += 1
    assert checked >= 2


def test_a_paragraph_separator_in_the_text_is_typeset(tmp_path: Path) -> None:
    write_manuscript(
        tmp_path, {"a.md": "---\ntitle: P\n---\n\nword \u2029 more\n\n- item \u2029\n"}, title="G", author="H"
    )
    with publish_warnings() as warnings:
        path = write_pdf(prepare(tmp_path), tmp_path / "out.pdf")
    assert warnings == []
    assert "word more" in normalise(page_texts(path)[-1])


def test_a_footnote_call_without_its_note_keeps_its_number_without_a_link() -> None:
    html = _prepared('<p>Said.<sup id="fnref-x"><a class="footnote-ref" href="#fn-x">1</a></sup></p>')
    assert html == '<p>Said.<sup id="p--fnref-x"><span>1</span></sup></p>'


def test_a_bug_in_publish_is_not_blamed_on_the_markdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """publish's own PDF finishing fails: one line naming an internal error and a saved traceback."""
    import tempfile

    import publish.pdf.finishing

    def broken(*args: object) -> None:
        raise KeyError("no such object")

    monkeypatch.setattr(publish.pdf.finishing, "_links_own_their_annotations", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(FIXTURES / "minimal"), "--jobs", "1", "-o", str(tmp_path / "a.pdf")]
    )
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith(f"Error: internal error in publish {__version__}: FinishingError: KeyError: ")
    assert "WeasyPrint could not typeset" not in line and "Traceback" not in result.output
    saved = Path(line.rsplit("please report it with ", 1)[1])
    assert saved.parent == tmp_path and "Traceback" in saved.read_text(encoding="utf-8")
    assert not (tmp_path / "a.pdf").exists()
