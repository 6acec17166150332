"""Booklets: pages in fold order, two to a landscape sheet side, padded to a multiple of four."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from publish.build import prepare
from publish.pdf.booklet import SHEETS, booklet_order, impose_booklet
from publish.pdf.paper import PdfOptions
from publish.pdf.write import typeset_book, write_pdf

from conftest import BOOKS, Once
from pdf_helpers import publish_warnings, text_runs


def _reading_order(sides: list[tuple[int | None, int | None]]) -> list[int | None]:
    """Fold the printed sheets (nested, first sheet outside) and read the pages front to back."""
    fronts, backs = sides[::2], sides[1::2]
    order: list[int | None] = []
    for front, back in zip(fronts, backs, strict=True):  # first halves: right of the front, left of the back
        order += [front[1], back[0]]
    for front, back in reversed(list(zip(fronts, backs, strict=True))):  # second halves, coming back out
        order += [back[1], front[0]]
    return order


def test_booklet_order_of_small_books() -> None:
    assert booklet_order(4) == [(3, 0), (1, 2)]
    assert booklet_order(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]
    assert booklet_order(6) == [(None, 0), (1, None), (5, 2), (3, 4)]
    assert booklet_order(1) == [(None, 0), (None, None)]


@pytest.mark.parametrize("pages", range(1, 41))
def test_booklet_order_reads_in_order_when_folded(pages: int) -> None:
    sides = booklet_order(pages)
    total = -(-pages // 4) * 4
    assert len(sides) == total // 2
    assert _reading_order(sides) == [index if index < pages else None for index in range(total)]


@dataclass(frozen=True)
class Booklet:
    source: bytes  # the half-size pages, before imposition
    path: Path  # the booklet the command writes
    warnings: tuple[str, ...]


@pytest.fixture(scope="session")
def booklet(once: Once) -> Callable[[str, str], Booklet]:
    """Impose a fixture book as a booklet, once per test run."""

    def build(name: str, paper: str) -> Booklet:
        def make(folder: Path) -> Booklet:
            rendered = once.rendered(name)
            options = PdfOptions(paper=paper, booklet=True)
            with publish_warnings() as warnings:
                source = typeset_book(rendered, options)
                path = write_pdf(rendered, folder / f"{name}.pdf", options)
            return Booklet(source, path, tuple(warnings))

        return once(("booklet", name, paper), make)

    return build


@pytest.mark.parametrize(
    ("name", "paper", "sheet", "page_size"),
    [("linked", "letter", "letter", (396, 612)), ("demo", "a4", "A4", (419.53, 595.28))],
)
def test_booklet_sheets_carry_the_right_pages(
    booklet: Callable[[str, str], Booklet],
    tmp_path: Path,
    name: str,
    paper: str,
    sheet: str,
    page_size: tuple[float, float],
) -> None:
    built = booklet(name, paper)
    assert built.warnings == ()
    source = PdfReader(BytesIO(built.source))
    for page in source.pages:  # half-letter or A5 pages, so two fit a sheet side
        assert (float(page.trimbox.width), float(page.trimbox.height)) == pytest.approx(page_size, abs=0.5)
    pages = len(source.pages)
    sides = booklet_order(pages)
    width, height = SHEETS[sheet]
    with pikepdf.open(built.path) as pdf:
        assert len(pdf.pages) == -(-pages // 4) * 2, "a multiple of four pages, two per side"
        for page in pdf.pages:
            box = [float(v) for v in page.mediabox]
            assert (box[2] - box[0], box[3] - box[1]) == pytest.approx((width, height), abs=0.5)
    source_path = tmp_path / "source.pdf"
    source_path.write_bytes(built.source)
    for index, (left, right) in enumerate(sides):
        runs = text_runs(built.path, index)
        on_left = [run.text for run in runs if run.x < width / 2]
        on_right = [run.text for run in runs if run.x >= width / 2]
        for half, page in ((on_left, left), (on_right, right)):
            expected = [] if page is None else [run.text for run in text_runs(source_path, page)]
            assert half == expected, f"sheet side {index}: expected page {page}"
    # The title page opens the booklet: the right half of the first side.
    assert sides[0][1] == 0
    assert " ".join(run.text for run in text_runs(built.path, 0)).startswith(("Small Steps", "Supporting Your"))


def test_booklet_keeps_the_metadata_and_has_no_stray_links(booklet: Callable[[str, str], Booklet]) -> None:
    built = booklet("linked", "letter")
    with pikepdf.open(built.path) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Small Steps Together"
        assert str(pdf.docinfo["/Author"]) == "Test Author"
        assert all("/Annots" not in page.obj for page in pdf.pages)


def test_booklet_pieces_open_on_right_hand_pages(booklet: Callable[[str, str], Booklet]) -> None:
    built = booklet("linked", "letter")
    reader = PdfReader(BytesIO(built.source))
    openings = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    assert openings and all(page % 2 == 0 for page in openings)


def test_booklet_refuses_bleed() -> None:
    from publish.errors import PublishError

    rendered = prepare(BOOKS["minimal"])
    with pytest.raises(PublishError, match="leave out --bleed and --crop-marks"):
        typeset_book(rendered, PdfOptions(booklet=True, crop_marks=True))


def test_impose_pads_a_single_page() -> None:
    rendered = prepare(BOOKS["minimal"])
    imposed = PdfReader(BytesIO(impose_booklet(typeset_book(rendered, PdfOptions(paper="half-letter")), "letter")))
    # Title, copyright, contents, blank and the piece: five pages, padded to eight, on four sides.
    assert len(imposed.pages) == 4
