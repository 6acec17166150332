"""Write outputs safely: to a temporary file beside the target, renamed into place when complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from publish.errors import OutputError

_TEMP_SUFFIX = ".partial"


def _prepare_folder(target: Path) -> None:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder: {exc.strerror}", folder) from None
    if not os.access(folder, os.W_OK):
        raise OutputError("cannot write to the output folder", folder)
    # Leftovers of a build that was killed half-way.
    for stale in folder.glob(f".{target.name}.*{_TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` in one rename."""
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
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"cannot write output: {exc.strerror}", target) from None
    finally:
        temporary.unlink(missing_ok=True)
