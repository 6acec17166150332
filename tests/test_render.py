"""Rendering Markdown to XHTML: golden files, links between pieces, anchors, images, sanitising."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import markdown
import pytest
from lxml import etree

from publish.assemble import assemble_book
from publish.errors import Problem, Problems
from publish.manuscript import load_manuscript, slugify
from publish.render import RenderedBook, RenderedPiece, remote_css_references, render_book, strip_remote_css
from publish.sanitize import strip_control_chars

from conftest import FIXTURES, write_manuscript

GOLDEN = Path(__file__).resolve().parent / "golden"

# The companions of the piece under test: "other.md", a piece with text, and "later.md", link-only.
BOOK = "title: Rendering\nauthor: Someone\nlanguage: en-US\nstart: piece.md\n"
PIECE_FRONT = "---\ntitle: The Piece\nurl: https://example.com/blog/piece\nnext: other.md\n---\n\n"
OTHER = (
    "---\ntitle: The Other Piece\nurl: https://example.com/blog/other\nprevious: piece.md\nnext: later.md\n---\n\n"
    "## First section\n\nText.\n\n## Second section\n\nMore text.\n"
)
LATER = "---\ntitle: Later\nurl: https://example.com/blog/later\nprevious: other.md\n---\n"


def render_markdown(
    body: str, files: dict[str, bytes] | None = None, allow_remote: bool = False
) -> tuple[RenderedBook | None, list[Problem]]:
    """Render ``body`` as piece.md of a small book (with other.md and later.md); return the book and its problems."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pieces = {"piece.md": PIECE_FRONT + body, "other.md": OTHER, "later.md": LATER}
        write_manuscript(root, {**pieces, **(files or {})}, BOOK)
        problems = Problems()
        manuscript = load_manuscript(root, problems)
        assert manuscript is not None, problems.items
        book = assemble_book(manuscript, problems)
        assert book is not None, problems.items
        return render_book(book, problems, allow_remote), problems.items


def render_piece(
    body: str, files: dict[str, bytes] | None = None, allow_remote: bool = False
) -> tuple[RenderedPiece, list[str]]:
    """The rendered piece.md and its problems as ``file:line: message`` (file name only)."""
    rendered, problems = render_markdown(body, files, allow_remote)
    assert rendered is not None
    piece = next(p for p in rendered.pieces if p.piece.name == "piece.md")
    return piece, [f"{p.severity}: {p.path.name if p.path else ''}:{p.line}: {p.message}" for p in problems]


def parse_fragment(body: str) -> etree._Element:
    """Parse an XHTML body fragment with the strict XML parser (fails on anything not well-formed)."""
    return etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'.encode())


def assert_renders(source: str, expected: str) -> None:
    """Assert that Markdown ``source`` renders to exactly ``expected`` XHTML, without problems."""
    piece, problems = render_piece(source)
    assert problems == []
    assert piece.body.strip() == expected.strip()
    parse_fragment(piece.body)


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.md")))
def test_golden(name: str, update_golden: bool) -> None:
    source = (GOLDEN / f"{name}.md").read_text(encoding="utf-8")
    expected_file = GOLDEN / f"{name}.xhtml"
    piece, problems = render_piece(source)
    if update_golden:
        expected_file.write_text(piece.body.strip() + "\n", encoding="utf-8")
    assert problems == []
    assert piece.body.strip() + "\n" == expected_file.read_text(encoding="utf-8")
    parse_fragment(piece.body)


def test_assert_renders_smallest_cases() -> None:
    assert_renders("Hello *world*.", "<p>Hello <em>world</em>.</p>")
    assert_renders("a < b & c", "<p>a &lt; b &amp; c</p>")
    assert_renders("<b>bold</b> and <span onclick='x()'>span</span>", "<p><b>bold</b> and <span>span</span></p>")
    # Characters XML forbids are left out, each with a warning on its line.
    piece, problems = render_piece("Line\u0007 with a bell\u0000.")
    assert piece.body.strip() == "<p>Line with a bell.</p>"
    assert problems == ["warning: piece.md:7: character U+0007 (a control character) left out: XML forbids it"]


# --- headings and anchors -----------------------------------------------------------------------------


def test_section_anchors_are_python_markdowns_toc_slugs() -> None:
    headings = [
        "You Don’t Have to Fix It—Just Be With Them",
        "Encouraging Therapy Without Making It a “Fix”",
        "Café & Crème",
    ]
    piece, _ = render_piece("\n\n".join(f"## {h}\n\nText." for h in headings))
    toc = markdown.Markdown(extensions=["toc"])
    toc.convert("\n\n".join(f"## {h}" for h in headings))
    expected = [token["id"] for token in toc.toc_tokens]  # type: ignore[attr-defined]
    assert [h.id for h in piece.headings] == expected == [slugify(h) for h in headings]


def test_duplicate_headings_get_numbered_ids_like_python_markdown() -> None:
    piece, _ = render_piece("## Intro\n\n## Intro\n\n<h2>Intro</h2>\n")
    assert [h.id for h in piece.headings] == ["intro", "intro_1", "intro_2"]


def test_level_one_headings_are_demoted_under_the_piece_title() -> None:
    piece, _ = render_piece("# One\n\n## Two\n")
    assert [(h.level, h.text) for h in piece.headings] == [(2, "One"), (3, "Two")]


# --- links between pieces ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "href"),
    [
        ("other.md", "other.xhtml"),
        ("other.md#second-section", "other.xhtml#second-section"),
        ("./other.md", "other.xhtml"),
        ("https://example.com/blog/other", "other.xhtml"),
        ("https://EXAMPLE.com/blog/other/#first-section", "other.xhtml#first-section"),
        ("/blog/other", "other.xhtml"),
        ("/blog/other#second-section", "other.xhtml#second-section"),
        ("later.md", "https://example.com/blog/later"),
        ("https://example.com/blog/later", "https://example.com/blog/later"),
        ("piece.md#own", "#own"),
        ("#own", "#own"),
        ("/about/", "https://example.com/about/"),
        ("https://www.example.org/x?a=1&b=2", "https://www.example.org/x?a=1&b=2"),
        ("mailto:hello@example.com", "mailto:hello@example.com"),
        ("tel:+15550100100", "tel:+15550100100"),
    ],
)
def test_links_become_internal_or_stay_web_links(link: str, href: str) -> None:
    piece, problems = render_piece(f"## Own\n\nSee [this]({link}).\n")
    assert problems == []
    anchors = parse_fragment(piece.body).findall(".//{http://www.w3.org/1999/xhtml}a")
    assert [a.get("href") for a in anchors] == [href]


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("ghost.md", "error: piece.md:9: link ghost.md: ghost.md does not exist"),
        ("other.md#nowhere", "error: piece.md:9: link other.md#nowhere: other.md has no section #nowhere"),
        ("#nowhere", "error: piece.md:9: link #nowhere: piece.md has no section #nowhere"),
        ("later.md#part", "error: piece.md:9: link later.md#part: later.md has no text yet, so no section #part"),
        (
            "file:///etc/passwd",
            "error: piece.md:9: link file:///etc/passwd points to a file on this computer: link to a piece or a web page",
        ),
        (
            "data:text/html,hi",
            "error: piece.md:9: link data:text/html,hi: only http, https, mailto and tel links are allowed",
        ),
    ],
)
def test_broken_links_are_reported_and_never_left_live(link: str, problem: str) -> None:
    piece, problems = render_piece(f"Text.\n\nSee [this]({link}) here.\n")
    assert problems == [problem]
    assert "<a" not in piece.body
    assert "See this here." in piece.body


def test_each_broken_link_is_reported_where_it_is_written_among_good_ones() -> None:
    # Good links are never looked for in the text; a broken one after them is still found on its own line,
    # the same target used again on the next line, a reference link where it is used.
    body = (
        "See [other](other.md) first.\n\n"
        "Then [ghost](ghost.md) here, and [other](other.md) again.\n\n"
        "Now [a ghost][g], [the other](other.md) and [ghost](ghost.md).\n\n"
        "[g]: ghost.md\n"
    )
    rendered, problems = render_markdown(body)
    assert rendered is not None
    assert [(p.line, p.column, p.message) for p in problems] == [
        (9, 14, "link ghost.md: ghost.md does not exist"),
        (11, 5, "link ghost.md: ghost.md does not exist"),
        (11, 53, "link ghost.md: ghost.md does not exist"),
    ]


def test_site_relative_link_without_url_is_reported_and_kept_as_text(tmp_path: Path) -> None:
    root = tmp_path / "m"
    shutil.copytree(FIXTURES / "minimal", root)
    (root / "only.md").write_text("---\ntitle: Only\n---\n\nSee [the blog](/blog/x).\n", encoding="utf-8")
    problems = Problems()
    manuscript = load_manuscript(root, problems)
    assert manuscript is not None
    book = assemble_book(manuscript, problems)
    assert book is not None
    rendered = render_book(book, problems)
    assert [p.format() for p in problems.items] == [
        f"{root}/only.md:5: link /blog/x is relative to the website, and the piece has no 'url' to resolve it against; kept as text"
    ]
    assert rendered.pieces[0].body == "<p>See the blog.</p>"


def test_cross_links_in_the_linked_fixture(build_book) -> None:
    pieces = {p.piece.name: p for p in build_book("linked").rendered.pieces}
    body = pieces["second.md"].body
    assert '<a href="first-steps.xhtml">noticing the small moments</a>' in body
    assert '<a href="first-steps.xhtml">First Steps</a>' in body  # its url, made internal
    assert 'href="repair-after-a-disagreement.xhtml#a-simple-repair-plan"' in body


# --- images ---------------------------------------------------------------------------------------------

SQUARE = (FIXTURES / "linked" / "images" / "square.png").read_bytes()


def test_images_are_relative_to_the_piece_and_named_from_the_manuscript_root() -> None:
    piece, problems = render_piece("![A square](pictures/square.png)\n", {"pictures/square.png": SQUARE})
    assert problems == []
    assert '<img alt="A square" src="pictures/square.png"/>' in piece.body
    assert [(i.name, i.media_type, i.path.name) for i in piece.images] == [
        ("pictures/square.png", "image/png", "square.png")
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "image empty.png is empty or corrupt"),
        ("text.png", b"this is not a png", "image text.png is empty or corrupt"),
        ("cut.png", SQUARE[:40], "image cut.png is empty or corrupt"),
        ("bad.svg", b"<svg><unclosed></svg>", "image bad.svg is empty or corrupt"),
        ("notes.txt", b"text", "image notes.txt is not a PNG, JPEG, GIF, WebP or SVG file"),
    ],
)
def test_bad_image_files_are_errors(name: str, content: bytes, message: str) -> None:
    piece, problems = render_piece(f"Text.\n\n![Alt]({name})\n", {name: content})
    assert problems == [f"error: piece.md:9: {message}"]
    assert "<img" not in piece.body


def test_image_without_alt_is_a_warning() -> None:
    _, problems = render_piece('<img src="square.png">\n', {"square.png": SQUARE})
    assert problems == ["warning: piece.md:7: image square.png has no alt text"]


def test_remote_image_is_an_error_or_with_allow_remote_a_warning_and_left_out() -> None:
    source = "Text.\n\n![Far](https://example.com/far.png)\n"
    piece, problems = render_piece(source)
    assert problems == [
        "error: piece.md:9: remote image https://example.com/far.png is not fetched: copy it into the manuscript "
        "folder (or use --allow-remote to leave it out)"
    ]
    piece, problems = render_piece(source, allow_remote=True)
    assert problems == [
        "warning: piece.md:9: remote image https://example.com/far.png left out: building never fetches anything"
    ]
    assert piece.body == "<p>Text.</p>\n<p>Far</p>"
    assert piece.images == ()


def test_tags_that_are_no_html_are_shown_not_dropped() -> None:
    assert_renders(
        "Replace <name> with yours, <<like this>>.",
        "<p>Replace &lt;name&gt; with yours, &lt;&lt;like this&gt;&gt;.</p>",
    )
    # Beside known tags, in any case: those stay markup.
    assert_renders(
        "Replace <EM>this</EM> <Name> with <b>yours</B>.",
        "<p>Replace <em>this</em> &lt;Name&gt; with <b>yours</b>.</p>",
    )


# --- remote references in CSS ---------------------------------------------------------------------------


def test_remote_css_references_are_found_and_stripped() -> None:
    css = (
        '@import url("https://fonts.example.com/css?family=X");\n'
        "@import 'http://example.com/a.css' screen;\n"
        "body { background: url(//cdn.example.com/bg.png) no-repeat; }\n"
        '@font-face { src: url("fonts/local.otf"); }\n'
        "h1 { background: url('images/local.png'); }\n"
    )
    assert remote_css_references(css) == [
        (1, "https://fonts.example.com/css?family=X", "stylesheet"),
        (2, "http://example.com/a.css", "stylesheet"),
        (3, "//cdn.example.com/bg.png", "resource in CSS"),
    ]
    stripped = strip_remote_css(css)
    assert "example.com" not in stripped
    assert "body { background: none no-repeat; }" in stripped
    assert 'url("fonts/local.otf")' in stripped and "url('images/local.png')" in stripped
    assert remote_css_references(stripped) == []


# --- raw HTML made valid ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # An inline tag left open around blocks gives way to them (HTML parsing would repeat it into each).
        ("Some <b>bold\n\n> a quote", "<p>Some <b>bold</b></p>\n<blockquote>\n<p>a quote</p>\n</blockquote>"),
        # A paragraph that holds a block becomes a div; a block inside a heading becomes its text.
        ("<p>text<blockquote>quoted</blockquote></p>", "<p>text</p><blockquote>quoted</blockquote>"),
        ("<h2>Title <ul><li>one</li></ul></h2>", '<h2 id="title-one">Title one  </h2>'),
        # List, definition list and table parts outside their parents keep their text.
        ("<li>an item</li>", "<div>an item</div>"),
        ("<dl>loose<dd>no term</dd></dl>", "<div>loose<div>no term</div></div>"),
        ("<td>a cell</td>", "a cell"),
        ("<table>text<tr><td>a</td></tr><caption>late</caption></table>",
         "text<table><caption>late</caption><tbody><tr><td>a</td></tr></tbody></table>"),
        # A void element that the HTML parser filled is emptied again; a link inside a link is unwrapped.
        ("a <wbr> b <code>c</code>", "<p>a <wbr/> b <code>c</code></p>"),
        ('<a href="#x">out <a href="#x">in</a></a> <span id="x"></span>', '<p><a href="#x">out </a><a href="#x">in</a> <span id="x"/></p>'),
        # Attribute values HTML does not allow are dropped.
        ('<ol start="x" type="q"><li value="v">item</li></ol>', "<ol><li>item</li></ol>"),
        ('<p dir="sideways" lang="not a tag" id="has space">text</p>', "<p>text</p>"),
        ('<p dir="rtl" lang="he">שלום</p>', '<p dir="rtl" lang="he">שלום</p>'),
        # Empty headings are dropped (they would be empty table of contents entries).
        ("## <b></b>\n\nText.", "<p>Text.</p>"),
    ],
)  # fmt: skip
def test_raw_html_is_made_valid(source: str, expected: str) -> None:
    assert_renders(source, expected)


def test_note_started_inside_a_note_stays_one_note() -> None:
    piece, _ = render_piece("Text.[^a]\n\n[^a]:\n    <li> part one\n\n    part two\n")
    notes = parse_fragment(piece.body).findall(".//{http://www.w3.org/1999/xhtml}ol/{http://www.w3.org/1999/xhtml}li")
    assert [li.get("id") for li in notes] == ["fn-a"]
    assert "part one" in "".join(notes[0].itertext())


def test_cross_links_are_internal_in_the_pdf_too(build_book) -> None:
    from pypdf import PdfReader

    destinations, uris = set(), set()
    for page in PdfReader(build_book("linked").pdf).pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if "/Dest" in annotation:
                destinations.add(str(annotation["/Dest"]))
            if "/A" in annotation and "/URI" in annotation["/A"]:
                uris.add(str(annotation["/A"]["/URI"]))
    # second.md links to first.md, to first.md's url and to third.md#a-simple-repair-plan.
    assert {"first-steps", "repair-after-a-disagreement--a-simple-repair-plan"} <= destinations
    assert not any(".xhtml" in uri or "blog/first-steps" in uri for uri in uris)


def test_characters_html_allows_nowhere_are_left_out_in_every_plane() -> None:
    kept = "a\t\n\r é\xa0\ufdcf\ufdf0\ufffd\U0001f600\U0001fffd\U0010fffd"
    dropped = "\x00\x08\x0b\x0c\x0e\x1f\x7f\x85\x9f\ufdd0\ufdef\ufffe\uffff\U0001fffe\U0001ffff\U0010fffe\U0010ffff"
    assert strip_control_chars(dropped + kept + dropped) == kept
    assert strip_control_chars("plain text") == "plain text"
    assert strip_control_chars("") == ""
    # A lone surrogate (left for the XML checks to report) neither hides an astral noncharacter nor fails.
    assert strip_control_chars("\ud800é\U0010ffff") == "\ud800é"


def test_remote_stylesheet_in_raw_html_is_reported_whatever_the_case() -> None:
    _, problems = render_piece(
        'Text.\n\n<LINK REL="Stylesheet" HREF="https://example.com/a.css">\n\n<p STYLE="background: url(//example.com/b.png)">x</p>\n'
    )
    assert [p.split(": ", 1)[1] for p in problems] == [
        "piece.md:9: remote stylesheet https://example.com/a.css is not fetched: copy it into the manuscript folder (or use --allow-remote to leave it out)",
        "piece.md:11: remote resource in CSS //example.com/b.png is not fetched: copy it into the manuscript folder (or use --allow-remote to leave it out)",
    ]


def test_fenced_code_is_written_plainly_without_importing_pygments() -> None:
    """Python-Markdown's fenced code would import Pygments (some milliseconds at every start) for nothing."""
    pytest.importorskip("pygments")
    script = (
        "import sys\n"
        "from publish.render import convert_markdown\n"
        "html = convert_markdown('```python\\nprint(1)\\n```\\n').html\n"
        "print(html)\n"
        "print('pygments' in sys.modules)\n"
        "import pygments\n"  # still importable afterwards
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    html, imported = result.stdout.strip().rsplit("\n", 1)
    assert html == '<pre><code class="language-python">print(1)\n</code></pre>'
    assert imported == "False"


def test_remote_resource_in_a_style_attribute_is_reported_beside_an_aligned_table() -> None:
    # The table's own alignment styles refer to nothing; the cell an author styled by hand still does.
    _, problems = render_piece(
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
        '<table><tr><td style="text-align: left; background: url(https://example.com/c.png)">x</td></tr></table>\n'
    )
    assert [p.split(": ", 1)[1] for p in problems] == [
        "piece.md:11: remote resource in CSS https://example.com/c.png is not fetched: copy it into the manuscript "
        "folder (or use --allow-remote to leave it out)",
    ]
    _, problems = render_piece("| a | b | c |\n|:--|--:|:-:|\n| 1 | 2 | 3 |\n")
    assert problems == []
