"""Decide whether ``publish build`` has anything to do: content hashes of inputs, styles, options and version."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from publish import __version__

STAMP_FILE = ".publish-build.json"


def _hash_tree(digest: hashlib._Hash, folder: Path) -> None:
    """Feed every file's relative name and bytes under ``folder`` into ``digest``, in a stable order."""
    for directory, subdirectories, files in os.walk(folder):
        subdirectories.sort()
        for name in sorted(files):
            path = Path(directory, name)
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def input_fingerprint(manuscript: Path, styles: list[Path], options: Mapping[str, object]) -> str:
    """A hash of everything a build reads: the manuscript, the styles, the options, the tool's version."""
    digest = hashlib.sha256()
    digest.update(f"publish {__version__}\0".encode())
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode() + b"\0")
    for folder in (manuscript, *styles):
        digest.update(b"\0folder\0")
        if folder.is_dir():
            _hash_tree(digest, folder)
    return digest.hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def up_to_date_outputs(output_dir: Path, fingerprint: str) -> list[Path] | None:
    """The outputs of the last build when its inputs match ``fingerprint`` and the files are unchanged; else None."""
    try:
        stamp = json.loads((output_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("fingerprint") != fingerprint:
        return None
    outputs = stamp.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return None
    paths = []
    for name, expected in outputs.items():
        path = output_dir / name
        if not path.is_file() or _file_hash(path) != expected:
            return None
        paths.append(path)
    return paths


def record_build(output_dir: Path, fingerprint: str, outputs: list[Path]) -> None:
    """Remember what the build read and wrote, so an unchanged rebuild can be skipped."""
    from publish.output import atomic_output

    stamp = {"fingerprint": fingerprint, "outputs": {p.name: _file_hash(p) for p in outputs}}
    with atomic_output(output_dir / STAMP_FILE) as temporary:
        temporary.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
