"""The command's private temporary folder: whatever publish, its workers and WeasyPrint put in the
temporary directory goes into one folder of the command's own, removed when the command ends.

WeasyPrint makes a ``weasyprint-*`` folder for the fonts of each document it typesets and removes it
only when its font configuration is collected, which a command that ends (or is killed) never waits
for. The command's folder, ``publish-PID-RANDOM`` in the system's temporary directory, is removed
at its exit on every path Python sees (success, an error, Ctrl-C, SIGTERM); one that a killed
command left behind is removed by the next command to start, once its process is gone and it is old.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

_PREFIX = "publish-"
_OWNED = re.compile(rf"{_PREFIX}(\d+)-[^/]+")
# A leftover (a folder here, a temporary output in publish.output) is removed only when this old,
# and its process gone: a process id seen from another machine or container says nothing of its life.
STALE_AFTER = 120.0
_REMOVE_ATTEMPTS = 5


@dataclass
class ScratchRoot:
    """A private temporary folder in use, and what it replaced."""

    path: Path
    owner: int
    previous_tempdir: str | None
    previous_environ: str | None
    removed: bool = field(default=False)

    def remove(self) -> None:
        """Remove the folder (in the process that made it only) and put the previous settings back."""
        if self.removed or os.getpid() != self.owner:
            return
        self.removed = True
        tempfile.tempdir = self.previous_tempdir
        if self.previous_environ is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = self.previous_environ
        # A worker still ending (one started ahead and not needed) may add a file while the folder is
        # being removed, which leaves the folder behind: a few more passes, briefly apart, catch it.
        for attempt in range(_REMOVE_ATTEMPTS):
            shutil.rmtree(self.path, ignore_errors=True)
            if not os.path.lexists(self.path):
                return
            time.sleep(0.02 * (attempt + 1))


def process_exists(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(base: Path, now: float | None = None) -> list[Path]:
    """Remove the private folders in ``base`` that killed commands left: this user's, their process gone,
    untouched for ``STALE_AFTER`` seconds. Returns what was removed.
    """
    removed: list[Path] = []
    now = now or time.time()
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        match = _OWNED.fullmatch(entry.name)
        if match is None:
            continue
        try:
            status = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_dir(follow_symlinks=False) or status.st_uid != os.getuid():
            continue
        if now - status.st_mtime > STALE_AFTER and not process_exists(int(match.group(1))):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def start_scratch_root() -> ScratchRoot | None:
    """Make the command's private temporary folder and point ``tempfile`` and ``TMPDIR`` (for fresh
    worker interpreters) at it; sweep stale ones first. None when the temporary directory is unusable.
    """
    base = Path(tempfile.gettempdir())
    sweep_stale(base)
    try:
        path = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
    except OSError:
        return None
    root = ScratchRoot(path, os.getpid(), tempfile.tempdir, os.environ.get("TMPDIR"))
    tempfile.tempdir = str(path)
    os.environ["TMPDIR"] = str(path)
    atexit.register(root.remove)
    return root
