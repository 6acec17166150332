"""One table of contents for the EPUB's navigation, the PDF's contents page and ``publish toc``; one front matter."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from publish.book.contents import contents_tree
from publish.build import prepare
from publish.cli import main
from publish.epub.package import _copyright_page, _title_page, table_of_contents
from publish.pdf.html import book_sections
from publish.pdf.paper import PdfOptions

PIECE = """---
title: Notes
---

### Before any section

Text.

### Also before

Text.

## First section

Text.

### Under the first

Text.
"""


def _book(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "book.yaml").write_text(
        f"title: Nested\nauthor: Ann Author\nlanguage: en-US\nstart: notes.md\n{extra}", encoding="utf-8"
    )
    (tmp_path / "notes.md").write_text(PIECE, encoding="utf-8")
    return tmp_path


def _shape(entries: tuple[object, ...], level: int = 0) -> list[tuple[int, str]]:
    rows = []
    for entry in entries:
        rows.append((level, entry.label))  # type: ignore[attr-defined]
        rows += _shape(entry.children, level + 1)  # type: ignore[attr-defined]
    return rows


EXPECTED = [
    (0, "Notes"),
    (1, "Before any section"),  # no section to belong to: at the sections' level
    (1, "Also before"),
    (1, "First section"),
    (2, "Under the first"),
]


def test_an_h3_before_the_first_h2_is_at_the_same_depth_everywhere(tmp_path: Path) -> None:
    rendered = prepare(_book(tmp_path))
    assert _shape(contents_tree(rendered, 3)) == EXPECTED
    assert _shape(table_of_contents(rendered, 3)) == EXPECTED  # the EPUB's navigation and NCX
    # The PDF's contents page: the same entries at the same depths.
    toc = book_sections(rendered, PdfOptions(toc_depth=3)).toc
    pdf_rows = []
    depth = -1
    for token in re.finditer(r"<ol>|</ol>|<a [^>]*>(.*?)</a>", toc):
        if token.group(0) == "<ol>":
            depth += 1
        elif token.group(0) == "</ol>":
            depth -= 1
        else:
            pdf_rows.append((depth, re.sub(r"<[^>]+>", "", token.group(1))))
    assert pdf_rows == EXPECTED
    result = CliRunner().invoke(main, ["toc", "-m", str(tmp_path)])
    contents = result.output.split("Contents:\n", 1)[1].splitlines()
    assert contents == [
        "  Notes",
        "    Before any section",
        "    Also before",
        "    First section",
        "        Under the first",
    ]


def test_at_depth_two_the_subsections_are_left_out_everywhere(tmp_path: Path) -> None:
    rendered = prepare(_book(tmp_path))
    expected = [(0, "Notes"), (1, "First section")]
    assert _shape(contents_tree(rendered, 2)) == expected
    assert _shape(table_of_contents(rendered, 2)) == expected


def test_the_title_and_copyright_pages_name_the_same_things(tmp_path: Path) -> None:
    rendered = prepare(_book(tmp_path, "subtitle: A Subtitle\npublisher: Small Press\n"))
    front = book_sections(rendered).front
    epub_title, epub_copyright = _title_page(rendered), _copyright_page(rendered, "urn:uuid:x")
    for html in (front, epub_title):
        assert "Small Press</p>" in html and "A Subtitle</p>" in html  # the publisher, unless it is the author
    for html in (front, epub_copyright):
        assert "Nested: A Subtitle" in html and "by Ann Author" in html and "Published by Small Press" in html
