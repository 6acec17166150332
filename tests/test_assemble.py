"""Reading order: from ``start`` back along ``previous``, then forward along ``next``; or ``contents``."""

from __future__ import annotations

from pathlib import Path

import pytest

from publish.assemble import Book, assemble_book
from publish.build import assemble
from publish.errors import ManuscriptError, Problem, Problems
from publish.manuscript import load_manuscript

from conftest import DEMO, FIXTURES, write_manuscript


def order(root: Path) -> tuple[Book | None, list[Problem]]:
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    assert manuscript is not None, problems.items
    return assemble_book(manuscript, problems), problems.items


def manuscript(root: Path, start: str, links: dict[str, tuple[str | None, str | None]], extra: str = "") -> Path:
    """A manuscript whose pieces have the given (previous, next) links."""
    pieces = {}
    for name, (previous, following) in links.items():
        front = (
            f"title: {name}\n"
            + (f"previous: {previous}\n" if previous else "")
            + (f"next: {following}\n" if following else "")
        )
        pieces[name] = f"---\n{front}---\n\nText of {name}.\n"
    return write_manuscript(root, pieces, start=start, extra=extra)


def names(book: Book | None) -> list[str]:
    assert book is not None
    return [p.name for p in book.pieces]


def messages(problems: list[Problem]) -> list[str]:
    return [f"{p.severity} {p.path.name if p.path else ''}:{p.line}: {p.message}" for p in problems]


def test_linked_fixture_starts_in_the_middle() -> None:
    book, problems = order(FIXTURES / "linked")
    assert problems == []
    assert names(book) == ["first.md", "second.md", "third.md", "fourth.md"]
    assert book is not None
    assert [p.name for p in book.chapters] == ["first.md", "second.md", "third.md"]
    assert [p.name for p in book.link_only] == ["fourth.md"]
    assert book.slug == "small-steps-together"
    assert book.find("first-steps") is book.find("first.md") is book.pieces[0]
    assert book.find("nothing") is None


def test_demo_order() -> None:
    book, problems = order(DEMO)
    assert problems == []
    assert names(book) == [
        "forest-bathing-in-barton-creek-greenbelt.md",
        "supporting-your-partner-in-developing-self-compassion.md",
        "why-do-compliments-make-me-uncomfortable.md",
    ]


def test_contents_overrides_the_links() -> None:
    book, problems = order(FIXTURES / "contents")
    assert problems == []
    assert names(book) == ["b.md", "a.md"]


def test_links_are_relative_to_the_piece(tmp_path: Path) -> None:
    root = manuscript(
        tmp_path / "m", "part-one/a.md",
        {"part-one/a.md": (None, "../part-two/b.md"), "part-two/b.md": ("../part-one/a.md", "c.md"), "part-two/c.md": ("b.md", None)},
    )  # fmt: skip
    book, problems = order(root)
    assert problems == []
    assert names(book) == ["part-one/a.md", "part-two/b.md", "part-two/c.md"]


def test_one_sided_links_are_enough(tmp_path: Path) -> None:
    # Only "previous" links, walked back from the last piece.
    book, problems = order(
        manuscript(tmp_path / "m", "c.md", {"a.md": (None, None), "b.md": ("a.md", None), "c.md": ("b.md", None)})
    )
    assert problems == []
    assert names(book) == ["a.md", "b.md", "c.md"]


def test_links_that_disagree_are_warned_about(tmp_path: Path) -> None:
    root = manuscript(tmp_path / "m", "a.md", {"a.md": (None, "b.md"), "b.md": ("c.md", "c.md"), "c.md": (None, None)})
    book, problems = order(root)
    assert names(book) == ["a.md", "b.md", "c.md"]
    assert messages(problems) == ["warning b.md:3: 'previous' is c.md, but the reading order puts a.md before it"]


def test_pieces_left_out_of_the_order_are_warned_about(tmp_path: Path) -> None:
    root = manuscript(tmp_path / "m", "a.md", {"a.md": (None, None), "lost.md": (None, None)})
    book, problems = order(root)
    assert names(book) == ["a.md"]
    assert messages(problems) == [
        "warning lost.md:None: lost.md is not part of the book: no previous/next link leads to it from 'start' (a.md)"
    ]
    root = manuscript(tmp_path / "n", "a.md", {"a.md": (None, None), "b.md": (None, None)}, "contents:\n  - b.md\n")
    book, problems = order(root)
    assert names(book) == ["b.md"]
    assert messages(problems) == ["warning a.md:None: a.md is not part of the book: it is not listed in 'contents'"]


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ({"a.md": (None, "b.md"), "b.md": ("a.md", "c.md"), "c.md": ("b.md", "a.md")},
         ["error c.md:4: 'next' links form a cycle: a.md -> b.md -> c.md -> a.md"]),
        ({"a.md": ("c.md", None), "b.md": ("a.md", None), "c.md": ("b.md", None)},
         ["error b.md:3: 'previous' links form a cycle: a.md -> c.md -> b.md -> a.md"]),
        ({"a.md": (None, "a.md")}, ["error a.md:3: 'next' links form a cycle: a.md -> a.md"]),
        ({"a.md": ("b.md", "c.md"), "b.md": (None, None), "c.md": (None, "b.md")},
         ["error c.md:3: b.md is reached twice: by a.md's 'previous' and again by c.md's 'next'; a piece has one place in the reading order"]),
        ({"a.md": (None, "sub/../ghost.md")}, ["error a.md:3: 'next' names sub/../ghost.md, which does not exist"]),
    ],
)  # fmt: skip
def test_broken_chains_name_the_files(
    tmp_path: Path, links: dict[str, tuple[str | None, str | None]], expected: list[str]
) -> None:
    book, problems = order(manuscript(tmp_path / "m", "a.md", links))
    assert book is None
    assert messages(problems) == expected


def test_contents_problems_point_at_the_entry(tmp_path: Path) -> None:
    root = manuscript(tmp_path / "m", "a.md", {"a.md": (None, None)}, "contents:\n  - a.md\n  - ghost.md\n  - a.md\n")
    book, problems = order(root)
    # The entries that exist are still put in order, so that checking goes on to render them.
    assert names(book) == ["a.md"]
    assert messages(problems) == [
        "error book.yaml:7: 'contents' names ghost.md, which does not exist",
        "error book.yaml:8: 'contents' lists a.md twice",
    ]


def test_a_piece_that_failed_to_load_is_not_reported_twice(tmp_path: Path) -> None:
    root = manuscript(tmp_path / "m", "a.md", {"a.md": (None, "b.md")})
    (root / "b.md").write_text("---\nsummary: no title\n---\n\nText.\n", encoding="utf-8")
    problems = Problems()
    loaded = load_manuscript(root, problems)
    assert loaded is not None
    assemble_book(loaded, problems)
    assert messages(problems.items) == ["error b.md:1: piece has no title: add 'title: ...' to its front matter"]


def test_build_assemble_raises_every_error_and_strict_makes_warnings_fatal(tmp_path: Path) -> None:
    root = manuscript(tmp_path / "m", "a.md", {"a.md": (None, None), "lost.md": (None, None)})
    assert names(assemble(root)) == ["a.md"]
    with pytest.raises(ManuscriptError) as raised:
        assemble(root, strict=True)
    assert [p.message for p in raised.value.problems] == [
        "lost.md is not part of the book: no previous/next link leads to it from 'start' (a.md)"
    ]
