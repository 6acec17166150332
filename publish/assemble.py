"""Put the pieces in reading order by following their previous/next links."""

from __future__ import annotations

import itertools
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path

from publish.errors import Problems
from publish.manuscript import BookMeta, Manuscript, Piece


@dataclass(frozen=True)
class Book:
    """The manuscript's pieces in reading order."""

    root: Path
    meta: BookMeta
    pieces: tuple[Piece, ...]

    @property
    def chapters(self) -> tuple[Piece, ...]:
        """The pieces with text, in reading order."""
        return tuple(p for p in self.pieces if not p.is_link_only)

    @property
    def link_only(self) -> tuple[Piece, ...]:
        """The pieces known only by title (and URL): the "Continue reading" list."""
        return tuple(p for p in self.pieces if p.is_link_only)

    @property
    def slug(self) -> str:
        """A file-name-safe name for the book's outputs."""
        from publish.manuscript import slugify

        return shorten_slug(slugify(self.meta.title)) or "book"

    def find(self, reference: str) -> Piece | None:
        """Find a piece by file name or slug."""
        for piece in self.pieces:
            if reference in (piece.name, piece.slug, piece.path.name):
                return piece
        return None


# Output names are the slug plus ".epub" or ".pdf": 80 characters keep them readable and far below the 255
# bytes a file name may have (a 400-character title would make a name no file system can create).
MAX_SLUG_IN_FILE_NAME = 80


def shorten_slug(slug: str, limit: int = MAX_SLUG_IN_FILE_NAME) -> str:
    """A slug cut to ``limit`` characters at a word boundary ("-") where there is one."""
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1].rsplit("-", 1)[0] if "-" in slug[: limit + 1] else slug[:limit]
    return cut[:limit].rstrip("-_")


def normalise_reference(reference: str, from_piece: Piece | None = None) -> str:
    """Turn a file reference into a manuscript-relative posix path."""
    base = posixpath.dirname(from_piece.name) if from_piece else ""
    return posixpath.normpath(posixpath.join(base, reference.strip()))


def unusable_reason(root: Path, name: str) -> str | None:
    """Why a manuscript-relative ``name`` that is not a loaded piece cannot be one; None when it failed to load.

    A piece that failed to load has its own error already; any other reference is reported with its reason.
    """
    path = root / name
    if name == ".." or name.startswith(("../", "/")) or not path.resolve().is_relative_to(root.resolve()):
        return "which is outside the manuscript folder: name a piece inside it"
    if not os.path.lexists(path):
        return "which does not exist"
    if path.is_dir():
        return "which is a folder, not a Markdown piece"
    if not path.is_file():
        return None  # a named pipe, a socket, a device: loading it was refused, with the reason
    if not name.endswith(".md"):
        return "which is not a Markdown piece (a .md file)"
    if posixpath.basename(name).lower() == "readme.md":
        return "which is a README: publish leaves README.md files out of the book (they are notes); rename it"
    if any(part.startswith(".") for part in name.split("/")):
        return "which is hidden (its name or a folder's starts with '.'): publish leaves hidden files out"
    return None


def assemble_book(manuscript: Manuscript, problems: Problems) -> Book | None:
    """Order the pieces: ``contents`` when given, else from ``start`` back along previous, then forward along next."""
    meta = manuscript.meta
    book_file = manuscript.root / "book.yaml"
    pieces = manuscript.pieces
    if meta.contents is not None:
        ordered: list[Piece] = []
        seen: set[str] = set()
        for index, reference in enumerate(meta.contents):
            name = normalise_reference(reference)
            line = meta.line_of(f"contents[{index}]") or meta.line_of("contents")
            if name not in pieces:
                if reason := unusable_reason(manuscript.root, name):  # one that failed to load is reported already
                    problems.error(book_file, line, f"'contents' names {reference}, {reason}")
            elif name in seen:
                problems.error(book_file, line, f"'contents' lists {reference} twice")
            else:
                seen.add(name)
                ordered.append(pieces[name])
        if not ordered:
            if not problems.errors:
                problems.error(book_file, meta.line_of("contents"), "'contents' names no piece of the book")
            return None
        _report_unreached(pieces, ordered, "it is not listed in 'contents'", problems)
        return Book(manuscript.root, meta, tuple(ordered))

    start_name = normalise_reference(meta.start)
    start = pieces.get(start_name)
    if start is None:
        if reason := unusable_reason(manuscript.root, start_name):
            problems.error(book_file, meta.line_of("start"), f"'start' names {meta.start}, {reason}")
        return None

    def walk(direction: str) -> list[tuple[Piece, Piece]] | None:
        """Follow ``direction`` links from start; return (linking piece, piece reached) pairs."""
        chain: list[tuple[Piece, Piece]] = []
        visited = [start]
        current = start
        while (reference := getattr(current, direction)) is not None:
            name = normalise_reference(reference, current)
            target = pieces.get(name)
            if target is None:
                if reason := unusable_reason(manuscript.root, name):
                    problems.error(
                        current.path, current.line_of(direction), f"'{direction}' names {reference}, {reason}"
                    )
                return None
            if target in visited:
                path = " -> ".join(p.name for p in [*visited, target])
                problems.error(current.path, current.line_of(direction), f"'{direction}' links form a cycle: {path}")
                return None
            visited.append(target)
            chain.append((current, target))
            current = target
        return chain

    backward = walk("previous")
    forward = walk("next")
    if backward is None or forward is None:
        return None
    before = {target.name: linking for linking, target in backward}
    for linking, target in forward:
        if target.name in before:
            problems.error(
                linking.path, linking.line_of("next"),
                f"{target.name} is reached twice: by {before[target.name].name}'s 'previous' and again by "
                f"{linking.name}'s 'next'; a piece has one place in the reading order",
            )  # fmt: skip
            return None
    ordered = [*reversed([target for _, target in backward]), start, *(target for _, target in forward)]
    _check_link_symmetry(ordered, problems)
    _report_unreached(pieces, ordered, f"no previous/next link leads to it from 'start' ({start.name})", problems)
    return Book(manuscript.root, meta, tuple(ordered))


def _report_unreached(pieces: dict[str, Piece], ordered: list[Piece], why: str, problems: Problems) -> None:
    """Warn about pieces that the reading order leaves out, so none is lost without a word."""
    included = {piece.name for piece in ordered}
    for name, piece in pieces.items():
        if name not in included:
            problems.warning(piece.path, None, f"{name} is not part of the book: {why}")


def _check_link_symmetry(ordered: list[Piece], problems: Problems) -> None:
    """Warn when A says next is B but B says its previous is someone else."""
    for before, after in itertools.pairwise(ordered):
        if after.previous is not None and normalise_reference(after.previous, after) != before.name:
            problems.warning(
                after.path,
                after.line_of("previous"),
                f"'previous' is {after.previous}, but the reading order puts {before.name} before it",
            )
        if before.next is not None and normalise_reference(before.next, before) != after.name:
            problems.warning(
                before.path,
                before.line_of("next"),
                f"'next' is {before.next}, but the reading order puts {after.name} after it",
            )
