"""Take what is not the article out of its HTML: scripts, navigation, share buttons, comments."""

from __future__ import annotations

import re

from lxml import etree

from publish.importer.html_to_markdown import drop_element

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
    r"|pagination|breadcrumbs?|related\w*|sidebar|meta|byline|author-profile|author-bio|tags|categories"
    r"|popup|modal|sr-only|visually-hidden|screen-reader-text|skip-link)(?:[-_]|$)",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)", re.IGNORECASE)


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
        ):
            drop_element(element)


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
