"""Read an article page saved from the blog (as a browser's "Save page" writes it).

Platform rules come first: Squarespace 7.0 and 7.1, WordPress (classic and block themes),
Blogger, Ghost, Medium and Wix mark the article's body, byline and previous/next links in
ways known here. Any other page's body is found by a main-content extractor
(:mod:`publish.importer.extract`), and the two are compared so that text is never lost
silently (:func:`publish.importer.extract.choose_body`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from publish.errors import Problems
from publish.importer.clean import clean_article, take_pagination_links
from publish.importer.extract import LOOKED_FOR, choose_body, count_words, markdown_words
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


def strip_site_name(title: str, site: str | None) -> str:
    """ "Post title — Site name" (Squarespace's og:title, WordPress's <title>) without the site's name."""
    if site:
        for separator in (" — ", " – ", " | ", " - ", " · ", " :: ", " » "):
            for candidate in (title.removesuffix(separator + site), title.removeprefix(site + separator)):
                if candidate != title and candidate.strip():
                    return candidate.strip()
    return title


def _json_ld(document: etree._Element) -> list[dict[str, Any]]:
    """The page's schema.org objects (JSON-LD), ``@graph`` members included; broken JSON is ignored."""
    found: list[dict[str, Any]] = []
    for script in document.xpath("//script[@type='application/ld+json']"):
        # Some pages wrap it in <![CDATA[ ... ]]> (kept as text by the HTML parser).
        text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", script.text or "")
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested past what Python parses: no metadata
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                stack.extend(graph if isinstance(graph, list) else [])
    return found


def _names(value: Any) -> list[str]:
    """The names in a schema.org ``author``/``publisher`` value: a string, an object or a list of them."""
    values = value if isinstance(value, list) else [value]
    names = [v.get("name") if isinstance(v, dict) else v for v in values]
    return [" ".join(n.split()) for n in names if isinstance(n, str) and n.strip() and not urlsplit(n).scheme]


def _site_name(document: etree._Element, schema: list[dict[str, Any]]) -> str | None:
    name = _meta(document, "og:site_name", "application-name")
    if name:
        return name
    for item in schema:
        if item.get("@type") == "WebSite" and _names(item):
            return _names(item)[0]
        if names := _names(item.get("publisher")):
            return names[0]
    return None


def _title(document: etree._Element, site: str | None) -> tuple[str | None, etree._Element | None]:
    element = _first(
        document,
        f"//h1[{_has_class('entry-title')}]",  # WordPress, Squarespace 7.1
        f"//*[{_has_class('blog-item-title')}]",
        f"//*[{_has_class('BlogItem-title')}]",  # Squarespace 7.0 (Brine)
        f"//*[{_has_class('wp-block-post-title')}]",  # WordPress block themes
        f"//h3[{_has_class('post-title')}]",  # Blogger
        f"//h1[{_has_class('gh-article-title')}]",  # Ghost
        f"//article//*[{_has_class('p-name')}]",
        "//article//h1",
    )
    if element is not None and (title := text_of(element)):
        return strip_site_name(title, site), element
    for candidate in (
        _meta(document, "og:title", "twitter:title"),
        text_of(document.find(".//title")) if document.find(".//title") is not None else None,
    ):
        if candidate:
            return strip_site_name(candidate, site), None
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


def _date(document: etree._Element, schema: list[dict[str, Any]]) -> tuple[dt.date | None, etree._Element | None]:
    element = _first(
        document,
        f"//time[{_has_class('dt-published')}][@datetime]",
        "//article//time[@datetime]",
        "//time[@datetime]",
        f"//abbr[{_has_class('published')}][@title]",  # Blogger
    )
    if element is not None and (date := parse_date(element.get("datetime") or element.get("title"))):
        return date, element
    date = parse_date(_meta(document, "article:published_time", "datePublished", "date"))
    published = (item.get("datePublished") for item in schema if isinstance(item.get("datePublished"), str))
    return date or next((d for d in map(parse_date, published) if d), None), None


# Bylines, most specific first: Squarespace, microformats, WordPress, Blogger, Ghost, schema.org microdata.
_BYLINES = (
    f"//*[{_has_class('blog-author-name')}]",
    f"//*[{_has_class('BlogItem-meta-author')}]",
    f"//*[{_has_class('p-author')}]//*[{_has_class('p-name')}]",
    f"//*[{_has_class('p-author')}]",
    f"//*[{_has_class('blog-author')}]",
    f"//*[{_has_class('Blog-meta-item--author')}]",  # Squarespace 7.0 (Brine)
    f"//*[{_has_class('author')}]//*[{_has_class('fn')}]",
    f"//*[{_has_class('post-author')}]//*[{_has_class('fn')}]",
    f"//*[{_has_class('wp-block-post-author-name')}]",
    f"//*[{_has_class('author-name')}]",
    f"//*[{_has_class('gh-article-author-name')}]",
    "//article//a[@rel='author']",
    "//*[@itemprop='author']//*[@itemprop='name']",
    "//a[@rel='author']",
    f"//*[{_has_class('byline')}]",
)
_BY = re.compile(r"^(?:(?:written|posted|published)\s+)?by[:\s]+", re.IGNORECASE)


def _a_name(text: str | None) -> str | None:
    """A person's or an organisation's name: a few words, not an address, "By " taken off."""
    # "By Jordan Doe · April 1, 2025": the name is what comes before the first separator.
    text = re.sub(r"\s*[(<][^)>]*://[^)>]*[)>]", "", " ".join((text or "").split()))  # "Name (https://...)"
    name = re.split(r"\s[·•|–—]\s|\s+on\s+\w+\s+\d|,\s", _BY.sub("", text))[0]
    name = name.strip(" ,·|–—-")
    if not name or urlsplit(name).scheme or len(name) > 80 or len(name.split()) > 8 or not re.search(r"\w", name):
        return None
    return name


def _author(document: etree._Element, schema: list[dict[str, Any]]) -> str | None:
    for path in _BYLINES:
        for element in document.xpath(path):
            if name := _a_name(text_of(element)):
                return name
    if name := _a_name(_meta(document, "author", "article:author", "parsely-author", "sailthru.author")):
        return name
    for item in schema:
        for candidate in _names(item.get("author")):
            if name := _a_name(candidate):
                return name
    return None


# Where each platform puts the previous/next links under a post, per direction.
_PAGINATION = {
    "prev": (
        # Squarespace 7.1 (.item-pagination-link--prev), 7.0 (.BlogItem-pagination-link--prev,
        # .blog-item-pagination-link--prev)
        "//a[contains(@class, 'pagination-link--prev')]",
        "//*[contains(@class, 'pagination-link--prev')]//a",
        f"//*[{_has_class('nav-previous')}]//a",  # WordPress classic themes
        f"//*[{_has_class('post-navigation-link-previous')}]//a",  # WordPress block themes
        f"//a[{_has_class('wp-block-post-navigation-link')}][@rel='prev']",
        f"//a[{_has_class('blog-pager-older-link')}]",  # Blogger: the older post comes before
        "//*[@id='blog-pager-older-link']//a",
        f"//a[{_has_class('gh-navigation-previous')}]",  # Ghost
        f"//*[{_has_class('post-nav-prev')}]//a",
    ),
    "next": (
        "//a[contains(@class, 'pagination-link--next')]",
        "//*[contains(@class, 'pagination-link--next')]//a",
        f"//*[{_has_class('nav-next')}]//a",
        f"//*[{_has_class('post-navigation-link-next')}]//a",
        f"//a[{_has_class('wp-block-post-navigation-link')}][@rel='next']",
        f"//a[{_has_class('blog-pager-newer-link')}]",
        "//*[@id='blog-pager-newer-link']//a",
        f"//a[{_has_class('gh-navigation-next')}]",
        f"//*[{_has_class('post-nav-next')}]//a",
    ),
}
# The title of the linked post inside the link, where a theme marks it.
_PAGINATION_TITLE = " | ".join(
    f".//*[{_has_class(name)}]"
    for name in ("item-pagination-title", "BlogItem-pagination-link-title", "post-title", "nav-title", "title")
)
# Labels inside the link ("Previous", "Next post") that are not the title.
_PAGINATION_LABELS = " | ".join(
    f".//*[{_has_class(name)}]"
    for name in (
        "visually-hidden", "screen-reader-text", "sr-only", "item-pagination-prev-next", "meta-nav",
        "BlogItem-pagination-link-label", "post-navigation-link__label", "nav-label", "gh-navigation-label",
    )
)  # fmt: skip


def title_from_url(url: str) -> str:
    """A readable title from an address's last segment (Blogger's "Older Post" link names no title)."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    words = re.sub(r"\.html?$", "", unquote(segments[-1])).replace("-", " ").replace("_", " ") if segments else ""
    return " ".join(words.split()).capitalize()


def pagination_link(link: etree._Element, base_url: str | None) -> Link | None:
    """The article a previous/next link leads to: its title (not the link's label) and its address."""
    href = (link.get("href") or "").strip()
    url = urljoin(base_url, href) if base_url and href else href
    url = url if urlsplit(url).scheme in ("http", "https") else ""
    title_element = _first(link, _PAGINATION_TITLE)
    if title_element is not None:
        title = text_of(title_element)
    else:
        copy = lxml.html.fromstring(etree.tostring(link))
        for label in copy.xpath(_PAGINATION_LABELS):
            drop_element(label)
        title = _PAGINATION_WORDS.sub("", text_of(copy))
    title = title or (title_from_url(url) if url else "")
    return Link(title, url or None) if title else None


def _pagination_link(document: etree._Element, kind: str, base_url: str | None) -> Link | None:
    """The platform's previous/next link under the post, else a link with rel=prev/next."""
    paths = (*_PAGINATION[kind], f"//body//a[contains(concat(' ', normalize-space(@rel), ' '), ' {kind} ')]")
    for path in paths:
        for link in document.xpath(path):
            if found := pagination_link(link, base_url):
                return found
    return None


def _drop_title_heading(content: etree._Element, title: str) -> None:
    """Take out a heading that repeats the title before any text (the extractor keeps the page's h1)."""
    for element in content.iter():
        if not isinstance(element.tag, str) or element is content:
            continue
        if element.tag.lower() in ("h1", "h2", "h3", "h4", "h5", "h6"):
            if text_of(element).casefold() == title.casefold():
                drop_element(element)
            return
        if (element.text or "").strip():
            return


def read_page(
    path: Path, raw: str, namer: ImageNamer, problems: Problems, selector: str | None = None
) -> Article | None:
    """Read one saved article page; report what makes it unusable and return None then."""
    # huge_tree: libxml2 otherwise stops at 256 nested elements and drops the rest of the page unsaid.
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        document = lxml.html.document_fromstring(raw.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        problems.error(path, None, f"cannot read the page as HTML: {exc}")
        return None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        problems.error(path, None, "the page nests its elements too deep to be read whole (thousands of levels)")
        return None
    schema = _json_ld(document)
    title, title_element = _title(document, _site_name(document, schema))
    if not title:
        problems.error(path, None, "no article title found (no h1.entry-title, og:title or <title>)")
        return None
    url = _url(document, raw)
    date, date_element = _date(document, schema)
    previous = _pagination_link(document, "prev", url)
    following = _pagination_link(document, "next", url)
    author = _author(document, schema)
    language = language_tag(document.get("lang")) or language_tag(_meta(document, "og:locale"))
    body = choose_body(path, document, raw, url, problems, selector)
    if body is None:
        return None
    content = body.element
    for used in (title_element, date_element):
        if used is not None and used is not content and any(a is content for a in used.iterancestors()):
            drop_element(used)
    _drop_title_heading(content, title)
    in_text = take_pagination_links(content, url)
    previous = previous or in_text.get("prev")
    following = following or in_text.get("next")
    clean_article(content)
    words = count_words(" ".join(content.itertext()))
    resolver = ImageResolver(path, namer, problems, url)
    hero = take_hero(content)
    image = resolver(hero, hero=True) if hero is not None else None
    unresolved: list[str] = []
    markdown = html_to_markdown(content, resolver, url, unresolved=unresolved)
    if not markdown.strip():
        problems.error(path, None, f"no article text found (looked for {LOOKED_FOR})")
        return None
    if unresolved:
        shown = ", ".join(unresolved[:3]) + (f" and {len(unresolved) - 3} more" if len(unresolved) > 3 else "")
        problems.warning(
            path, None,
            f"{len(unresolved)} relative link(s) kept as text: the page names no address of its own "
            f"(canonical link or og:url) to resolve them against: {shown}",
        )  # fmt: skip
    imported = markdown_words(markdown)
    if words and imported < 0.9 * words:
        problems.warning(
            path, None, f"the import keeps {imported} of the {words} words of {body.name}: check the piece"
        )
    alt = " ".join((hero.get("alt") or "").split()) if hero is not None else ""
    return Article(
        source=path,
        title=title,
        body=markdown,
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
