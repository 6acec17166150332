"""Work shared with a forked child: the same results, in order, as in one process; a long book renders the same.

Each test runs in a fresh interpreter: the test runner's own threads make forking unsafe in its processes
(``can_share_work`` says no there, and the renderer converts in one process).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import DEMO, ROOT, write_manuscript

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the child is forked on Linux only")

GOLDEN = Path(__file__).resolve().parent / "golden"
CORPUS = Path(__file__).resolve().parent / "corpus"


# Put before a script by run_counting_forks: the list ``forks`` gets an item per fork.
_COUNT_FORKS = """
import os
forks = []
_fork = os.fork
def _counted_fork():
    forks.append(1)
    return _fork()
os.fork = _counted_fork
"""


def run_python(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_counting_forks(script: str) -> str:
    """``run_python``, with a list ``forks`` that gets an item for each fork the script makes."""
    return run_python(_COUNT_FORKS + textwrap.dedent(script))


def test_results_come_in_order_and_the_later_ones_from_the_child() -> None:
    output = run_python("""
        import json, os
        from publish.processes.workers import ChildMap
        results = list(ChildMap(lambda n: (n * n, os.getpid()), list(range(40)), 10))
        print(json.dumps({"results": results, "pid": os.getpid()}))
    """)
    data = json.loads(output)
    assert [square for square, _ in data["results"]] == [n * n for n in range(40)]
    pids = [pid for _, pid in data["results"]]
    assert pids[:10] == [data["pid"]] * 10
    assert len(set(pids[10:])) == 1 and pids[10] != data["pid"]


def test_what_the_child_did_not_finish_is_computed_here_with_its_exception() -> None:
    output = run_python("""
        import os
        from publish.processes.workers import ChildMap
        parent = os.getpid()

        def work(n):
            if n == 25 and os.getpid() != parent:
                os._exit(3)  # the child dies half-way
            if n == 30:
                raise ValueError(f"bad item {n}")
            return n, os.getpid() == parent

        results = []
        try:
            for result in ChildMap(work, list(range(40)), 10):
                results.append(result)
        except ValueError as error:
            print(error)
        # In order and complete; what the child had not sent when it died was computed here.
        print([n for n, _ in results] == list(range(30)), all(here for n, here in results if n < 10 or n >= 25))
    """)
    assert output.splitlines() == ["bad item 30", "True True"]


def test_a_caller_that_stops_early_leaves_no_child_behind() -> None:
    output = run_python("""
        import os, threading
        from publish.processes.workers import ChildMap
        # The child never finishes an item it is given (it waits for ever): only close() can end it.
        results = ChildMap(lambda n: n if n < 2 else threading.Event().wait(), list(range(1000)), 2)
        print(next(results), next(results))
        results.close()
        ChildMap(lambda n: threading.Event().wait(), list(range(1000)), 0).close()  # never asked for anything
        print("closed")
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            print("no child")
    """)
    assert output.splitlines() == ["0 1", "closed", "no child"]


def test_a_long_book_renders_the_same_in_two_processes_as_in_one(tmp_path: Path) -> None:
    # Every golden case, every corpus case and the demo's article, as the pieces of one book.
    sources = sorted(GOLDEN.glob("*.md")) + sorted(CORPUS.glob("*.md")) + sorted(DEMO.glob("*.md"))
    pieces = {}
    for number, source in enumerate(sources):
        text = source.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        pieces[f"p{number:02d}.md"] = f"---\ntitle: {source.stem}\n---\n\n{body}"
    contents = "".join(f"  - {name}\n" for name in pieces)
    write_manuscript(tmp_path, pieces, title="All", author="Someone", language="en-US", extra=f"contents:\n{contents}")
    output = run_counting_forks(f"""
        import json, os
        from pathlib import Path
        from publish.processes import forking
        from publish.assemble import assemble_book
        from publish.errors import Problems
        from publish.manuscript import load_manuscript
        from publish.render import render_book

        def render(parallel):
            problems = Problems()
            book = assemble_book(load_manuscript(Path({str(tmp_path)!r}), problems), problems)
            rendered = render_book(book, problems, parallel=parallel)
            pieces = [[p.filename, p.body, [list(map(str, (h.level, h.text, h.id))) for h in p.headings],
                       [i.name for i in p.images], p.has_footnotes] for p in rendered.pieces]
            return {{"pieces": pieces, "problems": [p.format() for p in problems.items]}}

        one = render(False)
        forked_before = len(forks)
        two = render(True)
        print(json.dumps({{"same": one == two, "forked": len(forks) - forked_before, "before": forked_before,
                          "pieces": len(one["pieces"])}}))
    """)
    assert json.loads(output) == {
        "same": True,
        "forked": 1,
        "before": 0,
        "pieces": len(sources) - 2,
    }  # the demo has two link-only pieces


def test_the_epub_is_the_same_when_its_cover_is_drawn_in_a_child(tmp_path: Path) -> None:
    output = run_counting_forks(f"""
        import os
        from pathlib import Path
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        from publish.build import build_epub, prepare
        from publish.epub.package import write_epub
        drawn = build_epub(Path({str(DEMO)!r}), Path({str(tmp_path / "drawn.epub")!r})).read_bytes()
        print(len(forks))
        here = write_epub(prepare(Path({str(DEMO)!r})), Path({str(tmp_path / "here.epub")!r})).read_bytes()
        print(drawn == here, len(forks))
    """)
    assert output.splitlines() == ["1", "True 1"]


def test_publish_epub_starts_the_cover_before_loading_the_epub_writer(tmp_path: Path) -> None:
    """The child draws while this process imports Python-Markdown, lxml and ebooklib: the two overlap."""
    output = run_counting_forks(f"""
        import sys
        from publish import cover
        from publish.cli import main
        start = cover.CoverDrawing.__init__
        def starting(self, meta):
            print(len(forks), "markdown" in sys.modules, "ebooklib" in sys.modules)
            start(self, meta)
        cover.CoverDrawing.__init__ = starting
        sys.argv = ["publish", "-q", "epub", "-m", {str(DEMO)!r}, "-o", {str(tmp_path / "book.epub")!r}]
        try:
            main()
        except SystemExit as end:
            print(end.code, len(forks))
    """)
    assert output.splitlines() == ["0 False False", "0 1"]
