"""Tell what kind of source a file is, by its content, and read its articles."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from publish.confine import IMPORT_SOURCE
from publish.errors import Problems
from publish.importer.images import ImageNamer
from publish.importer.model import Article
from publish.importer.page import read_page
from publish.importer.text import read_text_page
from publish.importer.wxr import read_export
from publish.manuscript import read_text

_PROLOGUE = r"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*"
_HTML_START = re.compile(_PROLOGUE + r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_TAG_START = re.compile(_PROLOGUE + r"<[a-z][a-z0-9]*[\s>/]", re.IGNORECASE | re.DOTALL)
_RSS_START = re.compile(_PROLOGUE + r"<rss\b", re.IGNORECASE | re.DOTALL)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
_XML_SUFFIXES = (".xml", ".wxr", ".rss")


@dataclass(frozen=True)
class Source:
    """The articles read from one file, and for an export the slugs of all its posts."""

    path: Path
    kind: str  # "page", "export" or "text"
    articles: tuple[Article, ...]
    slugs: frozenset[str] = frozenset()
    site_title: str | None = None  # an export's site name


def detect_kind(path: Path, text: str) -> str | None:
    """'export', 'page' or 'text' from the content (the suffix only settles what the content leaves open)."""
    head = text[:8192].lstrip()
    if _RSS_START.match(head):
        return "export" if "wordpress.org/export/" in head else None
    if _HTML_START.match(head) or (_TAG_START.match(head) and "</" in text):
        return "page"
    if path.suffix.lower() in (*_HTML_SUFFIXES, *_XML_SUFFIXES) or head.startswith("<"):
        return None
    return "text"


def _not_recognised(path: Path, text: str) -> str:
    head = text[:8192].lstrip()
    if head.startswith("From:") and "MIME-Version" in head[:2048]:
        return 'a web archive (MHTML) is not read: save the page as "Webpage, Complete" (HTML with its images folder)'
    if _RSS_START.match(head):
        return "an RSS feed, not a WordPress export (WXR): export the blog from the site's settings"
    if path.suffix.lower() in _XML_SUFFIXES or head.startswith("<?xml"):
        return "not a WordPress export (WXR): no <rss> element with the wp: namespace"
    return "not an HTML page: no <html>, <head> or <body> tag (save the article page from the browser)"


def read_source(
    path: Path,
    namer: ImageNamer,
    problems: Problems,
    only: Collection[str] = (),
    drafts: bool = False,
    selector: str | None = None,
) -> Source | None:
    """Read one source file; report what makes it unusable (and return None then)."""
    if path.is_dir():
        problems.error(path, None, "is a folder: give the saved page's HTML file, an export or a text file")
        return None
    # Named by the user, so read from wherever it is; but only a regular file, and within a size limit.
    text = read_text(path, problems, IMPORT_SOURCE)
    if text is None:
        return None
    if "\x00" in text:
        problems.error(path, None, "not a text file: an HTML page, a WordPress export or plain text was expected")
        return None
    if not text.strip():
        problems.error(path, None, "the file is empty")
        return None
    kind = detect_kind(path, text)
    if kind is None:
        problems.error(path, None, _not_recognised(path, text))
        return None
    if kind == "export":
        export = read_export(path, text, namer, problems, only, drafts)
        return Source(path, kind, export.articles, export.slugs, export.site_title) if export is not None else None
    if kind == "page":
        article = read_page(path, text, namer, problems, selector)
    else:
        article = read_text_page(path, text, problems)
    return Source(path, kind, (article,)) if article is not None else None
