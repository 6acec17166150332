"""Shared fixtures: each fixture book is built once per test session (per xdist worker)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

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


def write_manuscript(
    root: Path, files: Mapping[str, str | bytes], book: str | None = None, extra: str = "", **keys: str
) -> Path:
    """Write a manuscript into ``root``: ``book.yaml``, then ``files`` (pieces, images; text or bytes) by name.

    ``book`` is book.yaml's text as written; without it book.yaml holds the required keys (title T, author A,
    language en, start the first file), each replaced by one of ``keys``, then the YAML lines ``extra``.
    A ``book.yaml`` among ``files`` is written as given instead.
    """
    root.mkdir(parents=True, exist_ok=True)
    if "book.yaml" not in files:
        if book is None:
            required = {"title": "T", "author": "A", "language": "en", "start": next(iter(files), "a.md")} | keys
            book = "".join(f"{key}: {value}\n" for key, value in required.items()) + extra
        (root / "book.yaml").write_text(book, encoding="utf-8")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def copy_manuscript(source: Path, destination: Path) -> Path:
    """Copy a fixture manuscript so a test may change it."""
    shutil.copytree(source, destination)
    return destination


T = TypeVar("T")


class Once:
    """What is built once per test run (per xdist worker): each result kept under its key for every test.

    The one place tests cache a build: ``once(key, make)`` calls ``make(folder)`` with a fresh folder the
    first time ``key`` is asked for, and returns the same result after. ``rendered(name)`` is a fixture book
    rendered once, shared by every build of it.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._factory = tmp_path_factory
        self._results: dict[Hashable, Any] = {}

    def __call__(self, key: Hashable, make: Callable[[Path], T]) -> T:
        if key not in self._results:
            self._results[key] = make(self._factory.mktemp("once"))
        return cast(T, self._results[key])

    def rendered(self, name: str) -> RenderedBook:
        return self(("rendered", name), lambda _: prepare(BOOKS[name]))


@pytest.fixture(scope="session")
def once(tmp_path_factory: pytest.TempPathFactory) -> Once:
    """Build something once per test run: ``once(key, make)`` (see ``Once``)."""
    return Once(tmp_path_factory)


@pytest.fixture(scope="session")
def build_book(once: Once) -> Callable[[str], BuiltBook]:
    """Return a function that builds a named fixture book (EPUB and PDF) once per test run."""
    from publish.epub.package import write_epub
    from publish.pdf.write import write_pdf

    def build(name: str) -> BuiltBook:
        def make(out: Path) -> BuiltBook:
            rendered = once.rendered(name)
            epub = write_epub(rendered, out / f"{name}.epub")
            pdf = write_pdf(rendered, out / f"{name}.pdf")
            return BuiltBook(name, BOOKS[name], rendered, epub, pdf)

        return once(("book", name), make)

    return build


@pytest.fixture(scope="session", params=sorted(BOOKS))
def any_book(request: pytest.FixtureRequest, build_book: Callable[[str], BuiltBook]) -> BuiltBook:
    """Each fixture book in turn (demo included)."""
    return build_book(request.param)


# --- processes: wait on a real condition, never for a fixed time --------------------------------------------


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail after ``deadline`` seconds (a hang, not a slow machine)."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def children(pid: int) -> list[int]:
    """The live (not zombie) child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended: no one may reap it here)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# Debian's Chromium, driven by Playwright (no browser download): the narrow-screen and preview tests.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium, once for the module."""
    if not CHROMIUM.exists():
        if os.environ.get("PUBLISH_REQUIRE_VALIDATORS") == "1":
            pytest.fail("chromium is not installed (run tests/install-validators.sh)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
