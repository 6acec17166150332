"""The book's stylesheets for print: fonts, page size and margins, the options' rules, the outline's depth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publish.brand import book_css
from publish.pdf.paper import PdfOptions, bleed_points, paper_of
from publish.resources import book_fonts, read_style

if TYPE_CHECKING:
    from publish.manuscript import BookMeta


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that nothing in it can end (CSS Syntax 3, 4.3.5 and 2.3).

    Quotes and backslashes are escaped, and so is every control character: a line feed, a carriage
    return or a form feed would otherwise end the string and let the rest be read as rules (an
    ``@import`` of a file elsewhere). A line break is written ``\\A`` (the ``white-space`` of the
    element decides whether it breaks the line).
    """
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or 0x7F <= ord(character) <= 0x9F:
            escaped.append(f"\\{ord(character):X} ")
        else:
            escaped.append(character)
    return f'"{"".join(escaped)}"'


def font_faces() -> str:
    """``@font-face`` rules for the book's OFL fonts, so WeasyPrint embeds exactly these."""
    return "".join(
        f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; font-style: {f.style}; '
        f'src: url("{f.path.as_uri()}"); }}\n'
        for f in book_fonts()
    )


def page_css(options: PdfOptions) -> str:
    """The page size and margins for the chosen paper, bleed and marks (before print.css, which may override)."""
    paper = paper_of(options)
    rules = [
        f"@page {{ size: {paper.size}; margin: {paper.top} {paper.outer} {paper.bottom} {paper.inner}; }}",
        f"@page :left {{ margin-left: {paper.outer}; margin-right: {paper.inner}; }}",
        f"@page :right {{ margin-left: {paper.inner}; margin-right: {paper.outer}; }}",
    ]
    return "\n".join(rules)


def finishing_css(options: PdfOptions) -> str:
    """Rules the command's options impose over every stylesheet: bleed, crop marks, duplex breaks."""
    rules = []
    bleed = bleed_points(options)
    if bleed is not None:
        # WeasyPrint draws crop marks inside the CSS bleed area, half its width long; three
        # times the bleed keeps them clear of the printed bleed. The PDF's BleedBox is set
        # to the real bleed afterwards (_finish_pdf).
        area = 3 * bleed if options.crop_marks else bleed
        rules.append(f"@page {{ bleed: {area:.3f}pt; }}")
    if options.crop_marks:
        rules.append("@page { marks: crop cross; }")
    if options.duplex or options.booklet:
        # Each piece opens on a right-hand page; WeasyPrint leaves the verso before it blank.
        rules.append("nav.toc, section.piece, section.continue-reading { break-before: right; }")
    return "\n".join(rules)


def book_styles(options: PdfOptions, meta: BookMeta | None = None) -> list[str]:
    """The stylesheets of the book, in cascade order (``meta``: the book's, for its branding)."""
    styles = [font_faces(), page_css(options), read_style("print.css", options.styles)]
    if options.large_print:
        styles.append(read_style("large-print.css", options.styles))
    if meta is not None and (brand := book_css(meta, options.large_print)):
        styles.append(brand)
    styles.append(finishing_css(options))
    styles.append(outline_css(options.toc_depth))
    return styles


def outline_css(depth: int) -> str:
    """Leave the headings below the contents' ``depth`` out of the PDF outline (bookmarks), as out of the contents."""
    levels = [f"section.piece h{level} {{ bookmark-level: none; }}" for level in (2, 3) if level > depth]
    return "\n".join(levels)
