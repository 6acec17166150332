"""The pipeline from a manuscript folder to the rendered book, shared by every command."""

from __future__ import annotations

import logging
from pathlib import Path

from publish.assemble import Book, assemble_book
from publish.errors import Problem, Problems
from publish.manuscript import load_manuscript
from publish.render import RenderedBook, render_book

log = logging.getLogger(__name__)


def collect_problems(root: Path) -> tuple[Book | None, RenderedBook | None, list[Problem]]:
    """Run every stage that can run and return what it made with every problem found."""
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    book = assemble_book(manuscript, problems) if manuscript is not None else None
    rendered = render_book(book, problems) if book is not None else None
    return book, rendered, problems.items


def _finish(problems: list[Problem], strict: bool) -> None:
    failing = [p for p in problems if p.severity == "error" or strict]
    for problem in problems:
        if problem not in failing:
            log.warning("%s", problem.format())
    if failing:
        from publish.errors import ManuscriptError

        raise ManuscriptError(failing)


def assemble(root: Path, strict: bool = False) -> Book:
    """Load and order a manuscript, without rendering it; raise on any error."""
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    book = assemble_book(manuscript, problems) if manuscript is not None else None
    _finish(problems.items, strict)
    assert book is not None
    return book


def prepare(root: Path, strict: bool = False) -> RenderedBook:
    """Load, assemble and render a manuscript; raise a ManuscriptError listing every error."""
    _, rendered, problems = collect_problems(root)
    _finish(problems, strict)
    assert rendered is not None
    return rendered
