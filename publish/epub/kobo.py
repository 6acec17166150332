"""Kobo's reading spans, added the way kepubify adds them, for a ``.kepub.epub``.

Kobo's reader keeps the reading position, highlights, reading statistics and page turns by
``<span class="koboSpan" id="kobo.P.S">`` around each sentence (P counts the blocks of a document,
S the sentences of a block), inside ``<div id="book-columns"><div id="book-inner">`` around the body's
content. Without them a Kobo device opens the book with its older, slower EPUB reader.
"""

from __future__ import annotations

import re

from lxml import etree

from publish.render import KOBO_COLUMNS_ID, KOBO_INNER_ID, KOBO_SPAN_ID_PREFIX

XHTML_NS = "http://www.w3.org/1999/xhtml"
# A sentence ends after . ! ? … (and closing quotes or brackets), before white space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "figcaption", "caption",
           "blockquote", "pre", "div", "aside", "section", "nav", "figure", "ol", "ul", "table", "tr"}  # fmt: skip
_SKIPPED = {"script", "style", "svg", "math"}


class _Counter:
    """The block and sentence numbers of the next span."""

    def __init__(self) -> None:
        self.block = 0
        self.sentence = 0

    def next_block(self) -> None:
        self.block += 1
        self.sentence = 0

    def next_id(self) -> str:
        self.sentence += 1
        return f"{KOBO_SPAN_ID_PREFIX}{self.block}.{self.sentence}"


def _spans(text: str, counter: _Counter) -> tuple[str, list[etree._Element]]:
    """``text`` as its leading white space and one span per sentence (each span's tail the space after it)."""
    stripped = text.lstrip()
    lead = text[: len(text) - len(stripped)]
    sentences: list[tuple[str, str]] = []
    position = 0
    for match in _SENTENCE_END.finditer(stripped):
        end = match.start() + len(match.group().rstrip())  # the closing quotes belong to the sentence
        sentences.append((stripped[position:end], stripped[end : match.end()]))
        position = match.end()
    if position < len(stripped):
        rest = stripped[position:]
        sentences.append((rest.rstrip(), rest[len(rest.rstrip()) :]))
    spans = []
    for sentence, space in sentences:
        span = _span(sentence, counter)
        span.tail = space or None
        spans.append(span)
    return lead, spans


def _span(text: str, counter: _Counter) -> etree._Element:
    span = etree.Element(f"{{{XHTML_NS}}}span", {"class": "koboSpan", "id": counter.next_id()})
    span.text = text
    return span


def _wrap_text(element: etree._Element, counter: _Counter) -> None:
    """Put each sentence of ``element``'s own text and of its children's tails in a span, depth first."""
    name = etree.QName(element).localname
    if name in _SKIPPED or (name == "span" and element.get("class") == "koboSpan"):
        return
    if name in _BLOCKS:
        counter.next_block()
    children = list(element)
    if element.text and element.text.strip():
        lead, spans = _spans(element.text, counter)
        element.text = lead or None
        for index, span in enumerate(spans):
            element.insert(index, span)
    for child in children:
        if not isinstance(child.tag, str):
            continue
        _wrap_text(child, counter)
        if child.tail and child.tail.strip():
            lead, spans = _spans(child.tail, counter)
            child.tail = lead or None
            anchor = child
            for span in spans:
                anchor.addnext(span)
                anchor = span


def add_kobo_spans(document: bytes) -> bytes:
    """An XHTML content document with Kobo's sentence spans and its ``book-columns`` wrapper."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(document, parser)
    body = root.find(f"{{{XHTML_NS}}}body")
    if body is None:
        return document
    counter = _Counter()
    for child in list(body):
        if isinstance(child.tag, str):
            _wrap_text(child, counter)
    columns = etree.Element(f"{{{XHTML_NS}}}div", {"id": KOBO_COLUMNS_ID})
    inner = etree.SubElement(columns, f"{{{XHTML_NS}}}div", {"id": KOBO_INNER_ID})
    inner.text, body.text = body.text, "\n"
    for child in list(body):
        inner.append(child)
    body.append(columns)
    columns.tail = "\n"
    written: bytes = etree.tostring(
        root.getroottree(), encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>"
    )
    return written
