"""The one rule for every file publish reads or writes.

Reading: the file's real path (symbolic links followed) must be inside one of the folders the
command may read (the manuscript, the styles, the output), it must be a regular file (a named
pipe would hang the read, a device like ``/dev/zero`` never end it), and it may be no larger than
the limit of its kind. The type is checked before the file is opened, and it is opened
non-blocking and without following a last link, so that a pipe or link swapped in between
cannot hang or redirect the read; only ``limit + 1`` bytes are ever read.

Writing: an output must be a new path or a regular file; inside the manuscript or styles folder
only a file of the output's own kind (``.epub``, ``.pdf``), which publish never reads, so that
no input is ever overwritten. A manuscript file that an import writes must not sit behind a
symbolic link (a linked folder or a dangling link would carry the write elsewhere).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from publish.errors import PublishError

_MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """A kind of input file and the most bytes publish reads of one."""

    name: str
    limit: int


# Generous: the longest real article is some 100 KB of Markdown, a photo a few MB.
PIECE = Kind("a Markdown piece", 10 * _MB)
BOOK_YAML = Kind("book.yaml", 1 * _MB)
STYLESHEET = Kind("a stylesheet", 2 * _MB)
IMAGE = Kind("an image", 50 * _MB)
FONT = Kind("a font", 20 * _MB)
IMPORT_SOURCE = Kind("an import source", 200 * _MB)
RECORD = Kind("a build record", 1 * _MB)
CACHE_ENTRY = Kind("a cache entry", 20 * _MB)  # a piece of MAX_PIECE_CHARACTERS, converted twice over
TYPESET_PART = Kind("a typeset part", 2048 * _MB)  # a part of a long book, its photos included


class ConfinementError(PublishError):
    """A file publish may not read or write under the confinement rule."""


def _size(limit: int) -> str:
    return f"{limit / _MB:g} MB" if limit >= _MB else f"{limit} bytes"


def file_type(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def is_inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether the real path of ``path`` is inside (or is) one of ``roots`` (real paths compared)."""
    real = Path(os.path.realpath(path))
    return any(real.is_relative_to(os.path.realpath(root)) for root in roots)


def confined_path(path: Path, roots: Sequence[Path] | None, place: str = "the manuscript folder") -> Path:
    """The real path of ``path``, refused unless it is inside one of ``roots`` (None: any folder).

    ``place`` names the allowed folders in the message.
    """
    real = Path(os.path.realpath(path))
    if roots is not None and not any(real.is_relative_to(os.path.realpath(root)) for root in roots):
        how = "a link to a file" if os.path.islink(path) else "a file"
        raise ConfinementError(f"is {how} outside {place}: not read", path)
    return real


def _check_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise ConfinementError(f"is {file_type(mode)}, not a regular file: not read", path)


def _check_size(path: Path, size: int, kind: Kind) -> None:
    if size > kind.limit:
        raise ConfinementError(
            f"is larger than the {_size(kind.limit)} {kind.name} may be ({size / _MB:.1f} MB): not read", path
        )


def check_file(
    path: Path, kind: Kind | None, roots: Sequence[Path] | None, place: str = "the manuscript folder"
) -> Path:
    """The real path of a file that may be read under the rule, checked without opening it."""
    real = confined_path(path, roots, place)
    status = os.stat(real)
    _check_regular(path, status.st_mode)
    if kind is not None:
        _check_size(path, status.st_size, kind)
    return real


@contextmanager
def open_confined(
    path: Path, kind: Kind | None, roots: Sequence[Path] | None, place: str = "the manuscript folder"
) -> Iterator[BinaryIO]:
    """Open a file for reading under the rule (see the module's docstring); ``kind`` None: no size limit.

    Raises ConfinementError (a PublishError naming the file) for a file outside, a file that is not
    regular or one over its kind's limit; FileNotFoundError and other OSErrors as ``open`` does.
    """
    real = check_file(path, kind, roots, place)
    # O_NONBLOCK: a pipe swapped in after the check is opened at once rather than waited on (and
    # refused below); O_NOFOLLOW: nor can a link be, the path being real.
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(real, flags)
    except OSError as error:
        if error.errno == getattr(os, "ELOOP", None):
            raise ConfinementError("changed into a link while being read: not read", path) from None
        raise
    try:
        status = os.fstat(descriptor)
        _check_regular(path, status.st_mode)
        if kind is not None:
            _check_size(path, status.st_size, kind)
        os.set_blocking(descriptor, True)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle


def read_confined(path: Path, kind: Kind, roots: Sequence[Path] | None, place: str = "the manuscript folder") -> bytes:
    """The bytes of a file read under the rule; a file that grows past its limit while read is refused too."""
    with open_confined(path, kind, roots, place) as handle:
        data = handle.read(kind.limit + 1)
    _check_size(path, len(data), kind)
    return data


# --- Writing -------------------------------------------------------------------------


def check_output(
    target: Path, protected: Sequence[Path | None] = (), suffixes: Sequence[str] = (".epub", ".pdf")
) -> None:
    """Refuse an output that is not a new path or a regular file, or that would overwrite an input.

    Inside a ``protected`` folder (the manuscript, the styles) only a file ending in one of
    ``suffixes`` may be written: publish reads none of those, so no input is ever replaced.
    """
    try:
        mode: int | None = os.stat(target).st_mode
    except OSError:  # a new path (a folder in the way is reported when the folder is made)
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        what = file_type(mode)
        hint = "give a file name" if stat.S_ISDIR(mode) else "give a new file name or a regular file"
        raise ConfinementError(f"output path is {what}, not a regular file: {hint}", target)
    folders = [folder for folder in protected if folder is not None]
    if folders and is_inside(target, folders) and Path(os.path.realpath(target)).suffix.lower() not in suffixes:
        allowed = " or ".join(suffixes)
        raise ConfinementError(
            f"output is inside the manuscript or styles folder, where only a {allowed} file may be written "
            "(publish never reads one): write it elsewhere",
            target,
        )


def check_writable(root: Path, name: str) -> None:
    """Refuse to write ``root/name`` when the path to it, below ``root``, passes a symbolic link, or when
    it exists and is not a regular file.

    A linked folder (``images`` -> elsewhere) or a link in the file's place (even a dangling one)
    would carry the write out of the manuscript.
    """
    path = root
    for part in Path(name).parts:
        path = path / part
        if os.path.islink(path):
            raise ConfinementError(
                "is a symbolic link: publish does not write through links; remove it, or import into another folder",
                path,
            )
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise ConfinementError(f"is {file_type(mode)}, not a regular file: not replaced", path)
