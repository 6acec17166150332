"""Property: any Markdown either builds into well-formed XHTML and a PDF, or fails with a PublishError.

Hypothesis generates documents with nested lists and block quotes, raw HTML fragments (unclosed tags,
active content, comments, CDATA), footnotes, tables, long words and odd Unicode (control characters,
bidirectional marks, non-characters). Cases it found are kept in ``tests/corpus/`` (one ``.md`` each) and
always re-run; a handful of the generated documents that built go through EPUBCheck once, as chapters of
one book. Hostile text gets its own property: nesting up to past every limit of ``publish.limits``, and
characters XML forbids (as themselves, as numeric references, and as YAML escapes in a title).
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.build import prepare
from publish.epub.package import write_epub
from publish.errors import PublishError
from publish.pdf.write import write_pdf

from conftest import write_manuscript

CORPUS = Path(__file__).resolve().parent / "corpus"
BOOK = "title: Generated\nauthor: Hypothesis\nlanguage: en\nstart: piece.md\n"

# --- Markdown documents ----------------------------------------------------------------------------------

ODD = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\r", "\t", "\u00ad", "\u200b",
    "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\ufeff",
    "\ufffd", "\ufffe", "\uffff", "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "e\u0301",
    "שלום", "مرحبا", "日本語", "한국어", "\U00010000", "\U0010ffff", "&", "<", ">", '"', "'", "\\", "`",
    "&amp;", "&#0;", "&#x0;", "&#xD800;", "&#x110000;", "&nbsp;", "&bogus;", "&#65;", "]]>", "<!--", "-->",
]  # fmt: skip
HTML = [
    "<b>", "</b>", "<i>unclosed", "<p>", "</p>", "</div>", "<div>", "<div markdown=\"1\">", "<span class='x'>",
    "<br>", "<br/>", "<hr>", "<img>", '<img src="">', '<img src="nope.png" alt="x">', "<a>", '<a href="">',
    '<a href="#">', '<a href="javascript:alert(1)">', '<a href="other.md">', '<a name="n">', "</a>",
    "<script>alert(1)</script>", "<script>", "<style>p{}</style>", "<iframe>", "<object>", "<embed>",
    "<form><input>", '<p onclick="x()">', "<svg><circle/></svg>", "<math><mi>x</mi></math>", "<table>",
    "<tr><td>cell", "</td>", "<li>", "<ul>", "<ol start=\"0\">", "<dl><dt>", "<pre>", "</pre>", "<code>",
    "<![CDATA[ data ]]>", "<!-- comment -->", "<!--", "<?php echo 1 ?>", "<!DOCTYPE html>", "<html>", "<body>",
    "<head><title>t</title></head>", "<h1>", "<h2 id=\"\">", '<h3 id="dup">', '<h3 id="dup">', "<h7>",
    "<x-custom>", "<name>", "<<", ">>", "< p>", "<p", 'title="', "<table><caption>c</caption>",
    '<td colspan="0">', "<sup>", "<sub>", "<q>", "<blockquote>", "<wbr>", "<details><summary>s",
    "<a href=\"file:///etc/passwd\">", '<div lang="xx-">', '<span dir="rtl">', "<template>", "<noscript>",
]  # fmt: skip

words = st.one_of(
    st.sampled_from(["word", "the", "Self-compassion", "it's", '"quoted"', "'single'", "--", "---", "...", "a_b_c"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12),
    st.sampled_from(ODD),
    st.integers(50, 400).map(lambda n: "x" * n),  # a long word
)
inline_html = st.sampled_from(HTML)


@st.composite
def inline(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                words,
                words.map(lambda w: f"*{w}*"),
                words.map(lambda w: f"**{w}"),
                words.map(lambda w: f"`{w}`"),
                inline_html,
                st.sampled_from(["[^1]", "[^note]", "[^missing]", "[^1]:"]),
                st.sampled_from(["[a link](https://example.com/)", "[other](other.md)", "[x](#x)", "[x](other.md#none)",
                                 "[site](/blog/x)", "<https://example.com>", "<me@example.com>", "[ref][r]", "![alt](x.png)",
                                 "[unclosed](", "[]()", "![]()", "[x]: https://example.com/"]),
            ),
            min_size=1,
            max_size=8,
        )
    )  # fmt: skip
    return " ".join(parts)


leaf = st.one_of(
    inline(),
    inline().map(lambda t: f"{'#' * 2} {t}"),
    st.tuples(st.integers(1, 6), inline()).map(lambda h: f"{'#' * h[0]} {h[1]}"),
    inline_html,
    st.lists(inline(), min_size=1, max_size=3).map(
        lambda cells: (
            "| "
            + " | ".join(c.replace("\n", " ") for c in cells)
            + " |\n|"
            + "---|" * len(cells)
            + "\n| "
            + " | ".join("cell" for _ in cells)
            + " |"
        )
    ),
    inline().map(lambda t: f"[^1]: {t}"),
    inline().map(lambda t: f"[^note]:\n    {t}\n\n    second paragraph"),
    inline().map(lambda t: f"Term\n:   {t}"),
    inline().map(lambda t: f"{t}\n{{: .class #id }}"),
    inline().map(lambda t: f"```\n{t}\n```"),
    inline().map(lambda t: f"    indented code {t}"),
    st.sampled_from(["---", "***", ":::", "::: reflection", "::: unknown", "</div>", "", "    ", "\t"]),
)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


blocks = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda items: _indent("\n\n".join(items), "> ")),
        st.lists(children, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {_indent(i, '  ').lstrip()}" for i in items)),
        st.lists(children, min_size=1, max_size=3).map(lambda items: "\n".join(f"1. {_indent(i, '   ').lstrip()}" for i in items)),
        st.lists(children, min_size=1, max_size=3).map(lambda items: "::: reflection\n" + "\n\n".join(items) + "\n:::"),
        st.tuples(st.sampled_from(HTML), children).map(lambda t: f"{t[0]}\n\n{t[1]}"),
    ),
    max_leaves=10,
)  # fmt: skip
documents = st.lists(blocks, min_size=1, max_size=6).map("\n\n".join)


# --- the property --------------------------------------------------------------------------------------

_STRICT_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _write_manuscript(root: Path, documents: list[str]) -> None:
    """One piece per document, linked in order, then other.md (so documents can link to it and its #x)."""
    names = ["piece.md", *(f"piece{i}.md" for i in range(1, len(documents))), "other.md"]
    bodies = [*documents, "## X\n\nText."]
    pieces = {}
    for i, (name, body) in enumerate(zip(names, bodies, strict=True)):
        links = (f"previous: {names[i - 1]}\n" if i else "") + (f"next: {names[i + 1]}\n" if i + 1 < len(names) else "")
        pieces[name] = f"---\ntitle: Piece {i}\n{links}---\n\n{body}\n"
    write_manuscript(root, pieces, BOOK)


def build_or_refuse(document: str, pdf: bool = True) -> bool:
    """Build one document; assert the outputs are well-formed. True if it built, False if refused."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "m"
        root.mkdir()
        _write_manuscript(root, [document])
        try:
            rendered = prepare(root)
        except PublishError:
            return False
        epub = write_epub(rendered, Path(folder) / "book.epub")
        with zipfile.ZipFile(epub) as archive:
            for name in archive.namelist():
                if name.endswith((".xhtml", ".opf", ".ncx")):
                    etree.fromstring(archive.read(name), _STRICT_XML)  # raises on anything not well-formed
        for piece in rendered.pieces:
            etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{piece.body}</div>'.encode(), _STRICT_XML)
        if pdf:
            output = write_pdf(rendered, Path(folder) / "book.pdf")
            assert output.read_bytes()[:5] == b"%PDF-"
        return True


@pytest.fixture
def quiet_weasyprint():
    """WeasyPrint's warnings about glyphs missing from the fonts are expected for odd Unicode."""
    loggers = [logging.getLogger(name) for name in ("weasyprint", "publish.pdf", "fontTools")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("quiet_weasyprint")
def test_any_markdown_builds_or_is_refused_with_a_publish_error(tmp_path: Path) -> None:
    built: list[str] = []

    # The same examples on every run, so CI judges the change and not the draw; PUBLISH_EXPLORE=1 draws new
    # ones (and more of them) to look for cases to add to the corpus.
    explore = os.environ.get("PUBLISH_EXPLORE") == "1"

    @settings(max_examples=300 if explore else 60, derandomize=not explore, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(documents)
    def check(document: str) -> None:
        if build_or_refuse(document, pdf=len(built) % 3 == 0) and len(built) < 6:
            built.append(document)

    check()
    assert built, "no generated document built: the strategy only makes refused input"
    # One EPUBCheck run over a book with several generated pieces (and the corpus) as separate chapters.
    from validators import epubcheck_messages

    buildable = [doc for doc in [*built, *(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md")))]
                 if build_or_refuse(doc, pdf=False)]  # fmt: skip
    root = tmp_path / "m"
    root.mkdir()
    _write_manuscript(root, buildable)
    epub = write_epub(prepare(root), tmp_path / "generated.epub")
    assert [m for m in epubcheck_messages(epub) if not m.startswith("WARNING")] == []


@pytest.mark.usefixtures("quiet_weasyprint")
@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.glob("*.md")))
def test_corpus_case(case: str) -> None:
    build_or_refuse((CORPUS / case).read_text(encoding="utf-8"))


# --- hostile image names and SVG content -----------------------------------------------------------------

_NAME_CHARACTERS = [*"abzAZ09 .-_\"#?%\\'&<>:*|+=;,~()[]{}!@$", "é", "λ", "日", "\u00a0", "\u202e"]
image_names = st.tuples(
    st.text(alphabet=st.sampled_from(_NAME_CHARACTERS), min_size=1, max_size=10),
    st.sampled_from([".png", ".PNG", ".jpg", ".jpeg", ".svg", ".gif"]),
).map("".join)
_SVG_PARTS = [
    "<script>alert(1)</script>", '<rect width="1" height="1" onclick="alert(1)"/>',
    '<a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a>', '<a href="https://exämple.com/a b">x</a>',
    '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://example.com/"/></foreignObject>',
    '<image href="file:///etc/passwd" width="1" height="1"/>', '<image xlink:href="http://example.com/x.png"/>',
    '<use href="#r"/>', '<rect id="r" width="1" height="1" fill="url(#g)"/>', '<rect style="fill: url(file:///x)"/>',
    "<style>@import 'https://example.com/a.css'; rect { fill: url(http://example.com/#x) }</style>",
    '<set attributeName="href" to="javascript:alert(1)"/>', '<animate attributeName="x" values="1;2"/>',
    "<text>&amp; &lt;plain text&gt;</text>", '<g xml:base="http://example.com/"><circle r="1"/></g>',
    "<!-- a comment --><?pi data?>", '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>',
]  # fmt: skip
svg_documents = st.lists(st.sampled_from(_SVG_PARTS), max_size=6).map(
    lambda parts: (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4" '
        f'onload="alert(0)">{"".join(parts)}</svg>'
    ).encode()
)
_SAFE_ZIP_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")
_ACTIVE_IN_SVG = re.compile(rb"<script|\son[a-z]+\s*=|foreignobject|<set|<animate|javascript:|file:|xml:base", re.I)


def _image_bytes(name: str, svg: bytes) -> bytes:
    if name.lower().endswith(".svg"):
        return svg
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")  # a PNG, whatever the name says
    return buffer.getvalue()


def test_odd_image_names_and_svg_content_give_safe_names_and_no_active_content() -> None:
    """Any image names and SVG content: the EPUB's names are safe for OCF and URLs, every image is found,
    and no SVG holds active content or a reference outside it."""
    from urllib.parse import quote

    @settings(max_examples=40, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(st.lists(image_names, min_size=1, max_size=4, unique_by=str.casefold), svg_documents)
    def check(names: list[str], svg: bytes) -> None:
        names = [n for n in names if n.strip(". ") and n not in (".", "..")]
        if not names:
            return
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "m"
            images = " ".join(f"![image {i}](images/{quote(name)})" for i, name in enumerate(names))
            files: dict[str, str | bytes] = {"piece.md": f"---\ntitle: Piece\n---\n\n{images}\n"}
            files |= {f"images/{name}": _image_bytes(name, svg) for name in names}
            write_manuscript(root, files, BOOK)
            epub = write_epub(prepare(root), Path(folder) / "book.epub")
            with zipfile.ZipFile(epub) as archive:
                entries = set(archive.namelist())
                assert all(_SAFE_ZIP_NAME.match(entry) for entry in entries), entries
                document = archive.read("EPUB/piece.xhtml").decode()
                sources = re.findall(r'<img [^>]*src="([^"]*)"', document)
                assert len(sources) == len(names)
                assert all(f"EPUB/{source}" in entries for source in sources), (sources, entries)
                for entry in entries:
                    if entry.endswith(".svg"):
                        assert not _ACTIVE_IN_SVG.search(archive.read(entry)), archive.read(entry)

    check()


# --- hostile text: deep nesting, characters XML forbids ---------------------------------------------------------

# Code points no book may hold, written as themselves, as numeric references, or as YAML escapes in a title.
FORBIDDEN = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b", "\ufdd0", "\ufffe", "\uffff",
             "\U0001fffe", "\U0010ffff"]  # fmt: skip
FORBIDDEN_REFERENCES = ["&#0;", "&#x0;", "&#1;", "&#27;", "&#xD800;", "&#xDFFF;", "&#65534;", "&#xFFFF;",
                        "&#x10FFFF;", "&#x110000;", "&#4294967295;", "&#150;", "&#x9B;"]  # fmt: skip
YAML_ESCAPES = ["\\x01", "\\e", "\\f", "\\r", "\\N", "\\uFFFE", "\\ud800", "\\udfff", "\\U0010FFFF", "\\t", "\\0"]


def _nest(kind: str, depth: int, inner: str) -> str:
    """``inner`` nested ``depth`` deep in one kind of Markdown or HTML container."""
    if kind == "list":
        return "\n".join("    " * level + "- item" for level in range(depth)) + " " + inner
    if kind == "quote":
        return "> " * depth + inner
    if kind == "fence":
        return "::: reflection\n\n" * depth + inner + "\n\n:::" * depth
    if kind == "emphasis":
        return "*" * depth + inner + "*" * depth
    return f"<{kind}>" * depth + inner + f"</{kind}>" * depth


hostile_inline = st.lists(
    st.one_of(words, st.sampled_from(FORBIDDEN), st.sampled_from(FORBIDDEN_REFERENCES),
              st.sampled_from(["<math><mi>x</mi></math>", "<svg><text>t</text></svg>", "<video>v</video>"])),
    min_size=1, max_size=6,
).map(" ".join)  # fmt: skip
hostile_documents = st.recursive(
    hostile_inline,
    lambda inner: st.tuples(
        st.sampled_from(["list", "quote", "fence", "emphasis", "div", "span", "b", "blockquote"]),
        st.integers(1, 28),
        inner,
    ).map(lambda t: _nest(*t)),
    max_leaves=6,
)


@pytest.mark.usefixtures("quiet_weasyprint")
def test_hostile_text_builds_or_is_refused_with_a_publish_error() -> None:
    """Deep nesting and forbidden characters, in the body and the title: well-formed XHTML or a PublishError;
    the PDF's HTML is made (or refused by the depth guard) without any other exception."""
    from publish.pdf.html import book_html

    explore = os.environ.get("PUBLISH_EXPLORE") == "1"
    outcomes: list[str] = []

    @settings(max_examples=200 if explore else 40, derandomize=not explore, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(hostile_documents, st.one_of(st.just(""), st.just(""), st.sampled_from(YAML_ESCAPES)))
    def check(document: str, escape: str) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = write_manuscript(
                Path(folder) / "m", {"piece.md": f'---\ntitle: "Odd{escape} title"\n---\n\n{document}\n'}, BOOK
            )
            try:
                rendered = prepare(root)
            except PublishError:
                outcomes.append("refused")
                return
            epub = write_epub(rendered, Path(folder) / "book.epub")
            with zipfile.ZipFile(epub) as archive:
                for name in archive.namelist():
                    if name.endswith((".xhtml", ".opf", ".ncx")):
                        etree.fromstring(archive.read(name), _STRICT_XML)
            try:
                book_html(rendered)
                outcomes.append("built")
            except PublishError:
                outcomes.append("refused by the PDF's depth guard")

    check()
    assert {"built", "refused"} <= set(outcomes), outcomes
