"""Decide whether ``publish build`` has anything to do: content hashes of inputs, styles, options and version.

Files are read under the confinement rule (``publish.confine``): a symbolic link is followed only to a
regular file inside its folder, and a file that may not be read (a link leading out, a named pipe, a
device) counts by its name and what it is, never by its content. The build itself then reports it if
it matters.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from publish import __version__
from publish.confine import RECORD, ConfinementError, open_confined, read_confined

STAMP_FILE = ".publish-build.json"
_CHUNK = 1 << 20


def _content_hash(path: Path, roots: list[Path]) -> bytes | None:
    """The SHA-256 of a file read in chunks under the rule, or None when it may not be read."""
    digest = hashlib.sha256()
    try:
        with open_confined(path, None, roots) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except (ConfinementError, OSError):
        return None
    return digest.digest()


def _hash_tree(digest: hashlib._Hash, folder: Path, skip: Path | None = None) -> None:
    """Feed every file's relative name and bytes under ``folder`` into ``digest``, in a stable order
    (leaving out the folder ``skip``: the outputs, when they are written inside the manuscript).
    """
    skipped = os.path.realpath(skip) if skip is not None else None
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if os.path.realpath(Path(directory, d)) != skipped)
        for name in sorted(files):
            path = Path(directory, name)
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            content = _content_hash(path, [folder])
            if content is None:  # not to be read: its kind (and a link's target) stands for it
                try:
                    mode = os.lstat(path).st_mode
                    what = f"link {os.readlink(path)}" if stat.S_ISLNK(mode) else f"mode {stat.S_IFMT(mode)}"
                except OSError:
                    what = "unreadable"
                content = f"\0{what}\0".encode()
            digest.update(content)


def input_fingerprint(
    manuscript: Path, styles: list[Path], options: Mapping[str, object], output_dir: Path | None = None
) -> str:
    """A hash of everything a build reads: the manuscript, the styles, the options, the tool's version."""
    digest = hashlib.sha256()
    digest.update(f"publish {__version__}\0".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    for folder in (manuscript, *styles):
        digest.update(b"\0folder\0")
        if folder.is_dir():
            _hash_tree(digest, folder, output_dir)
    return digest.hexdigest()


def _file_hash(path: Path, folder: Path) -> str | None:
    content = _content_hash(path, [folder])
    return content.hex() if content is not None else None


def up_to_date_outputs(output_dir: Path, fingerprint: str) -> list[Path] | None:
    """The outputs of the last build when its inputs match ``fingerprint`` and the files are unchanged; else None."""
    try:
        stamp = json.loads(read_confined(output_dir / STAMP_FILE, RECORD, [output_dir], "the output folder"))
    except (ConfinementError, OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("fingerprint") != fingerprint:
        return None
    outputs = stamp.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return None
    paths = []
    for name, expected in outputs.items():
        # Only a file of the output folder itself: the record is no licence to read anything else.
        if not isinstance(name, str) or not name or name != Path(name).name or name in (".", ".."):
            return None
        path = output_dir / name
        if _file_hash(path, output_dir) != expected:
            return None
        paths.append(path)
    return paths


def record_build(output_dir: Path, fingerprint: str, outputs: list[Path]) -> None:
    """Remember what the build read and wrote, so an unchanged rebuild can be skipped."""
    from publish.output import atomic_output

    stamp = {"fingerprint": fingerprint, "outputs": {p.name: _file_hash(p, output_dir) for p in outputs}}
    with atomic_output(output_dir / STAMP_FILE) as temporary:
        temporary.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
