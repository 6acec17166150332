"""Write outputs safely: to a temporary file beside the target, renamed into place when complete.

A build that fails or is killed half-way leaves the previous output as it was: the target is only ever
replaced by one ``rename``, which POSIX makes atomic within a file system (the temporary file is in the
target's own folder for that reason). Each temporary file's name holds its writer's process id
(``.NAME.PID.RANDOM.partial``): builds writing into one folder at once never touch each other's, and
a killed build's leftover is removed by a later build once its process is gone and the file is old.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from publish.confine import check_output
from publish.errors import OutputError
from publish.scratch import STALE_AFTER, process_exists

_TEMP_SUFFIX = ".partial"


def temporary_files(target: Path) -> list[Path]:
    """The temporary files that writing ``target`` leaves behind if it is killed."""
    return sorted(target.parent.glob(f".{glob.escape(target.name)}.*{_TEMP_SUFFIX}"))


def is_stale(path: Path, pid: int, now: float | None = None) -> bool:
    """A leftover of writer ``pid``: that process is gone and the file is older than ``STALE_AFTER``."""
    try:
        modified = path.lstat().st_mtime
    except OSError:
        return False
    return (now or time.time()) - modified > STALE_AFTER and not process_exists(pid)


def remove_stale_temporary_files(target: Path) -> None:
    """Remove what writers of ``target`` killed half-way left: never a file of a live writer, nor a recent one."""
    owner = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.[^.]+{re.escape(_TEMP_SUFFIX)}")
    for candidate in temporary_files(target):
        match = owner.fullmatch(candidate.name)
        if match and is_stale(candidate, int(match.group(1))):
            candidate.unlink(missing_ok=True)


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
    remove_stale_temporary_files(target)


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


# The outputs a command has made so far and renames into place only once all are made (``all_or_nothing``).
_deferred: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("deferred_outputs", default=None)


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Within this block every ``atomic_output`` is renamed into place only when the whole block succeeds:
    a command asked for several files (``build``'s EPUB and PDF, ``--all-handouts``) writes all or none.
    """
    pending: list[tuple[Path, Path]] = []
    token = _deferred.set(pending)
    reset = False
    try:
        yield
        _deferred.reset(token)
        reset = True
        for temporary, target in pending:
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise OutputError(f"cannot write output: {exc.strerror}", target) from None
        for folder in dict.fromkeys(target.parent for _, target in pending):
            _sync_folder(folder)
    finally:
        if not reset:
            _deferred.reset(token)
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename (inside
    ``all_or_nothing``, when the whole block succeeds).

    If the body raises, ``target`` is untouched and the temporary file is removed. A ``target`` that
    exists and is not a regular file (a device, a named pipe) is refused: it is never replaced.
    """
    if target.is_dir():
        raise OutputError("output path is a folder; give a file name", target)
    check_output(target)
    _prepare_folder(target)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=_TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror}", target) from None
    os.close(handle)
    temporary = Path(name)
    renamed_later = False
    try:
        yield temporary
        # Contents on disk before the rename, so a crash cannot leave a complete-looking empty file.
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        if (pending := _deferred.get()) is not None:
            pending.append((temporary, target))
            renamed_later = True
        else:
            os.replace(temporary, target)
            _sync_folder(target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror}", target) from None
    finally:
        if not renamed_later:
            temporary.unlink(missing_ok=True)
