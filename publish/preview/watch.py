"""``publish watch``: the outputs written again on every save, one line per rebuild, in one resident process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from publish.errors import PublishError
from publish.preview.pipeline import MarkdownKept, WatchOutputs, write_book_files
from publish.preview.watcher import watch_changes, watched_folders


def describe(path: Path) -> str:
    """A written file with its size (and a PDF's pages)."""
    size = path.stat().st_size
    shown = f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, round(size / 1024))} KB"
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        pages = len(PdfReader(path).pages)
        shown += f", {pages} page{'' if pages == 1 else 's'}"
    return f"{path} ({shown})"


def rebuild_once(root: Path, outputs: WatchOutputs, say: Callable[[str], None], error: Callable[[str], None],
                 markdown: MarkdownKept | None = None) -> bool:  # fmt: skip
    """Build once: one line on ``say`` with what was written and how long it took, or the errors on ``error`` and
    one line saying nothing was written. Returns whether it succeeded.
    """
    started = time.perf_counter()
    stamp = time.strftime("%H:%M:%S")
    try:
        written = write_book_files(root, outputs, markdown)
    except PublishError as failure:
        for problem in failure.problems:
            error(f"Error: {problem.format(Path.cwd())}")
        say(f"{stamp} Not rebuilt ({len(failure.problems)} error(s)): the previous files are kept")
        return False
    seconds = time.perf_counter() - started
    say(f"{stamp} Wrote {', '.join(describe(path) for path in written)} in {seconds:.2f} s")
    return True


def run_watch(root: Path, outputs: WatchOutputs, say: Callable[[str], None], error: Callable[[str], None],
              stop: threading.Event | None = None, watched_styles: tuple[Path, ...] = ()) -> None:  # fmt: skip
    """Build as soon as the folders are watched, then again on every save in the manuscript or styles folders,
    until ``stop`` (or Ctrl-C).
    """
    stop = stop or threading.Event()
    folders = watched_folders(root, (outputs.styles, *watched_styles))
    markdown = MarkdownKept()  # a save converts again only the pieces whose Markdown changed
    # The output folder may be inside the manuscript: what is written there is no reason to build again.
    for _ in watch_changes(folders, stop, ignored=[outputs.folder]):
        rebuild_once(root, outputs, say, error, markdown)
