"""`publish build` skips the work when nothing it reads has changed (content hashes, not timestamps)."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from publish.cli import main

from conftest import FIXTURES, copy_manuscript


def _build(manuscript: Path, out: Path, *extra: str) -> str:
    result = CliRunner().invoke(main, ["build", "-m", str(manuscript), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_unchanged_rebuild_is_skipped_and_changes_rebuild(tmp_path: Path) -> None:
    manuscript = copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    out = tmp_path / "dist"
    first = _build(manuscript, out)
    assert first.count("Wrote") == 2
    epub = next(out.glob("*.epub"))
    before = epub.stat().st_mtime_ns

    assert "Up to date" in _build(manuscript, out)
    assert epub.stat().st_mtime_ns == before

    # A touched file with the same content is still up to date: timestamps do not decide.
    piece = manuscript / "only.md"
    os.utime(piece, (1, 1))
    assert "Up to date" in _build(manuscript, out)

    piece.write_text(piece.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert _build(manuscript, out).count("Wrote") == 2

    assert _build(manuscript, out, "--force").count("Wrote") == 2


def test_a_changed_or_missing_output_is_rebuilt(tmp_path: Path) -> None:
    manuscript = copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    out = tmp_path / "dist"
    _build(manuscript, out)
    pdf = next(out.glob("*.pdf"))
    pdf.write_bytes(b"%PDF-1.7 damaged")
    assert _build(manuscript, out).count("Wrote") == 2
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    next(out.glob("*.epub")).unlink()
    assert _build(manuscript, out).count("Wrote") == 2


def test_options_are_part_of_the_fingerprint(tmp_path: Path) -> None:
    manuscript = copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    out = tmp_path / "dist"
    _build(manuscript, out)
    assert _build(manuscript, out, "--strict").count("Wrote") == 2
