"""Incremental PDF builds: a long book's parts kept under the output folder (publish.pdf.typeset_cache), typeset
again only when their inputs or their place in the book changed, never used when they cannot be proved right.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from long_book import write_long_book
from PIL import Image

from publish.build import prepare
from publish.cache import CACHE_DIR
from publish.cli import main
from publish.pdf import parts
from publish.pdf.engine import typesetting_roots
from publish.pdf.paper import PdfOptions
from publish.pdf.typeset_cache import TypesetCache, TypesetPart

PART_WORDS = 2_600  # the long book's ~10,000 words in four parts


@dataclass(frozen=True)
class Build:
    pdf: bytes
    typeset: set[int]  # the parts typeset (numbered from 1); the others were kept
    starts: list[int]  # each part's first body page
    boundaries: list[int]  # each part's first piece (numbered from 0)
    front_typeset: bool


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PART_WORDS", PART_WORDS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _numbers(pattern: str, text: str) -> list[int]:
    found = re.search(pattern, text)
    assert found, text
    return [int(n) for n in re.findall(r"\d+", found[1])]


def _parsed(pdf: bytes | None, log: str) -> Build:
    assert pdf is not None, log
    return Build(
        pdf,
        {int(n) for n in re.findall(r"part (\d+) paginated", log)},
        _numbers(r"parts start on body pages \[(.*)\]", log),
        _numbers(r"part boundaries \(pieces\) \[(.*)\]", log),
        "front matter typeset" in log,
    )


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _typeset(manuscript: Path, out: Path) -> tuple[bytes | None, str]:
    """The long book typeset in parts by two processes, with the parts kept in ``out``; the log of it."""
    logger = logging.getLogger("publish.pdf.parts")
    handler, level = _Messages(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        kept = TypesetCache(out, (manuscript,))
        pdf = parts.typeset_book_parallel(prepare(manuscript), PdfOptions(), 2, kept=kept)
        kept.save()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return pdf, "\n".join(handler.messages)


def _build(manuscript: Path, out: Path) -> Build:
    return _parsed(*_typeset(manuscript, out))


@dataclass(frozen=True)
class FirstBuild:
    """The long book built once, its parts kept: ``folder`` holds ``book`` and ``out``, ``saved`` a copy of both.
    The parts' HTML names the manuscript's folder (its images), so a test restores the copy in place."""

    folder: Path
    saved: Path
    build: Build

    def restore(self) -> tuple[Path, Path]:
        shutil.rmtree(self.folder)
        shutil.copytree(self.saved, self.folder)
        return self.folder / "book", self.folder / "out"


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> FirstBuild:
    folder = tmp_path_factory.mktemp("kept-parts")
    write_long_book(folder / "book")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts, "PART_WORDS", PART_WORDS)
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")
        build = _build(folder / "book", folder / "out")
    assert len(build.starts) >= 4 and build.typeset == set(range(1, len(build.starts) + 1))
    saved = tmp_path_factory.mktemp("kept-parts-saved") / "copy"
    shutil.copytree(folder, saved)
    return FirstBuild(folder, saved, build)


def _part_of(piece: int, boundaries: list[int]) -> int:
    """The number (from 1) of the part that holds ``piece`` (from 0)."""
    return sum(1 for start in boundaries if start <= piece)


def _expected(build: Build, before: Build, edited: set[int]) -> set[int]:
    """The parts an exact incremental build typesets: those edited, and those that start elsewhere now."""
    moved = {n for n, (now, then) in enumerate(zip(build.starts, before.starts, strict=True), start=1) if now != then}
    return edited | moved


def _add_sentence(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added after the first build.\n", "utf-8")


@pytest.mark.parametrize("piece", [1, 4, 8])  # the first, a middle and the last piece
def test_an_edit_typesets_its_part_only_and_gives_the_bytes_of_a_clean_build(
    first_build: FirstBuild, tmp_path: Path, piece: int
) -> None:
    manuscript, out = first_build.restore()
    before = first_build.build
    _add_sentence(manuscript / f"piece-{piece}.md")

    again = _build(manuscript, out)
    clean = _build(manuscript, tmp_path / "clean")

    assert again.pdf == clean.pdf
    assert again.boundaries == before.boundaries == clean.boundaries
    assert clean.typeset == set(range(1, len(clean.starts) + 1))
    assert again.typeset == _expected(again, before, {_part_of(piece - 1, again.boundaries)})
    assert len(again.typeset) < len(again.starts)
    if piece == 8:
        assert again.typeset == {len(again.starts)}  # the last part alone
        assert not again.front_typeset  # the contents' numbers did not change


def test_a_changed_image_typesets_the_part_that_shows_it(first_build: FirstBuild) -> None:
    manuscript, out = first_build.restore()
    before = first_build.build
    image = manuscript / "images" / "hero.png"
    with Image.open(image) as opened:
        size = opened.size
    Image.new("RGB", size, (200, 40, 40)).save(image)  # the same HTML, other pixels

    again = _build(manuscript, out)

    assert again.typeset == _expected(again, before, {_part_of(1, again.boundaries)})  # piece-2.md shows it
    assert again.pdf != before.pdf


def _entry_of_last_part(out: Path) -> Path:
    """The kept entry of the book's last part: the one that starts furthest in."""

    def start(entry: Path) -> int:
        head = entry.read_bytes().partition(b"\n")[0]
        return int(json.loads(head)["offset"])

    return max((out / CACHE_DIR).glob("typeset-*.bin"), key=start)


@pytest.mark.parametrize("damage", ["flipped", "truncated", "header", "foreign"])
def test_a_damaged_or_foreign_entry_is_typeset_again_never_used(first_build: FirstBuild, damage: str) -> None:
    manuscript, out = first_build.restore()
    before = first_build.build
    last = _entry_of_last_part(out)
    data = last.read_bytes()
    if damage == "flipped":  # one byte of the PDF
        last.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    elif damage == "truncated":
        last.write_bytes(data[: len(data) // 2])
    elif damage == "header":  # a whole entry that claims other pages
        last.write_bytes(re.sub(rb'"pages": \d+', b'"pages": 1', data, count=1))
    else:  # the first part's entry under the last part's name
        first = min((out / CACHE_DIR).glob("typeset-*.bin"), key=lambda entry: entry.stat().st_size)
        last.write_bytes(first.read_bytes())

    again = _build(manuscript, out)

    assert again.typeset == {len(again.starts)} and not again.front_typeset
    assert again.pdf == before.pdf


def test_a_refreshing_cache_looks_nothing_up(first_build: FirstBuild) -> None:
    manuscript, out = first_build.restore()
    entry = _entry_of_last_part(out)
    key = entry.name.removeprefix("typeset-").removesuffix(".bin")
    roots = typesetting_roots(manuscript, [])
    assert TypesetCache(out, (manuscript,)).get(key, roots) is not None
    assert TypesetCache(out, (manuscript,), refresh=True).get(key, roots) is None  # publish build --force
    assert TypesetCache(manuscript / "out", (manuscript,)).get(key, roots) is None  # never inside the manuscript


def test_build_keeps_the_parts_of_a_long_book(
    first_build: FirstBuild, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parts, "PARALLEL_WORDS", 100)  # the long book is typeset in parts by default
    monkeypatch.setattr(parts, "available_cores", lambda: 2)
    manuscript = tmp_path / "book"
    shutil.copytree(first_build.saved / "book", manuscript)
    out = tmp_path / "out"

    def build() -> str:
        result = CliRunner().invoke(main, ["-v", "build", "-m", str(manuscript), "-o", str(out)])
        assert result.exit_code == 0, result.output
        return result.output

    count = len(first_build.build.starts)
    assert f"0 of {count} parts kept" in build()
    _add_sentence(manuscript / "piece-8.md")
    assert f"{count - 1} of {count} parts kept" in build()


def test_kept_parts_are_never_written_through_a_link_nor_read_from_one(tmp_path: Path) -> None:
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "out"
    elsewhere.mkdir()
    out.mkdir()
    (out / CACHE_DIR).symlink_to(elsewhere)
    part = TypesetPart(1, [["a"]], 0, False, [], {}, b"%PDF-1.7 part")
    kept = TypesetCache(out)
    key = kept.key("part", "html")
    kept.put(key, part)
    kept.save()
    assert list(elsewhere.iterdir()) == []  # nothing written through the link

    (out / CACHE_DIR).unlink()
    saved = TypesetCache(out)
    saved.put(key, part)
    saved.save()
    (entry,) = (out / CACHE_DIR).glob("typeset-*.bin")
    assert TypesetCache(out).get(key, []) == part  # a real folder: kept and found
    entry.rename(elsewhere / entry.name)
    (out / CACHE_DIR).rmdir()
    (out / CACHE_DIR).symlink_to(elsewhere)
    assert TypesetCache(out).get(key, []) is None  # the same entry behind a link is not read
