"""A long book's parts as typeset before, kept under the output folder beside the conversions (``publish.cache``).

A part's PDF depends on its HTML and stylesheets, on the files WeasyPrint reads for it (images,
fonts), on the code that typesets it (publish's own source, WeasyPrint, pydyf, Pango) and, for its
folios and the side of its pages, on where it starts. An entry is found by a SHA-256 of the inputs
and the code; it records every file WeasyPrint asked for with the SHA-256 of its bytes, where the
part started, and a checksum of the PDF. It is used only when all of these still hold: a file that
changed (or appeared, or went), a corrupted, truncated, foreign or unreadable entry is a miss, and the
part is typeset again. An entry typeset at another start still tells the part's page count and
anchors, so the parts after it learn where they start at once; that part alone is typeset again.

A font installed on the system (a fallback for characters the book's fonts lack) is not noticed:
``publish build --force`` typesets every part afresh. Entries are written only once the book is, never
through a symbolic link nor inside the manuscript or styles folder; those a build did not use are
removed then. The folder is safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from publish.cache import CACHE_DIR, ready_folder, source_digest, write_entry
from publish.confine import TYPESET_PART, ConfinementError, is_inside, read_confined
from publish.pdf.engine import read_local
from publish.pdf.weasyprint_compat import installed_versions

_FORMAT = "publish typeset part 1"
_ENTRY = re.compile(r"typeset-([0-9a-f]{64})\.bin")
_PANGO_LIBRARIES = ("libpango-1.0.so.0", "libpango-1.0-0.dll", "libpango-1.0.dylib", "libpango-1.0.0.dylib")


@dataclass(frozen=True)
class TypesetPart:
    """A part as typeset: its pages and the anchors on each, where it started, and its PDF."""

    pages: int
    anchors: list[list[str]]
    offset: int  # the part's first page, counted from the body's first
    flip: bool  # its first page is a left-hand one
    warnings: list[str]
    reads: dict[str, str]  # each file WeasyPrint asked for: the SHA-256 of its bytes ("" when it could not be read)
    pdf: bytes


@cache
def _pango_version() -> int | None:
    """The version of the Pango library WeasyPrint breaks lines with (None when it cannot be found)."""
    import ctypes

    for name in _PANGO_LIBRARIES:
        try:
            return int(ctypes.CDLL(name).pango_version())
        except (OSError, AttributeError):
            continue
    return None


def _code_digest() -> hashlib._Hash | None:
    """A hash started with the code a part's PDF depends on; None when it cannot be known (no Pango found)."""
    pango = _pango_version()
    if pango is None:
        return None
    digest = source_digest()
    libraries = "".join(f"{name} {version}\0" for name, version in sorted(installed_versions().items()))
    digest.update(f"{_FORMAT}\0{libraries}pango {pango}\0".encode())
    return digest


class TypesetCache:
    """The parts of one build: looked up in, then saved to, ``output_dir/.publish-cache``.

    ``protected`` are the folders publish never writes into (the manuscript, the styles): with the
    output folder inside one of them, nothing is kept. Without ``create``, the folder is used only if
    there is one. With ``refresh`` nothing is looked up: every part is typeset, and kept.
    """

    def __init__(
        self, output_dir: Path, protected: Sequence[Path | None] = (), create: bool = True, refresh: bool = False
    ):
        self.folder = output_dir / CACHE_DIR
        self.create = create
        self.refresh = refresh
        folders = [folder for folder in protected if folder is not None]
        self.enabled = not (folders and is_inside(self.folder, folders))
        self._digest: hashlib._Hash | None = None
        self._used: set[str] = set()
        self._new: dict[str, TypesetPart] = {}
        self._hashes: dict[str, str] = {}
        self.hits = 0

    def key(self, *inputs: object) -> str | None:
        """The entry name for a part typeset from ``inputs`` (HTML, stylesheets, folders...: their ``repr``);
        None when the code cannot be identified (then nothing is kept)."""
        if not self.enabled:
            return None
        if self._digest is None:
            self._digest = _code_digest()
            if self._digest is None:
                self.enabled = False
                return None
        digest = self._digest.copy()
        digest.update(repr(inputs).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get(self, key: str | None, roots: list[Path]) -> TypesetPart | None:
        """The part stored under ``key``, when it proves whole and every file it read (under ``roots``) is unchanged."""
        if key is None or not self.enabled:
            return None
        self._used.add(key)
        if self.refresh:
            return None
        try:
            if os.path.islink(self.folder):
                return None
            data = read_confined(self.folder / f"typeset-{key}.bin", TYPESET_PART, [self.folder], "the cache")
            head, _, pdf = data.partition(b"\n")
            entry = json.loads(head)
        except (ConfinementError, OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("key") != key:
            return None
        if entry.get("check") != hashlib.sha256(pdf).hexdigest():
            return None
        try:
            part = TypesetPart(
                int(entry["pages"]),
                [[str(name) for name in names] for names in entry["anchors"]],
                int(entry["offset"]),
                bool(entry["flip"]),
                [str(warning) for warning in entry["warnings"]],
                {str(path): str(digest) for path, digest in entry["reads"].items()},
                pdf,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if len(part.anchors) != part.pages or not all(self._unchanged(p, d, roots) for p, d in part.reads.items()):
            return None
        self.hits += 1
        return part

    def _unchanged(self, path: str, digest: str, roots: list[Path]) -> bool:
        if path not in self._hashes:
            try:
                self._hashes[path] = hashlib.sha256(read_local(Path(path), roots)).hexdigest()
            except (ConfinementError, OSError):
                self._hashes[path] = ""
        return self._hashes[path] == digest

    def put(self, key: str | None, part: TypesetPart) -> None:
        """Remember a part typeset in this build, to be written by ``save``."""
        if key is not None and self.enabled:
            self._used.add(key)
            self._new[key] = part

    def save(self) -> None:
        """Write this build's new parts and remove the entries it did not use (what cannot be written is left out)."""
        if not self.enabled or not (self.folder.is_dir() or (self.create and self._new)):
            return
        try:
            if not ready_folder(self.folder):
                return
            for key, part in self._new.items():
                self._write(key, part)
            for entry in os.scandir(self.folder):
                found = _ENTRY.fullmatch(entry.name)
                if found and found.group(1) not in self._used:
                    os.unlink(entry.path)
        except (ConfinementError, OSError, ValueError):
            return
        self._new.clear()

    def _write(self, key: str, part: TypesetPart) -> None:
        entry = {
            "format": _FORMAT,
            "key": key,
            "check": hashlib.sha256(part.pdf).hexdigest(),
            "pages": part.pages,
            "anchors": part.anchors,
            "offset": part.offset,
            "flip": part.flip,
            "warnings": part.warnings,
            "reads": part.reads,
        }
        head = json.dumps(entry, ensure_ascii=True).encode("ascii")
        write_entry(self.folder, key, f"typeset-{key}.bin", head + b"\n" + part.pdf)
