"""A book typeset in parallel parts and joined is the PDF one render gives (publish.pdf.parts)."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import pikepdf
import pytest
from long_book import write_long_book
from pypdf import PdfReader

from publish.build import prepare
from publish.pdf.paper import PdfOptions
from publish.pdf.parts import PARALLEL_WORDS, parallel_jobs, split_pieces, typeset_book_parallel
from publish.pdf.write import typeset_book
from publish.processes.workers import Pool
from publish.render import RenderedBook

from conftest import FIXTURES, ROOT
from pdf_helpers import outline, page_texts


@pytest.fixture(scope="module")
def long_book(tmp_path_factory: pytest.TempPathFactory) -> RenderedBook:
    """Eight linked pieces and one listed under Continue reading."""
    folder = tmp_path_factory.mktemp("parallel-book")
    write_long_book(folder)
    return prepare(folder)


@pytest.fixture(scope="module")
def single_render(long_book: RenderedBook, tmp_path_factory: pytest.TempPathFactory) -> Callable[[PdfOptions], Path]:
    """The long book typeset in one process, once per set of options, dated by SOURCE_DATE_EPOCH as the
    parallel builds compared with it are."""
    made: dict[PdfOptions, Path] = {}

    def render(options: PdfOptions) -> Path:
        options = replace(options, jobs=1)
        if options not in made:
            path = tmp_path_factory.mktemp("single") / "single.pdf"
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
                path.write_bytes(typeset_book(long_book, options))
            made[options] = path
        return made[options]

    return render


def _struct(pdf: pikepdf.Pdf) -> tuple[list[tuple[int, str, int | None, str]], set[tuple[int, int]]]:
    """The structure tree in reading order as (depth, type, page, attributes), and the (page, MCID) pairs it reaches."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    elements: list[tuple[int, str, int | None, str]] = []
    marked: set[tuple[int, int]] = set()
    ids: dict[str, int] = {}
    headers: list[tuple[int, list[str]]] = []

    def walk(item: object, depth: int, page: int | None) -> None:
        if isinstance(item, int):
            assert page is not None
            marked.add((page, item))
            elements.append((depth, "MCID", page, ""))
            return
        assert isinstance(item, pikepdf.Dictionary)
        if item.get("/Type") == "/OBJR":
            elements.append((depth, "OBJR", pages[item.Pg.objgen], ""))
            return
        page = pages[item.Pg.objgen] if "/Pg" in item else page
        attributes = dict(item.get("/A", {}))
        if "/ID" in item:
            ids[str(item.ID)] = len(elements)
        if "/Headers" in attributes:
            # Header cells are named by object numbers, which differ: compare whom they name.
            headers.append((len(elements), [str(name) for name in attributes.pop("/Headers")]))
        elements.append((depth, str(item.S), page, repr(sorted((str(k), repr(v)) for k, v in attributes.items()))))
        kids = item.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
            walk(kid, depth + 1, page)

    walk(pdf.Root.StructTreeRoot.K[0], 0, None)
    for index, names in headers:
        depth, kind, page, attributes = elements[index]
        elements[index] = (depth, kind, page, f"{attributes} headers {[ids[name] for name in names]}")
    return elements, marked


def _marked_content(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    """Every (page, MCID) of the pages' content."""
    found = set()
    for index, page in enumerate(pdf.pages):
        for operands, operator in pikepdf.parse_content_stream(page):
            properties = operands[1] if operator == pikepdf.Operator("BDC") else None
            if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                found.add((index, int(properties.MCID)))
    return found


def _links(pdf: pikepdf.Pdf) -> list[tuple[int, list[float], str, str, str, int]]:
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    names = pdf.Root.Names.Dests.Names
    destinations = {
        str(names[i]): (pages[names[i + 1][0].objgen], list(names[i + 1])[1:]) for i in range(0, len(names), 2)
    }
    links = []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            target = str(annotation.get("/Dest", "")) or str(annotation.A.URI)
            assert "publish-part" not in target
            links.append(
                (index, [round(float(x), 3) for x in annotation.Rect], target, str(annotation.get("/Contents")),
                 repr(destinations.get(target)), int(annotation.StructParent))
            )  # fmt: skip
    return links


def _assert_same_pdf(single: Path, joined: Path) -> None:
    """Everything a reader, a viewer or assistive technology sees is the same."""
    assert page_texts(joined) == page_texts(single)  # the contents' numbers, running heads, folios among them
    assert outline(joined) == outline(single)
    one, two = PdfReader(single), PdfReader(joined)
    assert len(two.pages) == len(one.pages)
    assert list(two.page_labels) == list(one.page_labels)
    assert two.metadata == one.metadata
    assert [tuple(p.mediabox) for p in two.pages] == [tuple(p.mediabox) for p in one.pages]
    with pikepdf.open(single) as a, pikepdf.open(joined) as b:
        assert _links(b) == _links(a)
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            assert repr(b.Root[key]) == repr(a.Root[key])
        assert a.open_metadata().get("pdfuaid:part") == b.open_metadata().get("pdfuaid:part") == "1"
        assert [int(p.obj.get("/StructParents", -1)) for p in b.pages] == list(range(len(b.pages)))
        elements, reached = _struct(b)
        assert elements == _struct(a)[0]
        # Every marked piece of content on every page belongs to the structure tree (the rest are artifacts) ...
        assert reached == _marked_content(b)
        assert {page for page, _ in reached} == {page for page, _ in _marked_content(a)}
        # ... and the tree reads the pages in order.
        order = [page for _, kind, page, _ in elements if kind == "MCID"]
        assert order == sorted(order)
        numbers = b.Root.StructTreeRoot.ParentTree.Nums
        keys = [int(numbers[i]) for i in range(0, len(numbers), 2)]
        assert keys == sorted(set(keys)) and keys[: len(b.pages)] == list(range(len(b.pages)))


@pytest.mark.parametrize(
    ("options", "jobs"),
    [(PdfOptions(), 8), (PdfOptions(paper="a5", duplex=True, large_print=True, crop_marks=True), 2)],
    ids=["letter-a-part-per-piece", "a5-duplex-large-print-crop-marks-2-parts"],
)
def test_parts_join_into_the_single_render(
    long_book: RenderedBook,
    single_render: Callable[[PdfOptions], Path],
    options: PdfOptions,
    jobs: int,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the same dates as the single render
    single = single_render(options)
    with caplog.at_level(logging.DEBUG, logger="publish.pdf.parts"):
        joined_bytes = typeset_book_parallel(long_book, options, jobs)
    assert joined_bytes is not None, caplog.text
    starts = [int(n) for n in re.findall(r"\d+", re.search(r"parts start on body pages \[(.*)\]", caplog.text)[1])]
    assert len(starts) == jobs
    if not options.duplex:
        # The second part starts on a left-hand page: laid out as a right-hand one, then moved across.
        assert starts[:2] == [1, 2], starts
    joined = tmp_path / "joined.pdf"
    joined.write_bytes(joined_bytes)
    _assert_same_pdf(single, joined)


def test_the_command_typesets_parts_in_processes_started_before_reading(
    long_book: RenderedBook,
    single_render: Callable[[PdfOptions], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``publish pdf`` forks its part processes first; they give the single render too."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    single = single_render(PdfOptions())
    joined = tmp_path / "joined.pdf"
    command = [sys.executable, "-m", "publish", "-v", "pdf", "-m", str(long_book.book.root), "--jobs", "2"]
    result = subprocess.run([*command, "-o", str(joined)], check=True, cwd=ROOT, capture_output=True, text=True)
    assert "typesetting the book whole" not in result.stderr  # the parts were joined
    _assert_same_pdf(single, joined)


def test_workers_started_ahead_typeset_the_parts_and_the_front_matter(
    long_book: RenderedBook,
    single_render: Callable[[PdfOptions], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    single = single_render(PdfOptions())
    workers = Pool(3, get_context("spawn"))  # this process has loaded WeasyPrint: no fork
    joined = tmp_path / "joined.pdf"
    joined.write_bytes(typeset_book(long_book, PdfOptions(jobs=2), workers))
    assert len(workers) == 0
    _assert_same_pdf(single, joined)


def test_contents_numbers_are_the_pages_of_their_targets(long_book: RenderedBook, tmp_path: Path) -> None:
    joined = tmp_path / "joined.pdf"
    joined.write_bytes(typeset_book(long_book, PdfOptions(jobs=3)))
    labels = list(PdfReader(joined).page_labels)
    texts = page_texts(joined)
    contents = "\n".join(text for label, text in zip(labels, texts, strict=True) if not label.isdigit())
    entries = re.findall(r"^(Piece \d+|Section \d+ of piece \d+)\b.*?(\d+)$", contents, re.MULTILINE)
    assert len(entries) > 16
    for title, folio in entries:
        page = texts[labels.index(folio)]
        # The page numbered so shows the piece's title or the section's heading.
        assert title in page, (title, folio)
    for number in range(1, len(long_book.pieces) + 1):
        assert texts[labels.index(dict(entries)[f"Piece {number}"])].startswith(f"Piece {number}:")


def test_parallel_jobs_by_length_styles_and_option(long_book: RenderedBook, tmp_path: Path) -> None:
    words = sum(len(piece.piece.body.split()) for piece in long_book.pieces)
    assert words < PARALLEL_WORDS
    assert parallel_jobs(long_book, PdfOptions()) == 1  # short: not worth a second process
    assert parallel_jobs(long_book, PdfOptions(jobs=2)) == 2
    assert parallel_jobs(long_book, PdfOptions(jobs=50)) == len(long_book.pieces)
    assert parallel_jobs(long_book, PdfOptions(jobs=1)) == 1
    assert parallel_jobs(long_book, PdfOptions(jobs=2, styles=tmp_path)) == 1  # own stylesheets: typeset whole


def test_split_pieces_keeps_order_and_balances() -> None:
    assert split_pieces([10] * 8, 2) == [range(0, 4), range(4, 8)]
    assert split_pieces([1, 1, 1, 30], 2) == [range(0, 3), range(3, 4)]
    assert split_pieces([30, 1, 1, 1], 2) == [range(0, 1), range(1, 4)]
    assert split_pieces([5, 5], 5) == [range(0, 1), range(1, 2)]
    parts = split_pieces([3, 9, 4, 7, 1, 8, 2, 6, 5], 3)
    assert [i for part in parts for i in part] == list(range(9)) and len(parts) == 3


def test_unequal_left_and_right_text_areas_fall_back_to_one_render(long_book: RenderedBook, tmp_path: Path) -> None:
    """Moving a page across is exact only when both sides have the same text area: otherwise the book is typeset whole."""
    styles = tmp_path / "styles"
    styles.mkdir()
    print_css = (Path(__file__).resolve().parent.parent / "styles" / "print.css").read_text(encoding="utf-8")
    (styles / "print.css").write_text(print_css + "\n@page :left { margin-left: 2.5in; }\n", encoding="utf-8")
    options = PdfOptions(styles=styles)
    assert typeset_book_parallel(long_book, options, len(long_book.pieces)) is None


def test_jobs_option_takes_a_positive_count(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from publish.cli import main

    result = CliRunner().invoke(
        main, ["pdf", "-m", str(FIXTURES / "minimal"), "-o", str(tmp_path / "x.pdf"), "--jobs", "0"]
    )
    assert result.exit_code == 2
    assert "--jobs" in result.output and not (tmp_path / "x.pdf").exists()


def test_inside_a_daemonic_process_the_book_is_typeset_whole(long_book: RenderedBook) -> None:
    """A daemonic process may not start processes of its own: typeset_book falls back to one render."""
    import multiprocessing

    process = multiprocessing.current_process()
    daemon = process._config.get("daemon")
    process._config["daemon"] = True
    try:
        assert typeset_book_parallel(long_book, PdfOptions(), 2) is None
    finally:
        process._config["daemon"] = daemon


def test_the_parts_are_generated_with_links_across_parts() -> None:
    """The HTML of a part links across parts as generated (no rewriting of the HTML afterwards); the rest is the same."""
    from publish.pdf.html import book_sections
    from publish.pdf.parts import PART_LINK

    rendered = prepare(FIXTURES / "linked")
    whole = book_sections(rendered)
    parts = book_sections(rendered, internal=PART_LINK)
    assert 'href="#' in "".join(whole.pieces) and 'href="#' not in "".join(parts.pieces)
    assert "".join(parts.pieces).replace(f'href="{PART_LINK}', 'href="#') == "".join(whole.pieces)
    assert "".join(parts.pieces).count('class="footnote"') == "".join(whole.pieces).count('class="footnote"') > 0
