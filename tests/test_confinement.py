"""The confinement rule (publish.confine) and the life of processes and temporary files, under hostile input.

Each test asserts the exact message and exit status, and that nothing outside the manuscript was read or
written, no temporary folder and no process left. Commands that could hang or involve signals run as
subprocesses (``sys.executable -m publish``) in a private TMPDIR, with a deadline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publish import confine
from publish.cli import main
from publish.confine import ConfinementError, Kind, open_confined, read_confined
from publish.freshness import input_fingerprint, up_to_date_outputs
from publish.output import atomic_output
from publish.scratch import sweep_stale

from conftest import FIXTURES, ROOT, alive, children, copy_manuscript, wait_for

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
DEADLINE = 30.0  # seconds a subprocess may take before the test calls it a hang


def run(cwd: Path, *args: str) -> Result:
    """The CLI in this process, in ``cwd`` (paths in messages are relative to it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), prog_name="publish")


def publish_process(cwd: Path, tmpdir: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    """``python -m publish ARGS`` in ``cwd`` with a private TMPDIR."""
    environment = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "publish", *args], cwd=cwd, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,  # type: ignore[arg-type]
    )  # fmt: skip


def run_process(cwd: Path, tmpdir: Path, *args: str) -> tuple[int, str, str]:
    process = publish_process(cwd, tmpdir, *args)
    try:
        out, err = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"publish {' '.join(args)} hung")
    return process.returncode, out, err


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return copy_manuscript(FIXTURES / "minimal", tmp_path / "m")


@pytest.fixture
def private_tmp(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.png").write_bytes(PNG)
    (folder / "secret.txt").write_text("top secret")
    return folder


needs_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")


# --- 1. One confinement rule for every file read ---------------------------------------------------------


def test_read_refuses_a_file_outside_its_folders_through_a_link(tmp_path: Path, secret: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "link.md").symlink_to(secret / "secret.txt")
    (tmp_path / "in" / "inner.md").symlink_to("real.md")
    (tmp_path / "in" / "real.md").write_text("inside")
    with pytest.raises(ConfinementError) as refused:
        read_confined(tmp_path / "in" / "link.md", confine.PIECE, [tmp_path / "in"])
    assert (
        str(refused.value)
        == f"{tmp_path / 'in' / 'link.md'}: is a link to a file outside the manuscript folder: not read"
    )
    # A link whose target is inside is followed.
    assert read_confined(tmp_path / "in" / "inner.md", confine.PIECE, [tmp_path / "in"]) == b"inside"


def test_read_refuses_what_is_not_a_regular_file_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(ConfinementError, match=r"pipe.md: is a named pipe, not a regular file: not read$"):
        read_confined(fifo, confine.PIECE, [tmp_path])
    with pytest.raises(ConfinementError, match=r"^/dev/zero: is a device, not a regular file: not read$"):
        read_confined(Path("/dev/zero"), confine.IMPORT_SOURCE, None)
    # A pipe swapped in after the check is opened without blocking and refused (no writer: a blocking
    # open would wait forever).
    monkeypatch.setattr(confine, "check_file", lambda path, kind, roots, place="": Path(os.path.realpath(path)))
    with pytest.raises(ConfinementError, match="is a named pipe"), open_confined(fifo, confine.PIECE, [tmp_path]):
        pass


def test_read_refuses_a_file_over_its_kinds_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.css"
    big.write_bytes(b"a" * 2048)
    with pytest.raises(ConfinementError) as refused:
        read_confined(big, Kind("a stylesheet", 1024), [tmp_path])
    assert str(refused.value) == f"{big}: is larger than the 1024 bytes a stylesheet may be (0.0 MB): not read"
    assert read_confined(big, Kind("a stylesheet", 4096), [tmp_path]) == b"a" * 2048


def test_a_piece_over_ten_megabytes_is_refused_unread(tmp_path: Path, book: Path) -> None:
    with open(book / "only.md", "r+b") as piece:
        piece.truncate(10 * 1024 * 1024 + 1)  # sparse: no 10 MB written
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[0]
        == "Error: m/only.md: is larger than the 10 MB a Markdown piece may be (10.0 MB): not read"
    )


def _svg_with_outside_image(book: Path, secret: Path) -> None:
    (book / "images").mkdir()
    (book / "images" / "x.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        f'<image href="file:{secret / "secret.png"}" width="10" height="10"/></svg>'
    )
    (book / "only.md").write_text("---\ntitle: The Only Piece\n---\n\nText.\n\n![A square](images/x.svg)\n")


def test_weasyprint_fetcher_reads_only_inside_the_allowed_folders(tmp_path: Path, book: Path, secret: Path) -> None:
    from publish.pdf.engine import url_fetcher

    fetch = url_fetcher([book])
    (book / "inside.png").write_bytes(PNG)
    assert fetch((book / "inside.png").as_uri()).read() == PNG
    # file:/… (one slash) was once taken for a path relative to the working folder, and read.
    for url in (
        f"file:{secret / 'secret.png'}",
        (secret / "secret.png").as_uri(),
        f"file://localhost{secret}/secret.png",
    ):
        with pytest.raises(ValueError, match="is a file outside the manuscript and styles folders: not read"):
            fetch(url)
    with pytest.raises(ValueError, match="never uses the network"):
        fetch("file://example.com/etc/passwd")
    os.mkfifo(book / "pipe.png")
    with pytest.raises(ValueError, match="is a named pipe"):
        fetch((book / "pipe.png").as_uri())


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_svg_image_reference_outside_is_never_opened_by_the_pdf(
    tmp_path: Path, book: Path, secret: Path, private_tmp: Path
) -> None:
    """Built from inside the manuscript (``-m .``), as in the report: strace records every file opened."""
    _svg_with_outside_image(book, secret)
    log = tmp_path / "strace.log"
    environment = {**os.environ, "TMPDIR": str(private_tmp), "PYTHONPATH": str(ROOT)}
    command = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=open,openat", "-o", str(log),
               sys.executable, "-m", "publish", "pdf", "-m", ".", "-o", str(tmp_path / "book.pdf")]  # fmt: skip
    result = subprocess.run(command, cwd=book, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # The SVG is cleaned before WeasyPrint sees it (the fetcher would refuse the file too: see above).
    assert "image images/x.svg: removed href=file:... (SVG images may hold no active content" in result.stderr
    assert str(secret) not in log.read_text()
    assert list(private_tmp.iterdir()) == []


def test_absolute_local_references_in_a_styles_stylesheet_are_errors(tmp_path: Path, book: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "epub.css").write_text("p { color: red }\n\nbody { background: url(file:/home/x/secret.png) }\n")
    (styles / "print.css").write_text('@import "/etc/passwd";\n')
    result = run(tmp_path, "epub", "-m", "m", "--styles", "styles", "-o", "book.epub")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: styles/epub.css:3: file:/home/x/secret.png names a file outside the styles folder, which is never read: remove it",
        "Error: styles/print.css:1: /etc/passwd names a file outside the styles folder, which is never read: remove it",
    ]
    assert not (tmp_path / "book.epub").exists()


def test_stylesheets_are_written_without_absolute_local_references() -> None:
    from publish.resources import local_css_references, strip_local_css

    css = 'a { b: url(file:/etc/x.png) }\n@import "file:///etc/a.css";\nc { d: url( "/x" ) e: url(data:,x) f: url(img/x.png) }'
    assert local_css_references(css) == [(1, "file:/etc/x.png"), (2, "file:///etc/a.css"), (3, "/x")]
    assert strip_local_css(css) == "a { b: none }\n\nc { d: none e: url(data:,x) f: url(img/x.png) }"


def test_a_styles_stylesheet_linking_outside_is_refused(tmp_path: Path, book: Path, secret: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "epub.css").symlink_to(secret / "secret.txt")
    result = run(tmp_path, "epub", "-m", "m", "--styles", "styles", "-o", "book.epub")
    assert result.exit_code == 1
    assert result.output == "Error: styles/epub.css: is a link to a file outside the styles folder: not read\n"


def test_change_check_never_reads_through_a_link_out_of_the_manuscript(book: Path, secret: Path) -> None:
    (book / "notes.txt").symlink_to(secret / "secret.txt")
    (book / "zero").symlink_to("/dev/zero")  # read, this never ended (MemoryError)
    os.mkfifo(book / "pipe")
    before = input_fingerprint(book, [], {})
    (secret / "secret.txt").write_text("another secret")  # its content is not part of the fingerprint
    assert input_fingerprint(book, [], {}) == before
    (book / "notes.txt").unlink()
    (book / "notes.txt").symlink_to(secret / "secret.png")  # where a link points is
    assert input_fingerprint(book, [], {}) != before


def test_build_record_cannot_name_a_file_outside_the_output_folder(tmp_path: Path, secret: Path) -> None:
    import hashlib

    dist = tmp_path / "dist"
    dist.mkdir()
    digest = hashlib.sha256((secret / "secret.txt").read_bytes()).hexdigest()
    record = {"fingerprint": "f", "outputs": {"../outside/secret.txt": digest}}
    (dist / ".publish-build.json").write_text(json.dumps(record))
    assert up_to_date_outputs(dist, "f") is None
    (dist / "book.epub").write_bytes(b"epub")
    record["outputs"] = {"book.epub": hashlib.sha256(b"epub").hexdigest()}
    (dist / ".publish-build.json").write_text(json.dumps(record))
    assert up_to_date_outputs(dist, "f") == [dist / "book.epub"]


def test_an_image_that_is_a_pipe_is_refused_by_name(tmp_path: Path, book: Path) -> None:
    os.mkfifo(book / "pipe.png")
    (book / "p.png").symlink_to("pipe.png")
    (book / "only.md").write_text("---\ntitle: T\n---\n\nText.\n\n![An image](p.png)\n")
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    assert (
        result.output.splitlines()[0] == "Error: m/only.md:7: image p.png is a named pipe, not a regular file: not read"
    )


# --- 3. Writes: never through a link, never over an input, never over a device ------------------------------


def _page(folder: Path) -> Path:
    folder.mkdir()
    (folder / "pic.png").write_bytes(PNG)
    page = folder / "p.html"
    page.write_text(
        "<html><head><title>P</title></head><body><article><h1>P</h1>"
        "<p>Some text here that is long enough.</p><img src='pic.png' alt='a picture'></article></body></html>"
    )
    return page


def _listing(folder: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(folder)), b"" if p.is_dir() or p.is_symlink() else p.read_bytes())
                  for p in folder.rglob("*"))  # fmt: skip


def test_import_never_writes_through_a_linked_images_folder(tmp_path: Path) -> None:
    page = _page(tmp_path / "src")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    manuscript = tmp_path / "new"
    manuscript.mkdir()
    (manuscript / "images").symlink_to(elsewhere)
    result = run(tmp_path, "import", str(page), "-m", "new")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: new/images: is a symbolic link: publish does not write through links; remove it, or import into another folder"
    )
    assert list(elsewhere.iterdir()) == []
    assert [p.name for p in manuscript.iterdir()] == ["images"]


def test_import_never_writes_through_a_dangling_link(tmp_path: Path, book: Path) -> None:
    page = _page(tmp_path / "src")
    (book / "p.md").symlink_to(tmp_path / "outside.md")
    before = _listing(book)
    result = run(tmp_path, "import", str(page), "-m", "m", "--force")
    assert result.exit_code == 1
    assert result.output == (
        "Error: m/p.md: is a symbolic link: publish does not write through links; remove it, or import into another folder\n"
    )
    assert not (tmp_path / "outside.md").exists()
    assert _listing(book) == before


@pytest.mark.parametrize(
    ("command", "target"),
    [("epub", "m/only.md"), ("pdf", "m/book.yaml"), ("pdf --handout only", "m/only.md"), ("epub", "m/new.md")],
)
def test_an_output_inside_the_manuscript_may_not_replace_an_input(
    tmp_path: Path, book: Path, command: str, target: str
) -> None:
    before = _listing(book)
    result = run(tmp_path, *command.split(), "-m", "m", "-o", target)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {target}: output is inside the manuscript or styles folder, where only a .epub or .pdf file "
        "may be written (publish never reads one): write it elsewhere\n"
    )
    assert _listing(book) == before


def test_an_output_over_a_stylesheet_or_through_a_link_to_an_input_is_refused(tmp_path: Path, book: Path) -> None:
    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "print.css").write_text("p { color: black }")
    (tmp_path / "link.pdf").symlink_to(book / "book.yaml")
    before = _listing(tmp_path)
    for target in ("styles/print.css", "link.pdf"):
        result = run(tmp_path, "pdf", "-m", "m", "--styles", "styles", "-o", target)
        assert result.exit_code == 1
        assert result.output.startswith(f"Error: {target}: output is inside the manuscript or styles folder")
    assert _listing(tmp_path) == before


def test_an_output_that_is_a_device_or_a_pipe_is_never_replaced(tmp_path: Path, book: Path) -> None:
    fifo = tmp_path / "book.epub"
    os.mkfifo(fifo)
    nodes = [fifo]
    if os.geteuid() == 0:  # a copy of /dev/full, never the system's own
        os.mknod(tmp_path / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        nodes.append(tmp_path / "full")
    for node, what in zip(nodes, ["a named pipe", "a device"], strict=False):
        result = run(tmp_path, "epub", "-m", "m", "-o", node.name)
        assert result.exit_code == 1
        assert (
            result.output
            == f"Error: {node.name}: output path is {what}, not a regular file: give a new file name or a regular file\n"
        )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(ConfinementError, match="output path is a named pipe"), atomic_output(fifo):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", *(n.name for n in nodes)])


# --- 5. Hangs -------------------------------------------------------------------------------------------------


def test_named_pipes_end_check_and_import_at_once(tmp_path: Path, book: Path, private_tmp: Path) -> None:
    os.mkfifo(book / "pipe.md")
    os.mkfifo(tmp_path / "pipe.html")
    code, out, err = run_process(tmp_path, private_tmp, "check", "-m", "m")
    assert (code, err) == (
        1,
        "Error: m/pipe.md: is a named pipe, not a regular file: not read\n1 error(s), 0 warning(s)\n",
    )
    code, out, err = run_process(tmp_path, private_tmp, "import", "pipe.html", "-m", "new")
    assert (code, out, err) == (1, "", "Error: pipe.html: is a named pipe, not a regular file: not read\n")
    assert not (tmp_path / "new").exists()
    assert list(private_tmp.iterdir()) == []


def test_a_start_piece_that_is_a_named_pipe_is_one_error_not_two(tmp_path: Path, book: Path) -> None:
    """The pipe is refused with its reason; 'start' naming it adds no "does not exist" that is untrue."""
    (book / "only.md").rename(book / "text.md")
    os.mkfifo(book / "only.md")
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert (result.exit_code, result.output) == (1, "Error: m/only.md: is a named pipe, not a regular file: not read\n")
    (book / "only.md").unlink()
    (book / "only.md").mkdir()
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert result.exit_code == 1
    assert "Error: m/book.yaml:4: 'start' names only.md, which is a folder, not a Markdown piece" in result.output
    assert "no reason was found" not in result.output


def test_import_into_a_manuscript_holding_a_named_pipe_leaves_it_alone(tmp_path: Path, book: Path) -> None:
    page = _page(tmp_path / "src")
    os.mkfifo(book / "notes")  # the scratch copy used to fail on it ("`m/notes` is a named pipe")
    result = run(tmp_path, "import", str(page), "-m", "m")
    assert result.exit_code == 0, result.output
    assert "created m/p.md" in result.output.splitlines()
    assert (book / "p.md").is_file() and (book / "images" / "pic.png").read_bytes() == PNG
    assert stat.S_ISFIFO(os.lstat(book / "notes").st_mode)


def test_import_of_a_device_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "import", "/dev/zero", "-m", "new")
    assert (result.exit_code, result.output) == (1, "Error: /dev/zero: is a device, not a regular file: not read\n")
    assert not (tmp_path / "new").exists()


def test_book_yaml_that_is_a_pipe_is_named(tmp_path: Path, book: Path) -> None:
    (book / "book.yaml").unlink()
    os.mkfifo(book / "book.yaml")
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "Error: m/book.yaml: is a named pipe, not a regular file: not read"


# --- 6. Temporary folders and worker processes ---------------------------------------------------------------


@needs_linux
def test_pdf_leaves_no_temporary_folder_and_sweeps_a_killed_commands(
    tmp_path: Path, book: Path, private_tmp: Path
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    stale = private_tmp / f"publish-{dead.pid}-k1ll3d"  # a killed command's, an hour old
    (stale / "weasyprint-x").mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    live = private_tmp / f"publish-{os.getpid()}-runn1ng"  # a running command's: kept, however old
    live.mkdir()
    os.utime(live, (an_hour_ago, an_hour_ago))
    recent = private_tmp / f"publish-{dead.pid}-r3cent"  # its process gone, but new: kept (another host's?)
    recent.mkdir()
    code, _out, err = run_process(tmp_path, private_tmp, "pdf", "-m", "m", "-o", "book.pdf")
    assert code == 0, err
    assert sorted(p.name for p in private_tmp.iterdir()) == sorted([live.name, recent.name])
    assert sweep_stale(private_tmp, now=time.time() + 3600) == [private_tmp / recent.name]


@needs_linux
def test_workers_die_with_a_killed_command_and_write_nothing_after(tmp_path: Path, private_tmp: Path) -> None:
    copy_manuscript(FIXTURES / "linked", tmp_path / "m")
    process = publish_process(tmp_path, private_tmp, "pdf", "-m", "m", "--all-handouts", "-o", "out")
    workers: list[int] = []

    def two_workers() -> bool:
        workers[:] = children(process.pid)
        return len(workers) >= 2 or process.poll() is not None

    wait_for(two_workers, "the handout workers")
    assert len(workers) == 2
    process.kill()
    process.communicate()
    written = sorted(p.name for p in (tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to die with their parent", 5)
    # Nothing written after the parent is gone: only the parent writes, and it is dead.
    after = sorted(p.name for p in (tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    assert after == written
    assert not any(name.endswith(".partial") for name in after)


@needs_linux
@pytest.mark.parametrize(
    ("handouts", "stop", "expected"),
    [
        (False, "ctrl-c", (130, "Error: interrupted\n")),
        (True, "ctrl-c", (130, "Error: interrupted\n")),
        (False, "sigterm", (128 + signal.SIGTERM, "")),
    ],
)
def test_ctrl_c_or_sigterm_end_the_command_cleanly(
    tmp_path: Path, private_tmp: Path, handouts: bool, stop: str, expected: tuple[int, str]
) -> None:
    copy_manuscript(FIXTURES / "linked", tmp_path / "m")
    arguments = ["--all-handouts", "-o", "out"] if handouts else ["-o", "book.pdf"]
    process = publish_process(tmp_path, private_tmp, "pdf", "-m", "m", *arguments, start_new_session=True)
    workers: list[int] = []

    def working() -> bool:
        workers[:] = children(process.pid)
        return len(workers) >= (2 if handouts else 1) or process.poll() is not None

    wait_for(working, "the workers")
    wait_for(lambda: any(private_tmp.glob("publish-*/weasyprint-*")) or process.poll() is not None, "typesetting")
    if stop == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # what the terminal does: every process of the command
    else:
        process.terminate()  # the command only
    _out, err = process.communicate(timeout=DEADLINE)
    if process.returncode == 0:
        pytest.skip("the command finished before the signal reached it")
    assert (process.returncode, err) == expected
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to end", 5)
    assert list(private_tmp.iterdir()) == []
    assert not list(tmp_path.rglob("*.partial"))


@needs_linux
def test_jobs_above_the_cores_are_capped_with_a_warning(tmp_path: Path, book: Path, private_tmp: Path) -> None:
    from publish.processes.forking import available_cores

    cores = available_cores()
    process = publish_process(tmp_path, private_tmp, "pdf", "-m", "m", "-o", "book.pdf", "--jobs", "60")
    most = 0
    while True:  # count the workers every 50 ms until the command ends
        most = max(most, len(children(process.pid)))
        try:
            process.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            continue
    _out, err = process.communicate()
    assert process.returncode == 0, err
    assert err == f"Warning: --jobs 60 is more than the {cores} cores available: using {cores}\n"
    assert most <= cores + 1  # the parts' processes and the front matter's
    assert list(private_tmp.iterdir()) == []


# --- 7. Concurrent builds into one folder ---------------------------------------------------------------------


def test_a_live_writers_temporary_file_is_never_removed(tmp_path: Path) -> None:
    target = tmp_path / "book.epub"
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    an_hour_ago = time.time() - 3600
    files = {
        "live, old": tmp_path / f".book.epub.{os.getpid()}.abcdefgh.partial",
        "dead, new": tmp_path / f".book.epub.{dead.pid}.abcdefgh.partial",
        "no owner": tmp_path / ".book.epub.abcdefgh.partial",
        "dead, old": tmp_path / f".book.epub.{dead.pid}.ijklmnop.partial",
    }
    for name, path in files.items():
        path.write_bytes(b"")
        if "old" in name or name == "no owner":
            os.utime(path, (an_hour_ago, an_hour_ago))
    with atomic_output(target) as temporary:
        assert temporary.name.startswith(f".book.epub.{os.getpid()}.")
        temporary.write_bytes(b"epub")
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted(["book.epub", *(files[n].name for n in ("live, old", "dead, new", "no owner"))])


def test_concurrent_builds_into_one_folder_all_succeed(tmp_path: Path, book: Path, private_tmp: Path) -> None:
    processes = [publish_process(tmp_path, private_tmp, "epub", "-m", "m", "-o", "out/book.epub") for _ in range(4)]
    results = [(p.wait(timeout=DEADLINE), p.communicate()[1]) for p in processes]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["book.epub"]
    with zipfile.ZipFile(tmp_path / "out" / "book.epub") as epub:
        assert epub.testzip() is None
    assert list(private_tmp.iterdir()) == []


def test_ctrl_c_while_the_options_are_read_ends_as_it_does_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not Click's "Aborted!" and status 1: one line and 130, as Ctrl-C during the command."""
    import publish.limits

    def interrupted(text: str) -> float:
        raise KeyboardInterrupt

    monkeypatch.setattr(publish.limits, "parse_bleed", interrupted)
    result = run(tmp_path, "pdf", "-m", "m", "--bleed", "3mm")
    assert (result.exit_code, result.output) == (130, "Error: interrupted\n")
