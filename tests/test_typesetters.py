"""Typesetting processes started ahead of the work (publish.processes.workers' Pool)."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from multiprocessing import get_context
from pathlib import Path

import pytest

from publish.build import prepare
from publish.errors import ManuscriptError, Problem, RenderError
from publish.pdf.finishing import typeset_in
from publish.pdf.paper import PdfOptions
from publish.pdf.write import render_book_pdf, typeset_book
from publish.processes import forking
from publish.processes import workers as typesetters
from publish.processes.workers import PARALLEL_WORDS, Pool, estimated_processes, start_pool

from conftest import FIXTURES, ROOT, alive, children, wait_for, write_manuscript

# Tests may not fork (this process has loaded WeasyPrint): their workers are fresh interpreters.
SPAWN = get_context("spawn")


def test_a_worker_typesets_the_book_this_process_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rendered = prepare(FIXTURES / "linked")
    workers = Pool(2, SPAWN)
    assert len(workers) == 2
    assert typeset_book(rendered, PdfOptions(), workers) == typeset_book(rendered, PdfOptions())
    assert len(workers) == 0  # one typeset the book, the other was ended


def test_the_command_forks_its_typesetter_and_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    target = tmp_path / "book.pdf"
    command = [sys.executable, "-m", "publish", "-q", "pdf", "-m", str(FIXTURES / "linked"), "-o", str(target)]
    subprocess.run(command, check=True, cwd=ROOT)
    assert target.read_bytes() == render_book_pdf(prepare(FIXTURES / "linked"))


def test_an_error_in_a_worker_is_raised_here() -> None:
    worker = Pool(1, SPAWN).take()
    assert worker is not None
    with pytest.raises(AttributeError, match="resolve"):
        typeset_in(worker, "<p>text</p>", [], "not a path", [])  # a str has no resolve()
    assert not worker.process.is_alive()


def test_errors_cross_to_the_parent_with_their_problems() -> None:
    error = RenderError("WeasyPrint could not typeset this", Path("book"))
    carried = pickle.loads(pickle.dumps(typesetters.portable(error)))
    assert type(carried) is RenderError and carried.problems == error.problems
    # Every PublishError pickles with all its problems (PublishError.__reduce__), several included.
    several = ManuscriptError([Problem(Path("a.md"), 3, "bad"), Problem(Path("b.md"), 4, "worse")])
    carried = pickle.loads(pickle.dumps(typesetters.portable(several)))
    assert type(carried) is ManuscriptError and carried.problems == several.problems
    # Any other exception that does not survive pickling arrives as a RenderError with its message.
    unpicklable = ValueError(lambda: None)
    carried = typesetters.portable(unpicklable)
    assert type(carried) is RenderError and str(carried).startswith("ValueError: <function")


def test_workers_not_taken_end_on_their_own() -> None:
    workers = Pool(2, SPAWN)
    processes = [worker.process for worker in workers._idle]
    workers.close()
    assert len(workers) == 0 and workers.take() is None
    for process in processes:  # each reads the end of its pipe once it has loaded WeasyPrint
        process.join(timeout=30)
        assert process.exitcode == 0


def test_processes_guessed_from_the_manuscript_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typesetters, "available_cores", lambda: 2)
    (tmp_path / "short.md").write_text("word " * 1000, encoding="utf-8")
    assert estimated_processes(tmp_path) == 1
    (tmp_path / "long.md").write_text("word " * (2 * PARALLEL_WORDS), encoding="utf-8")
    assert estimated_processes(tmp_path) == 3  # two parts and the front matter
    assert estimated_processes(tmp_path, jobs=3) == 4
    assert estimated_processes(tmp_path, jobs=1) == 1
    assert estimated_processes(tmp_path, styles=tmp_path) == 1  # own stylesheets: the book is typeset whole
    monkeypatch.setattr(typesetters, "available_cores", lambda: 1)
    assert estimated_processes(tmp_path) == 1
    assert estimated_processes(tmp_path / "missing") == 1


def test_no_fork_once_weasyprint_is_loaded(tmp_path: Path) -> None:
    import weasyprint  # noqa: F401  (fontconfig and Pango loaded: a forked child could hang)

    assert not forking.fork_is_safe()
    assert start_pool(estimated_processes(tmp_path)) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked on Linux only")
def test_a_killed_command_leaves_no_worker_behind(tmp_path: Path) -> None:
    paragraph = "Words enough to keep the Markdown and the line breaker busy for a while. " * 40
    pieces = {}
    for i in range(6):
        links = (f"previous: p{i - 1}.md\n" if i else "") + (f"next: p{i + 1}.md\n" if i < 5 else "")
        body = "\n\n".join(f"## Section {j}\n\n{paragraph}" for j in range(20))
        pieces[f"p{i}.md"] = f"---\ntitle: Piece {i}\n{links}---\n\n{body}\n"
    folder = write_manuscript(tmp_path / "book", pieces, title="Long", author="Someone")
    command = [sys.executable, "-m", "publish", "pdf", "-m", str(folder), "-o", str(tmp_path / "book.pdf")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []

    def three_workers() -> bool:
        workers[:] = children(process.pid)
        return len(workers) >= 3 or process.poll() is not None

    wait_for(three_workers, "two parts and the front matter", 10)
    assert len(workers) == 3, "two parts and the front matter"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    try:
        wait_for(lambda: not any(alive(worker) for worker in workers), "the workers to end with the command", 10)
    finally:
        for worker in filter(alive, workers):  # after a failure: leave nothing running
            os.kill(worker, signal.SIGKILL)
