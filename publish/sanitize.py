"""Make the HTML that Markdown produced safe and valid: nothing active, and every element where HTML allows it.

Python-Markdown passes an author's raw HTML through as written. ``sanitize_html`` (nh3) removes everything
active; ``repair_structure`` then moves or unwraps what is left where the HTML content model forbids it (a
list inside a bold tag left open, a ``dd`` outside a ``dl``), so that every content document is valid
XHTML for EPUBCheck and any reading system. Nothing the reader should see is dropped: a misplaced element
gives way to its content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from html import escape, unescape

import nh3
from lxml import etree

from publish.limits import NUMERIC_REFERENCE, forbidden_reference
from publish.manuscript import is_language_tag

# What raw HTML in Markdown may keep: content elements only, nothing active.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr", "aside", "section",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "type"},
    "li": {"value"},
}
_DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "noscript", "template",
                         "svg", "math", "textarea", "select", "button", "audio", "video", "canvas"}  # fmt: skip
# nh3 keeps URLs with these schemes so that the link and image checks can name a file: or data: reference
# before refusing it; every other scheme (javascript:, vbscript:, ...) is removed by nh3.
_SANITIZER_SCHEMES = {"http", "https", "mailto", "tel", "file", "data"}

# Every element name of HTML (the living standard, with obsolete ones): a tag with any other name, such as
# "Replace <name> with yours", is text the author meant to show, so it is escaped rather than dropped.
_HTML_ELEMENTS = {
    "a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b", "base", "basefont",
    "bdi", "bdo", "bgsound", "big", "blink", "blockquote", "body", "br", "button", "canvas", "caption", "center",
    "cite", "code", "col", "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog", "dir", "div",
    "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font", "footer", "form", "frame", "frameset",
    "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "image", "img",
    "input", "ins", "isindex", "kbd", "keygen", "label", "legend", "li", "link", "listing", "main", "map", "mark",
    "marquee", "math", "menu", "menuitem", "meta", "meter", "multicol", "nav", "nextid", "nobr", "noembed",
    "noframes", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture", "plaintext",
    "portal", "pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "script", "search", "section",
    "select", "slot", "small", "source", "spacer", "span", "strike", "strong", "style", "sub", "summary", "sup",
    "svg", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track",
    "tt", "u", "ul", "var", "video", "wbr", "xmp",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
# Characters HTML allows nowhere in a document: controls other than whitespace, and noncharacters
# (HTML Living Standard, 13.1.4 "Text"; Unicode's noncharacters are U+FDD0-U+FDEF and U+xFFFE/U+xFFFF).
_NOT_TEXT_BMP = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
_NOT_TEXT_ASTRAL = "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))


@cache
def _not_text(astral: bool) -> re.Pattern[str]:
    # Two patterns: re tests a class's characters above U+FFFF one by one, which made the full class
    # twelve times slower on every character of a text, and few texts have any such character.
    return re.compile(f"[{_NOT_TEXT_BMP}{_NOT_TEXT_ASTRAL if astral else ''}]")


def strip_control_chars(text: str) -> str:
    """Leave out the characters HTML allows nowhere: controls other than whitespace, and noncharacters."""
    return _not_text(_has_astral(text)).sub("", text)


def _has_astral(text: str) -> bool:
    """Whether ``text`` has a character above U+FFFF: one takes two UTF-16 units (a lone surrogate one, as
    written with surrogatepass). Encoding is many times faster than ``max(text)`` on a long text."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text)


# HTML's content categories, for the elements above (HTML Living Standard, section 3.2.5).
_PHRASING = {"a", "abbr", "b", "br", "cite", "code", "del", "dfn", "em", "i", "img", "ins", "kbd", "mark", "q",
             "s", "samp", "small", "span", "strong", "sub", "sup", "u", "var", "wbr"}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements whose content model is phrasing content (a, del and ins are transparent: taken as phrasing here).
_PHRASING_ONLY = (_PHRASING - {"br", "img", "wbr"}) | _HEADINGS | {"p", "pre"}
_VOID = {"br", "col", "hr", "img", "wbr"}
_INLINE = _PHRASING_ONLY - _HEADINGS - {"p", "pre"}
_TABLE_SECTIONS = {"thead", "tbody", "tfoot"}
_TABLE_CHILDREN = {"caption", "colgroup", "tr"} | _TABLE_SECTIONS


def sanitize_html(fragment: str) -> str:
    """Remove everything active from HTML: scripts, handlers, javascript: URLs, frames, forms.

    ``file:`` and ``data:`` URLs are kept for the link and image checks, which refuse them by name.
    The text of what a book cannot show (MathML, inline SVG, media, forms) is kept: ``keep_fallback_text``.
    """
    cleaned = nh3.clean(
        escape_unknown_tags(keep_fallback_text(drop_forbidden_references(fragment))),
        tags=ALLOWED_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_SANITIZER_SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
    return strip_control_chars(cleaned)


def escape_unknown_tags(fragment: str) -> str:
    """Escape tags that are no HTML element (``<name>``), so the sanitizer does not drop them as markup."""
    # Nearly always every tag is known: their names, gathered in one pass, say so without a call for each.
    if {name.lower() for _, name, _ in _TAG.findall(fragment)} <= _HTML_ELEMENTS:
        return fragment

    def escape_if_unknown(match: re.Match[str]) -> str:
        if match.group(2).lower() in _HTML_ELEMENTS:
            return match.group(0)
        return escape(match.group(0), quote=False)

    return _TAG.sub(escape_if_unknown, fragment)


# --- what the sanitizer would drop, or keep as characters XML forbids ----------------------------------------


def drop_forbidden_references(fragment: str) -> str:
    """Leave out numeric references to characters XML forbids (``&#65535;``, ``&#0;``, ``&#xD800;``).

    An HTML parser would turn them into the character (U+FFFF, which no XHTML may hold) or into U+FFFD.
    A reference inside code is written ``&amp;#...;`` by Markdown, and stays as text. The scan of the
    Markdown (``publish.limits.scan_markdown``) warns about each one with its line.
    """
    if "&#" not in fragment:
        return fragment

    return NUMERIC_REFERENCE.sub(lambda m: "" if forbidden_reference(m) is not None else m.group(), fragment)


_FALLBACK_OPENING = re.compile(r"<(math|svg|video|audio|form)\b", re.IGNORECASE)
_ELEMENT_WITH_TEXT = re.compile(r"<(math|svg)\b([^>]*)>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_NOT_READ = re.compile(r"<(annotation(?:-xml)?|style|script)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ALTTEXT = re.compile(r"""\balttext\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_MEDIA_OR_FORM_TAG = re.compile(r"</?(?:video|audio|form)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]*>")


def keep_fallback_text(fragment: str) -> str:
    """Keep the text of what a book cannot show, where the sanitizer would drop it whole.

    MathML becomes its ``alttext``, else its text ("x = 2"); an inline SVG drawing its text and title;
    a video or an audio its fallback content (what a browser shows when it cannot play it); a form its
    labels and text (its fields are still removed). So "The area is <math>...</math> exactly." never
    reads "The area is  exactly." The scan of the Markdown warns about each with its line.
    """
    if not _FALLBACK_OPENING.search(fragment):
        return fragment

    def text_of(match: re.Match[str]) -> str:
        alttext = _ALTTEXT.search(match.group(2)) if match.group(1).lower() == "math" else None
        if alttext:
            text = escape(unescape(alttext.group(1) if alttext.group(1) is not None else alttext.group(2)), quote=False)
        else:
            text = " ".join(_ANY_TAG.sub(" ", _NOT_READ.sub("", match.group(3))).split())
        return f'<span class="{match.group(1).lower()}">{text}</span>'

    # The media and form tags go, their content stays: <source>, <track> and the fields are not allowed tags.
    return _MEDIA_OR_FORM_TAG.sub("", _ELEMENT_WITH_TEXT.sub(text_of, fragment))


# --- tree surgery ------------------------------------------------------------------------------------------


def unwrap(element: etree._Element) -> None:
    """Replace an element by its content (text, children and tail stay in place)."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    children = list(element)
    _append_text_before(parent, index, element.text)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + (element.tail or "")
    else:
        _append_text_before(parent, index, element.tail)
    parent.remove(element)


def _append_text_before(parent: etree._Element, index: int, text: str | None) -> None:
    if not text:
        return
    if index > 0:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _wrap(parent: etree._Element, tag: str) -> bool:
    """Wrap each child of ``parent`` that is not a ``tag``, and each run of text, in a new ``tag``."""
    items: list[etree._Element | str] = [parent.text or ""]
    for child in parent:
        items += [child, child.tail or ""]
    if not any(
        (isinstance(item, str) and item.strip()) or (not isinstance(item, str) and item.tag != tag) for item in items
    ):
        return False
    parent.text = None
    for child in list(parent):
        child.tail = None
        parent.remove(child)
    last: etree._Element | None = None
    for item in items:
        if isinstance(item, str):
            if not item.strip():
                if last is None:
                    parent.text = (parent.text or "") + item
                else:
                    last.tail = (last.tail or "") + item
                continue
            last = etree.SubElement(parent, tag)
            last.text = item
        elif item.tag == tag:
            parent.append(item)
            last = item
        else:
            last = etree.SubElement(parent, tag)
            last.append(item)
    return True


def _move_before(element: etree._Element, anchor: etree._Element) -> None:
    """Move ``element`` (without its tail, which stays behind) to just before ``anchor``."""
    tail = element.tail
    parent = element.getparent()
    element.tail = None
    if parent is not None:
        index = parent.index(element)
        parent.remove(element)
        if tail:
            _append_text_before(parent, index, tail)
    anchor.addprevious(element)


def drop_husks(root: etree._Element) -> bool:
    """Unwrap what holds nothing to read: a link whose URL was removed, an empty paragraph or heading, and
    the empty copies of an unclosed inline tag that HTML parsing repeats into every following block."""
    changed = False
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str) or element.tag in _VOID:
            continue
        linkless = element.tag == "a" and element.get("href") is None and element.get("id") is None
        # An empty element with an id may be a link target, and stays; an empty heading never does.
        # Blank text is blank in every piece: the first piece with a letter settles it (most paragraphs' first).
        empty = (
            element.tag in _PHRASING_ONLY
            and (element.get("id") is None or element.tag in _HEADINGS)
            and not any(text.strip() for text in element.itertext())
            and not any(d.tag in _VOID for d in element.iterdescendants())
        )
        if linkless or empty:
            unwrap(element)
            changed = True
    return changed


def anchors_as_ids(root: etree._Element) -> None:
    """Turn each empty anchor (``<a id="x"></a>``, a link target written by hand) into an id, not a link.

    The id goes to the element just after the anchor, or to the element the anchor starts, when that has
    none; otherwise an empty ``span`` keeps it. Either way no empty link is left for a reader (or a PDF
    link annotation) to stumble on.
    """
    for anchor in list(root.iter("a")):
        identifier = anchor.get("id")
        if identifier is None or anchor.get("href") is not None or len(anchor) or (anchor.text or "").strip():
            continue
        holder = _id_holder(anchor, root)
        if holder is None:
            anchor.tag = "span"
            for attribute in [name for name in anchor.attrib if name != "id"]:
                del anchor.attrib[attribute]
            continue
        holder.set("id", identifier)
        unwrap(anchor)


def _id_holder(anchor: etree._Element, root: etree._Element) -> etree._Element | None:
    """The element that can take over an empty anchor's id: the next one, or the one it starts."""
    following = anchor.getnext()
    if (
        following is not None
        and isinstance(following.tag, str)
        and following.get("id") is None
        and not (anchor.tail or "").strip()
    ):
        return following
    parent = anchor.getparent()
    starts_parent = not (parent.text or "").strip() and anchor.getprevious() is None
    if parent is not root and parent.get("id") is None and starts_parent:
        return parent
    return None


def _hoist_void_content(element: etree._Element) -> None:
    """Move what an HTML parser put inside a void element (``<wbr>``) to just after it."""
    parent = element.getparent()
    if parent is None:
        return
    children = list(element)
    index = parent.index(element)
    for offset, child in enumerate(children):
        parent.insert(index + 1 + offset, child)
    text, tail = element.text or "", element.tail or ""
    element.text = None
    if children:
        element.tail = text or None
        children[-1].tail = (children[-1].tail or "") + tail or None
    else:
        element.tail = (text + tail) or None


def _repair_once(root: etree._Element) -> bool:
    """One bottom-up pass over the tree; True if anything changed."""
    changed = False
    for element in reversed(list(root.iter())):
        if element is root or not isinstance(element.tag, str):
            continue
        tag = element.tag
        parent = element.getparent()
        parent_tag = parent.tag if parent is not None else ""
        if tag in _VOID and (element.text or len(element)):
            # lxml's HTML parser does not know HTML5's void elements (wbr) and nests what follows inside.
            _hoist_void_content(element)
            changed = True
        elif tag in _PHRASING_ONLY and any(isinstance(c.tag, str) and c.tag not in _PHRASING for c in element):
            if tag == "p":
                element.tag = "div"  # a paragraph that holds blocks becomes a plain block
            elif tag in _HEADINGS or tag == "pre":
                blocks = [
                    c for c in element.iter() if c is not element and isinstance(c.tag, str) and c.tag not in _PHRASING
                ]
                for child in blocks:
                    child.tail = " " + (child.tail or "")  # keep words apart once the blocks are gone
                    unwrap(child)
            else:
                unwrap(element)  # an inline element left open around blocks gives way to them
            changed = True
        elif parent_tag in _INLINE and tag not in _PHRASING:
            # The inline parent gives way to this block later in this pass; the block's own place is judged
            # in the next pass (a footnote's <li> inside a repeated <b> is still in its <ol> then).
            changed = True
        elif tag == "a" and any(ancestor.tag == "a" for ancestor in element.iterancestors()):
            unwrap(element)  # no link inside a link
            changed = True
        elif tag in ("ul", "ol"):
            changed |= _wrap(element, "li")
        elif tag == "li" and parent_tag not in ("ul", "ol"):
            element.tag = "div"
            changed = True
        elif tag == "dl":
            kinds = [c.tag for c in element if isinstance(c.tag, str)]
            stray_text = (element.text or "").strip() or any((c.tail or "").strip() for c in element)
            if stray_text or not kinds or set(kinds) - {"dt", "dd"} or kinds[0] != "dt" or kinds[-1] != "dd":
                # Not groups of dt followed by dd: keep the text as plain blocks.
                element.tag = "div"
                for child in element:
                    if child.tag in ("dt", "dd"):
                        child.tag = "div"
                changed = True
        elif (tag in ("dt", "dd") and parent_tag != "dl") or (tag == "figcaption" and parent_tag != "figure"):
            element.tag = "div"
            changed = True
        elif tag == "dt" and any(d.tag in _HEADINGS | {"section", "aside"} for d in element.iterdescendants()):
            for descendant in list(element.iterdescendants()):
                if descendant.tag in _HEADINGS | {"section", "aside"}:
                    descendant.tag = "div"
            changed = True
        elif tag == "figure":
            changed |= _repair_figure(element)
        elif tag == "table":
            changed |= _repair_table(element)
        elif tag in _TABLE_SECTIONS and parent_tag == "table":
            for child in list(element):
                if isinstance(child.tag, str) and child.tag != "tr":
                    _move_before(child, element.getparent())
                    changed = True
        elif tag == "tr" and parent_tag in _TABLE_SECTIONS | {"table"}:
            changed |= _wrap_cells(element)
        elif tag == "col" and parent_tag != "colgroup" and parent is not None:
            parent.remove(element)  # an empty element with nothing to keep
            changed = True
        elif (
            (tag in ("td", "th") and parent_tag != "tr")
            or (tag == "tr" and parent_tag not in _TABLE_SECTIONS | {"table"})
            or (tag in _TABLE_CHILDREN - {"tr"} and parent_tag != "table")
        ):
            unwrap(element)  # a table part outside a table: its content stays
            changed = True
    return changed


def _repair_figure(figure: etree._Element) -> bool:
    """Give a figure one caption, first or last (HTML's content model for ``figure``).

    A second caption becomes a plain block; line breaks between the caption and the end of the figure
    (a blog editor's ``<figcaption>…</figcaption><br>``) are dropped; anything else after a caption that
    follows content moves out, just after the figure, in its order.
    """
    captions = [child for child in figure if child.tag == "figcaption"]
    for extra in captions[1:]:
        extra.tag = "div"
    if not captions:
        return False
    caption = captions[0]
    if not (_has_content_before(caption) and _has_content_after(caption)):
        return len(captions) > 1
    for line_break in [sibling for sibling in caption.itersiblings() if sibling.tag == "br"]:
        unwrap(line_break)
    if _has_content_after(caption):
        _move_after_figure(caption, figure)
    return True


def _has_content_before(element: etree._Element) -> bool:
    parent = element.getparent()
    return bool((parent.text or "").strip()) or any(
        isinstance(sibling.tag, str) or (sibling.tail or "").strip() for sibling in element.itersiblings(preceding=True)
    )


def _has_content_after(element: etree._Element) -> bool:
    return bool((element.tail or "").strip()) or any(
        isinstance(sibling.tag, str) or (sibling.tail or "").strip() for sibling in element.itersiblings()
    )


def _move_after_figure(caption: etree._Element, figure: etree._Element) -> None:
    """Move what follows ``caption`` in ``figure`` (text and elements) to just after the figure."""
    following = list(caption.itersiblings())
    text, caption.tail = caption.tail, None
    after = figure.tail
    figure.tail = text
    last = figure
    for element in following:
        last.addnext(element)  # lxml moves the element's tail with it
        last = element
    last.tail = (last.tail or "") + (after or "") or None


def _repair_table(table: etree._Element) -> bool:
    """Keep only table parts inside a table, in order; move anything else just before it."""
    changed = False
    if table.text and table.text.strip():
        text, table.text = table.text, None
        _append_text_before(table.getparent(), table.getparent().index(table), text)
        changed = True
    for child in list(table):
        if not isinstance(child.tag, str):
            continue
        if child.tag == "caption" and table.index(child) != 0:
            if table[0].tag == "caption":  # a table has one caption: a second one is text before it
                _move_before(child, table)
            else:
                tail, child.tail = child.tail, None
                _append_text_before(table, table.index(child), tail)
                table.insert(0, child)
            changed = True
        elif child.tag not in _TABLE_CHILDREN:
            _move_before(child, table)
            changed = True
        elif child.tail and child.tail.strip():
            text, child.tail = child.tail, None
            _append_text_before(table.getparent(), table.getparent().index(table), text)
            changed = True
    kinds = [c.tag for c in table if isinstance(c.tag, str)]
    if "tr" in kinds and set(kinds) & _TABLE_SECTIONS:
        # Rows beside sections: put the loose rows in a body of their own (HTML allows one or the other).
        body = etree.SubElement(table, "tbody")
        for row in [c for c in table if c.tag == "tr"]:
            body.append(row)
        changed = True
    order = {"caption": 0, "colgroup": 1, "thead": 2, "tbody": 3, "tr": 3, "tfoot": 4}
    children = [c for c in table if isinstance(c.tag, str)]
    if [order[c.tag] for c in children] != sorted(order[c.tag] for c in children):
        for child in sorted(children, key=lambda c: order[c.tag]):
            table.append(child)
        changed = True
    if sum(c.tag == "thead" for c in children) > 1 or sum(c.tag == "tfoot" for c in children) > 1:
        for extra in [c for c in children if c.tag in ("thead", "tfoot")][1:]:
            extra.tag = "tbody"
        changed = True
    return changed


def _wrap_cells(row: etree._Element) -> bool:
    changed = False
    if row.text and row.text.strip():
        cell = etree.Element("td")
        cell.text, row.text = row.text, None
        row.insert(0, cell)
        changed = True
    for child in list(row):
        if isinstance(child.tag, str) and child.tag not in ("td", "th"):
            cell = etree.Element("td")
            child.addprevious(cell)
            cell.append(child)
            cell.tail, child.tail = child.tail, None
            changed = True
    for child in list(row):
        if child.tail and child.tail.strip():
            cell = etree.Element("td")
            cell.text, child.tail = child.tail, None
            child.addnext(cell)
            changed = True
    return changed


_INTEGER = re.compile(r"^-?\d{1,9}$")
_ATTRIBUTE_VALUES: dict[str, Callable[[str, str], bool]] = {
    "dir": lambda v, _: v in ("ltr", "rtl", "auto"),
    "lang": lambda v, _: v == "" or is_language_tag(v),
    "id": lambda v, _: bool(v) and not any(c.isspace() for c in v),
    "start": lambda v, _: bool(_INTEGER.match(v)),
    "value": lambda v, parent: bool(_INTEGER.match(v)) and parent == "ol",
    "type": lambda v, _: v in ("1", "a", "A", "i", "I"),
    "colspan": lambda v, _: v.isdigit() and 1 <= int(v) <= 1000,
    "rowspan": lambda v, _: v.isdigit() and int(v) <= 65534,
    "scope": lambda v, _: v in ("row", "col", "rowgroup", "colgroup"),
    "width": lambda v, _: v.isdigit(),
    "height": lambda v, _: v.isdigit(),
}


def _clean_attributes(root: etree._Element) -> None:
    """Drop attribute values that HTML does not allow (a space in an id, ``dir="sideways"``, ...)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        parent_tag = parent.tag if parent is not None else ""
        for name, value in list(element.attrib.items()):
            valid = _ATTRIBUTE_VALUES.get(name)
            if valid is not None and not valid(value.strip() if name != "id" else value, parent_tag):
                del element.attrib[name]


def repair_structure(root: etree._Element) -> None:
    """Make the tree under ``root`` (a flow-content ``div``) follow HTML's content model."""
    for _ in range(20):  # each pass can only move things outwards, so this settles in a few passes
        if not (drop_husks(root) | _repair_once(root)):
            break
    _clean_attributes(root)
