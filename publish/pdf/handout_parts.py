"""What a handout carries besides its article: the practice's logo and address on the letterhead, the crisis
line at the foot of the first page, write-in lines, the setting ``--fit`` chose, and its PDF metadata.

Each is an HTML fragment or a stylesheet that ``publish.pdf.handouts`` puts in place; a book.yaml without
``practice.logo``, ``practice.address``, ``theme`` and ``handout.crisis`` gives the handout it always gave.
A client's name is never an input: the write-in lines are blank, to be filled in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from publish.brand import theme_css
from publish.i18n import Words, logo_alt
from publish.render import RenderedBook

# How many ruled lines the "Notes" block at the end of a handout gives.
NOTE_LINES = 4


@dataclass(frozen=True)
class HandoutChoices:
    """How a handout is set beyond PdfOptions: write-in lines, and the size ``--fit`` chose (None: the styles')."""

    write_in: bool = False
    size: float | None = None  # body size in points
    leading: float | None = None  # line height, as a multiple of the size
    tight: bool = False  # a tighter letterhead (less room under it), a step of --fit


PLAIN = HandoutChoices()  # no write-in lines, the styles' own size


def handout_head(title: str, practice: str) -> str:
    """The handout's head: WeasyPrint's PDF metadata is then the article's title and the practice's name
    (and the language, from ``<html lang>``); nothing else: no description, keywords or dates."""
    return f'<head><meta charset="utf-8"><title>{escape(title)}</title><meta name="author" content="{escape(practice)}"></head>'


def letterhead_html(rendered: RenderedBook, name: str, website: str) -> str:
    """The letterhead band: logo and name (with the address under it) left, website right."""
    practice = rendered.book.meta.practice
    if rendered.logo is None and not practice.address:
        return f'<header class="letterhead"><span class="practice">{escape(name)}</span>{website}</header>'
    from publish.pdf.html import image_source

    logo = ""
    if rendered.logo is not None:
        logo = f'<img class="logo" src="{escape(image_source(rendered.logo))}" alt="{escape(logo_alt(rendered.book.meta))}">'
    address = f'<span class="address">{escape(practice.address)}</span>' if practice.address else ""
    return (
        f'<header class="letterhead branded">{logo}<span class="practice">{escape(name)}{address}</span>'
        f"{website}</header>"
    )


def crisis_html(rendered: RenderedBook) -> str:
    """The crisis line (``handout.crisis``) as a box; placed at the start of the article, it is set at the foot of
    the article's first page (a footnote without a number), or "" without one."""
    crisis = rendered.book.meta.handout.crisis
    return f'<aside class="crisis" role="note">{escape(crisis)}</aside>' if crisis else ""


def write_in_top(words: Words) -> str:
    """ "Prepared for ______  Date ______" under the title, in the handout's language."""
    prepared, date = escape(words("prepared_for")), escape(words("write_in_date"))
    return (
        f'<p class="write-in" lang="{escape(words.language)}"><span class="label">{prepared}</span>'
        f'<span class="blank"></span><span class="label">{date}</span><span class="blank short"></span></p>'
    )


def write_in_end(words: Words) -> str:
    """A few ruled lines for notes at the end, headed "Notes" in the handout's language."""
    lines = '<div class="line"></div>' * NOTE_LINES
    return (
        f'<div class="write-in notes" lang="{escape(words.language)}"><p class="label">{escape(words("write_in_notes"))}</p>'
        f"{lines}</div>"
    )


_CRISIS_CSS = """
aside.crisis {
  float: footnote; footnote-display: block;
  counter-increment: footnote -1;  /* WeasyPrint adds 1 to the footnote counter for every footnote: the notes keep their numbers */
  font: 600 10.5pt/1.4 "Source Sans Pro", sans-serif; color: #000; text-align: left; hyphens: none;
  border: 1.5pt solid #1f4e5a; padding: 0.6em 0.8em; margin: 0.4em 0 0;
}
aside.crisis::footnote-call { content: none; }
aside.crisis::footnote-marker { content: none; }
html.large-print aside.crisis { font-size: 16pt; border-color: #000; border-width: 2pt; }
"""
_WRITE_IN_CSS = """
p.write-in { margin: 0.3em 0 1.4em; font: 10.5pt "Source Sans Pro", sans-serif; color: #333; white-space: nowrap; }
p.write-in .blank { display: inline-block; width: 3.1in; height: 1em; border-bottom: 0.6pt solid #555;
  margin: 0 0.3in 0 0.4em; vertical-align: baseline; }
p.write-in .blank.short { width: 1.3in; margin-right: 0; }
div.write-in.notes { margin: 1.6em 0 0; break-inside: avoid; }
div.write-in.notes p.label { font: 600 10.5pt "Source Sans Pro", sans-serif; color: #333; margin: 0; }
div.write-in.notes div.line { height: 0.38in; border-bottom: 0.6pt solid #8a8a8a; }
html.large-print p.write-in, html.large-print div.write-in.notes p.label { font-size: 16pt; color: #000; }
html.large-print p.write-in .blank { width: 2.6in; } html.large-print p.write-in .blank.short { width: 1.2in; }
html.large-print div.write-in.notes div.line { height: 0.5in; border-bottom-color: #000; }
"""
_LOGO_CSS = """
header.letterhead.branded { align-items: center; }
header.letterhead.branded img.logo { height: 0.42in; width: auto; max-width: 1.6in; margin-right: 0.14in; flex: none; }
header.letterhead.branded .practice { flex: 1; }
header.letterhead .address { display: block; font-weight: 400; font-size: 8pt; letter-spacing: 0.01em; color: #444; }
html.large-print header.letterhead.branded img.logo { height: 0.6in; }
html.large-print header.letterhead .address { font-size: 12pt; color: #000; }
"""


def handout_extra_css(rendered: RenderedBook, large_print: bool, choices: HandoutChoices) -> str:
    """The styles of what this module adds, the theme, and the size ``--fit`` chose; "" when none applies."""
    meta = rendered.book.meta
    rules = []
    if rendered.logo is not None or meta.practice.address:
        rules.append(_LOGO_CSS)
    if meta.handout.crisis:
        rules.append(_CRISIS_CSS)
    if choices.write_in:
        rules.append(_WRITE_IN_CSS)
    if theme := theme_css(meta.theme, large_print):
        rules.append(theme)
    if choices.size is not None:
        leading = choices.leading or 1.5
        rules.append(
            f"html.handout, html.handout.large-print {{ font-size: {choices.size:g}pt; line-height: {leading:g}; }}"
        )
    if choices.tight:
        rules.append("@page { @top-center { padding-bottom: 0.15in; } }")
        rules.append("h1.handout-title { margin-bottom: 0.1em; } p.handout-date { margin-bottom: 0.8em; }")
    return "\n".join(rules)
