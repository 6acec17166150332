"""Write outputs safely: to a temporary file beside the target, renamed into place when complete.

A build that fails or is killed half-way leaves the previous output as it was: the target is only ever
replaced by one ``rename``, which POSIX makes atomic within a file system (the temporary file is in the
target's own folder for that reason). Leftover temporary files of a killed build are removed by the next.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publish.errors import OutputError

_TEMP_SUFFIX = ".partial"


def temporary_files(target: Path) -> list[Path]:
    """The temporary files that writing ``target`` leaves behind if it is killed."""
    return sorted(target.parent.glob(f".{glob.escape(target.name)}.*{_TEMP_SUFFIX}"))


def _blocking_file(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder`` (itself included) that is not a folder."""
    for candidate in (folder, *folder.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def _prepare_folder(target: Path) -> None:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = _blocking_file(folder)
        if blocking is not None:
            raise OutputError(f"cannot create output folder: {blocking} is a file, not a folder", folder) from None
        raise OutputError(f"cannot create output folder: {exc.strerror}", folder) from None
    if not os.access(folder, os.W_OK):
        raise OutputError("cannot write to the output folder: permission denied", folder)
    # Leftovers of a build that was killed half-way.
    for stale in temporary_files(target):
        stale.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every file system lets a folder be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename.

    If the body raises, ``target`` is untouched and the temporary file is removed.
    """
    if target.is_dir():
        raise OutputError("output path is a folder; give a file name", target)
    _prepare_folder(target)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror}", target) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # Contents on disk before the rename, so a crash cannot leave a complete-looking empty file.
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        _sync_folder(target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror}", target) from None
    finally:
        temporary.unlink(missing_ok=True)
