"""Convert an article's HTML to Markdown: the subset a blog article uses, its text escaped so it stays text.

Headings, paragraphs, emphasis, links, lists, block quotes, images with alt text, line
breaks, code, simple tables and footnotes (a marker linked to a note elsewhere in the
article). The Markdown is read back by Python-Markdown with the extensions of
:func:`publish.render.new_markdown`, so escaping follows Python-Markdown's rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

ImageNamer = Callable[[etree._Element], str | None]

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
})  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

# Markers of the text collected for a paragraph; neither can occur in text (control characters are dropped).
_PARA = "\x00"  # a paragraph break (a blank line in content written without <p>)
_BREAK = "\x01"  # a <br>

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's white space: a no-break space is text
_BLANK_LINE = re.compile(r"\n[ \t\r\f]*\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# Python-Markdown's escapable characters that start markup anywhere in running text.
_SPECIAL = re.compile(r"([\\`*_\[\]])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;|#)")  # "&#1" without its ";" is still read as a character reference
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_ATTR_LIST = re.compile(r"\{(?=[:#.])")
# Markup that only counts at the start of a line: headings, quotes, list items, definitions, setext rules.
_LINE_START = (
    (re.compile(r"^([#>+])"), r"\\\1"),
    (re.compile(r"^-(?=\s|-|$)"), r"\\-"),
    (re.compile(r"^(\d+)\.(?=\s|$)"), r"\1\\."),
    (re.compile(r"^:"), "&#58;"),  # a definition list's ':' has no backslash escape
    (re.compile(r"^=(?=[=\s]*$)"), "&#61;"),
)
_LIST_ITEM = re.compile(r"^(?:-|\d+\.) ")

_FOOTNOTE = "data-import-footnote"
_NOTE_MARKER = re.compile(r"^\s*[\[(]?\s*(\d{1,3}|[*†‡§¶]{1,3})\s*[\])]?\s*$")
_BACKLINK = re.compile(r"^\s*(?:[↩↑⤴^]+\s*\ufe0e?|back|return)\s*$", re.IGNORECASE)
_NOTE_BLOCKS = frozenset({"p", "li", "aside", "div", "section", "blockquote", "dd", "footer"})


def escape_text(text: str) -> str:
    """Escape the characters that would start Markdown markup inside running text."""
    text = _SPECIAL.sub(r"\\\1", text)
    text = _ENTITY_LIKE.sub("&amp;", text)
    text = _TAG_LIKE.sub("&lt;", text)
    return _ATTR_LIST.sub(r"\\{", text)


def escape_line_start(line: str) -> str:
    """Escape what would make a line of text a heading, a quote, a list item or a rule."""
    for pattern, replacement in _LINE_START:
        line = pattern.sub(replacement, line, count=1)
    return line


def finish_paragraph(text: str) -> str:
    """Tidy collected inline text into one paragraph: single spaces, line breaks, line starts escaped."""
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(f" *{_BREAK} *", _BREAK, text)
    text = text.strip(f" \t\xa0{_BREAK}")
    if not text.strip():
        return ""
    # Python-Markdown's hard line break: two spaces at the end of a line.
    return "  \n".join(escape_line_start(line) for line in text.split(_BREAK))


def indent(text: str, prefix: str = "    ") -> str:
    """Indent every non-empty line."""
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _split_edges(text: str) -> tuple[str, str, str]:
    """Split off leading and trailing spaces and line breaks, which belong outside emphasis and links."""
    edge = f" {_BREAK}"
    core = text.strip(edge)
    if not core:
        return text, "", ""
    start = len(text) - len(text.lstrip(edge))
    return text[:start], core, text[start + len(core) :]


def take_hero(root: etree._Element) -> etree._Element | None:
    """Remove and return the article's first image when nothing but white space comes before it."""
    found = _first_image(root)
    if not isinstance(found, etree._Element):
        return None
    drop_element(found)
    return found


def _first_image(element: etree._Element) -> etree._Element | bool | None:
    """The first image before any text: the image, False once text comes first, None if neither."""
    if (element.text or "").strip():
        return False
    for child in element:
        if isinstance(child.tag, str):
            if child.tag.lower() == "img":
                return child
            found = _first_image(child)
            if found is not None:
                return found
        if (child.tail or "").strip():
            return False
    return None


def drop_element(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _is_empty(element: etree._Element) -> bool:
    return not "".join(element.itertext()).strip() and not any(True for _ in element.iter("img"))


def _extract_footnotes(root: etree._Element) -> list[etree._Element]:
    """Find notes: a short marker (``1``, ``*``, ``[2]``) linked to a block elsewhere in the article.

    Each marker link is tagged with its note's number; the notes are taken out of the text and
    returned in the order first referred to.
    """
    ids = {element.get("id"): element for element in root.iter() if isinstance(element.tag, str) and element.get("id")}
    notes: list[etree._Element] = []
    markers: dict[int, str] = {}
    for link in root.iter("a"):
        href = link.get("href") or ""
        target = ids.get(unquote(href[1:])) if href.startswith("#") else None
        if target is None:
            continue
        text = link.text_content()
        marker = _NOTE_MARKER.match(text)
        if marker is None:
            continue
        hints = " ".join((link.get("class") or "", link.get("rel") or "", link.get("role") or "")).lower()
        superscript = link.find(".//sup") is not None or any(a.tag == "sup" for a in link.iterancestors())
        if not (superscript or "note" in hints or "fn" in hints or not marker.group(1).isdigit()):
            continue
        block = target
        while block is not root and (not isinstance(block.tag, str) or block.tag.lower() not in _NOTE_BLOCKS):
            parent = block.getparent()
            if parent is None:
                break
            block = parent
        if block is root or any(ancestor is block for ancestor in link.iterancestors()):
            continue
        number = next((n for n, note in enumerate(notes, 1) if note is block), None)
        if number is None:
            notes.append(block)
            number = len(notes)
            markers[number] = marker.group(1)
        link.set(_FOOTNOTE, str(number))
    for number, note in enumerate(notes, 1):
        parent = note.getparent()
        drop_element(note)
        _tidy_note(note, markers[number])
        while parent is not None and parent is not root and _is_empty(parent):
            above = parent.getparent()
            drop_element(parent)
            parent = above
    return notes


def _tidy_note(note: etree._Element, marker: str) -> None:
    """Take the number and the back-link out of a note's text."""
    for link in list(note.iter("a")):
        if (link.get("href") or "").startswith("#") and (
            _BACKLINK.match(link.text_content()) or not link.text_content().strip()
        ):
            drop_element(link)
    node = note
    while True:
        if (node.text or "").strip():
            break
        children = [child for child in node if isinstance(child.tag, str)]
        if not children:
            return
        node = children[0]
    if node is not note and node.text_content().strip(" []().:") == marker:
        drop_element(node)  # the number in its own element: <sup>1</sup> The note...
        return
    pattern = rf"^\s*[\[(]?{re.escape(marker)}[\])]?[.:)]?\s+"
    node.text = re.sub(pattern, "", node.text or "", count=1)


class MarkdownWriter:
    """Converts one article's HTML to Markdown."""

    def __init__(
        self,
        images: ImageNamer,
        base_url: str | None = None,
        paragraphs_from_blank_lines: bool = False,
        unresolved: list[str] | None = None,
    ):
        self.images = images
        self.base_url = base_url
        # Relative links with no address to resolve them against: kept as text, listed here.
        self.unresolved = unresolved if unresolved is not None else []
        # WordPress stores posts without <p>: a blank line separates paragraphs.
        self.blank_lines = paragraphs_from_blank_lines
        self.heading_shift = 0
        self.open: set[str] = set()
        self.in_heading = False

    def convert(self, root: etree._Element) -> str:
        """The Markdown of ``root``'s content, its notes as Markdown footnotes at the end."""
        notes = _extract_footnotes(root)
        levels = [int(element.tag[1]) for element in root.iter(*_HEADINGS)]
        # The piece's title is its only level-1 heading: the article's top heading level becomes ##.
        self.heading_shift = 2 - min(levels) if levels else 0
        blocks = self.blocks(root)
        for number, note in enumerate(notes, 1):
            note_blocks = self.blocks(note)
            if not note_blocks:
                note_blocks = ["(note)"]
            first, *rest = note_blocks
            text = f"[^{number}]: {indent(first)[4:]}"
            text += "".join("\n\n" + indent(block) for block in rest)
            blocks.append(text)
        return "\n\n".join(blocks)

    # --- blocks ---------------------------------------------------------------

    def blocks(self, element: etree._Element) -> list[str]:
        """The Markdown blocks of an element's content."""
        out: list[str] = []
        run: list[str] = []

        def flush() -> None:
            # Two line breaks in a row (Blogger's <br><br>) end a paragraph.
            for paragraph in re.sub(f"{_BREAK} *{_BREAK}[ {_BREAK}]*", _PARA, "".join(run)).split(_PARA):
                if finished := finish_paragraph(paragraph):
                    out.append(finished)
            run.clear()

        run.append(self._text(element.text, self.blank_lines))
        for child in element:
            if isinstance(child.tag, str):
                tag = child.tag.lower()
                if tag in BLOCK_TAGS:
                    flush()
                    out.extend(self._block(child, tag))
                else:
                    run.append(self._inline(child))
            run.append(self._text(child.tail, self.blank_lines))
        flush()
        return out

    def _block(self, element: etree._Element, tag: str) -> list[str]:
        if tag in _HEADINGS:
            return self._heading(element, int(tag[1]))
        if tag in ("ul", "ol"):
            return self._list(element, tag == "ol")
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(element))
            return ["\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))] if inner else []
        if tag == "pre":
            return self._code_block(element)
        if tag == "hr":
            return ["---"]
        if tag == "table":
            return self._table(element)
        if tag == "dl":
            return self._definitions(element)
        return self.blocks(element)

    def _definitions(self, element: etree._Element) -> list[str]:
        """A definition list (Python-Markdown's def_list): the term, then each definition after ':   '."""
        entries: list[str] = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag.lower()
            text = " ".join(block.replace("  \n", " ").replace("\n", " ") for block in self.blocks(child))
            if not text:
                continue
            if tag == "dt" or not entries:
                entries.append(text)  # a definition without a term stays a paragraph
            else:
                entries[-1] += f"\n:   {text}"
        return ["\n\n".join(entries)] if entries else []

    def _heading(self, element: etree._Element, level: int) -> list[str]:
        self.in_heading = True
        try:
            text = self._children(element)
        finally:
            self.in_heading = False
        text = " ".join(text.replace(_BREAK, " ").split())
        if not text:
            return []
        text = re.sub(r"(#+)$", r"\\\1", text)  # a closing '#' would be read as the end of the heading
        return ["#" * max(2, min(6, level + self.heading_shift)) + " " + text]

    def _list(self, element: etree._Element, ordered: bool) -> list[str]:
        try:
            start = int(element.get("start") or 1) if ordered else 1
        except ValueError:
            start = 1
        items: list[str] = []
        loose = False
        number = start
        for child in element:
            if not isinstance(child.tag, str):
                continue
            blocks = self.blocks(child)
            if not blocks:
                continue
            marker = f"{number}." if ordered else "-"
            number += 1
            first, *rest = blocks
            text = f"{marker} {indent(first)[4:]}"
            for block in rest:
                if _LIST_ITEM.match(block):
                    text += "\n" + indent(block)
                else:
                    loose = True
                    text += "\n\n" + indent(block)
            items.append(text)
        return [("\n\n" if loose else "\n").join(items)] if items else []

    def _code_block(self, element: etree._Element) -> list[str]:
        code = element.text_content().strip("\n")
        if not code.strip():
            return []
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return [f"{fence}\n{code}\n{fence}"]

    def _table(self, element: etree._Element) -> list[str]:
        caption = element.find("caption")
        before = self.blocks(caption) if caption is not None else []
        rows: list[list[str]] = []
        for row in element.iter("tr"):
            cells: list[str] = []
            for cell in row:
                if isinstance(cell.tag, str) and cell.tag.lower() in ("td", "th"):
                    text = " ".join(block.replace("  \n", " ").replace("\n", " ") for block in self.blocks(cell))
                    cells.append(text.replace("|", "\\|"))
            if any(cells):  # a row of empty cells (a header left blank) says nothing
                rows.append(cells)
        if not rows:
            return before
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "| " + " | ".join(["---"] * width) + " |")
        return [*before, "\n".join(lines)]

    # --- inline ---------------------------------------------------------------

    def _text(self, text: str | None, blank_lines: bool = False) -> str:
        if not text:
            return ""
        text = _CONTROL.sub("", text)
        parts = _BLANK_LINE.split(text) if blank_lines else [text]
        return _PARA.join(escape_text(_WHITESPACE.sub(" ", part)) for part in parts)

    def _children(self, element: etree._Element) -> str:
        parts = [self._text(element.text)]
        for child in element:
            if isinstance(child.tag, str):
                parts.append(self._inline(child))
            parts.append(self._text(child.tail))
        return "".join(parts)

    def _inline(self, element: etree._Element) -> str:
        tag = element.tag.lower()
        if tag == "br":
            return _BREAK
        if tag == "img":
            return self._image(element)
        if tag == "a":
            return self._link(element)
        if tag in ("em", "i", "cite", "dfn", "var"):
            return self._emphasis(element, "*", "em")
        if tag in ("strong", "b"):
            # A heading is bold already; blog editors often wrap its text in <strong> as well.
            return self._children(element) if self.in_heading else self._emphasis(element, "**", "strong")
        if tag in ("code", "kbd", "samp", "tt"):
            return self._code(element)
        if tag in ("sup", "sub"):
            links = element.findall(".//a")
            if (
                len(links) == 1
                and links[0].get(_FOOTNOTE)
                and links[0].text_content().strip() == element.text_content().strip()
            ):
                return f"[^{links[0].get(_FOOTNOTE)}]"
            before, core, after = _split_edges(self._children(element))
            return f"{before}<{tag}>{core}</{tag}>{after}" if core else before
        if tag == "q":
            return f"“{self._children(element)}”"  # what a browser shows around a quotation
        if tag in BLOCK_TAGS:
            # A block inside inline content (a <p> inside a link): keep its words apart from the next.
            return f" {self._children(element)} "
        return self._children(element)

    def _emphasis(self, element: etree._Element, marker: str, kind: str) -> str:
        if kind in self.open:  # <em> inside <em> is still just emphasis
            return self._children(element)
        self.open.add(kind)
        try:
            before, core, after = _split_edges(self._children(element))
        finally:
            self.open.discard(kind)
        return f"{before}{marker}{core}{marker}{after}" if core else before

    def _code(self, element: etree._Element) -> str:
        code = _WHITESPACE.sub(" ", element.text_content())
        if not code.strip():
            return code
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if code.startswith("`") or code.endswith("`") else ""
        return f"{fence}{pad}{code}{pad}{fence}"

    def _image(self, element: etree._Element) -> str:
        name = self.images(element)
        if name is None:
            return ""
        alt = " ".join((element.get("alt") or "").split())
        return f"![{escape_text(alt)}]({name})"

    def _link(self, element: etree._Element) -> str:
        if number := element.get(_FOOTNOTE):
            return f"[^{number}]"
        inner = self._children(element)
        url = self._url(element.get("href") or "")
        if url is None or element.find(".//img") is not None:
            # An image that links somewhere (to its full-size copy, usually) is kept as an image.
            return inner
        before, core, after = _split_edges(inner)
        if not core:
            return before
        return f"{before}[{core}]({url}){after}"

    def _url(self, href: str) -> str | None:
        href = href.strip()
        if not href or href.startswith("#"):
            return None  # a link within the page: its target has no anchor in the piece
        scheme = urlsplit(href).scheme.lower()
        if scheme in ("mailto", "tel"):
            return href.replace(" ", "%20")
        if scheme and scheme not in ("http", "https"):
            return None  # javascript:, data: and the like do nothing in a book
        if href.startswith("//"):
            href = "https:" + href
        elif not scheme:
            if not self.base_url:
                self.unresolved.append(href)
                return None  # a relative link with nothing to resolve it against: the build would reject it
            href = urljoin(self.base_url, href)
        for character, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
            href = href.replace(character, code)
        return href


def html_to_markdown(
    root: etree._Element,
    images: ImageNamer,
    base_url: str | None = None,
    paragraphs_from_blank_lines: bool = False,
    unresolved: list[str] | None = None,
) -> str:
    """Convert an article's content element to Markdown (the element is changed: notes are taken out).

    Relative links that ``base_url`` cannot resolve are kept as text and added to ``unresolved``.
    """
    return MarkdownWriter(images, base_url, paragraphs_from_blank_lines, unresolved).convert(root)
