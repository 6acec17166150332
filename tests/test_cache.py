"""Incremental rebuilds: the conversions kept under the output folder, used only when they prove to be right."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from publish import render
from publish.cache import CACHE_DIR, ConversionCache
from publish.cli import main

from conftest import FIXTURES, copy_manuscript

# The linked fixture's pieces with text, in reading order (fourth.md is a link only).
PIECES = ["first.md", "second.md", "third.md"]


@pytest.fixture
def converted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pieces' texts converted from Markdown during the test, in order (in this process: none forked)."""
    texts: list[str] = []
    convert = render.convert_markdown

    def counting(body: str, language: str) -> render.ConvertedPiece:
        texts.append(body)
        return convert(body, language)

    monkeypatch.setattr(render, "convert_markdown", counting)
    monkeypatch.setattr(render, "PARALLEL_CHARACTERS", 10**9)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return texts


def _epub(manuscript: Path, target: Path) -> bytes:
    """``publish epub`` into a folder with a cache (as ``publish build`` leaves one)."""
    if target.parent.name != "clean" and not (target.parent / CACHE_DIR).is_symlink():
        (target.parent / CACHE_DIR).mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(main, ["-q", "epub", "-m", str(manuscript), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def _edit(manuscript: Path, name: str) -> str:
    path = manuscript / name
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\nA sentence added after the first build.\n"
    path.write_text(text, encoding="utf-8")
    return text


def _entries(folder: Path) -> list[Path]:
    return sorted((folder / CACHE_DIR).glob("*.json"))


@pytest.mark.parametrize("edited", PIECES)  # the first, the middle, the last piece
def test_an_edit_converts_that_piece_only_and_gives_the_bytes_of_a_clean_build(
    tmp_path: Path, converted: list[str], edited: str
) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    _epub(manuscript, tmp_path / "out" / "book.epub")
    assert len(converted) == len(PIECES) and len(_entries(tmp_path / "out")) == len(PIECES)
    converted.clear()

    text = _edit(manuscript, edited)
    incremental = _epub(manuscript, tmp_path / "out" / "book.epub")
    assert len(converted) == 1 and converted[0] in text  # the edited piece's body, nothing else
    assert len(_entries(tmp_path / "out")) == len(PIECES)  # the edited piece's old entry is gone

    converted.clear()
    clean = _epub(manuscript, tmp_path / "clean" / "book.epub")
    assert len(converted) == len(PIECES)
    assert incremental == clean


def test_a_build_gives_the_same_bytes_incrementally_for_both_books(tmp_path: Path, converted: list[str]) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")

    def build(folder: str) -> None:
        result = CliRunner().invoke(main, ["-q", "build", "-m", str(manuscript), "-o", str(tmp_path / folder)])
        assert result.exit_code == 0, result.output

    build("out")
    _edit(manuscript, "third.md")
    converted.clear()
    build("out")
    assert len(converted) == 1
    build("clean")
    names = sorted(path.name for path in (tmp_path / "clean").iterdir() if path.suffix in (".epub", ".pdf"))
    assert len(names) == 2
    for name in names:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


def _corrupt_html(entry: Path) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["html"] = data["html"].replace("<p>", "<p>Planted. ", 1)
    entry.write_text(json.dumps(data), encoding="utf-8")


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:100])


def _garble(entry: Path) -> None:
    entry.write_bytes(b"\xff\xfe not json at all")


CORRUPTIONS: dict[str, Callable[[Path], None]] = {"changed": _corrupt_html, "truncated": _truncate, "garbled": _garble}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupted_entry_is_made_again_never_used(tmp_path: Path, converted: list[str], corruption: str) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    clean = _epub(manuscript, tmp_path / "out" / "book.epub")
    entries = _entries(tmp_path / "out")
    CORRUPTIONS[corruption](entries[0])
    converted.clear()
    assert _epub(manuscript, tmp_path / "out" / "book.epub") == clean
    assert len(converted) == 1
    assert _epub(manuscript, tmp_path / "out" / "again.epub") == clean  # the entry was made again and holds
    assert len(converted) == 1


def test_a_foreign_entry_is_ignored(tmp_path: Path, converted: list[str]) -> None:
    """Another text's entry under this text's name (copied, renamed): its key gives it away."""
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    clean = _epub(manuscript, tmp_path / "out" / "book.epub")
    first, second = _entries(tmp_path / "out")[:2]
    first.write_bytes(second.read_bytes())
    converted.clear()
    assert _epub(manuscript, tmp_path / "out" / "book.epub") == clean
    assert len(converted) == 1


def test_another_version_of_the_code_does_not_use_the_entries(
    tmp_path: Path, converted: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    clean = _epub(manuscript, tmp_path / "out" / "book.epub")
    monkeypatch.setattr("publish.cache.__version__", "0.0.0-other")
    converted.clear()
    assert _epub(manuscript, tmp_path / "out" / "book.epub") == clean
    assert len(converted) == len(PIECES)


def test_the_cache_is_never_written_through_a_link_nor_read_from_one(tmp_path: Path, converted: list[str]) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / CACHE_DIR).symlink_to(elsewhere)
    clean = _epub(manuscript, tmp_path / "out" / "book.epub")
    assert list(elsewhere.iterdir()) == []
    converted.clear()
    assert _epub(manuscript, tmp_path / "out" / "book.epub") == clean
    assert len(converted) == len(PIECES)


def test_only_a_build_makes_a_cache_never_inside_the_manuscript_nor_after_an_error(
    tmp_path: Path, converted: list[str]
) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    runner = CliRunner()
    result = runner.invoke(main, ["-q", "epub", "-m", str(manuscript), "-o", str(tmp_path / "epub" / "b.epub")])
    assert result.exit_code == 0, result.output
    assert [path.name for path in (tmp_path / "epub").iterdir()] == ["b.epub"]  # the book and nothing else

    result = runner.invoke(main, ["-q", "build", "-m", str(manuscript), "-o", str(manuscript / "dist")])
    assert result.exit_code == 0, result.output
    assert not (manuscript / "dist" / CACHE_DIR).exists()
    assert not ConversionCache(manuscript / "dist", (manuscript,)).enabled

    (manuscript / "third.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    result = runner.invoke(main, ["-q", "build", "-m", str(manuscript), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_the_cache_folder_may_be_deleted(tmp_path: Path, converted: list[str]) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    clean = _epub(manuscript, tmp_path / "out" / "book.epub")
    for entry in (tmp_path / "out" / CACHE_DIR).iterdir():
        entry.unlink()
    os.rmdir(tmp_path / "out" / CACHE_DIR)
    assert _epub(manuscript, tmp_path / "out" / "book.epub") == clean


def test_without_a_cache_folder_no_key_is_computed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``publish epub`` where no build made a cache does not hash publish's source (tens of milliseconds)."""

    def refuse() -> None:
        raise AssertionError("the cache key was computed without a cache")

    monkeypatch.setattr("publish.cache._code_digest", refuse)
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "manuscript")
    result = CliRunner().invoke(main, ["-q", "epub", "-m", str(manuscript), "-o", str(tmp_path / "out" / "b.epub")])
    assert result.exit_code == 0, result.output
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["b.epub"]


@pytest.mark.parametrize("library", ["markdown", "nh3", "lxml"])
def test_the_key_names_the_installed_version_of_each_library(library: str) -> None:
    from importlib.metadata import version

    from publish.cache import _library_version

    assert _library_version(library) == version(library)
