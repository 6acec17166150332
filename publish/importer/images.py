"""Find the local image files a source uses and name them in the manuscript's images folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from publish.confine import IMAGE, ConfinementError, read_confined
from publish.errors import Problems
from publish.importer.model import ImageFile
from publish.manuscript import slugify

IMAGES_FOLDER = "images"

# Lazy-loading sites keep the real address in data-* attributes; a saved page may have
# rewritten any of them to the local copy.
_SOURCE_ATTRIBUTES = ("src", "data-src", "data-image", "data-original", "data-lazy-src")


def sniff_image(data: bytes) -> str | None:
    """The file suffix for an image's bytes (PNG, JPEG, GIF, WebP, SVG), or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return ".svg"
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ImageNamer:
    """Gives each local image one name under ``images/``: the same file twice gets the same name,
    a different file with the same name gets a numbered one, and an identical file already in
    the manuscript is reused rather than copied again."""

    def __init__(self, manuscript: Path):
        self.manuscript = manuscript
        self.folder = manuscript / IMAGES_FOLDER
        self.by_source: dict[Path, ImageFile] = {}
        self.taken: dict[str, str] = {}  # name -> digest of the file that has it

    def add(self, source: Path) -> ImageFile | None:
        """Name a local image; None when it is not a readable PNG, JPEG, GIF, WebP or SVG file."""
        resolved = source.resolve()
        if resolved in self.by_source:
            return self.by_source[resolved]
        try:
            data = read_confined(resolved, IMAGE, None)
        except (ConfinementError, OSError):
            return None
        suffix = sniff_image(data)
        if suffix is None:
            return None
        digest = _digest(data)
        stem = slugify(source.stem) or "image"
        number = 1
        while True:
            name = f"{stem}{f'-{number}' if number > 1 else ''}{suffix}"
            owner = self.taken.get(name)
            if owner is None:
                existing = self.folder / name
                if os.path.lexists(existing):
                    try:
                        owner = _digest(read_confined(existing, IMAGE, [self.manuscript]))
                    except (ConfinementError, OSError):
                        owner = ""
            if owner is None or owner == digest:
                break
            number += 1
        self.taken[name] = digest
        image = ImageFile(resolved, f"{IMAGES_FOLDER}/{name}")
        self.by_source[resolved] = image
        return image


def local_file(src: str, folder: Path) -> Path | None:
    """The file a relative ``src`` names, if it exists inside ``folder`` (never anything outside it)."""
    parts = urlsplit(src.strip())
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = (folder / unquote(parts.path)).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        return None
    return path


class ImageResolver:
    """Turns ``<img>`` elements of one source into images of the manuscript, copying only local files.

    Nothing is fetched from the network: a remote image is reported and left out.
    """

    def __init__(self, source: Path, namer: ImageNamer, problems: Problems, base_url: str | None = None):
        self.source = source
        self.folder = source.parent
        self.namer = namer
        self.problems = problems
        self.base_url = base_url
        self.used: dict[str, ImageFile] = {}

    def __call__(self, image: etree._Element, hero: bool = False) -> str | None:
        """The manuscript-relative name of the image's copy, or None (with a warning) when it is left out."""
        candidates = [value.strip() for name in _SOURCE_ATTRIBUTES if (value := image.get(name)) and value.strip()]
        for candidate in candidates:
            path = local_file(candidate, self.folder)
            if path is None:
                continue
            named = self.namer.add(path)
            if named is None:
                self.problems.warning(
                    self.source, None, f"image {candidate} is not a PNG, JPEG, GIF, WebP or SVG file: left out"
                )
                return None
            self.used[named.name] = named
            return named.name
        kept = "; its description is kept as image_alt" if hero and (image.get("alt") or "").strip() else ""
        remote = [c for c in candidates if not c.startswith("data:")]
        if remote:
            address = urljoin(self.base_url, remote[0]) if self.base_url else remote[0]
            if urlsplit(address).scheme in ("http", "https") or address.startswith("//"):
                self.problems.warning(self.source, None, f"remote image {address} is not fetched: left out{kept}")
            else:
                self.problems.warning(
                    self.source, None, f"image {remote[0]} is not a file beside {self.source.name}: left out{kept}"
                )
        elif candidates:
            self.problems.warning(self.source, None, f"an image embedded as a data: URL is left out{kept}")
        return None

    @property
    def images(self) -> tuple[ImageFile, ...]:
        """The local images used so far, in the order first used."""
        return tuple(self.used.values())
