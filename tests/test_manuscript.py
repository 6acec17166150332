"""The manuscript format: book.yaml and pieces with YAML front matter, read into plain dataclasses."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest

from publish.errors import Problem, Problems
from publish.manuscript import Manuscript, Series, is_language_tag, load_manuscript, slugify

from conftest import DEMO, FIXTURES, write_manuscript


def load(root: Path) -> tuple[Manuscript | None, list[Problem]]:
    problems = Problems()
    return load_manuscript(root, problems), problems.items


BOOK = "title: T\nauthor: A\nlanguage: en\nstart: a.md\n"


def test_linked_fixture_reads_every_field() -> None:
    manuscript, problems = load(FIXTURES / "linked")
    assert problems == []
    assert manuscript is not None
    meta = manuscript.meta
    assert (meta.title, meta.subtitle, meta.author, meta.publisher) == (
        "Small Steps Together", "Everyday Skills for Couples", "Test Author", "Test Press",
    )  # fmt: skip
    assert (meta.language, meta.start, meta.date) == ("en-US", "second.md", "2024-03-01")
    assert meta.identifier == "urn:uuid:5a0d1f1e-6a5b-4c1e-9d3c-0b8f3a6e2c11"
    assert meta.subjects == ("Relationships", "Communication", "Couples")
    assert meta.series == Series("Couples Notes", 2)
    assert meta.practice.phone == "(555) 010-0199"
    assert meta.handout.disclaimer == "For general information only; not a substitute for professional care."
    assert meta.contents is None
    assert meta.line_of("start") == 19
    assert sorted(manuscript.pieces) == ["first.md", "fourth.md", "second.md", "third.md"]
    first = manuscript.pieces["first.md"]
    assert (first.slug, first.date, first.url, first.image, first.next) == (
        "first-steps", "2024-01-10", "https://example.com/blog/first-steps", "images/hero.png", "second.md",
    )  # fmt: skip
    assert first.body_line == 12
    assert first.body.startswith("\nMost couples do not drift apart")
    assert first.line_of("next") == 10
    assert not first.is_link_only
    assert manuscript.pieces["fourth.md"].is_link_only


def test_every_optional_key_is_accepted(tmp_path: Path) -> None:
    book = BOOK + (
        "subtitle: S\npublisher: P\ndate: 2024-01-02\nidentifier: isbn-1\nrights: R\ndescription: D\n"
        "subjects: [x, y]\nseries: {name: N, position: 3}\ncover: c.png\ncontents: [a.md]\n"
        "practice: {name: n, website: w, phone: p, email: e}\nhandout: {footer: f, disclaimer: d}\n"
    )
    piece = (
        "---\ntitle: A\nslug: a-slug\ndate: 2024-01-03\nauthor: B\nsummary: S\nurl: https://example.com/a\n"
        "lang: fr\nimage: i.png\nimage_alt: I\n---\n\nText.\n"
    )
    manuscript, problems = load(write_manuscript(tmp_path, {"book.yaml": book, "a.md": piece}))
    assert problems == []
    assert manuscript is not None
    assert manuscript.meta.contents == ("a.md",)
    assert manuscript.pieces["a.md"].lang == "fr"
    assert manuscript.pieces["a.md"].slug == "a-slug"


def test_numbers_and_dates_where_text_is_expected_are_taken_as_written(tmp_path: Path) -> None:
    book = BOOK.replace("title: T", "title: 1984") + "identifier: 2024-01-01\n"
    manuscript, problems = load(write_manuscript(tmp_path, {"book.yaml": book, "a.md": "---\ntitle: 42\n---\n\nx\n"}))
    assert problems == []
    assert manuscript is not None
    assert (manuscript.meta.title, manuscript.meta.identifier) == ("1984", "2024-01-01")
    assert manuscript.pieces["a.md"].title == "42"


def test_byte_order_mark_crlf_and_dot_end_of_front_matter(tmp_path: Path) -> None:
    piece = "\ufeff---\r\ntitle: Windows\r\n...\r\n\r\nLine one.\r\nLine two.\r\n"
    manuscript, problems = load(write_manuscript(tmp_path, {"book.yaml": BOOK, "a.md": piece.encode("utf-8")}))
    assert problems == []
    assert manuscript is not None
    a = manuscript.pieces["a.md"]
    assert (a.title, a.body, a.body_line) == ("Windows", "\nLine one.\nLine two.\n", 4)


def test_readme_hidden_folders_and_subfolders(tmp_path: Path) -> None:
    files = {
        "book.yaml": BOOK,
        "a.md": "---\ntitle: A\n---\n\nx\n",
        "README.md": "not a piece",
        ".drafts/b.md": "not a piece either",
        "part-two/c.md": "---\ntitle: C\n---\n\nx\n",
    }
    manuscript, problems = load(write_manuscript(tmp_path, files))
    assert problems == []
    assert manuscript is not None
    assert sorted(manuscript.pieces) == ["a.md", "part-two/c.md"]
    assert manuscript.pieces["part-two/c.md"].slug == "c"


def test_problems_in_several_files_are_all_reported(tmp_path: Path) -> None:
    files = {
        "book.yaml": "title: T\nlanguage: en_US\nstart: a.md\ncolor: red\n",
        "a.md": "---\ntitle: A\nnext: [b.md]\n---\n\nx\n",
        "b.md": b"---\ntitle: B\n---\n\ncaf\xe9\n",
        "c.md": "---\ntitle: C\ntitel: C\n---\n\nx\n",
    }
    manuscript, problems = load(write_manuscript(tmp_path, files))
    assert manuscript is None
    assert [(p.path.name if p.path else None, p.line, p.message) for p in problems] == [
        ("book.yaml", 4, "unknown key 'color' (known keys: author, contents, cover, date, description, handout, "
                         "identifier, language, practice, publisher, rights, series, start, strings, subjects, subtitle, theme, title)"),
        ("book.yaml", None, "missing required key author"),
        ("book.yaml", 2, "'language' is not a BCP 47 language tag: 'en_US' (for example en-US)"),
        ("a.md", 3, "'next' must be text, not a list"),
        ("b.md", 5, "not valid UTF-8: byte 0xE9 at offset 21; save the file as UTF-8"),
        ("c.md", 3, "unknown key 'titel' (did you mean 'title'?)"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "tag",
    ["en", "en-US", "zh-Hant-TW", "sr-Latn-RS", "es-419", "de-CH-1996", "en-US-x-twain", "x-private", "he", "fil"],
)
def test_bcp47_accepts_well_formed_tags(tag: str) -> None:
    assert is_language_tag(tag)


@pytest.mark.parametrize(
    "tag", ["", "e", "english_US!", "en_US", "en-", "-en", "en US", "en\n", "123", "en-US-", "abcdefghi"]
)
def test_bcp47_refuses_malformed_tags(tag: str) -> None:
    assert not is_language_tag(tag)


@pytest.mark.parametrize(
    "heading", ["You Don’t Have to Fix It—Just Be With Them", "Café & Crème", "  Spaces  ", "Step 1: Breathe"]
)
def test_slugify_is_python_markdowns_toc_default(heading: str) -> None:
    md = markdown.Markdown(extensions=["toc"])
    md.convert(f"## {heading}")
    assert slugify(heading) == md.toc_tokens[0]["id"]  # type: ignore[attr-defined]


def test_demo_manuscript_loads_cleanly() -> None:
    manuscript, problems = load(DEMO)
    assert problems == []
    assert manuscript is not None
    assert len(manuscript.pieces) == 3
    assert sum(not p.is_link_only for p in manuscript.pieces.values()) == 1


def test_problem_location_is_shown_relative_to_a_base(tmp_path: Path) -> None:
    problem = Problem(tmp_path / "m" / "a.md", 3, "message")
    assert problem.format(tmp_path) == "m/a.md:3: message"
    assert Problem(tmp_path / "b.yaml", None, "m").format(tmp_path) == "b.yaml: m"
    assert Problem(None, None, "no file").format() == "no file"
    assert Problem(Path("/elsewhere/x.md"), 1, "m").format(tmp_path) == "/elsewhere/x.md:1: m"


def test_a_piece_cannot_take_the_name_of_a_page_of_the_book(tmp_path: Path) -> None:
    root = write_manuscript(tmp_path, {
        "book.yaml": BOOK,
        "a.md": "---\ntitle: A\nnext: contents.md\n---\n\nText.\n",
        "contents.md": "---\ntitle: Contents\n---\n\nText.\n",
        "b.md": "---\ntitle: B\nslug: continue-reading\n---\n\nText.\n",
    })  # fmt: skip
    _, problems = load(root)
    messages = sorted((p.path.name if p.path else "", p.line, p.message) for p in problems)
    assert messages == [
        (
            "b.md",
            3,
            "slug 'continue-reading' names a page of the book itself: give the piece another 'slug' in its front matter",
        ),
        (
            "contents.md",
            1,
            "slug 'contents' names a page of the book itself: give the piece another 'slug' in its front matter",
        ),
    ]
