"""The folders a book is made from, watched for saves (watchfiles: inotify on Linux, FSEvents on macOS)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# After a change, quiet for this long ends a batch: an editor's save (a temporary file written, renamed over the
# piece) is one rebuild, not two, and the rebuild starts at once after the save.
STEP_MS = 50
# The longest a stream of changes (a folder copied in) is held back before a rebuild starts anyway.
DEBOUNCE_MS = 400
# How often the watcher comes back with nothing: the first time says it is watching.
IDLE_MS = 100


def _keeps(ignored: tuple[Path, ...]) -> Any:
    """watchfiles' filter: its defaults (editor swap and backup files, VCS folders), hidden files and folders
    (publish's own ``.NAME.PID.RANDOM.partial`` outputs among them) and anything under ``ignored``.
    """
    from watchfiles import DefaultFilter

    defaults = DefaultFilter()

    def keep(change: Any, path: str) -> bool:
        where = Path(path)
        if where.name.startswith(".") or not defaults(change, path):
            return False
        return not any(where == folder or folder in where.parents for folder in ignored)

    return keep


def watched_folders(root: Path, styles: Iterable[Path | None]) -> list[Path]:
    """The manuscript folder and the styles folders that exist, each once."""
    folders: list[Path] = []
    for folder in (root, *styles):
        if folder is not None and folder.is_dir() and folder.resolve() not in folders:
            folders.append(folder.resolve())
    return folders


def watch_changes(folders: list[Path], stop: threading.Event, ignored: Iterable[Path] = ()) -> Iterator[set[Path]]:
    """Yield an empty set as soon as the folders are watched (build then: no save made during that build is
    missed), then the files changed, a batch per save, until ``stop`` is set (or Ctrl-C).
    """
    from watchfiles import watch

    keep = _keeps(tuple(Path(p).resolve() for p in ignored))
    watching = False
    for changes in watch(*folders, watch_filter=keep, step=STEP_MS, debounce=DEBOUNCE_MS, stop_event=stop,
                         rust_timeout=IDLE_MS, yield_on_timeout=True):  # fmt: skip
        if changes or not watching:
            watching = True
            yield {Path(path) for _, path in changes}
