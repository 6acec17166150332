"""Put the pieces in reading order by following their previous/next links."""

from __future__ import annotations

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

        return slugify(self.meta.title) or "book"

    def find(self, reference: str) -> Piece | None:
        """Find a piece by file name or slug."""
        for piece in self.pieces:
            if reference in (piece.name, piece.slug, piece.path.name):
                return piece
        return None


def normalise_reference(reference: str, from_piece: Piece | None = None) -> str:
    """Turn a file reference into a manuscript-relative posix path."""
    base = posixpath.dirname(from_piece.name) if from_piece else ""
    return posixpath.normpath(posixpath.join(base, reference.strip()))


def assemble_book(manuscript: Manuscript, problems: Problems) -> Book | None:
    """Order the pieces: ``contents`` when given, else from ``start`` back along previous, then forward along next."""
    meta = manuscript.meta
    book_file = manuscript.root / "book.yaml"
    pieces = manuscript.pieces
    if meta.contents is not None:
        ordered: list[Piece] = []
        seen: set[str] = set()
        for reference in meta.contents:
            name = normalise_reference(reference)
            if name not in pieces:
                problems.error(book_file, meta.line_of("contents"), f"'contents' names {reference}, which does not exist")
            elif name in seen:
                problems.error(book_file, meta.line_of("contents"), f"'contents' lists {reference} twice")
            else:
                seen.add(name)
                ordered.append(pieces[name])
        return Book(manuscript.root, meta, tuple(ordered)) if ordered and not problems.errors else None

    start_name = normalise_reference(meta.start)
    start = pieces.get(start_name)
    if start is None:
        if not (manuscript.root / start_name).is_file():
            problems.error(book_file, meta.line_of("start"), f"'start' names {meta.start}, which does not exist")
        return None

    def walk(direction: str) -> list[Piece] | None:
        chain: list[Piece] = []
        visited = [start]
        current = start
        while (reference := getattr(current, direction)) is not None:
            name = normalise_reference(reference, current)
            target = pieces.get(name)
            if target is None:
                if not (manuscript.root / name).is_file():
                    problems.error(current.path, current.line_of(direction), f"'{direction}' names {reference}, which does not exist")
                return None
            if target in visited:
                path = " -> ".join(p.name for p in [*visited, target])
                problems.error(current.path, current.line_of(direction), f"'{direction}' links form a cycle: {path}")
                return None
            visited.append(target)
            chain.append(target)
            current = target
        return chain

    backward, forward = walk("previous"), walk("next")
    if backward is None or forward is None:
        return None
    ordered = [*reversed(backward), start, *forward]
    seen_names: dict[str, Piece] = {}
    for piece in ordered:
        if piece.name in seen_names:
            problems.error(
                start.path, None,
                f"{piece.name} is reached twice: both before and after {start.name} along previous/next",
            )  # fmt: skip
            return None
        seen_names[piece.name] = piece
    _check_link_symmetry(ordered, problems)
    return Book(manuscript.root, meta, tuple(ordered))


def _check_link_symmetry(ordered: list[Piece], problems: Problems) -> None:
    """Warn when A says next is B but B says its previous is someone else."""
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.previous is not None and normalise_reference(after.previous, after) != before.name:
            problems.warning(after.path, after.line_of("previous"), f"'previous' is {after.previous}, but the reading order puts {before.name} before it")
        if before.next is not None and normalise_reference(before.next, before) != after.name:
            problems.warning(before.path, before.line_of("next"), f"'next' is {before.next}, but the reading order puts {after.name} after it")
