"""Take what is not the article out of its HTML: scripts, navigation, share buttons, comments."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from publish.importer.html_to_markdown import drop_element
from publish.importer.model import Link

# Elements that never hold article text (or hold only what a book cannot use).
_DROPPED = frozenset({
    "script", "style", "noscript", "template", "nav", "form", "button", "iframe", "object", "embed", "video",
    "audio", "canvas", "svg", "math", "input", "select", "textarea", "link", "meta", "head", "title", "map",
    "dialog", "frame", "frameset", "applet",
})  # fmt: skip
# A class or id naming one of these marks site furniture, not the article (Squarespace:
# .sqs-share-buttons, .squarespace-social-buttons, .blog-item-comments, .item-pagination,
# .blog-item-meta-wrapper, .blog-item-author-profile-wrapper; WordPress: .sharedaddy, .jp-relatedposts).
_FURNITURE = re.compile(
    r"(?:^|[-_])(?:share\w*|sharedaddy|sharing|social\w*|comments?|newsletter|subscribe|subscription|cookies?"
    r"|pagination|breadcrumbs?|related\w*|sidebar|meta|byline|author-profile|author-bio|author-box|author-info"
    r"|about-the-author|about-author|author-card|post-author|entry-author|post-card|read-next|recommended\w*"
    r"|more-posts|cta|promo|tags|categories|postfooter|infocard"  # Medium: .postFooter, .infoCard (the bio)
    r"|popup|modal|sr-only|visually-hidden|screen-reader-text|skip-link)(?:[-_]|$)",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)
# A short block saying only one of these is the site talking, not the article.
_BOILERPLATE = re.compile(
    r"^(?:(?:view|see|browse|read) (?:all|more)(?: (?:of )?(?:our|the))?(?: blog)? (?:posts|articles|stories|entries)"
    r"|(?:back|return) to (?:the )?(?:blog|all posts|articles|journal|news)"
    r"|(?:get|start|try)(?: (?:a|your|our))? free trial(?: today| now)?"
    r"|(?:subscribe|sign up)(?: (?:now|today|here|to (?:our|the|my) (?:newsletter|blog|mailing list)))?"
    r"|share(?: (?:this|the) (?:post|article|story))?(?: on \w+)?"
    r"|(?:related|recent|similar|more|popular) (?:posts|articles|stories|reading)(?: from .{1,40})?"
    r"|you (?:may|might) also (?:like|enjoy)|read next|keep reading|about the author)[\s:.!→»›]*$",
    re.IGNORECASE,
)
_BOILERPLATE_TAGS = frozenset({"p", "div", "section", "h2", "h3", "h4", "h5", "h6", "li"})
# "← Previous: Title", "Next post: Title →": a previous/next link written into the post's text.
_IN_TEXT_LINK = re.compile(
    r"^[\s←«‹<]*(?P<kind>previous|prev|older|next|newer)(?: (?:post|article|entry|story))?(?:\s*[:：]|\s+[—–-])\s+"
    r"(?P<title>.+?)[\s→»›>]*$",
    re.IGNORECASE,
)


def is_furniture(element: etree._Element) -> bool:
    """True for an element whose class or id says it is site furniture, or that is hidden."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}".split()
    if any(_FURNITURE.search(name) for name in names):
        return True
    if element.get("hidden") is not None or (element.get("aria-hidden") or "").lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(element.get("style") or ""))


def clean_article(root: etree._Element) -> None:
    """Remove everything inside ``root`` that is not the article's own content."""
    for element in list(root.iter()):
        if element is root:
            continue
        if not isinstance(element.tag, str):
            drop_element(element)  # comments and processing instructions
            continue
        tag = element.tag.lower()
        if (
            tag in _DROPPED
            or is_furniture(element)
            or (tag in ("header", "footer", "aside") and _is_site_region(element))
            or (tag in _BOILERPLATE_TAGS and _is_boilerplate(element))
        ):
            drop_element(element)
    for element in list(root.iter("div", "section", "ul", "ol")):
        if element is not root and element.getparent() is not None and _is_card_list(element):
            drop_element(element)


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _is_boilerplate(element: etree._Element) -> bool:
    """A block whose whole text is a call to action or a list heading ("View all blog posts", "Get free trial")."""
    text = _text(element)
    return bool(text) and len(text) <= 80 and _BOILERPLATE.match(text) is not None


def _is_card_list(element: etree._Element) -> bool:
    """Cards of other posts: mostly link text, each post linked more than once (its image, title, "Read more")."""
    links = [a for a in element.iter("a") if (a.get("href") or "").strip() not in ("", "#")]
    text = _text(element)
    if len(links) < 4 or not text:
        return False
    linked = sum(len(_text(a)) for a in links)
    targets: dict[str, int] = {}
    for link in links:
        targets[link.get("href") or ""] = targets.get(link.get("href") or "", 0) + 1
    repeated = [href for href, count in targets.items() if count > 1]
    return len(repeated) >= 2 and len(repeated) >= len(targets) / 2 and linked >= 0.6 * len(text)


def take_pagination_links(root: etree._Element, base_url: str | None) -> dict[str, Link]:
    """Take "← Previous: Title" and "Next: Title →" links out of the text; return them by direction."""
    found: dict[str, Link] = {}
    for link in list(root.iter("a")):
        match = _IN_TEXT_LINK.match(_text(link))
        parent = link.getparent()
        if match is None or parent is None or _text(parent) != _text(link):
            continue  # only a link that stands alone as a block: "Next: the plan" inside a sentence is text
        href = (link.get("href") or "").strip()
        url = urljoin(base_url, href) if base_url else href
        kind = "prev" if match["kind"].lower() in ("previous", "prev", "older") else "next"
        found.setdefault(kind, Link(match["title"], url if urlsplit(url).scheme in ("http", "https") else None))
        drop_element(link)
        while parent is not None and parent is not root and not _text(parent) and parent.find(".//img") is None:
            above = parent.getparent()
            drop_element(parent)
            parent = above
    return found


def _is_site_region(element: etree._Element) -> bool:
    """A header or footer of the page or the article (not a quotation's attribution), or an aside of links."""
    tag = element.tag.lower()
    if tag == "aside":
        # A note or a pull quote is content; a box of links (related posts, a sidebar) is not.
        text = " ".join("".join(element.itertext()).split())
        linked = " ".join(" ".join("".join(a.itertext()) for a in element.iter("a")).split())
        return bool(text) and len(linked) >= 0.8 * len(text) and len(element.findall(".//a")) > 1
    return not any(
        isinstance(a.tag, str) and a.tag.lower() in ("blockquote", "figure") for a in element.iterancestors()
    )
