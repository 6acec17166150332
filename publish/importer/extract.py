"""Find an article's body in a page: platform rules first, a main-content extractor for any other page.

The rules know where Squarespace, WordPress, Blogger, Ghost, Medium and Wix put a post's
body. Any other page goes to trafilatura (chosen over readability-lxml on the test corpus:
higher word recall on the blog pages, see ``tests/corpus/import/SOURCES.md``). The two are
compared, so that a rule that matched the wrong block (a sidebar widget with the article's
class) or only part of the body does not lose text silently: the import warns with the
figures and the block it took, and ``--selector`` picks the body by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from lxml import etree

from publish.errors import Problems

_WORD = re.compile(r"\w+")
# A rule's block holding less than this share of the extractor's words has lost part of the body.
_ENOUGH = 0.7
# Fewer words than this found by the extractor alone is a page's furniture, not an article.
_SHORTEST = 30


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# (how the warning names the block, where to find it), the most specific first.
_BODY_RULES = (
    (".blog-item-content (Squarespace)", f"//*[{_has_class('blog-item-content')}]"),
    ("the main-content field (Squarespace 7.0)", "//article//*[@data-content-field='main-content']"),
    (".wp-block-post-content (WordPress)", f"//*[{_has_class('wp-block-post-content')}]"),
    (".entry-content (WordPress)", f"//*[{_has_class('entry-content')}]"),
    (".post-body (Blogger)", f"//*[{_has_class('post-body')}]"),
    (".gh-content (Ghost)", f"//*[{_has_class('gh-content')}]"),
    (".post-full-content (Ghost)", f"//*[{_has_class('post-full-content')}]"),
    (".postArticle-content (Medium)", f"//*[{_has_class('postArticle-content')}]"),
    ("the post description (Wix)", "//*[@data-hook='post-description']"),
    (".e-content (microformats)", f"//article//*[{_has_class('e-content')}]"),
    ("[itemprop=articleBody] (schema.org)", "//*[@itemprop='articleBody']"),
)
# HTML's own mark of the article: a page lists other posts as <article> too, so several are no warning.
_ARTICLE = ("<article>", "//article")
# Paragraphs in these are the site's, not an article's.
_NOT_ARTICLE = frozenset({"noscript", "template", "nav", "header", "footer", "aside", "form"})
LOOKED_FOR = "the platforms' article blocks and the page's main content"


@dataclass(frozen=True)
class Body:
    """The element holding the article's body, and how a warning names it."""

    element: etree._Element
    name: str


def count_words(text: str) -> int:
    """The number of words in a text."""
    return len(_WORD.findall(text))


def words(text: str) -> Counter[str]:
    """A text's words, case folded, with how often each occurs."""
    return Counter(word.casefold() for word in _WORD.findall(text))


def markdown_text(markdown: str) -> str:
    """The text a reader sees of a piece's Markdown (rendered, then its text taken)."""
    import markdown as python_markdown

    html = python_markdown.markdown(markdown, extensions=["footnotes", "tables", "def_list"])
    return lxml.html.fromstring(f"<div>{html}</div>").text_content() if html.strip() else ""


def markdown_words(markdown: str) -> int:
    """The number of words a reader sees of a piece's Markdown."""
    return count_words(markdown_text(markdown))


def _prose_words(element: etree._Element) -> int:
    """Words of an element that are not link text: what tells an article from a widget of links."""
    linked = sum(count_words(" ".join(a.itertext())) for a in element.iter("a"))
    return max(0, count_words(" ".join(element.itertext())) - linked)


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    """The elements not inside another of them (a quote marked .entry-content inside the body)."""
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def _describe(element: etree._Element) -> str:
    classes = ".".join((element.get("class") or "").split()[:2])
    ident = f"#{element.get('id')}" if element.get("id") else ""
    return f"{element.tag}{ident}{'.' + classes if classes else ''}"


def _by_rules(path: Path, document: etree._Element, problems: Problems) -> Body | None:
    """The block a platform rule finds; the most article-like when several blocks match, with a warning."""
    for name, xpath in (*_BODY_RULES, _ARTICLE):
        found = _outermost(document.xpath(xpath))
        found = [element for element in found if count_words(" ".join(element.itertext()))]
        if not found:
            continue
        ranked = sorted(found, key=_prose_words, reverse=True)
        chosen = ranked[0]
        if len(ranked) > 1 and (name, xpath) != _ARTICLE:
            others = ", ".join(str(_prose_words(e)) for e in ranked[1:])
            problems.warning(
                path,
                chosen.sourceline,
                f"{len(ranked)} blocks match {name}: imported the largest article-like one "
                f"({_describe(chosen)}, {_prose_words(chosen)} words), not those of {others} words; "
                "use --selector CSS to choose another",
            )
        return Body(chosen, name)
    return _by_paragraphs(document)


def _by_paragraphs(document: etree._Element) -> Body | None:
    """The element whose own paragraphs hold the most text (for a page with no article markup)."""
    scores: dict[etree._Element, int] = {}
    for paragraph in document.iter("p"):
        parent = paragraph.getparent()
        if parent is not None and not any(a.tag in _NOT_ARTICLE for a in paragraph.iterancestors()):
            scores[parent] = scores.get(parent, 0) + count_words(" ".join(paragraph.itertext()))
    best = max(scores, key=lambda element: scores[element], default=None)
    return Body(best, "the largest block of paragraphs") if best is not None and scores[best] else None


def extract_main(raw: str, url: str | None) -> etree._Element | None:
    """The page's main content as found by trafilatura, as HTML (headings, lists, links, images, tables)."""
    import trafilatura  # a heavy import, needed only here

    html = trafilatura.extract(
        raw,
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
        include_formatting=True,
        deduplicate=False,
    )
    if not html:
        return None
    body = lxml.html.document_fromstring(html).find("body")
    return body if body is not None and count_words(" ".join(body.itertext())) >= _SHORTEST else None


def _by_selector(path: Path, document: etree._Element, selector: str, problems: Problems) -> Body | None:
    from cssselect import SelectorError

    shown = selector if len(selector) <= 80 else selector[:79] + "…"
    try:
        found = _outermost(document.cssselect(selector))
    except SelectorError as exc:
        problems.error(path, None, f"--selector {shown!r} is not a CSS selector: {exc}")
        return None
    except (RecursionError, etree.XPathError):
        problems.error(path, None, f"--selector {shown!r} is too complex: give a simpler one")
        return None
    if not found:
        problems.error(path, None, f"--selector {shown!r} matches nothing in the page")
        return None
    if len(found) == 1:
        return Body(found[0], selector)
    joined = etree.Element("div")
    for element in found:  # several blocks chosen by hand: all of them, in the page's order
        joined.append(element)
    return Body(joined, selector)


def choose_body(
    path: Path, document: etree._Element, raw: str, url: str | None, problems: Problems, selector: str | None = None
) -> Body | None:
    """The article's body: ``--selector``'s, a platform rule's, or the extractor's, warning when text is left out.

    A rule's block is kept unless the extractor finds clearly more text around the same words
    (the body split across blocks the rule does not cover); then the extractor's text is
    imported and the warning says so, with both figures.
    """
    if selector:
        return _by_selector(path, document, selector, problems)
    ruled = _by_rules(path, document, problems)
    extracted = extract_main(raw, url)
    if ruled is None:
        if extracted is None:
            problems.error(path, None, f"no article text found (looked for {LOOKED_FOR})")
            return None
        return Body(extracted, "the page's main content (found by trafilatura)")
    if extracted is not None:
        rule_words = words(" ".join(ruled.element.itertext()))
        found_words = words(" ".join(extracted.itertext()))
        rule_total, found_total = sum(rule_words.values()), sum(found_words.values())
        shared = sum((rule_words & found_words).values())
        if rule_total < _ENOUGH * found_total and shared >= 0.8 * rule_total:
            problems.warning(
                path,
                None,
                f"{ruled.name} holds {rule_total} words, the page's main text {found_total}: imported the "
                "main text (found by trafilatura); use --selector CSS to choose the block by hand",
            )
            return Body(extracted, "the page's main content (found by trafilatura)")
    return ruled
