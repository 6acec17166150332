"""The practice's own look: its accent colour and type (``theme``), and its logo (``practice.logo``).

- A colour is ``#rgb``, ``#rrggbb`` or ``rgb(r, g, b)``; an accent must reach 4.5:1 against the white page
  (WCAG 2.2, success criterion 1.4.3, contrast minimum for text: AA). Large print takes a darker shade
  of it automatically, one that reaches 7:1 (1.4.6, enhanced: AAA), as DESIGN.md asks for near-black there.
- The logo is an image inside the manuscript, checked as any image is (``publish.render.resolve_image``:
  confined to the manuscript folder, type from the bytes, an SVG rebuilt from an allow-list); a logo whose
  SVG held active content or an outside reference is refused, not cleaned (a practice's own logo should
  not need cleaning: the file to fix is the author's).
- Nothing here changes a book whose ``book.yaml`` has no ``theme`` and no ``practice.logo``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publish.colours import darker_shade, hex_colour, parse_colour
from publish.i18n import logo_alt

if TYPE_CHECKING:
    from publish.manuscript import BookMeta, Theme
    from publish.render import ImageRef

DEFAULT_ACCENT = "#1f4e5a"  # the design's deep calm teal (DESIGN.md), the styles' own colour
FONT_FAMILIES = {"serif": '"Source Serif Pro", serif', "sans": '"Source Sans Pro", sans-serif'}


def accent(theme: Theme, large_print: bool = False) -> str:
    """The accent as ``#rrggbb`` for the page: the theme's, darker in large print."""
    colour = parse_colour(theme.accent or DEFAULT_ACCENT) or (31, 78, 90)
    return hex_colour(darker_shade(colour) if large_print else colour)


def is_branded(meta: BookMeta) -> bool:
    """Whether ``book.yaml`` sets a theme or a logo (otherwise every output is as without this module)."""
    theme = meta.theme
    return bool(theme.accent or theme.heading_font or theme.body_font or meta.practice.logo)


# The styles' rules that set the design's accent (print.css, handout.css): the theme recolours them.
_ACCENT_TEXT = (
    "h2, h3, h4, h5, h6, .titlepage h1.book-title, nav.toc h1, h1.piece-title, section.continue-reading h1, "
    "ul.further .title, header.letterhead, h1.handout-title, aside.read-online .caption, "
    "html.handout.large-print header.letterhead, html.handout.large-print h1.handout-title, "
    "html.handout.large-print aside.read-online .caption"
)
_ACCENT_RULES = (
    ".titlepage hr.ornament, header.letterhead, html.handout.large-print header.letterhead, "
    "aside.crisis, div.write-in hr"
)
_HEADINGS = (
    "h1, h2, h3, h4, h5, h6, .titlepage h1.book-title, nav.toc h1, h1.piece-title, "
    "section.continue-reading h1, h1.handout-title, ul.further .title"
)


def theme_css(theme: Theme, large_print: bool = False) -> str:
    """Print CSS over the built-in styles: the accent on headings, rules and the letterhead; the faces chosen."""
    rules = []
    if theme.accent:
        colour = accent(theme, large_print)
        rules.append(f"{_ACCENT_TEXT} {{ color: {colour}; }}")
        rules.append(f"{_ACCENT_RULES} {{ border-color: {colour}; }}")
    if theme.body_font and not large_print:  # large print is set in sans serif whatever the theme (DESIGN.md)
        rules.append(f"body {{ font-family: {FONT_FAMILIES[theme.body_font]}; }}")
    if theme.heading_font:
        rules.append(f"{_HEADINGS} {{ font-family: {FONT_FAMILIES[theme.heading_font]}; }}")
    return "\n".join(rules)


def epub_theme_css(theme: Theme) -> str:
    """EPUB CSS over epub.css: the accent on headings only (readers choose the rest); nothing in dark mode."""
    rules = []
    if theme.accent:
        # Night modes invert or override text colours; under a dark scheme the heading keeps the reader's colour.
        rules.append(f"h1, h2, h3 {{ color: {accent(theme)}; }}")
        rules.append("@media (prefers-color-scheme: dark) { h1, h2, h3 { color: inherit; } }")
    if theme.heading_font:
        family = "serif" if theme.heading_font == "serif" else "sans-serif"
        rules.append(f"h1, h2, h3, h4, h5, h6 {{ font-family: {family}; }}")
    if theme.body_font:
        family = "serif" if theme.body_font == "serif" else "sans-serif"
        rules.append(f"body {{ font-family: {family}; }}")
    return "\n".join(rules)


def _crisis_css(colour: str) -> str:
    return (
        f"aside.crisis {{ border: 1.5pt solid {colour}; padding: 0.6em 0.8em; margin: 1.2em 0; "
        'font: 600 10.5pt/1.4 "Source Sans Pro", sans-serif; text-align: left; hyphens: none; }\n'
        "aside.crisis p { text-indent: 0; margin: 0; }\n"
        "html.large-print aside.crisis { font-size: 18pt; border: 2pt solid #000; }"
    )


def book_css(meta: BookMeta, large_print: bool = False) -> str:
    """Print CSS for the book's branding: the theme, the logo on the title page, the crisis box on "About the
    practice"; "" for a book without any."""
    rules = [theme_css(meta.theme, large_print)] if is_branded(meta) else []
    if meta.practice.logo:
        rules.append(
            ".titlepage img.logo { display: block; height: 0.9in; width: auto; max-width: 2.4in; margin: -1.2in auto 0.5in; }"
        )
    if meta.handout.crisis:
        rules.append(_crisis_css(accent(meta.theme, large_print) if meta.theme.accent else "#1f4e5a"))
    return "\n".join(rule for rule in rules if rule)


def epub_css(meta: BookMeta) -> str:
    """EPUB CSS for the book's branding (relative units only; the reader's colours win in dark mode)."""
    rules = [epub_theme_css(meta.theme)]
    if meta.practice.logo:
        rules.append(
            ".titlepage img.logo { display: block; height: 5em; width: auto; max-width: 60%; margin: 0 auto 2em; }"
        )
    if meta.handout.crisis:
        rules.append("aside.crisis { border: 2px solid; padding: 0.5em 0.8em; margin: 1.2em 0; font-weight: bold; }")
    return "\n".join(rule for rule in rules if rule)


def logo_html(logo: ImageRef | None, meta: BookMeta, source: str, closed: bool = False) -> str:
    """The logo as an ``img`` (``source``: where the document reads it; ``closed`` for XHTML), or ""."""
    if logo is None:
        return ""
    from html import escape

    end = "/>" if closed else ">"
    return f'<img class="logo" src="{escape(source)}" alt="{escape(logo_alt(meta))}"{end}'


def crisis_box(meta: BookMeta) -> str:
    """The crisis line as a box for "About the practice", or ""."""
    from html import escape

    crisis = meta.handout.crisis
    return f'<aside class="crisis" role="note"><p>{escape(crisis)}</p></aside>' if crisis else ""
