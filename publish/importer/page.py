"""Read an article page saved from the blog (a Squarespace blog post, as a browser's "Save page" writes it)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from publish.errors import Problems
from publish.importer.clean import clean_article
from publish.importer.html_to_markdown import drop_element, html_to_markdown, take_hero
from publish.importer.images import ImageNamer, ImageResolver
from publish.importer.model import Article, Link

# Browsers mark a saved page with where it came from: <!-- saved from url=(0042)https://... -->
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(\S+?)\s*-->", re.IGNORECASE)
_PAGINATION_WORDS = re.compile(
    r"^[\s←→«»‹›<>–—-]*(?:previous|prev|next|older|newer)(?:\s+(?:post|article|entry|story))?\b[\s:–—-]*|[\s←→«»‹›<>]+$",
    re.IGNORECASE,
)


def text_of(element: etree._Element) -> str:
    """An element's text with its white space collapsed."""
    return " ".join("".join(element.itertext()).split())


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _first(root: etree._Element, *paths: str) -> etree._Element | None:
    for path in paths:
        found = root.xpath(path)
        if found:
            return found[0]
    return None


def _meta(document: etree._Element, *names: str) -> str | None:
    for name in names:
        for element in document.xpath("//meta[@property=$n or @name=$n or @itemprop=$n]", n=name):
            if content := " ".join((element.get("content") or "").split()):
                return content
    return None


def parse_date(value: str | None) -> dt.date | None:
    """The date at the start of an ISO 8601 date or timestamp."""
    if not value:
        return None
    match = re.match(r"\s*(\d{4}-\d{2}-\d{2})", value)
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def language_tag(value: str | None) -> str | None:
    """A BCP 47 tag from an HTML lang attribute or a locale (en_US becomes en-US), if it looks like one."""
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    return tag if re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", tag) else None


def _strip_site_name(title: str, site: str | None) -> str:
    """Squarespace writes og:title and <title> as "Post title — Site name"."""
    if site:
        for separator in (" — ", " – ", " | ", " - ", " · "):
            if title.endswith(separator + site) and len(title) > len(separator + site):
                return title[: -len(separator + site)].strip()
    return title


def _title(document: etree._Element) -> tuple[str | None, etree._Element | None]:
    element = _first(
        document,
        f"//h1[{_has_class('entry-title')}]",
        f"//*[{_has_class('blog-item-title')}]",
        f"//article//*[{_has_class('p-name')}]",
        "//article//h1",
    )
    if element is not None and (title := text_of(element)):
        return title, element
    site = _meta(document, "og:site_name")
    for candidate in (
        _meta(document, "og:title", "twitter:title"),
        text_of(document.find(".//title")) if document.find(".//title") is not None else None,
    ):
        if candidate:
            return _strip_site_name(candidate, site), None
    heading = document.find(".//h1")
    if heading is not None and (title := text_of(heading)):
        return title, heading
    return None, None


def _url(document: etree._Element, raw: str) -> str | None:
    canonical = _first(document, "//link[@rel='canonical']/@href")
    for candidate in (str(canonical) if canonical is not None else None, _meta(document, "og:url")):
        if candidate and urlsplit(candidate).scheme in ("http", "https"):
            return candidate.strip()
    saved = _SAVED_FROM.search(raw[:4096])
    if saved and urlsplit(saved.group(1)).scheme in ("http", "https"):
        return saved.group(1)
    return None


def _date(document: etree._Element) -> tuple[dt.date | None, etree._Element | None]:
    element = _first(
        document,
        f"//time[{_has_class('dt-published')}][@datetime]",
        "//article//time[@datetime]",
        "//time[@datetime]",
    )
    if element is not None and (date := parse_date(element.get("datetime"))):
        return date, element
    return parse_date(_meta(document, "article:published_time", "datePublished", "date")), None


def _author(document: etree._Element) -> str | None:
    element = _first(
        document,
        f"//*[{_has_class('blog-author-name')}]",
        f"//*[{_has_class('p-author')}]//*[{_has_class('p-name')}]",
        f"//*[{_has_class('p-author')}]",
        f"//a[{_has_class('blog-author')}]",
        "//article//a[@rel='author']",
        "//*[@itemprop='author']//*[@itemprop='name']",
    )
    if element is not None and (name := text_of(element)):
        return re.sub(r"^(?:written\s+)?by\s+", "", name, flags=re.IGNORECASE)
    name = _meta(document, "author", "article:author")
    return name if name and not urlsplit(name).scheme else None


def _pagination_link(document: etree._Element, kind: str, base_url: str | None) -> Link | None:
    """Squarespace's "Previous"/"Next" links under a post (``.item-pagination-link--prev``), else rel=prev/next."""
    link = _first(
        document,
        f"//a[{_has_class(f'item-pagination-link--{kind}')}]",
        f"//*[{_has_class(f'item-pagination-link--{kind}')}]//a",
        f"//body//a[contains(concat(' ', normalize-space(@rel), ' '), ' {kind} ')]",
    )
    if link is None:
        return None
    title_element = _first(link, f".//*[{_has_class('item-pagination-title')}]")
    title = text_of(title_element) if title_element is not None else _PAGINATION_WORDS.sub("", text_of(link))
    if not title:
        return None
    href = (link.get("href") or "").strip()
    url = urljoin(base_url, href) if base_url and href else href
    return Link(title, url if urlsplit(url).scheme in ("http", "https") else None)


def _content(document: etree._Element) -> etree._Element | None:
    """The element holding the article's body: Squarespace's, else <article>, <main>, the largest text block."""
    found = _first(
        document,
        f"//article//*[{_has_class('blog-item-content')}]",
        f"//*[{_has_class('blog-item-content')}]",
        f"//article//*[{_has_class('e-content')}]",
        "//article//*[@data-content-field='main-content']",
        f"//*[{_has_class('entry-content')}]",
    )
    if found is not None:
        return found
    articles = document.xpath("//article")
    if articles:
        return max(articles, key=lambda element: len(text_of(element)))
    found = _first(document, "//main", "//*[@role='main']")
    if found is not None:
        return found
    scores: dict[etree._Element, int] = {}
    for paragraph in document.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len(text_of(paragraph))
    return max(scores, key=lambda element: scores[element]) if scores else None


def read_page(path: Path, raw: str, namer: ImageNamer, problems: Problems) -> Article | None:
    """Read one saved article page; report what makes it unusable and return None then."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    try:
        document = lxml.html.document_fromstring(raw.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        problems.error(path, None, f"cannot read the page as HTML: {exc}")
        return None
    title, title_element = _title(document)
    if not title:
        problems.error(path, None, "no article title found (no h1.entry-title, og:title or <title>)")
        return None
    url = _url(document, raw)
    date, date_element = _date(document)
    previous = _pagination_link(document, "prev", url)
    following = _pagination_link(document, "next", url)
    author = _author(document)
    language = language_tag(document.get("lang")) or language_tag(_meta(document, "og:locale"))
    content = _content(document)
    if content is not None:
        for used in (title_element, date_element):
            if used is not None and used is not content and any(a is content for a in used.iterancestors()):
                drop_element(used)
        clean_article(content)
    resolver = ImageResolver(path, namer, problems, url)
    hero = take_hero(content) if content is not None else None
    image = resolver(hero, hero=True) if hero is not None else None
    body = html_to_markdown(content, resolver, url) if content is not None else ""
    if not body.strip():
        problems.error(
            path, None, "no article text found (looked for .blog-item-content, <article>, <main> and paragraphs)"
        )
        return None
    alt = " ".join((hero.get("alt") or "").split()) if hero is not None else ""
    return Article(
        source=path,
        title=title,
        body=body,
        url=url,
        date=date,
        author=author,
        language=language,
        image=image,
        image_alt=alt or None,
        images=resolver.images,
        previous=previous,
        next=following,
    )
