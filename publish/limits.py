"""Depth and size limits, and the characters a book cannot hold, checked before anything can fail on them.

Python-Markdown, PyYAML's composer and WeasyPrint's layout all recurse once per level of nesting, and
fail with a RecursionError (or run out of memory first) on input that nests a few hundred levels deep.
``scan_markdown`` reads a piece's Markdown line by line, cheaply, before Python-Markdown sees it, and
refuses what goes past these limits with the file and the line; ``check_tree_depth`` guards the PDF,
whose typesetter gives up on a shallower tree than the EPUB's writers. Each limit is far above what a
real article uses, and far below where a library fails (measured on Python-Markdown 3.11, WeasyPrint 70):

======================  =========  =================  ==============================================
what                    limit      real articles use  where it failed (measured)
======================  =========  =================  ==============================================
piece size (characters) 500,000    5,000-60,000       5,000,000: the PDF ran past 2 minutes (about
                                                      0.5 ms a word); a long novel is ~500,000
line length             100,000    under 5,000        (a paragraph is one line)
list nesting            20         4                  250 (Python-Markdown); 2,000 took 3.4 GB first
block quote nesting     20         3                  250 in the PDF (WeasyPrint)
``:::`` block nesting   20         2                  500 (Python-Markdown)
raw HTML nesting        40         10                 150 ``div`` in the PDF (WeasyPrint)
``*``/``_`` in a row    100        3                  5,000 (Python-Markdown's toc extension)
rendered tree (PDF)     100        15                 150 ``div`` or 70 lists (WeasyPrint)
======================  =========  =================  ==============================================

The module imports nothing heavy: the command line uses it before it reads the manuscript.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from publish.errors import PublishError

MAX_PIECE_CHARACTERS = 500_000
MAX_LINE_CHARACTERS = 100_000
MAX_LIST_DEPTH = 20
MAX_QUOTE_DEPTH = 20
MAX_FENCE_DEPTH = 20
MAX_HTML_DEPTH = 40
MAX_EMPHASIS_RUN = 100
MAX_TREE_DEPTH = 100
# book.yaml needs three levels (the file's mapping, ``series``, its ``name``); front matter two.
MAX_YAML_DEPTH = 10

# --- characters a book cannot hold ---------------------------------------------------------------------

# What XML 1.0 (section 2.2, Char) and HTML (13.1.4, "Text") allow nowhere: controls other than tab, line
# feed and carriage return (C0, DEL and C1), noncharacters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF), and
# surrogates, which only a YAML escape such as "\ud800" can produce in text read from UTF-8.
_FORBIDDEN_BMP = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
_FORBIDDEN_ASTRAL = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
# re tests a class's characters above U+FFFF one by one: text without any such character (most text)
# is searched with the short class, an order of magnitude faster.
_FORBIDDEN_IN_BMP = re.compile(f"[{_FORBIDDEN_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@cache
def _forbidden_anywhere() -> re.Pattern[str]:
    # Compiled when first needed (text beyond the Basic Multilingual Plane is rare), not at every start:
    # the class's ranges and its 32 characters in other planes take re a third of a millisecond.
    return re.compile(f"[{_FORBIDDEN_BMP}{_FORBIDDEN_ASTRAL}]")


def is_forbidden(code: int) -> bool:
    """True for a code point that XML does not allow in a document (or that is no character at all)."""
    return code > 0x10FFFF or bool(_forbidden_anywhere().match(chr(code)))


def describe_character(code: int) -> str:
    """``U+0001 (a control character)``: a forbidden code point named for an author."""
    if code > 0x10FFFF:
        kind = "beyond Unicode"
    elif 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif code < 0x20 or 0x7F <= code <= 0x9F:
        kind = "a control character"
    else:
        kind = "a noncharacter"
    return f"U+{code:04X} ({kind})"


def first_forbidden(text: str) -> int | None:
    """The first code point in ``text`` that a book cannot hold, if any."""
    pattern = _forbidden_anywhere() if _ASTRAL.search(text) else _FORBIDDEN_IN_BMP
    match = pattern.search(text)
    return ord(match.group()) if match else None


# --- showing user text in messages -------------------------------------------------------------------------


def shown(value: object, limit: int = 60) -> str:
    """A user's value as a message quotes it (``repr``), cut to ``limit`` characters."""
    text = repr(value) if not isinstance(value, str) or len(value) <= limit * 4 else repr(value[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- SOURCE_DATE_EPOCH ------------------------------------------------------------------------------------

# 2107-12-31 23:59:59 UTC: the last second an EPUB's ZIP entries can be dated (ZIP's year is 1980 + 7 bits).
MAX_SOURCE_DATE_EPOCH = 4_354_819_199


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds, or None when it is unset or empty; a malformed value is an error.

    The reproducible-builds specification asks a build to fail on a malformed value rather than ignore it.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or not value.isascii():
        raise PublishError(
            f"SOURCE_DATE_EPOCH={shown(raw)} is not a number of seconds since 1970-01-01 (for example 1700000000)"
        )
    if len(value) > 12 or int(value) > MAX_SOURCE_DATE_EPOCH:
        raise PublishError(
            f"SOURCE_DATE_EPOCH={shown(raw)} is too large: the latest date an EPUB can hold is 2107-12-31 "
            f"(SOURCE_DATE_EPOCH={MAX_SOURCE_DATE_EPOCH})"
        )
    return int(value)


# --- bleed ---------------------------------------------------------------------------------------------

_UNITS = {"in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pt": 1.0, "pc": 12.0, "px": 0.75}
# A print shop asks for 0.125in (3 mm), sometimes 0.25in; an inch is far more than any asks.
MAX_BLEED_POINTS = 72.0
_LENGTH = re.compile(r"^(?P<number>\d+(?:\.\d*)?|\.\d+)(?P<unit>in|cm|mm|pt|pc|px)$")


def parse_length(text: str, what: str = "length") -> float:
    """A CSS length with a unit (``0.125in``, ``3mm``, ``9pt``) in PostScript points."""
    match = _LENGTH.match(text.strip().lower())
    if match is None:
        raise PublishError(f"{what} {shown(text)} is not a length: give a number and a unit, e.g. 0.125in or 3mm")
    return float(match["number"]) * _UNITS[match["unit"]]


def parse_bleed(text: str) -> float:
    """A bleed (``--bleed``) in points: a length of at most an inch."""
    points = parse_length(text, "bleed")
    if points > MAX_BLEED_POINTS:
        raise PublishError(f"bleed {shown(text)} is more than 1in: a print shop asks for 0.125in (3mm) or so")
    return points


# --- Markdown ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing ``scan_markdown`` found: a line of the body (counted from 0) and what is wrong there."""

    line: int
    message: str
    fatal: bool


_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$)")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_CODE_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# The fences of publish.markdown_ext.FencedDivPreprocessor (not imported: that would load Python-Markdown).
_DIV_OPEN = re.compile(r"^:{3,}\s*\{?\s*\.?[A-Za-z][\w-]*\s*\}?\s*$")
_DIV_CLOSE = re.compile(r"^:{3,}\s*$")
_EMPHASIS_RUN = re.compile(rf"\*{{{MAX_EMPHASIS_RUN + 1},}}|_{{{MAX_EMPHASIS_RUN + 1},}}")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
# A tag's name ends at white space, "/" or ">": <https://...> and <me@example.com> are links, not tags.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])[^<>]*?(/?)>")
NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9A-Fa-f]{1,8})|([0-9]{1,10}));")
# Elements that never hold content, or whose end tag HTML lets an author leave out (a paragraph ends at
# the next block): neither nests deeper when left open.
_NOT_NESTING = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb", "rt", "rp",
}  # fmt: skip
# Elements whose content a book cannot show: only their text is kept (publish.sanitize.keep_fallback_text).
FALLBACK_ELEMENTS = {
    "math": "MathML cannot be shown in the book: its text is kept",
    "svg": "an inline SVG drawing cannot be shown in the book: its text is kept",
    "video": "a video cannot play in the book: its fallback text is kept",
    "audio": "a recording cannot play in the book: its fallback text is kept",
    "form": "a form cannot be filled in a book: its labels are kept, its fields left out",
}


def _block_prefix_depths(line: str) -> tuple[int, int]:
    """How deep a line's prefix nests lists and block quotes: (lists, quotes).

    Each ``>`` is a quote and each list marker a list ("- - x" is a list in a list), and every four
    columns of indentation besides the markers' own spaces a list level (Python-Markdown's tab length),
    so this never counts fewer levels than Python-Markdown makes.
    """
    lists = quotes = columns = 0
    position, length = 0, len(line)
    while position < length:
        character = line[position]
        if character == " ":
            columns += 1
        elif character == "\t":
            columns += 4 - columns % 4
        elif character == ">":
            quotes += 1
            position += 1 + line.startswith(" ", position + 1)  # the space after '>' belongs to it
            continue
        else:
            marker = _LIST_MARKER.match(line, position)
            if marker is None:
                break
            lists += 1
            position = marker.end()
            while position < min(length, marker.end() + 4) and line[position] == " ":
                position += 1  # so does the space after a list marker
            continue
        position += 1
    return lists + columns // 4, quotes


def _html_depth(line: str, depth: int, open_tags: list[str]) -> int:
    """Follow a line's raw HTML tags on the stack of open ones; return the deepest the stack got."""
    deepest = depth
    for match in _TAG.finditer(line):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _NOT_NESTING or self_closing:
            continue
        if closing:
            if name in open_tags:
                # A stray end tag closes nothing; one that matches closes whatever was left open inside it.
                del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]
        else:
            open_tags.append(name)
            deepest = max(deepest, len(open_tags))
    return deepest


def forbidden_reference(match: re.Match[str]) -> int | None:
    """The code point a ``NUMERIC_REFERENCE`` match refers to, when a book cannot hold it; else None.

    HTML reads ``&#128;``-``&#159;`` as the Windows-1252 characters (``&#150;`` is an en dash): those are fine.
    """
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return code if is_forbidden(code) and not 0x80 <= code <= 0x9F else None


def _forbidden_references(line: str) -> Iterator[tuple[str, int]]:
    """Numeric character references (``&#65535;``) outside code spans to code points a book cannot hold."""
    text = _CODE_SPAN.sub("", line) if "`" in line else line
    for match in NUMERIC_REFERENCE.finditer(text):
        if (code := forbidden_reference(match)) is not None:
            yield match.group(), code


def scan_markdown(body: str) -> list[Finding]:
    """Check a piece's Markdown against the limits above, and for characters a book cannot hold.

    Fatal findings (past a limit) stop the piece; the others are characters that are left out, with a
    warning. One pass over the lines, each looked at a few times: a fraction of Python-Markdown's time.
    """
    findings: list[Finding] = []
    if len(body) > MAX_PIECE_CHARACTERS:
        return [
            Finding(
                0,
                f"the piece is {len(body):,} characters long; a piece may have at most {MAX_PIECE_CHARACTERS:,} "
                "(a long novel): split it into several pieces",
                True,
            )
        ]
    reported: set[str] = set()

    def limit(number: int, kind: str, message: str) -> None:
        if kind not in reported:  # each limit once per piece: the first line that passes it
            reported.add(kind)
            findings.append(Finding(number, message, True))

    # Searched once in the whole text first: most pieces have neither, and their lines need not be searched.
    characters = first_forbidden(body) is not None
    runs = "*" * (MAX_EMPHASIS_RUN + 1) in body or "_" * (MAX_EMPHASIS_RUN + 1) in body
    fence: str | None = None
    divs = 0
    open_tags: list[str] = []
    for number, line in enumerate(body.split("\n")):
        if len(line) > MAX_LINE_CHARACTERS:
            limit(number, "line", f"the line is {len(line):,} characters long; a line may have at most "
                  f"{MAX_LINE_CHARACTERS:,}: break the paragraph into lines")  # fmt: skip
            continue
        if characters and (forbidden := first_forbidden(line)) is not None:
            findings.append(
                Finding(number, f"character {describe_character(forbidden)} left out: XML forbids it", False)
            )
        code_fence = _CODE_FENCE.match(line)
        if fence is not None:
            if code_fence and code_fence.group(1)[0] == fence[0] and len(code_fence.group(1)) >= len(fence):
                fence = None
            continue
        if code_fence:
            fence = code_fence.group(1)
            continue
        if _DIV_OPEN.match(line):
            divs += 1
            if divs > MAX_FENCE_DEPTH:
                limit(number, "fence", f"'::: ' blocks nest {divs} deep here; at most {MAX_FENCE_DEPTH} may nest")
        elif divs and _DIV_CLOSE.match(line):
            divs -= 1
        if not _THEMATIC_BREAK.match(line):
            lists, quotes = _block_prefix_depths(line)
            if lists > MAX_LIST_DEPTH:
                limit(number, "list", f"lists nest {lists} deep here; at most {MAX_LIST_DEPTH} may nest")
            if quotes > MAX_QUOTE_DEPTH:
                limit(
                    number, "quote", f"block quotes ('>') nest {quotes} deep here; at most {MAX_QUOTE_DEPTH} may nest"
                )
            if runs and (run := _EMPHASIS_RUN.search(line)) is not None:
                limit(number, "emphasis", f"{len(run.group()):,} '{run.group()[0]}' in a row; emphasis marks may "
                      f"come at most {MAX_EMPHASIS_RUN} in a row (for a rule, write '---' on a line of its own)")  # fmt: skip
        if "<" in line:
            depth = _html_depth(_CODE_SPAN.sub("", line) if "`" in line else line, len(open_tags), open_tags)
            if depth > MAX_HTML_DEPTH:
                limit(number, "html", f"raw HTML elements nest {depth} deep here; at most {MAX_HTML_DEPTH} may nest")
            lowered = line.lower()
            for name, message in FALLBACK_ELEMENTS.items():
                if f"<{name}" in lowered and re.search(rf"<{name}\b", _CODE_SPAN.sub("", lowered)):
                    findings.append(Finding(number, f"<{name}>: {message}", False))
        if "&#" in line:
            for reference, code in _forbidden_references(line):
                findings.append(
                    Finding(
                        number, f"{reference} refers to {describe_character(code)}, which XML forbids; left out", False
                    )
                )
    return findings


# --- the rendered tree --------------------------------------------------------------------------------------


def deepest_element(root: Any) -> tuple[int, Any]:
    """The depth of the deepest element under an lxml ``root`` (its children are at depth 1), and that element."""
    deepest, found = 0, root
    stack = [(child, 1) for child in root]
    while stack:
        element, depth = stack.pop()
        if depth > deepest:
            deepest, found = depth, element
        stack.extend((child, depth + 1) for child in element)
    return deepest, found
