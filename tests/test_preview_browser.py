"""``publish preview`` in a real browser (Debian's Chromium driven by Playwright, as in test_narrow_screens.py): the
e-reader view follows each save without reloading, a broken edit shows a banner that a fix clears, and the print
view shows the PDF's pages and a handout's. Screenshots are kept in the test's folder (and copied to
``$PUBLISH_SCREENSHOTS`` when set) for a look.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from publish.build import prepare
from publish.pdf.handouts import find_piece, render_handout
from publish.pdf.paper import PdfOptions
from publish.pdf.write import render_book_pdf

from conftest import DEMO, copy_manuscript
from preview_helpers import Running

pytestmark = pytest.mark.slow

PIECE = "supporting-your-partner-in-developing-self-compassion.md"
TITLE = "Supporting Your Partner in Developing Self-Compassion"
FIRST_PARAGRAPH = "It’s hard to watch someone you love tear themselves down."
WAIT = 60_000  # ms: a deadline for each condition, never a pause
FIRST_PAGES_DRAWN = (
    "() => [...document.querySelectorAll('#pages img')].slice(0, 2).every(i => i.complete && i.naturalWidth > 0)"
)


def keep(shot: Path) -> None:
    folder = os.environ.get("PUBLISH_SCREENSHOTS")
    if folder:
        shutil.copy(shot, folder)


def pdf_pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def test_preview_follows_every_save(browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT)
    book = copy_manuscript(DEMO, tmp_path / "book")
    running = Running(tmp_path, "preview", "--no-open", "-m", str(book))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(WAIT)
    try:
        address = running.address()
        page.goto(address)
        reader = page.frame_locator("#page")
        expect(reader.locator("h1")).to_have_text(TITLE)
        expect(reader.locator("p").first).to_have_text(FIRST_PARAGRAPH)
        expect(page.locator("#banner")).to_be_hidden()
        page.screenshot(path=tmp_path / "e-reader.png")

        # A mark on the page and on the book's document: a reload of either would lose it.
        page.evaluate(
            "() => { window.previewMark = 1; document.getElementById('page').contentWindow.previewMark = 2; }"
        )
        piece = book / PIECE
        original = piece.read_text(encoding="utf-8")
        sentence = "A sentence added while the preview is open."
        piece.write_text(original + f"\n{sentence}\n", encoding="utf-8")
        expect(reader.locator("p", has_text=sentence)).to_have_count(1)
        assert page.evaluate(
            "() => [window.previewMark, document.getElementById('page').contentWindow.previewMark]"
        ) == [1, 2]

        # Bad front matter: a banner with the file and line; the last good rendering stays.
        piece.write_text(original.replace('title: "Supporting', 'title: ["Supporting', 1), encoding="utf-8")
        expect(page.locator("#banner")).to_be_visible()
        expect(page.locator("#banner-text")).to_have_text(
            re.compile(rf"^Error: book/{re.escape(PIECE)}:\d+: invalid YAML")
        )
        expect(reader.locator("p", has_text=sentence)).to_have_count(1)
        page.screenshot(path=tmp_path / "banner.png")
        piece.write_text(original, encoding="utf-8")
        expect(page.locator("#banner")).to_be_hidden()
        expect(reader.locator("p", has_text=sentence)).to_have_count(0)

        # The phone's width, in sepia.
        page.select_option("#screen", "360")
        page.select_option("#theme", "sepia")
        expect(page.locator("#page")).to_have_attribute("width", "360")
        page.screenshot(path=tmp_path / "phone-360.png")
        # The preview itself on a phone: the contents above the book, nothing wider than the screen.
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        page.screenshot(path=tmp_path / "page-on-a-phone.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        # The print view: as many page images as the PDF has pages, each drawn.
        rendered = prepare(book)
        page.click("#tab-print")
        images = page.locator("#pages img")
        expect(images).to_have_count(pdf_pages(render_book_pdf(rendered, PdfOptions(jobs=1))))
        expect(page.locator("#pages figcaption").first).to_have_text("i")
        page.wait_for_function(FIRST_PAGES_DRAWN)
        page.screenshot(path=tmp_path / "print.png")

        # A handout, chosen from the list.
        slug = PIECE.removesuffix(".md")
        page.select_option("#what", slug)
        handout, _ = render_handout(rendered, find_piece(rendered, slug), PdfOptions())
        expect(page.locator("#pages img").first).to_have_attribute(
            "src", re.compile(rf"^/print/{slug}~letter~0~0/1\.png")
        )
        expect(images).to_have_count(pdf_pages(handout))
        page.wait_for_function(FIRST_PAGES_DRAWN)
        page.screenshot(path=tmp_path / "handout.png")

        page.click("#tab-problems")
        expect(page.locator("#problems")).to_be_visible()
        assert running.interrupt() == 0
        assert list(running.tmp.iterdir()) == []
    finally:
        page.close()
        running.stop()
    for shot in ("e-reader.png", "banner.png", "phone-360.png", "page-on-a-phone.png", "print.png", "handout.png"):
        keep(tmp_path / shot)
