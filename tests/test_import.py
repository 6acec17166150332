"""``publish import``: saved pages, a WordPress export and a plain-text copy become pieces of a manuscript.

The fixtures under ``tests/fixtures/import/`` are Squarespace-like pages and an export written
for these tests, and the plain-text copy of the demo article (``supporting-your-partner.txt``).
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.build import prepare
from publish.cli import main
from publish.epub import write_epub
from publish.errors import Problems
from publish.importer.html_to_markdown import html_to_markdown
from publish.manuscript import load_piece
from publish.render import RenderedBook, RenderedPiece, new_markdown

from conftest import DEMO, DEMO_SECTIONS, FIXTURES
from validators import epubcheck_messages

IMPORT = FIXTURES / "import"
SEED = IMPORT / "supporting-your-partner.txt"
PAGES = IMPORT / "pages"
EXPORT = IMPORT / "export" / "example-counseling.xml"
DEMO_PIECE = "supporting-your-partner-in-developing-self-compassion.md"
FOREST = "Forest Bathing in Barton Creek Greenbelt: What to Notice, How to Breathe"
COMPLIMENTS = "Why Do Compliments Make Me Uncomfortable?"
# Text of the pages' navigation, header, footer, share buttons, comments, cookie banner and scripts.
FURNITURE = [
    "tracking script text", "late script text", "Squarespace", "Share on Facebook", "Tweet This", "Pin It",
    "Email This", "About Our Practice", "Therapy Services", "Skip to Content", "Book a Free Consultation",
    "Comments (0)", "Tags:", "cookies", "Privacy Policy", "Hidden editor note", "Jordan is a licensed counselor",
    "100 Example Street", "Leave a comment", "Older Posts", "Menu",
]  # fmt: skip


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import never fetches anything: any attempt to connect fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("publish import tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def run(cwd: Path, *args: str | Path) -> Result:
    """Run ``publish import`` in ``cwd``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, ["import", *map(str, args)], prog_name="publish")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def blocks_of(piece: RenderedPiece) -> list[tuple[str, str]]:
    """The rendered piece as (tag, text) for each paragraph and heading."""
    root = lxml.html.fragment_fromstring(piece.body, create_parent="div")
    return [(el.tag, " ".join(el.text_content().split())) for el in root.iter("p", "h2", "h3", "h4")]


def seed_parts() -> tuple[str, str, list[str], list[str]]:
    """The seed page read independently of the importer: title, image description, body blocks, linked titles."""
    blocks = [b.strip() for b in SEED.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    title, description, *body = blocks
    assert body[-4:-2] == ["Previous\nPrevious", FOREST] and body[-2] == "Next\nNext"
    return title, description, body[:-4], [body[-3], body[-1]]


def spine_hrefs(epub: Path) -> list[str]:
    """The EPUB's reading order, as document paths inside the zip."""
    with zipfile.ZipFile(epub) as archive:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_path))
    base = posixpath.dirname(opf_path)
    items = {item.get("id"): item.get("href") for item in opf.iterfind(".//{*}manifest/{*}item")}
    return [posixpath.join(base, items[ref.get("idref")]) for ref in opf.iterfind(".//{*}spine/{*}itemref")]


def epub_text(epub: Path) -> str:
    """All the text of the EPUB's XHTML documents."""
    texts = []
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if name.endswith(".xhtml"):
                texts.append(" ".join(etree.fromstring(archive.read(name)).xpath("string()").split()))
    return "\n".join(texts)


# --- the plain-text copy of the demo article ---------------------------------------------------------------


def test_plain_text_copy_becomes_the_article_paragraph_for_paragraph(tmp_path: Path) -> None:
    result = run(tmp_path, SEED)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created manuscript/book.yaml",
        f"created manuscript/{DEMO_PIECE}",
        "created manuscript/forest-bathing-in-barton-creek-greenbelt-what-to-notice-how-to-breathe.md",
        "created manuscript/why-do-compliments-make-me-uncomfortable.md",
    ]
    assert "Warning: " in result.stderr and "no author is known" in result.stderr
    rendered = prepare(tmp_path / "manuscript")
    title, description, body, linked = seed_parts()
    [piece] = rendered.pieces
    assert piece.title == title
    assert piece.piece.image_alt == description
    expected = [("h2", block) if block in DEMO_SECTIONS else ("p", block) for block in body]
    assert blocks_of(piece) == expected
    assert [text for tag, text in blocks_of(piece) if tag == "h2"] == DEMO_SECTIONS
    assert [p.title for p in rendered.link_only] == linked == [FOREST, COMPLIMENTS]
    assert [p.title for p in rendered.book.pieces] == [FOREST, title, COMPLIMENTS]
    meta = rendered.book.meta
    assert (meta.title, meta.start, meta.language, meta.author) == (title, DEMO_PIECE, "en-US", "Unknown author")


def test_plain_text_copy_matches_the_demo_manuscript(tmp_path: Path) -> None:
    assert run(tmp_path, SEED, "--author", "Your Practice Name").exit_code == 0
    imported = load_piece(tmp_path / "manuscript", tmp_path / "manuscript" / DEMO_PIECE, Problems())
    demo = load_piece(DEMO, DEMO / DEMO_PIECE, Problems())
    assert imported is not None and demo is not None
    assert imported.body.strip() == demo.body.strip()
    assert (imported.title, imported.image_alt) == (demo.title, demo.image_alt)
    assert "author: Your Practice Name" in (tmp_path / "manuscript" / "book.yaml").read_text(encoding="utf-8")


# --- saved pages ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    """A manuscript made by one import, rendered and written as an EPUB."""

    root: Path
    result: Result
    rendered: RenderedBook
    epub: Path


def _import_and_build(folder: Path, *args: str | Path) -> Imported:
    result = run(folder, *args, "-m", folder / "manuscript")
    assert result.exit_code == 0, result.output
    rendered = prepare(folder / "manuscript")
    return Imported(folder / "manuscript", result, rendered, write_epub(rendered, folder / "book.epub"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The three saved pages, given out of order, imported into a new manuscript."""
    folder = tmp_path_factory.mktemp("pages")
    return _import_and_build(folder, PAGES / "small-steps.html", PAGES / "when-worry-wakes-you.html",
                             PAGES / "Grounding Techniques for Anxious Moments.html")  # fmt: skip


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """The WordPress export imported into a new manuscript."""
    return _import_and_build(tmp_path_factory.mktemp("export"), EXPORT)


PAGE_TITLES = [
    "Grounding Techniques for Anxious Moments",
    "When Worry Wakes You at Night",
    "Small Steps Toward Self-Kindness",
]
POST_TITLES = ["Noticing the Body’s Signals", "Making Room for Difficult Feelings", "Rest Is Not a Reward"]


def test_pages_are_linked_in_previous_next_order(pages: Imported) -> None:
    assert [p.title for p in pages.rendered.pieces] == PAGE_TITLES
    assert [p.title for p in pages.rendered.link_only] == ["Letting Go of the Perfect Morning Routine"]
    spine = spine_hrefs(pages.epub)
    chapters = [spine.index(next(h for h in spine if h.endswith(p.filename))) for p in pages.rendered.pieces]
    assert chapters == sorted(chapters)


def test_pages_keep_their_metadata(pages: Imported) -> None:
    first, second, third = (p.piece for p in pages.rendered.pieces)
    assert (first.date, second.date, third.date) == ("2025-03-04", "2025-03-18", "2025-04-01")
    assert first.url == "https://www.example-practice.com/blog/grounding-techniques-for-anxious-moments"
    assert first.name == "grounding-techniques-for-anxious-moments.md"
    assert (first.image, first.image_alt) == (
        "images/image-asset.jpg",
        "A hand resting on a mossy stone beside a shallow creek.",
    )
    # The site-relative Previous link of the second page is resolved against its URL.
    assert (second.previous, second.next) == (first.name, third.name)
    assert third.previous == second.name and third.next is None
    meta = pages.rendered.book.meta
    assert (meta.title, meta.author, meta.language, meta.start) == (PAGE_TITLES[2], "Jordan Doe", "en-US", third.name)
    link_only = (pages.root / "letting-go-of-the-perfect-morning-routine.md").read_text(encoding="utf-8")
    assert link_only == (
        "---\ntitle: Letting Go of the Perfect Morning Routine\n"
        "url: https://www.example-practice.com/blog/letting-go-of-the-perfect-morning-routine\n"
        f"next: {first.name}\n---\n"
    )


def test_pages_copy_their_local_images_only(pages: Imported) -> None:
    assert snapshot(pages.root / "images") == {
        "image-asset.jpg": (PAGES / "Grounding Techniques for Anxious Moments_files" / "image-asset.jpeg").read_bytes(),
        "night-window.png": (PAGES / "when-worry-wakes-you_files" / "night-window.png").read_bytes(),
    }
    assert "![A window at night with a crescent moon.](images/night-window.png)" in (
        pages.root / "when-worry-wakes-you-at-night.md"
    ).read_text(encoding="utf-8")
    assert (
        "Warning: when-worry-wakes-you.html: remote image "
        "https://images.squarespace-cdn.com/content/v1/5f0a/teacup.jpg?format=750w is not fetched: left out"
    ) in pages.result.stderr.replace(str(PAGES) + "/", "")


def test_pages_bring_the_article_body_and_nothing_else(pages: Imported) -> None:
    text = epub_text(pages.epub)
    for furniture in FURNITURE:
        assert furniture not in text
    markdown = "\n".join(path.read_text(encoding="utf-8") for path in pages.root.glob("*.md"))
    for furniture in FURNITURE:
        assert furniture not in markdown
    grounding = (pages.root / "grounding-techniques-for-anxious-moments.md").read_text(encoding="utf-8")
    assert "## Three Practices to Try\n\n- **Name five things you can see.** Say them out loud" in grounding
    assert "in a *physical* way." in grounding
    assert "> “You can’t stop the waves, but you can learn to surf.”" in grounding
    # The footnote-like aside becomes a footnote, its number and back-link taken out.
    assert "safe to stand down.[^1] Noticing" in grounding
    assert grounding.rstrip().endswith("[^1]: Slow breathing with a longer exhale is a common relaxation exercise; "
                                       "ask your doctor before trying breath-holding exercises if you have a heart or lung condition.")  # fmt: skip
    worry = (pages.root / "when-worry-wakes-you-at-night.md").read_text(encoding="utf-8")
    assert "1. Get out of bed" in worry and "3. Keep a notebook" in worry
    # Text that looks like Markdown stays text.
    assert r"Don’t worry if \*that\* feels odd" in worry and "\n3\\. Write it down" in worry
    assert (
        "[Small Steps Toward Self-Kindness](https://www.example-practice.com/blog/small-steps-toward-self-kindness)"
        in worry
    )
    small = (pages.root / "small-steps-toward-self-kindness.md").read_text(encoding="utf-8")
    # The page's top body heading (h3) becomes ##, its h4 ###.
    assert "\n## Start With *Noticing*\n" in small and "\n### A Note on Patience\n" in small
    assert "return to:  \n“This is hard, and I’m doing my best.”  \n“Mistakes" in small
    assert "> Talk to yourself like you would to someone you love.\n>\n> — Brené Brown" in small
    assert "Self-Kindness" not in small.split("---")[2].split("\n\n")[1]  # the title is not repeated in the body


def test_pages_link_to_each_other_inside_the_book(pages: Imported) -> None:
    worry = next(p for p in pages.rendered.pieces if p.title == PAGE_TITLES[1])
    small = next(p for p in pages.rendered.pieces if p.title == PAGE_TITLES[2])
    assert f'href="{small.filename}"' in worry.body


@pytest.mark.slow
def test_imported_pages_pass_epubcheck(pages: Imported) -> None:
    assert epubcheck_messages(pages.epub) == []


# --- a WordPress export -----------------------------------------------------------------------------------------


def test_export_posts_are_linked_by_date(export: Imported) -> None:
    assert [p.title for p in export.rendered.pieces] == POST_TITLES
    assert export.rendered.link_only == ()
    assert [p.piece.date for p in export.rendered.pieces] == ["2024-11-05", "2024-12-10", "2025-01-14"]
    spine = spine_hrefs(export.epub)
    chapters = [spine.index(next(h for h in spine if h.endswith(p.filename))) for p in export.rendered.pieces]
    assert chapters == sorted(chapters)
    meta = export.rendered.book.meta
    assert (meta.author, meta.language, meta.start) == ("Jordan Doe", "en-US", "noticing-the-bodys-signals.md")
    # Pages, attachments and drafts are not posts to import.
    assert sorted(p.name for p in export.root.glob("*.md")) == [
        "making-room-for-difficult-feelings.md", "noticing-the-bodys-signals.md", "rest-is-not-a-reward.md",
    ]  # fmt: skip


def test_export_posts_keep_text_images_and_notes(export: Imported) -> None:
    noticing, making, rest = (p.piece for p in export.rendered.pieces)
    # Content written without <p> (WordPress style): blank lines separate paragraphs.
    assert noticing.body.strip().split("\n\n")[:2] == [
        "Your body often knows you are stressed before your mind admits it. Tight shoulders, a clenched jaw, "
        "a shallow breath: these are messages, not malfunctions.",
        "Try a quick check-in a few times a day. Start at the top of your head and move slowly down, noticing "
        "without trying to fix anything.",
    ]
    assert noticing.image is None and noticing.image_alt == "A person rolling their shoulders at a desk by a window."
    assert (
        "remote image https://images.squarespace-cdn.com/content/v1/5f0a/shoulders.jpg is not fetched"
        in export.result.stderr
    )
    assert "![Soft afternoon light falling across a wooden floor.](images/window-light.png)" in making.body
    assert (export.root / "images" / "window-light.png").read_bytes() == (
        EXPORT.parent / "images" / "window-light.png"
    ).read_bytes()
    assert making.body.rstrip().endswith("[^1]: Naming an emotion is sometimes called “affect labeling.”")
    assert "## Where the Belief Comes From" in rest.body
    text = epub_text(export.epub)
    for furniture in (
        "tracking script text",
        "Share on Facebook",
        "Tweet This",
        "Pin It",
        "Unfinished draft text",
        "small counseling practice",
    ):
        assert furniture not in text
    noticing_file = export.rendered.pieces[0].filename
    assert f'href="{noticing_file}"' in export.rendered.pieces[2].body


@pytest.mark.slow
def test_imported_export_passes_epubcheck(export: Imported) -> None:
    assert epubcheck_messages(export.epub) == []


def test_export_only_one_post_links_its_neighbours(tmp_path: Path) -> None:
    result = run(tmp_path, EXPORT, "--only", "rest-is-not-a-reward")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created manuscript/book.yaml",
        "created manuscript/rest-is-not-a-reward.md",
        "created manuscript/making-room-for-difficult-feelings.md",
    ]
    assert (tmp_path / "manuscript" / "making-room-for-difficult-feelings.md").read_text(encoding="utf-8") == (
        "---\ntitle: Making Room for Difficult Feelings\n"
        "url: https://www.example-practice.com/blog/making-room-for-difficult-feelings\n"
        "next: rest-is-not-a-reward.md\n---\n"
    )
    rendered = prepare(tmp_path / "manuscript")
    assert [p.title for p in rendered.pieces] == ["Rest Is Not a Reward"]


def test_export_drafts_only_when_asked(tmp_path: Path) -> None:
    assert run(tmp_path, EXPORT, "--drafts", "--only", "notes-for-a-future-post").exit_code == 0
    assert (tmp_path / "manuscript" / "notes-for-a-future-post.md").is_file()
    result = run(tmp_path, EXPORT, "--only", "notes-for-a-future-post", "-m", tmp_path / "other")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --only notes-for-a-future-post: no post with that slug in the export (its posts: "
        "making-room-for-difficult-feelings, noticing-the-bodys-signals, rest-is-not-a-reward)\n"
    )
    assert not (tmp_path / "other").exists()


# --- importing again ----------------------------------------------------------------------------------------------


def test_a_link_only_piece_is_filled_in_place(tmp_path: Path) -> None:
    root = shutil.copytree(DEMO, tmp_path / "manuscript")
    result = run(tmp_path, IMPORT / "forest-bathing.txt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "updated manuscript/forest-bathing-in-barton-creek-greenbelt.md",
        "created manuscript/walking-meditation-for-busy-minds.md",
    ]
    piece = load_piece(root, root / "forest-bathing-in-barton-creek-greenbelt.md", Problems())
    assert piece is not None and piece.title == FOREST
    assert piece.next == DEMO_PIECE  # kept, as the page says too
    assert piece.previous == "walking-meditation-for-busy-minds.md"
    assert piece.body.strip().startswith("(A test fixture written for the import tests")
    assert "## What to Notice" in piece.body
    rendered = prepare(root)
    assert [p.title for p in rendered.pieces] == [FOREST, "Supporting Your Partner in Developing Self-Compassion"]
    assert [p.title for p in rendered.link_only] == ["Walking Meditation for Busy Minds", COMPLIMENTS]
    # Everything else is as it was.
    changed = {"forest-bathing-in-barton-creek-greenbelt.md", "walking-meditation-for-busy-minds.md"}
    assert {k: v for k, v in snapshot(root).items() if k not in changed} == {
        k: v for k, v in snapshot(DEMO).items() if k not in changed
    }


def test_a_link_only_piece_in_a_folder_is_filled_in_place_with_links_relative_to_it(tmp_path: Path) -> None:
    root = tmp_path / "manuscript"
    (root / "essays").mkdir(parents=True)
    (root / "book.yaml").write_text(
        "title: Essays\nauthor: A. Author\nlanguage: en-US\nstart: essays/forest.md\n", encoding="utf-8"
    )
    (root / "essays" / "forest.md").write_text(f'---\ntitle: "{FOREST}"\n---\n', encoding="utf-8")
    result = run(tmp_path, IMPORT / "forest-bathing.txt")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "updated manuscript/essays/forest.md",
        "created manuscript/walking-meditation-for-busy-minds.md",
        f"created manuscript/{DEMO_PIECE}",
    ]
    piece = load_piece(root, root / "essays" / "forest.md", Problems())
    assert piece is not None
    assert (piece.previous, piece.next) == ("../walking-meditation-for-busy-minds.md", f"../{DEMO_PIECE}")
    assert "next: essays/forest.md\n" in (root / "walking-meditation-for-busy-minds.md").read_text(encoding="utf-8")
    assert [p.name for p in prepare(root).book.pieces] == [
        "walking-meditation-for-busy-minds.md", "essays/forest.md", DEMO_PIECE,
    ]  # fmt: skip


def test_a_piece_with_text_is_not_overwritten_without_force(tmp_path: Path) -> None:
    root = shutil.copytree(DEMO, tmp_path / "manuscript")
    result = run(tmp_path, SEED)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"skipped manuscript/{DEMO_PIECE} (has text; use --force)\n"
    assert snapshot(root) == snapshot(DEMO)


def test_force_overwrites_a_piece_with_text(tmp_path: Path) -> None:
    root = shutil.copytree(DEMO, tmp_path / "manuscript")
    piece = root / DEMO_PIECE
    piece.write_text(piece.read_text(encoding="utf-8") + "\nA paragraph added by hand.\n", encoding="utf-8")
    result = run(tmp_path, SEED, "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"updated manuscript/{DEMO_PIECE}\n"
    again = load_piece(root, piece, Problems())
    demo = load_piece(DEMO, DEMO / DEMO_PIECE, Problems())
    assert again is not None and demo is not None
    assert again.body.strip() == demo.body.strip()
    # Matched by title, the linked pieces keep the demo's file names.
    assert (again.previous, again.next) == (demo.previous, demo.next)
    assert {k: v for k, v in snapshot(root).items() if k != DEMO_PIECE} == {
        k: v for k, v in snapshot(DEMO).items() if k != DEMO_PIECE
    }
    # Once more: nothing new to write.
    assert run(tmp_path, SEED, "--force").stdout == f"unchanged manuscript/{DEMO_PIECE}\n"


def test_importing_the_same_pages_again_skips_them(pages: Imported, tmp_path: Path) -> None:
    root = shutil.copytree(pages.root, tmp_path / "manuscript")
    result = run(tmp_path, *sorted(PAGES.glob("*.html")))
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == [
        "skipped manuscript/grounding-techniques-for-anxious-moments.md (has text; use --force)",
        "skipped manuscript/small-steps-toward-self-kindness.md (has text; use --force)",
        "skipped manuscript/when-worry-wakes-you-at-night.md (has text; use --force)",
    ]
    assert snapshot(root) == snapshot(pages.root)


# --- bad sources -------------------------------------------------------------------------------------------------

BAD = [
    ("bad/not-html.html", "not an HTML page: no <html>, <head> or <body> tag (save the article page from the browser)"),
    ("bad/empty-export.xml", "no posts in this WordPress export"),
    ("bad/no-article.html", "no article text found (looked for .blog-item-content, <article>, <main> and paragraphs)"),
    ("bad/missing.html", "cannot read file: No such file or directory"),
]


@pytest.mark.parametrize(("source", "message"), BAD)
def test_a_bad_source_is_an_error_and_changes_nothing(tmp_path: Path, source: str, message: str) -> None:
    root = shutil.copytree(DEMO, tmp_path / "manuscript")
    # A good source given with it is not imported either: everything is read before anything is written.
    result = run(IMPORT, PAGES / "small-steps.html", source, "-m", root)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {source}: {message}\n"
    assert result.stdout == ""
    assert snapshot(root) == snapshot(DEMO)
    result = run(IMPORT, source, "-m", tmp_path / "new")
    assert (result.exit_code, result.stderr) == (1, f"Error: {source}: {message}\n")
    assert not (tmp_path / "new").exists()


def test_a_file_not_in_utf8_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_bytes("Caf\u00e9 Notes\n\nA paragraph.\n".encode("latin-1"))
    result = run(tmp_path, "page.txt")
    assert result.exit_code == 1
    assert result.stderr == "Error: page.txt:1: not valid UTF-8: byte 0xE9 at offset 3; save the file as UTF-8\n"
    assert not (tmp_path / "manuscript").exists()


def test_the_kind_of_source_is_told_by_its_content(tmp_path: Path) -> None:
    shutil.copytree(PAGES, tmp_path / "saved")
    (tmp_path / "saved" / "small-steps.html").rename(tmp_path / "saved" / "page.txt")
    result = run(tmp_path, "saved/page.txt")
    assert result.exit_code == 0, result.output
    assert "created manuscript/small-steps-toward-self-kindness.md" in result.stdout.splitlines()


def test_language_comes_from_the_page_and_marks_a_piece_in_another_language(tmp_path: Path) -> None:
    page = (PAGES / "small-steps.html").read_text(encoding="utf-8")
    (tmp_path / "british.html").write_text(page.replace('lang="en-US"', 'lang="en-GB"'), encoding="utf-8")
    assert run(tmp_path, "british.html", "-m", "new").exit_code == 0
    assert "language: en-GB\n" in (tmp_path / "new" / "book.yaml").read_text(encoding="utf-8")
    # Into the demo (en-US), a Spanish page is marked as such; a British one is not.
    root = shutil.copytree(DEMO, tmp_path / "manuscript")
    (tmp_path / "spanish.html").write_text(page.replace('lang="en-US"', 'lang="es"'), encoding="utf-8")
    assert run(tmp_path, "spanish.html").exit_code == 0
    piece = load_piece(root, root / "small-steps-toward-self-kindness.md", Problems())
    assert piece is not None and piece.lang == "es"


def test_a_page_without_article_markup_falls_back_to_its_largest_text_block(tmp_path: Path) -> None:
    (tmp_path / "plain.html").write_text(
        "<html><head><title>Quiet Mornings | Example Counseling</title>"
        '<meta property="og:site_name" content="Example Counseling"></head><body>'
        '<div class="menu"><p>Home</p><p>Contact us</p></div>'
        '<div class="post"><p>The first paragraph of the post.</p><p>The second paragraph of the post.</p></div>'
        '<div class="aside"><p>A short note.</p></div></body></html>',
        encoding="utf-8",
    )
    result = run(tmp_path, "plain.html", "--author", "A. Author")
    assert result.exit_code == 0, result.output
    piece = load_piece(tmp_path / "manuscript", tmp_path / "manuscript" / "quiet-mornings.md", Problems())
    assert piece is not None and piece.title == "Quiet Mornings"
    assert piece.body.strip() == "The first paragraph of the post.\n\nThe second paragraph of the post."


def test_an_export_declaring_entities_is_refused(tmp_path: Path) -> None:
    export = EXPORT.read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
    )
    (tmp_path / "export.xml").write_text(export, encoding="utf-8")
    result = run(tmp_path, "export.xml")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: export.xml: the file declares XML entities, which a WordPress export never does: not read\n"
    )


def test_only_needs_an_export(tmp_path: Path) -> None:
    result = run(tmp_path, SEED, "--only", "x")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: --only names posts of a WordPress export, and no export was given\n",
    )
    assert not (tmp_path / "manuscript").exists()


# --- HTML to Markdown ---------------------------------------------------------------------------------------


def convert(html: str, base_url: str | None = None) -> str:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return html_to_markdown(root, lambda image: f"images/{image.get('src')}", base_url)


@pytest.mark.parametrize(
    ("source", "markdown"),
    [
        ("<p>a <em>b </em>c</p>", "a *b* c"),
        ("<p><strong><em>both</em> and</strong></p>", "***both* and**"),
        ("<p><em><em>twice</em></em></p>", "*twice*"),
        ("<p>line<br>break</p>", "line  \nbreak"),
        ("<p>&nbsp;</p><p>text</p>", "text"),
        ("<ul><li><p>one</p></li><li>two<ul><li>nested</li></ul></li></ul>", "- one\n- two\n    - nested"),
        ("<ol start='3'><li>c</li><li>d</li></ol>", "3. c\n4. d"),
        ("<blockquote><p>q1</p><p>q2</p></blockquote>", "> q1\n>\n> q2"),
        ("<h1>Top</h1><p>x</p><h2>Sub</h2>", "## Top\n\nx\n\n### Sub"),
        ("<h2><strong>Bold heading #</strong></h2>", "## Bold heading \\#"),
        ("<p><a href='/blog/x'>rel</a> <a href='javascript:void(0)'>js</a> <a href='#top'>top</a></p>",
         "[rel](https://example.com/blog/x) js top"),
        ("<p><a href='https://e.com/a (b)'><img src='i.png' alt='pic'></a></p>", "![pic](images/i.png)"),
        ("<p>1. not a list</p><p># not a heading</p><p>- not an item</p><p>&gt; not a quote</p>",
         "1\\. not a list\n\n\\# not a heading\n\n\\- not an item\n\n\\> not a quote"),
        ("<p>*stars* _under_ [brackets] `ticks` \\ back &lt;b&gt; &amp;amp;</p>",
         "\\*stars\\* \\_under\\_ \\[brackets\\] \\`ticks\\` \\\\ back &lt;b> &amp;amp;"),
        ("<p>see<sup><a href='#n1'>1</a></sup> and<sup><a href='#n1'>1</a></sup></p><ol><li id='n1'>1. The note. <a href='#r'>↩</a></li></ol>",
         "see[^1] and[^1]\n\n[^1]: The note."),
        ("<table><tr><th>a</th><th>b|c</th></tr><tr><td>1</td><td>2</td></tr></table>", "| a | b\\|c |\n| --- | --- |\n| 1 | 2 |"),
        ("<p>x<script>alert(1)</script> y</p>", "x y"),
    ],
)  # fmt: skip
def test_html_to_markdown(source: str, markdown: str) -> None:
    from publish.importer.clean import clean_article

    root = lxml.html.fragment_fromstring(source, create_parent="div")
    clean_article(root)
    assert (
        html_to_markdown(root, lambda image: f"images/{image.get('src')}", "https://example.com/blog/post") == markdown
    )


def _rendered_text(markdown: str) -> str:
    root = lxml.html.fragment_fromstring(new_markdown().convert(markdown), create_parent="div")
    return " ".join(root.text_content().split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="ab 1.#>*_-+[]()!`\\<>&;:=|{}^~/", min_size=1, max_size=40))
def test_text_stays_text(text: str) -> None:
    # Python-Markdown's smarty extension (used for every book) makes -- and ... typographic on purpose.
    assume("--" not in text and ".." not in text and text.strip())
    markdown = convert(f"<p>{html.escape(text, quote=False)}</p>")
    assert _rendered_text(markdown) == " ".join(text.split()), markdown


def test_no_markup_is_left_in_the_markdown_of_a_page(pages: Imported) -> None:
    for path in pages.root.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<(?!sup>|/sup>)[a-z]", text), path.name
