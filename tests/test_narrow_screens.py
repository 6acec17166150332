"""Every EPUB document in a real browser (headless Chromium) at a phone's and an e-reader's width: nothing wider than the screen.

Chromium is Debian's (installed by ``tests/install-validators.sh``), driven by Playwright; nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from publish.build import prepare
from publish.epub.package import write_epub

from conftest import BOOKS, FIXTURES

pytestmark = pytest.mark.slow

# A phone (or large type on an e-reader), and a Kindle Paperwhite's screen in CSS pixels.
SCREENS = [(360, 640), (1072, 1448)]
NARROW_BOOKS = {**BOOKS, "narrow": FIXTURES / "narrow"}
# Every block that holds text, and the boxes around them.
BLOCKS = "p, li, dt, dd, h1, h2, h3, h4, h5, h6, blockquote, pre, table, div, figure, section, nav, aside, ul, ol"

OVERFLOWING = """(blocks) => {
  const wide = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) wide.push(`page: ${root.scrollWidth} > ${root.clientWidth}`);
  for (const element of document.querySelectorAll(blocks)) {
    if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth) {
      wide.push(`${element.localName}.${element.className}: ${element.scrollWidth} > ${element.clientWidth}: `
                + element.textContent.trim().slice(0, 60));
    }
    const box = element.getBoundingClientRect();
    if (box.right > root.clientWidth + 0.5) wide.push(`${element.localName} ends at ${box.right}`);
  }
  return wide;
}"""


@pytest.fixture(scope="module", params=sorted(NARROW_BOOKS))
def unpacked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture book's EPUB, built and unzipped."""
    folder = tmp_path_factory.mktemp(f"narrow-{request.param}")
    epub = write_epub(prepare(NARROW_BOOKS[request.param]), folder / "book.epub")
    with zipfile.ZipFile(epub) as archive:
        archive.extractall(folder / "book")
    return folder / "book"


def documents(unpacked: Path) -> list[Path]:
    return sorted(unpacked.rglob("*.xhtml"))


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_no_document_is_wider_than_the_screen(browser, unpacked: Path, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        wide = {}
        for document in documents(unpacked):
            page.goto(document.as_uri())
            if found := page.evaluate(OVERFLOWING, BLOCKS):
                wide[document.name] = found
    finally:
        page.close()
    assert wide == {}


def test_long_words_wrap_and_wide_tables_fit_at_360_px(browser, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The fixture's hard cases are really there, and really wrapped: a screenshot is kept for a look."""
    folder = tmp_path_factory.mktemp("narrow-shot")
    epub = write_epub(prepare(NARROW_BOOKS["narrow"]), folder / "book.epub")
    with zipfile.ZipFile(epub) as archive:
        archive.extractall(folder / "book")
    page = browser.new_page(viewport={"width": 360, "height": 640})
    try:
        page.goto((folder / "book" / "EPUB" / "long.xhtml").as_uri())
        assert page.evaluate("document.querySelectorAll('div.table > table th').length") == 4
        # The 40-character word is broken over lines: its paragraph is taller than one line.
        heights = page.evaluate(
            "[...document.querySelectorAll('td')].map(cell => cell.scrollWidth <= cell.clientWidth)"
        )
        assert heights and all(heights)
        page.screenshot(path=str(folder / "long-360.png"), full_page=True)
        page.goto((folder / "book" / "EPUB" / "front.titlepage.xhtml").as_uri())
        title = page.evaluate(
            "(() => { const h = document.querySelector('h1'); return [h.scrollWidth, h.clientWidth]; })()"
        )
        assert title[0] <= title[1]
    finally:
        page.close()
    keep = os.environ.get("PUBLISH_SCREENSHOTS")
    if keep:
        shutil.copy(folder / "long-360.png", keep)
