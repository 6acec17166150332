"""Read a WordPress export (WXR, the XML file Squarespace's "Export" writes): its posts."""

from __future__ import annotations

import datetime as dt
import email.utils
import html as html_lib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from publish.errors import Problems
from publish.importer.clean import clean_article, take_pagination_links
from publish.importer.html_to_markdown import html_to_markdown, take_hero
from publish.importer.images import ImageNamer, ImageResolver
from publish.importer.model import Article, Link
from publish.importer.page import language_tag, parse_date, strip_site_name

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
    wp: str  # the export's wp: namespace


@dataclass(frozen=True)
class Export:
    """What was read from one export: the chosen posts as articles, the slugs of all its posts, the site's name."""

    articles: tuple[Article, ...]
    slugs: frozenset[str]
    site_title: str | None = None


def _plain_title(raw: str) -> str:
    """A title as text: WordPress keeps the markup of ``<em>With</em>`` in titles; a book title is plain."""
    if "<" not in raw and "&" not in raw:
        return " ".join(raw.split())
    try:
        fragment = lxml.html.fragment_fromstring(raw, create_parent="span")
    except (etree.ParserError, ValueError):
        return " ".join(html_lib.unescape(raw).split())
    return " ".join(fragment.text_content().split())


def _site_url(channel: etree._Element, wp: str) -> str | None:
    """The address the export's relative links are relative to: wp:base_blog_url, else the channel's link."""
    for candidate in (
        channel.findtext(f"{{{wp}}}base_blog_url"),
        channel.findtext("link"),
        channel.findtext(f"{{{wp}}}base_site_url"),
    ):
        candidate = (candidate or "").strip()
        if urlsplit(candidate).scheme in ("http", "https") and urlsplit(candidate).netloc:
            return candidate if candidate.endswith("/") else candidate + "/"
    return None


def _post_url(link: str | None, site: str | None) -> str | None:
    """A post's address made absolute against the site's (``/blog/basic-post.html`` stays relative without one)."""
    link = (link or "").strip()
    if not link:
        return None
    if site and not urlsplit(link).scheme:
        return urljoin(site, link)
    return link


def _footnotes(item: etree._Element, wp: str) -> str:
    """The block editor's footnotes (the ``footnotes`` post meta, JSON) as a list the footnote reader finds.

    In the post's HTML each marker is ``<sup data-fn="ID"><a href="#ID" id="ID-link">1</a></sup>``;
    the notes themselves live only in the meta, as ``[{"id": ID, "content": HTML}]``.
    """
    for meta in item.findall(f"{{{wp}}}postmeta"):
        if (meta.findtext(f"{{{wp}}}meta_key") or "").strip() != "footnotes":
            continue
        try:
            notes = json.loads(meta.findtext(f"{{{wp}}}meta_value") or "")
        except (ValueError, RecursionError):  # not JSON, or nested past what Python parses: no notes
            return ""
        items = [
            f'<li id="{html_lib.escape(str(note["id"]))}">{note.get("content") or ""}</li>'
            for note in notes if isinstance(note, dict) and note.get("id")
        ]  # fmt: skip
        return f'<ol class="wp-block-footnotes">{"".join(items)}</ol>' if items else ""
    return ""


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
    site = _site_url(channel, wp)
    site_title = _plain_title(channel.findtext("title") or "") or None

    posts: list[_Post] = []
    skipped_drafts = 0
    for index, item in enumerate(channel.findall("item")):
        if (item.findtext(f"{{{wp}}}post_type") or "post").strip() != "post":
            continue  # pages, attachments, menu items
        status = (item.findtext(f"{{{wp}}}status") or "publish").strip()
        if status != "publish" and not (drafts and status in ("draft", "pending", "private", "future")):
            skipped_drafts += status != "trash"
            continue
        title = strip_site_name(_plain_title(item.findtext("title") or ""), site_title)
        url = _post_url(item.findtext("link"), site)
        slug = (item.findtext(f"{{{wp}}}post_name") or "").strip() or _slug_of(url)
        if not title:
            problems.warning(path, item.sourceline, f"a post without a title ({slug or 'no slug'}) is left out")
            continue
        posts.append(_Post(index, item, title, url, slug, _pub_date(item, wp), status, wp))
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
    return Export(tuple(articles), slugs, site_title)


def _read_post(
    path: Path, post: _Post, namer: ImageNamer, problems: Problems, authors: dict[str, str],
    language: str | None, previous: Link | None, following: Link | None,
) -> Article | None:  # fmt: skip
    html = post.item.findtext(f"{{{_CONTENT}}}encoded") or ""
    if html.strip():
        html += _footnotes(post.item, post.wp)
    content = None
    if html.strip():
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)
        try:
            content = lxml.html.fragment_fromstring(html, create_parent="div", parser=parser)
        except (etree.ParserError, ValueError):
            content = None
    body = ""
    image = alt = None
    resolver = ImageResolver(path, namer, problems, post.url)
    unresolved: list[str] = []
    if content is not None:
        take_pagination_links(content, post.url)  # the export's order links the posts already
        clean_article(content)
        hero = take_hero(content)
        if hero is not None:
            image = resolver(hero, hero=True)
            alt = " ".join((hero.get("alt") or "").split()) or None
        body = html_to_markdown(content, resolver, post.url, paragraphs_from_blank_lines=True, unresolved=unresolved)
    if unresolved:
        problems.warning(
            path, post.item.sourceline,
            f"post {post.slug or post.title!r}: {len(unresolved)} relative link(s) kept as text, the export naming "
            f"no site address to resolve them against: {', '.join(unresolved[:3])}",
        )  # fmt: skip
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
