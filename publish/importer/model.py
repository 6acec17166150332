"""What every kind of source is read into: articles, the articles they link to, their images."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Link:
    """A linked article (previous or next), known by title and, when the source says, its URL."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class ImageFile:
    """A local image to copy into the manuscript: its file and its manuscript-relative name."""

    source: Path
    name: str  # e.g. "images/photo.jpg"


@dataclass(frozen=True)
class Article:
    """One article read from a source, its body already Markdown."""

    source: Path
    title: str
    body: str
    url: str | None = None
    date: dt.date | None = None
    author: str | None = None
    slug: str | None = None  # a slug the source names (a WordPress export's post_name)
    language: str | None = None
    image: str | None = None  # the hero image, manuscript-relative, when it is a local file
    image_alt: str | None = None
    images: tuple[ImageFile, ...] = ()  # every local image the piece uses, the hero included
    previous: Link | None = None
    next: Link | None = None
