"""Read a WordPress export (WXR, the XML file Squarespace's "Export" writes): its posts."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from publish.errors import Problems
from publish.importer.clean import clean_article
from publish.importer.html_to_markdown import html_to_markdown, take_hero
from publish.importer.images import ImageNamer, ImageResolver
from publish.importer.model import Article, Link
from publish.importer.page import language_tag, parse_date

_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"


@dataclass(frozen=True)
class _Post:
    index: int
    item: etree._Element
    title: str
    url: str | None
    slug: str
    date: dt.date | None
    status: str


@dataclass(frozen=True)
class Export:
    """What was read from one export: the chosen posts as articles, and the slugs of all its posts."""

    articles: tuple[Article, ...]
    slugs: frozenset[str]


def _slug_of(url: str | None) -> str:
    if not url:
        return ""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[-1] if segments else ""


def _pub_date(item: etree._Element, wp: str) -> dt.date | None:
    date = parse_date(item.findtext(f"{{{wp}}}post_date"))
    if date is None:
        published = (item.findtext("pubDate") or "").strip()
        try:
            date = email.utils.parsedate_to_datetime(published).date() if published else None
        except (TypeError, ValueError):
            date = None
    return date


def read_export(
    path: Path, raw: str, namer: ImageNamer, problems: Problems, only: Collection[str] = (), drafts: bool = False
) -> Export | None:
    """Read the posts of a WordPress export: all published ones, or those whose slug is in ``only``."""
    if re.search(r"<!ENTITY", raw[:65536]):
        # A WordPress export declares no entities; refusing them keeps entity expansion out.
        problems.error(path, None, "the file declares XML entities, which a WordPress export never does: not read")
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        problems.error(path, exc.lineno or None, f"not a well-formed WordPress export: {exc.msg}")
        return None
    wp = next(
        (uri for uri in root.nsmap.values() if uri and "wordpress.org/export/" in uri and "excerpt" not in uri), None
    )
    channel = root.find("channel")
    if root.tag != "rss" or wp is None or channel is None:
        problems.error(
            path, None, "not a WordPress export (WXR): expected <rss> with a <channel> and the wp: namespace"
        )
        return None
    authors: dict[str, str] = {}
    for author in channel.findall(f"{{{wp}}}author"):
        login = (author.findtext(f"{{{wp}}}author_login") or "").strip()
        shown = (author.findtext(f"{{{wp}}}author_display_name") or "").strip()
        if not shown:
            shown = " ".join(
                filter(
                    None, (author.findtext(f"{{{wp}}}author_first_name"), author.findtext(f"{{{wp}}}author_last_name"))
                )
            )
        if login and shown.strip():
            authors[login] = shown.strip()
    language = language_tag(channel.findtext("language"))

    posts: list[_Post] = []
    skipped_drafts = 0
    for index, item in enumerate(channel.findall("item")):
        if (item.findtext(f"{{{wp}}}post_type") or "post").strip() != "post":
            continue  # pages, attachments, menu items
        status = (item.findtext(f"{{{wp}}}status") or "publish").strip()
        if status != "publish" and not (drafts and status in ("draft", "pending", "private", "future")):
            skipped_drafts += status != "trash"
            continue
        title = " ".join((item.findtext("title") or "").split())
        url = (item.findtext("link") or "").strip() or None
        slug = (item.findtext(f"{{{wp}}}post_name") or "").strip() or _slug_of(url)
        if not title:
            problems.warning(path, item.sourceline, f"a post without a title ({slug or 'no slug'}) is left out")
            continue
        posts.append(_Post(index, item, title, url, slug, _pub_date(item, wp), status))
    if not posts:
        if skipped_drafts:
            problems.error(
                path,
                None,
                f"no published posts in this WordPress export ({skipped_drafts} not published: use --drafts)",
            )
        else:
            problems.error(path, None, "no posts in this WordPress export")
        return None
    # The blog's own order: by publication date, oldest first; posts of one day in the export's order.
    posts.sort(key=lambda post: (post.date or dt.date.max, post.index))
    chosen = [i for i, post in enumerate(posts) if not only or post.slug in only or _slug_of(post.url) in only]
    articles: list[Article] = []
    for position in chosen:
        post = posts[position]
        neighbours = [
            Link(posts[p].title, posts[p].url) if 0 <= p < len(posts) else None for p in (position - 1, position + 1)
        ]
        article = _read_post(path, post, namer, problems, authors, language, neighbours[0], neighbours[1])
        if article is not None:
            articles.append(article)
    slugs = frozenset({post.slug for post in posts} | {_slug_of(post.url) for post in posts} - {""})
    return Export(tuple(articles), slugs)


def _read_post(
    path: Path, post: _Post, namer: ImageNamer, problems: Problems, authors: dict[str, str],
    language: str | None, previous: Link | None, following: Link | None,
) -> Article | None:  # fmt: skip
    html = post.item.findtext(f"{{{_CONTENT}}}encoded") or ""
    content = None
    if html.strip():
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        try:
            content = lxml.html.fragment_fromstring(html, create_parent="div", parser=parser)
        except (etree.ParserError, ValueError):
            content = None
    body = ""
    image = alt = None
    resolver = ImageResolver(path, namer, problems, post.url)
    if content is not None:
        clean_article(content)
        hero = take_hero(content)
        if hero is not None:
            image = resolver(hero, hero=True)
            alt = " ".join((hero.get("alt") or "").split()) or None
        body = html_to_markdown(content, resolver, post.url, paragraphs_from_blank_lines=True)
    if not body.strip():
        problems.warning(path, post.item.sourceline, f"post {post.slug or post.title!r} has no text: left out")
        return None
    creator = (post.item.findtext(f"{{{_DC}}}creator") or "").strip()
    return Article(
        source=path,
        title=post.title,
        body=body,
        url=post.url,
        date=post.date,
        author=authors.get(creator, creator) or None,
        slug=post.slug or None,
        language=language,
        image=image,
        image_alt=alt,
        images=resolver.images,
        previous=previous,
        next=following,
    )
