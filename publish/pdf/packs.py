"""Several handouts in one PDF (a pack), and a handout made to fit on a number of pages (``--fit``).

- A pack is one document: an optional first page listing what is inside (``--pack-cover``), then each
  article from a new page (a right-hand one with ``--duplex``). Each article has its own "page X of Y": the
  pack is typeset once to learn where each article starts and ends, then again with each page's footer
  written out (the layout of the text does not change between the two).
- ``--fit N`` steps the body size and leading down from the handout's own (12 pt on 1.5; 18 pt on 1.5 in
  large print), tightening the letterhead, never below 10 pt (16 pt in large print), and keeps the largest
  setting on which every article takes at most N pages. If even the smallest does not do, the error says
  how many pages it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.i18n import piece_words
from publish.output import atomic_output
from publish.pdf.css import css_string
from publish.pdf.engine import report_warnings
from publish.pdf.finishing import typeset
from publish.pdf.handout_parts import PLAIN, HandoutChoices
from publish.pdf.handouts import find_piece, footer_content, handout_html, handout_styles, strip_handout_metadata
from publish.pdf.paper import DEFAULT_OPTIONS, PdfOptions, bleed_points
from publish.render import RenderedBook, RenderedPiece

# (body size in points, leading, tight letterhead), largest first: the steps --fit tries.
FIT_STEPS = (
    (12.0, 1.5, False), (12.0, 1.5, True), (11.5, 1.45, True), (11.0, 1.42, True), (10.5, 1.4, True),
    (10.0, 1.36, True),
)  # fmt: skip
LARGE_PRINT_FIT_STEPS = (
    (18.0, 1.5, False), (18.0, 1.5, True), (17.5, 1.45, True), (17.0, 1.42, True), (16.5, 1.4, True),
    (16.0, 1.36, True),
)  # fmt: skip
PACK_COVER_ID = "in-this-pack"


@dataclass(frozen=True)
class HandoutResult:
    """A handout or pack written: where, how many pages each article took, and the size ``--fit`` chose."""

    path: Path
    pages: tuple[int, ...]  # pages of each article, in order
    total: int  # pages in the file, cover and blank versos included
    size: float | None = None
    leading: float | None = None


@dataclass(frozen=True)
class _Layout:
    """Where each article starts and ends in a typeset pack (page indexes from 0), and the pages in all."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    total: int

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(end - start + 1 for start, end in zip(self.starts, self.ends, strict=True))


def pack_cover_html(rendered: RenderedBook, pieces: list[RenderedPiece], lang: str) -> str:
    """The first page of a pack: "In this pack" and the articles' titles, linked to where each starts."""
    meta = rendered.book.meta
    name = meta.practice_name
    items = "".join(
        f'<li><a href="#{escape(piece.slug)}"><span class="toc-title">{escape(piece.title)}</span></a></li>'
        for piece in pieces
    )  # fmt: skip
    words = piece_words(meta, lang)
    intro = words("pack_intro", count=len(pieces), name=name)
    return (
        f'<section class="pack-cover" id="{PACK_COVER_ID}"><h1>{escape(words("in_this_pack"))}</h1>'
        f'<p class="intro">{escape(intro)}</p><ol class="pack-contents">{"".join(items)}</ol></section>'
    )


def _pack_css(options: PdfOptions) -> str:
    """Each article from a new page (right-hand with duplex); the cover alone on its page; no footer on blanks."""
    side = "right" if options.duplex else "page"
    return (
        f"article.handout {{ break-before: {side}; }}\n"
        "section.pack-cover h1 { font: 600 22pt/1.2 'Source Sans Pro', sans-serif; color: #1f4e5a; "
        "bookmark-level: none; margin: 0.4in 0 0.3in; }\n"
        "section.pack-cover ol { font-size: 13pt; line-height: 1.5; padding-left: 1.4em; }\n"
        "@page :blank { @top-center { content: none; } @bottom-center { content: none; } }\n"
    )


def _page_footers(rendered: RenderedBook, layout: _Layout, lang: str) -> str:
    """Each page's footer written out: page X of Y of its own article; nothing on the cover and blank pages."""
    rules = []
    for start, end in zip(layout.starts, layout.ends, strict=True):
        count = end - start + 1
        for index in range(start, end + 1):
            content = footer_content(rendered, lang, css_string(str(index - start + 1)), css_string(str(count)))
            rules.append(f"@page :nth({index + 1}) {{ @bottom-center {{ content: {content}; }} }}")
    inside = {i for start, end in zip(layout.starts, layout.ends, strict=True) for i in range(start, end + 1)}
    rules += [
        f"@page :nth({i + 1}) {{ @bottom-center {{ content: none; }} }}" for i in range(layout.total) if i not in inside
    ]
    return "\n".join(rules)


def _typeset(
    rendered: RenderedBook,
    pieces: list[RenderedPiece],
    options: PdfOptions,
    choices: HandoutChoices,
    cover: bool,
    footers: _Layout | None,
) -> tuple[bytes, list[str], _Layout]:
    """Typeset the articles as one document; return it, WeasyPrint's warnings and where each article is."""
    first, rest = pieces[0], tuple(pieces[1:])
    lang = first.lang
    cover_html = pack_cover_html(rendered, pieces, lang) if cover else ""
    document = handout_html(rendered, first, options, choices, cover_html, rest)
    styles = handout_styles(rendered, options, choices, lang)
    if cover or rest:
        styles.insert(-1, _pack_css(options))
    if footers is not None:
        styles.insert(-1, _page_footers(rendered, footers, lang))
    found: dict[str, Any] = {}

    def amend(document: Any, pdf: Any) -> None:
        strip_handout_metadata(document, pdf)
        pages = [set(page.anchors) for page in document.pages]
        found["layout"] = _Layout(
            tuple(next(i for i, a in enumerate(pages) if piece.slug in a) for piece in pieces),
            tuple(next(i for i, a in enumerate(pages) if f"{piece.slug}--end" in a) for piece in pieces),
            len(pages),
        )

    allowed = [options.styles] if options.styles else []
    pdf, warnings = typeset(document, styles, rendered.book.root, allowed, bleed_points(options), amend=amend)
    return pdf, warnings, found["layout"]


def typeset_handouts(
    rendered: RenderedBook,
    pieces: list[RenderedPiece],
    options: PdfOptions = DEFAULT_OPTIONS,
    choices: HandoutChoices = PLAIN,
    cover: bool = False,
) -> tuple[bytes, list[str], _Layout]:
    """One handout, or a pack of several (each with its own page X of Y), as PDF bytes."""
    pdf, warnings, layout = _typeset(rendered, pieces, options, choices, cover, None)
    if len(pieces) > 1 or cover:
        pdf, warnings, again = _typeset(rendered, pieces, options, choices, cover, layout)
        if again != layout:  # the footers changed the pages (they should not): number them again
            pdf, warnings, layout = _typeset(rendered, pieces, options, choices, cover, again)
    return pdf, warnings, layout


def fit_handouts(
    rendered: RenderedBook,
    pieces: list[RenderedPiece],
    pages: int,
    options: PdfOptions = DEFAULT_OPTIONS,
    choices: HandoutChoices = PLAIN,
    cover: bool = False,
) -> tuple[bytes, list[str], _Layout, HandoutChoices]:
    """The handouts at the largest step of ``FIT_STEPS`` on which each article takes at most ``pages`` pages."""
    steps = LARGE_PRINT_FIT_STEPS if options.large_print else FIT_STEPS

    def attempt(step: tuple[float, float, bool]) -> tuple[bytes, list[str], _Layout, HandoutChoices]:
        size, leading, tight = step
        chosen = replace(choices, size=size, leading=leading, tight=tight)
        pdf, warnings, layout = _typeset(rendered, pieces, options, chosen, cover, None)
        return pdf, warnings, layout, chosen

    # The smallest first: when even it does not do, that is said after one typesetting, not six.
    smallest = attempt(steps[-1])
    if max(smallest[2].pages) > pages:
        size, leading, _ = steps[-1]
        longest = max(smallest[2].pages)
        raise PublishError(
            f"the handout does not fit on {_pages(pages)}: at the smallest setting ({size:g} pt on {leading:g}) "
            f"it needs {_pages(longest)}; give --fit {longest} or more"
        )
    for step in steps[:-1]:
        result = attempt(step)
        if max(result[2].pages) <= pages:
            break
    else:
        result = smallest
    pdf, warnings, layout, chosen = result
    if len(pieces) > 1 or cover:
        pdf, warnings, layout = typeset_handouts(rendered, pieces, options, chosen, cover)
    return pdf, warnings, layout, chosen


def _pages(count: int) -> str:
    return "1 page" if count == 1 else f"{count} pages"  # in a command-line message, which stays English


def write_handouts(
    rendered: RenderedBook,
    references: list[str],
    target: Path | None = None,
    options: PdfOptions = DEFAULT_OPTIONS,
    choices: HandoutChoices = PLAIN,
    cover: bool = False,
    fit: int | None = None,
) -> HandoutResult:
    """Write one handout or a pack of several (pieces by file name or slug), fitted with ``fit``; by default
    to dist/handouts/<slug>.pdf (a pack: dist/handouts/<first slug>-pack.pdf)."""
    pieces = [find_piece(rendered, reference) for reference in references]
    slugs = [piece.slug for piece in pieces]
    if len(set(slugs)) < len(slugs):
        twice = next(slug for slug in slugs if slugs.count(slug) > 1)
        raise PublishError(f"{twice} is named twice: a pack holds each article once")
    single = len(pieces) == 1 and not cover
    target = target or Path("dist") / "handouts" / (f"{slugs[0]}.pdf" if single else f"{slugs[0]}-pack.pdf")
    if fit is not None:
        pdf, warnings, layout, choices = fit_handouts(rendered, pieces, fit, options, choices, cover)
    else:
        pdf, warnings, layout = typeset_handouts(rendered, pieces, options, choices, cover)
    report_warnings(warnings, options.strict, "handout " + ", ".join(slugs))
    with atomic_output(target) as temporary:
        temporary.write_bytes(pdf)
    return HandoutResult(target, layout.pages, layout.total, choices.size, choices.leading)
