"""The command line: help, version, quiet, toc, usage errors; and nothing lost or touched by any command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publish import __version__
from publish.cli import main
from publish.errors import OutputError
from publish.output import atomic_output, temporary_files

from conftest import DEMO, DEMO_SECTIONS, FIXTURES, ROOT, children, copy_manuscript, wait_for, write_manuscript


def run(cwd: Path, *args: str) -> Result:
    """Run the CLI in ``cwd``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), prog_name="publish")


# --- help, version, quiet, toc, usage errors ---------------------------------------------------------------


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])  # type: ignore[attr-defined]
def test_every_command_has_help_with_an_example(command: str | None) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(main, args, prog_name="publish")
    assert result.exit_code == 0
    match = re.search(r"\n  Examples?:\n    (.*)\n", result.output)
    assert match, result.output
    assert match[1].startswith(f"publish {command or ''}".strip())
    # -h is the short form everywhere.
    assert CliRunner().invoke(main, [*args[:-1], "-h"], prog_name="publish").output == result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"publish, version {__version__}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["no-such-command"],
        ["epub", "--no-such-option"],
        ["pdf", "--paper", "tabloid"],
        ["check", "unexpected-argument"],
        ["epub", "--styles", "/no/such/folder"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path, *args)
    assert result.exit_code == 2
    # One line, not Click's usage block: the error, and where help is.
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")
    assert line.endswith(f"(see 'publish{' ' + args[0] if args[0] in ('epub', 'pdf', 'check') else ''} -h')")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_quiet_silences_the_wrote_line(tmp_path: Path, command: str) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    loud = run(tmp_path, command, "-m", "m", "-o", f"loud.{command}")
    assert loud.exit_code == 0
    unit = "documents" if command == "epub" else "pages?"
    assert re.fullmatch(rf"Wrote loud\.{command} \(\d+ KB, \d+ {unit}\)\n", loud.stdout), loud.stdout
    quiet = run(tmp_path, "-q", command, "-m", "m", "-o", f"quiet.{command}")
    assert quiet.exit_code == 0
    assert quiet.stdout == ""
    assert quiet.stderr == ""
    assert (tmp_path / f"quiet.{command}").stat().st_size > 0


def test_default_output_is_dist_slug(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    result = run(tmp_path, "epub", "-m", "m")
    # Size and document count: the cover, title, copyright and contents pages, the one piece, the navigation.
    assert re.fullmatch(r"Wrote dist/minimal-book\.epub \(\d+ KB, 6 documents\)\n", result.stdout), result.stdout
    assert (tmp_path / "dist" / "minimal-book.epub").is_file()


def test_toc_on_the_demo_prints_the_sections_and_the_linked_pieces() -> None:
    result = CliRunner().invoke(main, ["toc", "-m", str(DEMO)])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    linked = [
        "Forest Bathing in Barton Creek Greenbelt: What to Notice, How to Breathe",
        "Why Do Compliments Make Me Uncomfortable?",
    ]
    # The six headings in order, right after the article's title; then the two linked pieces.
    start = lines.index("Supporting Your Partner in Developing Self-Compassion", 2)
    assert lines[start + 1 : start + 7] == DEMO_SECTIONS
    assert lines[start + 7] == "Continue reading"
    assert lines[start + 8 : start + 10] == linked
    assert lines[2:6] == [
        "Reading order:",
        "1. forest-bathing-in-barton-creek-greenbelt.md  (link only)",
        "2. supporting-your-partner-in-developing-self-compassion.md",
        "3. why-do-compliments-make-me-uncomfortable.md  (link only)",
    ]


def test_check_on_a_good_manuscript(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "-m", str(DEMO)])
    assert result.exit_code == 0
    assert result.stdout == "OK: 3 pieces, 0 warning(s)\n"
    assert result.stderr == ""


def test_missing_manuscript_folder_is_a_user_error(tmp_path: Path) -> None:
    result = run(tmp_path, "toc", "-m", "nowhere")
    assert result.exit_code == 1
    assert result.stderr == "Error: nowhere: manuscript folder not found\n"


# --- nothing lost ----------------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file and folder under ``folder`` (hidden ones too): size, mtime and content."""
    snapshot = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        content = path.read_bytes() if path.is_file() else b""
        snapshot[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns, content)
    return snapshot


def test_no_command_writes_into_the_manuscript_folder(tmp_path: Path) -> None:
    manuscript = copy_manuscript(FIXTURES / "linked", tmp_path / "m")
    before = _snapshot(manuscript)
    for args in (
        ["epub", "-m", "m"],
        ["epub", "--embed-fonts", "-m", "m", "-o", "out/fonts.epub"],
        ["pdf", "-m", "m"],
        ["pdf", "--paper", "a5", "--duplex", "--large-print", "-m", "m", "-o", "out/large.pdf"],
        ["build", "-m", "m", "-o", "built"],
        ["check", "-m", "m"],
        ["toc", "-m", "m"],
    ):
        result = run(tmp_path, *args)
        assert result.exit_code == 0, (args, result.output)
    assert _snapshot(manuscript) == before
    # The outputs went where they were asked to, and nowhere else.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built", "dist", "m", "out"]


def test_failing_build_leaves_the_previous_output_untouched(tmp_path: Path) -> None:
    manuscript = copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    for command in ("epub", "pdf"):
        assert run(tmp_path, command, "-m", "m", "-o", f"out/book.{command}").exit_code == 0
    previous = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    (manuscript / "only.md").write_text("---\ntitle: Broken\n---\n\n![gone](gone.png)\n", encoding="utf-8")
    for command in ("epub", "pdf"):
        result = run(tmp_path, command, "-m", "m", "-o", f"out/book.{command}")
        assert result.stderr == "Error: m/only.md:5: image gone.png not found\n"
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == previous


def test_atomic_output_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "book.epub"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError), atomic_output(target) as temporary:
        temporary.write_bytes(b"half")
        assert temporary.parent == target.parent  # same file system, so the rename is atomic
        assert target.read_bytes() == b"previous"
        raise RuntimeError("the writer failed half-way")
    assert target.read_bytes() == b"previous"
    assert temporary_files(target) == []
    with atomic_output(target) as temporary:
        temporary.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.epub"]


def test_atomic_output_refuses_a_folder(tmp_path: Path) -> None:
    (tmp_path / "book.epub").mkdir()
    with pytest.raises(OutputError, match="output path is a folder"), atomic_output(tmp_path / "book.epub"):
        pass


def test_leftovers_of_a_killed_build_are_removed_by_the_next(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    out = tmp_path / "out"
    out.mkdir()
    # What a build killed between creating its temporary file and renaming it leaves behind: its
    # process is gone and the file is old.
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    stale = out / f".book.epub.{dead.pid}.k1ll3d.partial"
    stale.write_bytes(b"half an epub")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    live = out / f".book.epub.{os.getpid()}.w0rk1n.partial"  # a build at work (this process): kept
    live.write_bytes(b"")
    os.utime(live, (an_hour_ago, an_hour_ago))
    other = out / ".other.epub.x.partial"  # another target's: not this build's to remove
    other.write_bytes(b"")
    assert run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [live.name, ".other.epub.x.partial", "book.epub"]


def _large_manuscript(folder: Path, pieces: int = 12) -> Path:
    """A manuscript that takes WeasyPrint several seconds to typeset."""
    paragraph = "This sentence goes on for a while so that the line breaker has some work to do. " * 6
    files = {}
    for i in range(pieces):
        links = (f"previous: p{i - 1:02}.md\n" if i else "") + (f"next: p{i + 1:02}.md\n" if i + 1 < pieces else "")
        body = "\n\n".join(f"## Section {j}\n\n{paragraph}\n\n{paragraph}" for j in range(15))
        files[f"p{i:02}.md"] = f"---\ntitle: Piece {i}\n{links}---\n\n{body}\n"
    return write_manuscript(folder, files, title="A Long Book", author="Someone")


def test_sigkill_half_way_leaves_the_previous_output(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "small")
    _large_manuscript(tmp_path / "large")
    target = tmp_path / "out" / "book.pdf"
    command = [sys.executable, "-m", "publish", "pdf", "-o", str(target), "-m"]
    subprocess.run([*command, str(tmp_path / "small")], check=True, cwd=ROOT, capture_output=True)
    previous = target.read_bytes()

    process = subprocess.Popen(
        [*command, str(tmp_path / "large")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # Once its typesetting processes run the command is under way; the large book takes several seconds more.
    wait_for(lambda: bool(children(process.pid)) or process.poll() is not None, "the build's typesetters")
    assert process.poll() is None, "the build finished before it could be killed: make the manuscript larger"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert target.read_bytes() == previous

    subprocess.run([*command, str(tmp_path / "small")], check=True, cwd=ROOT, capture_output=True)
    assert target.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in target.parent.iterdir()) == ["book.pdf"]


def test_unexpected_os_errors_are_reported_without_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device", "out/book.epub")

    monkeypatch.setattr("publish.epub.package.write_epub", full_disk)
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert result.exit_code == 1
    assert result.stderr == "Error: out/book.epub: No space left on device\n"


def test_epub_never_imports_the_pdf_stack(tmp_path: Path) -> None:
    """`publish epub` starts fast: WeasyPrint (about a second to import) and the PDF tools stay unloaded."""
    code = (
        "import sys\n"
        "from publish.cli import main\n"
        "try:\n"
        f"    main(['-q', 'epub', '-m', {str(FIXTURES / 'linked')!r}, '-o', {str(tmp_path / 'b.epub')!r}])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'weasyprint', 'pypdf', 'pikepdf', 'segno', 'pydyf'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
    assert (tmp_path / "b.epub").stat().st_size > 0


# --- every file a command is asked for, or none ---------------------------------------------------------


def _styles_that_fail_print(tmp_path: Path, name: str) -> Path:
    """A styles folder whose ``name`` WeasyPrint warns about (fatal with --strict); the EPUB's CSS is fine."""
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / name).write_text("p { colour: red; }\n", encoding="utf-8")
    return styles


def test_build_writes_no_epub_when_the_pdf_fails(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    styles = _styles_that_fail_print(tmp_path, "print.css")
    out = tmp_path / "out"
    out.mkdir()
    (out / "minimal-book.epub").write_bytes(b"the previous good EPUB")
    result = CliRunner().invoke(
        main, ["build", "-m", str(tmp_path / "m"), "-o", str(out), "--styles", str(styles), "--strict"]
    )
    assert result.exit_code == 1
    assert "Error: Minimal Book: WeasyPrint: Ignored `colour: red`" in result.output
    assert "Wrote" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["minimal-book.epub"]  # no new file, no temporary one
    assert (out / "minimal-book.epub").read_bytes() == b"the previous good EPUB"


def test_all_handouts_are_written_or_none(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "linked", tmp_path / "m")
    styles = _styles_that_fail_print(tmp_path, "handout.css")
    out = tmp_path / "handouts"
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(tmp_path / "m"), "--all-handouts", "-o", str(out), "--styles", str(styles), "--strict"]
    )
    assert result.exit_code == 1
    assert "WeasyPrint: Ignored `colour: red`" in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_booklet_with_bleed_is_refused_before_the_manuscript_is_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["pdf", "-m", str(tmp_path / "nowhere"), "--booklet", "--crop-marks"])
    assert result.exit_code == 2
    assert result.output == (
        "Error: --booklet imposes pages for an office printer: leave out --bleed and --crop-marks (see 'main pdf -h')\n"
    )


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--bleed", "3 furlongs"], "Invalid value for '--bleed'"),
        (["--bleed", "2in"], "Invalid value for '--bleed'"),
        (["--booklet", "--bleed", "3mm"], "--booklet imposes pages for an office printer"),
        (["--booklet", "--handout", "a"], "--booklet imposes the book"),
        (["--handout", "a", "--all-handouts"], "give either --handout PIECE or --all-handouts"),
        (["--handout", " "], "--handout needs a piece"),
        (["--all-handouts", "-o", "FILE"], "the handouts go into a folder"),
        (["--jobs", "0"], "Invalid value for '--jobs'"),
        (["--paper", "b5"], "Invalid value for '--paper'"),
        (["--toc-depth", "4"], "Invalid value for '--toc-depth'"),
    ],
)
def test_option_combinations_are_refused_before_the_manuscript_is_read(
    tmp_path: Path, arguments: list[str], expected: str
) -> None:
    """A usage error (exit 2) for a manuscript that does not even exist: the options are checked first."""
    (tmp_path / "FILE").write_text("a file", encoding="utf-8")
    arguments = [str(tmp_path / "FILE") if argument == "FILE" else argument for argument in arguments]
    result = CliRunner().invoke(main, ["pdf", "-m", str(tmp_path / "nowhere"), *arguments])
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert line.startswith("Error: ") and expected in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["FILE"]
