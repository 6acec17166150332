"""Each piece's Markdown converted once: a cache of conversions kept under the output folder.

Converting a piece's Markdown to sanitized HTML depends on its text alone (and on the code that
converts it), so a rebuild after editing one piece converts that piece only. An entry is found by a
SHA-256 of the text, of publish's own source and of the versions of Python-Markdown, nh3 and lxml; it
holds that key and a checksum of what it stores, and is used only when both match: a corrupted,
truncated, foreign or unreadable entry is ignored and made again. The folder (``.publish-cache``
in the output folder, beside ``publish build``'s record) is safe to delete at any time. Without one
(``publish epub`` where no build made it), no key is computed: hashing publish's source is then saved.

Nothing is written until the books are (``save``): a failed build adds nothing. Never through a
symbolic link, and never inside the manuscript or styles folder (where publish writes only books).
Entries the last build did not use are removed then, so the folder holds one book's pieces.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from publish import __version__
from publish.confine import CACHE_ENTRY, ConfinementError, is_inside, read_confined
from publish.output import is_stale

if TYPE_CHECKING:
    from publish.render import ConvertedPiece

CACHE_DIR = ".publish-cache"
_FORMAT = "publish conversion cache 1"
_ENTRY = re.compile(r"[0-9a-f]{64}\.json")
_PARTIAL = re.compile(r"\.[0-9a-f]{64}\.(\d+)\.[^.]+\.partial")
_SOURCE = Path(__file__).resolve().parent


def _library_version(name: str) -> str:
    """The version of the library module ``name`` that converts, as it says itself (already imported by then).

    Read from the module, not from its distribution's record: importlib.metadata costs some ten milliseconds
    to import and search, and the module is what actually runs. Its record only where the module says nothing.
    """
    version = getattr(importlib.import_module(name), "__version__", None)
    if isinstance(version, str):
        return version
    from importlib.metadata import version as installed_version

    return installed_version(name)


def source_digest() -> hashlib._Hash:
    """A hash started with publish's version and its own modules, by content (an edited checkout
    converts and typesets differently under the same version)."""
    digest = hashlib.sha256(f"publish {__version__}\0".encode())
    for path in sorted(_SOURCE.rglob("*.py")):
        digest.update(path.relative_to(_SOURCE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest


def _code_digest() -> hashlib._Hash:
    """A hash started with what a conversion's result depends on besides the text: the code that makes it."""
    digest = source_digest()
    libraries = "".join(f"{name} {_library_version(name)}\0" for name in ("markdown", "nh3", "lxml"))
    digest.update(f"{_FORMAT}\0{libraries}".encode())
    return digest


def _checksum(html: str, sanitized: str) -> str:
    return hashlib.sha256(f"{len(html)}\0{html}\0{sanitized}".encode()).hexdigest()


class ConversionCache:
    """The conversions of one build: looked up in, then saved to, ``output_dir/.publish-cache``.

    ``protected`` are the folders publish never writes into (the manuscript, the styles): with the
    output folder inside one of them, the cache is not used at all. Without ``create``, a cache
    folder is used only if there is one (``publish build`` makes it; ``publish epub -o book.epub``
    writes the book and nothing else).
    """

    def __init__(self, output_dir: Path, protected: Sequence[Path | None] = (), create: bool = True):
        self.folder = output_dir / CACHE_DIR
        self.create = create
        folders = [folder for folder in protected if folder is not None]
        self.enabled = not (folders and is_inside(self.folder, folders))
        self._in_use: bool | None = None  # decided at the first look-up: see ``_used_this_build``
        self._digest: hashlib._Hash | None = None
        self._used: set[str] = set()
        self._new: dict[str, ConvertedPiece] = {}
        self.hits = 0

    def _used_this_build(self) -> bool:
        """Whether this build reads and writes the cache: decided once, so a folder made meanwhile changes nothing."""
        if self._in_use is None:
            self._in_use = self.enabled and (self.create or self.folder.is_dir())
        return self._in_use

    def key(self, body: str, language: str) -> str:
        """The entry name for a piece's text in its language (which sets the quotation marks)."""
        if self._digest is None:
            self._digest = _code_digest()
        digest = self._digest.copy()
        digest.update(language.encode("utf-8", "surrogatepass") + b"\0" + body.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get(self, body: str, language: str) -> ConvertedPiece | None:
        """The stored conversion of ``body``, when there is one and it proves to be that text's; else None."""
        if not self._used_this_build():
            return None
        import json  # here: a command without a cache never loads it

        from publish.render import ConvertedPiece

        key = self.key(body, language)
        self._used.add(key)
        try:
            if os.path.islink(self.folder):
                return None
            entry = json.loads(read_confined(self.folder / f"{key}.json", CACHE_ENTRY, [self.folder], "the cache"))
        except (ConfinementError, OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("key") != key:
            return None  # another version's, or another text's (a copied or renamed entry)
        html, sanitized = entry.get("html"), entry.get("sanitized")
        if (
            not isinstance(html, str)
            or not isinstance(sanitized, str)
            or entry.get("check") != _checksum(html, sanitized)
        ):
            return None
        self.hits += 1
        return ConvertedPiece(html, sanitized)

    def put(self, body: str, language: str, converted: ConvertedPiece) -> None:
        """Remember a conversion made in this build, to be written by ``save``."""
        if self._used_this_build():
            key = self.key(body, language)
            self._used.add(key)
            self._new[key] = converted

    def save(self) -> None:
        """Write this build's new conversions and remove the entries it did not use.

        The cache is an aid, never a cause of failure: what cannot be written is left out.
        """
        if not self._used_this_build() or not (self.folder.is_dir() or (self.create and self._new)):
            return
        try:
            if not ready_folder(self.folder):
                return
            for key, converted in self._new.items():
                self._write(key, converted)
            for entry in os.scandir(self.folder):
                partial = _PARTIAL.fullmatch(entry.name)
                if (_ENTRY.fullmatch(entry.name) and entry.name[:-5] not in self._used) or (
                    partial and is_stale(Path(entry.path), int(partial.group(1)))
                ):
                    os.unlink(entry.path)
        except (ConfinementError, OSError, ValueError):
            return
        self._new.clear()

    def _write(self, key: str, converted: ConvertedPiece) -> None:
        import json

        entry = {
            "format": _FORMAT,
            "key": key,
            "check": _checksum(converted.html, converted.sanitized),
            "html": converted.html,
            "sanitized": converted.sanitized,
        }
        write_entry(self.folder, key, f"{key}.json", json.dumps(entry, ensure_ascii=False).encode("utf-8"))


def ready_folder(folder: Path) -> bool:
    """Make the cache folder if need be; False (nothing is to be written) when it is a symbolic link or becomes one."""
    if os.path.islink(folder):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    return stat.S_ISDIR(os.lstat(folder).st_mode)


def write_entry(folder: Path, key: str, name: str, data: bytes) -> None:
    """Write an entry: beside, then renamed, so a reader sees the whole entry or none (no fsync: a torn entry
    fails its checksum and is made again). A killed build's leftover goes once it is stale (``_PARTIAL``)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.{os.getpid()}.", suffix=".partial", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, folder / name)
    except BaseException:
        os.unlink(temporary)
        raise
