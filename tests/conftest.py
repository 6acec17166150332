"""Shared fixtures: each fixture book is built once per test session (per xdist worker)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from publish.build import prepare
from publish.render import RenderedBook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO = ROOT / "manuscript"
# The demo article's six section headings, as the author wrote them (typographic quotes and dashes).
DEMO_SECTIONS = [
    "You Don’t Have to Fix It—Just Be With Them",
    "When Reassurance Doesn’t Work the Way You Hoped",
    "Modeling Self-Compassion in Real Life",
    "What to Do When They Push You Away",
    "Encouraging Therapy Without Making It a “Fix”",
    "Why Your Support Matters (Even If They Can’t Say It Yet)",
]
BOOKS = {
    "demo": DEMO,
    "linked": FIXTURES / "linked",
    "contents": FIXTURES / "contents",
    "minimal": FIXTURES / "minimal",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite the golden files from the current output.")


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@dataclass(frozen=True)
class BuiltBook:
    """A fixture manuscript, rendered, with its EPUB and PDF written once."""

    name: str
    source: Path
    rendered: RenderedBook
    epub: Path
    pdf: Path


def copy_manuscript(source: Path, destination: Path) -> Path:
    """Copy a fixture manuscript so a test may change it."""
    shutil.copytree(source, destination)
    return destination


@pytest.fixture(scope="session")
def build_book(tmp_path_factory: pytest.TempPathFactory):
    """Return a function that builds a named fixture book once per session and caches it."""
    from publish.epub.package import write_epub
    from publish.pdf.write import write_pdf

    cache: dict[str, BuiltBook] = {}

    def build(name: str) -> BuiltBook:
        if name not in cache:
            out = tmp_path_factory.mktemp(f"book-{name}")
            rendered = prepare(BOOKS[name])
            epub = write_epub(rendered, out / f"{name}.epub")
            pdf = write_pdf(rendered, out / f"{name}.pdf")
            cache[name] = BuiltBook(name, BOOKS[name], rendered, epub, pdf)
        return cache[name]

    return build


@pytest.fixture(scope="session", params=sorted(BOOKS))
def any_book(request: pytest.FixtureRequest, build_book) -> BuiltBook:
    """Each fixture book in turn (demo included)."""
    return build_book(request.param)
