"""The EPUB through independent validators: EPUBCheck 5, Ace by DAISY, Calibre's conversion to AZW3.

Each validator runs once per book (one test each); a validator that is not installed skips, or
fails under ``PUBLISH_REQUIRE_VALIDATORS=1`` (see ``validators.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.build import prepare
from publish.epub.options import EpubOptions
from publish.epub.package import write_epub

from conftest import BOOKS, BuiltBook
from validators import ace_violations, calibre_convert, epubcheck_messages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fonts_epub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with ``--embed-fonts``."""
    target = tmp_path_factory.mktemp("fonts") / "demo-fonts.epub"
    return write_epub(prepare(BOOKS["demo"]), target, EpubOptions(embed_fonts=True))


def test_epubcheck_finds_nothing(any_book: BuiltBook) -> None:
    assert epubcheck_messages(any_book.epub) == []


def test_epubcheck_finds_nothing_with_embedded_fonts(fonts_epub: Path) -> None:
    assert epubcheck_messages(fonts_epub) == []


def test_ace_finds_no_violations(any_book: BuiltBook) -> None:
    assert ace_violations(any_book.epub) == []


def test_calibre_converts_to_azw3_without_repairs(any_book: BuiltBook) -> None:
    result, output = calibre_convert(any_book.epub)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert output.stat().st_size > 0
    assert "Traceback" not in log
    # Calibre quietly re-parses XHTML it cannot read as XML; only -vv says so.
    assert "Initial parse failed" not in log and " as HTML" not in log, log[-3000:]
