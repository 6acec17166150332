"""Decide what an import writes: which pieces to create, fill or leave alone, their front matter, the images."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from publish.confine import IMAGE, ConfinementError, read_confined
from publish.errors import Problems
from publish.importer.model import Article, ImageFile, Link
from publish.manuscript import BOOK_FILE, Piece, load_piece, slugify
from publish.schema import key_names

DEFAULT_LANGUAGE = "en-US"
UNKNOWN_AUTHOR = "Unknown author"
# The order keys are written in (the schema's); keys a piece had that the import does not set are kept.
_KEY_ORDER = key_names(Piece)


@dataclass(frozen=True)
class Change:
    """One file the import creates, updates or leaves alone, with why."""

    action: str  # "created", "updated", "unchanged" or "skipped"
    name: str  # relative to the manuscript folder
    reason: str = ""


@dataclass
class Plan:
    """The files an import writes (text by name, images by source) and what it reports."""

    texts: dict[str, str] = field(default_factory=dict)
    images: dict[str, Path] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Existing:
    """A piece already in the manuscript."""

    name: str
    piece: Piece | None  # None when the file cannot be read as a piece

    @property
    def has_text(self) -> bool:
        return self.piece is None or not self.piece.is_link_only


# Query parameters that say how a page was reached or shown, not which page it is.
_TRACKING = re.compile(r"(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|format|amp)(?:=|$)", re.IGNORECASE)


def url_key(url: str | None) -> str | None:
    """A URL reduced to what identifies an article: host (without www.), path and query.

    The query stays: with WordPress's plain permalinks (``/?p=123``) it is all that tells
    one post from another.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/").lower()
    kept = [p for p in parts.query.split("&") if p and not _TRACKING.match(p)]
    query = "?" + "&".join(sorted(kept)) if kept else ""
    return f"{host}{path}{query}" if host or path or query else None


_PLAIN_PUNCTUATION: dict[str, str | int | None] = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}


def title_key(title: str) -> str:
    """A title reduced to its words: case, quote style and spacing do not matter."""
    title = title.translate(str.maketrans(_PLAIN_PUNCTUATION))
    return " ".join(title.casefold().split())


def _stem(text: str) -> str:
    """A file stem for a URL segment, slug or title: letters and digits in ASCII, words joined by '-'.

    python-slugify transliterates what is not ASCII (text-unidecode: 禅修 gives shan-xiu), so a
    title in any script gives a readable name rather than a run of punctuation.
    """
    from slugify import slugify as transliterate

    stem = transliterate(re.sub(r"\.html?$", "", text), max_length=80, word_boundary=True, save_order=True)
    return stem if re.search(r"[a-z]", stem) else ""


def slug_for(url: str | None, slug: str | None, title: str) -> str:
    """A piece's file stem: the last segment of its URL, else the slug its source names, else its title."""
    segments = [s for s in urlsplit(url).path.split("/") if s] if url else []
    for candidate in (unquote(segments[-1]) if segments else "", unquote(slug or ""), title):
        if stem := _stem(candidate):
            return stem
    return "piece"


def yaml_text(data: dict[str, Any]) -> str:
    """``data`` as YAML (safe_dump quotes what needs quoting), without the characters no book may hold: a
    control character in a page's title or byline is the page's, and the author cannot remove it from a
    file the import has not written yet.
    """
    from publish.sanitize import strip_control_chars

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return strip_control_chars(value)
        return [clean(item) for item in value] if isinstance(value, list) else value

    cleaned = {key: clean(value) for key, value in data.items()}
    return yaml.safe_dump(cleaned, allow_unicode=True, sort_keys=False, width=1_000_000)


def front_matter_text(data: dict[str, Any], body: str = "") -> str:
    """A piece file: YAML front matter, then the body."""
    front = yaml_text(data)
    text = f"---\n{front}---\n"
    return f"{text}\n{body.strip()}\n" if body.strip() else text


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    known = {key: data[key] for key in _KEY_ORDER if data.get(key) not in (None, "")}
    return known | {key: value for key, value in data.items() if key not in _KEY_ORDER and value not in (None, "")}


def _fields(piece: Piece | None) -> dict[str, Any]:
    """The front matter of an existing piece, as the import writes it back."""
    if piece is None:
        return {}
    data: dict[str, Any] = {key: getattr(piece, key) for key in _KEY_ORDER}
    if piece.slug == (slugify(piece.path.stem) or "piece"):
        data["slug"] = None  # the default one: not written in the file
    if data["date"]:
        data["date"] = dt.date.fromisoformat(data["date"])
    return data


def _same(piece: Piece | None, data: dict[str, Any], body: str) -> bool:
    """True when a piece already says what the import would write."""
    return piece is not None and _ordered(_fields(piece)) == _ordered(data) and piece.body.strip() == body.strip()


def load_existing(root: Path) -> dict[str, Existing]:
    """Every piece already in the manuscript folder, by name."""
    existing: dict[str, Existing] = {}
    if not root.is_dir():
        return existing
    for path in sorted(root.rglob("*.md")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or relative.name.lower() == "readme.md":
            continue
        piece = load_piece(root, path, Problems())
        existing[relative.as_posix()] = Existing(relative.as_posix(), piece)
    return existing


def _reference(target: str, piece: str) -> str:
    """How the piece ``piece`` names ``target`` in its front matter: relative to its own folder."""
    return posixpath.relpath(target, posixpath.dirname(piece) or ".")


def _primary(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


class Planner:
    """Matches articles and their links with the manuscript's pieces and works out every file to write."""

    def __init__(
        self, root: Path, existing: dict[str, Existing], force: bool, book_language: str | None, problems: Problems
    ):
        self.root = root
        self.existing = existing
        self.force = force
        self.book_language = book_language
        self.problems = problems
        self.plan = Plan()
        self.front: dict[str, dict[str, Any]] = {}  # link-only pieces this import writes: name -> front matter
        self.placed: set[str] = set()  # the pieces of the articles imported
        self.names: set[str] = set(existing)
        self.by_url: dict[str, str] = {}
        self.by_title: dict[str, str] = {}
        for name, entry in existing.items():
            if entry.piece is not None:
                if key := url_key(entry.piece.url):
                    self.by_url.setdefault(key, name)
                self.by_title.setdefault(title_key(entry.piece.title), name)

    def _find(self, url: str | None, title: str, stem: str) -> str | None:
        if (key := url_key(url)) and key in self.by_url:
            return self.by_url[key]
        if title_key(title) in self.by_title:
            return self.by_title[title_key(title)]
        # By file name only a piece already in the manuscript: two articles of this import that share a
        # stem ("Same title" and "Same title!") are two pieces, not one imported twice.
        return f"{stem}.md" if f"{stem}.md" in self.existing else None

    def _new_name(self, stem: str) -> str:
        name, number = f"{stem}.md", 1
        while name in self.names or (self.root / name).exists():
            number += 1
            name = f"{stem}-{number}.md"
        return name

    def _claim(self, name: str, url: str | None, title: str) -> None:
        self.names.add(name)
        if key := url_key(url):
            self.by_url.setdefault(key, name)
        self.by_title.setdefault(title_key(title), name)

    def place(self, articles: list[Article]) -> list[tuple[Article, str]]:
        """Give every article its file: the piece it already is, or a new one."""
        placed: list[tuple[Article, str]] = []
        self.placed.clear()
        for article in articles:
            stem = slug_for(article.url, article.slug, article.title)
            name = self._find(article.url, article.title, stem) or self._new_name(stem)
            if any(name == other for _, other in placed):
                self.problems.warning(
                    article.source, None, f"{article.title!r} is imported twice: the first copy is kept"
                )
                continue
            self._claim(name, article.url, article.title)
            self.placed.add(name)
            placed.append((article, name))
        return placed

    def write_articles(self, placed: list[tuple[Article, str]]) -> None:
        """Plan each article's piece, and a link-only piece for each linked article not in the manuscript."""
        for article, name in placed:
            entry = self.existing.get(name)
            if entry is not None and entry.has_text and not self.force:
                self.plan.changes.append(Change("skipped", name, "has text; use --force"))
                continue
            data = _fields(entry.piece if entry else None)
            links = {"previous": article.previous, "next": article.next}
            for direction, link in links.items():
                if link is not None:
                    data[direction] = _reference(self._link_target(link, name, direction), name)
            lang = (
                article.language
                if _primary(article.language) and _primary(article.language) != _primary(self.book_language)
                else None
            )
            data.update(
                title=article.title,
                date=article.date or data.get("date"),
                url=article.url or data.get("url"),
                lang=lang or data.get("lang"),
                image=article.image or data.get("image"),
                image_alt=article.image_alt or data.get("image_alt"),
            )
            if entry is not None and _same(entry.piece, data, article.body):
                self.plan.changes.append(Change("unchanged", name))
            else:
                self._write(name, front_matter_text(_ordered(data), article.body), entry is None)
            for image in article.images:
                self._image(image)
        for name, data in self.front.items():
            entry = self.existing.get(name)
            if entry is None or not _same(entry.piece, data, ""):  # a link that tells nothing new writes nothing
                self._write(name, front_matter_text(_ordered(data)), entry is None)

    def _link_target(self, link: Link, linking: str, direction: str) -> str:
        """The piece a previous/next link leads to; a link-only piece is planned when there is none."""
        stem = slug_for(link.url, None, link.title)
        name = self._find(link.url, link.title, stem)
        if name is None:
            name = self._new_name(stem)
            self._claim(name, link.url, link.title)
            self.front[name] = {"title": link.title, "url": link.url}
        elif name in self.placed or (name not in self.front and self._has_text(name)):
            return name  # an article of this import, or a piece with text: left as it is
        # A piece known only by title: complete what the link tells about it, never contradicting it.
        entry = self.existing.get(name)
        data = self.front.setdefault(name, _fields(entry.piece if entry else None))
        if link.url and not data.get("url"):
            data["url"] = link.url
        back = "next" if direction == "previous" else "previous"
        if not data.get(back):
            data[back] = _reference(linking, name)
        return name

    def _has_text(self, name: str) -> bool:
        entry = self.existing.get(name)
        return entry is None or entry.has_text

    def _write(self, name: str, text: str, new: bool) -> None:
        self.plan.texts[name] = text
        self.plan.changes.append(Change("created" if new else "updated", name))

    def _image(self, image: ImageFile) -> None:
        if image.name in self.plan.images:
            return
        target = self.root / image.name
        if target.is_file():
            try:
                if read_confined(target, IMAGE, [self.root]) == read_confined(image.source, IMAGE, None):
                    return  # already there, the same file
            except (ConfinementError, OSError):
                pass
        self.plan.images[image.name] = image.source
        self.plan.changes.append(Change("updated" if target.exists() else "created", image.name))

    def write_book(
        self, articles: list[tuple[Article, str]], author: str | None, language: str | None, title: str | None = None
    ) -> None:
        """Plan book.yaml for a folder that has none: ``title`` (else the first article's), starting at its piece."""
        first, start = articles[0]
        author = author or next((a.author for a, _ in articles if a.author), None)
        if not author:
            self.problems.warning(
                self.root / BOOK_FILE, None,
                f"no author is known: book.yaml says '{UNKNOWN_AUTHOR}'; set 'author' there (or import with --author)",
            )  # fmt: skip
        data = {
            "title": title or first.title,
            "author": author or UNKNOWN_AUTHOR,
            "language": language or DEFAULT_LANGUAGE,
            "start": start,
        }
        text = "# Written by publish import: add publisher, rights and the practice's details as needed.\n"
        text += yaml_text(data)
        self.plan.texts[BOOK_FILE] = text
        self.plan.changes.insert(0, Change("created", BOOK_FILE))
