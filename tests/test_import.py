"""``publish import``: saved pages, a WordPress export and a plain-text copy become pieces of a manuscript.

The fixtures under ``tests/fixtures/import/`` are Squarespace-like pages and an export written
for these tests, and the plain-text copy of the demo article (``supporting-your-partner.txt``).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
import socket
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from publish.build import prepare
from publish.cli import main
from publish.epub.package import write_epub
from publish.errors import Problems
from publish.importer.clean import take_pagination_links
from publish.importer.extract import markdown_text
from publish.importer.html_to_markdown import html_to_markdown
from publish.importer.images import ImageNamer
from publish.importer.model import Article, Link
from publish.importer.page import read_page
from publish.importer.plan import url_key
from publish.manuscript import load_piece
from publish.render import RenderedBook, RenderedPiece, new_markdown

from conftest import DEMO, DEMO_SECTIONS, FIXTURES, write_manuscript
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
    unused = run(tmp_path, EXPORT, "--selector", "main", "-m", tmp_path / "from-export", "--author", "A")
    assert unused.exit_code == 0 and (
        "Warning: --selector 'main' applies to saved pages, and no page was given\n" in unused.stderr
    )


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
    root = write_manuscript(
        tmp_path / "manuscript",
        {"essays/forest.md": f'---\ntitle: "{FOREST}"\n---\n'},
        title="Essays",
        author="A. Author",
        language="en-US",
    )
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
    (
        "bad/no-article.html",
        "no article text found (looked for the platforms' article blocks and the page's main content)",
    ),
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


# --- real pages and exports (tests/corpus/import, sources in its SOURCES.md) ------------------------------------

CORPUS = Path(__file__).parent / "corpus" / "import"
CORPUS_PAGES = sorted([*(CORPUS / "pages").iterdir(), *(CORPUS / "platforms").iterdir()])
RECALL_GOAL, PRECISION_GOAL = 0.97, 0.95
# Pages below the goal, with the figures measured when the extractor was chosen (recall, precision) and why:
# the test holds them to these figures and prints them.
BELOW_GOAL = {
    "ebb-org": (0.945, 0.998, "the expected text keeps the site's disclaimer box, which the import leaves out"),
    "firefox-nightly-blog": (0.856, 1.0, "the expected text keeps the readers' comments, which the import leaves out"),
    "mozilla-1": (0.975, 0.839, "a product page, not an article: the import keeps its Sync teaser"),
    "simplyfound-1": (0.911, 1.0, "the expected text keeps the captions of remote images, which are not fetched"),
}


def _words(text: str) -> Counter[str]:
    return Counter(word.casefold() for word in re.findall(r"\w+", text))


def recall_and_precision(expected: str, imported: str) -> tuple[float, float]:
    """Word recall and precision of the imported text against the expected text (multisets of words)."""
    wanted, got = _words(expected), _words(imported)
    common = sum((wanted & got).values())
    return common / max(1, sum(wanted.values())), common / max(1, sum(got.values()))


def read_corpus_page(folder: Path, tmp_path: Path) -> tuple[Article, Problems]:
    problems = Problems()
    source = folder / "source.html"
    article = read_page(source, source.read_text(encoding="utf-8"), ImageNamer(tmp_path), problems)
    assert article is not None, [p.format() for p in problems.items]
    return article, problems


@pytest.mark.parametrize("folder", CORPUS_PAGES, ids=lambda folder: folder.name)
def test_corpus_page_keeps_the_article_and_nothing_else(folder: Path, tmp_path: Path) -> None:
    article, _ = read_corpus_page(folder, tmp_path)
    recall, precision = recall_and_precision(
        (folder / "expected.txt").read_text(encoding="utf-8"), markdown_text(article.body)
    )
    if folder.name not in BELOW_GOAL:
        assert recall >= RECALL_GOAL and precision >= PRECISION_GOAL, (recall, precision)
        return
    least_recall, least_precision, why = BELOW_GOAL[folder.name]
    assert recall >= least_recall - 0.005 and precision >= least_precision - 0.005, (recall, precision)
    # Reported in pytest's summary (-ra) as XFAIL with the figures: below the goal, no worse than measured.
    pytest.xfail(f"below the goal: recall {recall:.3f}, precision {precision:.3f} ({why})")


PLATFORM_PAGES = sorted((CORPUS / "platforms").iterdir())


@pytest.mark.parametrize("folder", PLATFORM_PAGES, ids=lambda folder: folder.name)
def test_platform_page_gives_title_author_and_previous_next(folder: Path, tmp_path: Path) -> None:
    expected = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
    article, _ = read_corpus_page(folder, tmp_path)
    assert (article.title, article.author) == (expected["title"], expected["author"])
    assert (article.previous.title if article.previous else None) == expected["previous"]
    assert (article.next.title if article.next else None) == expected["next"]
    assert article.url is not None and article.url.startswith("https://")
    for link in (article.previous, article.next):
        assert link is None or (link.url is not None and link.url.startswith("https://"))


# Blog pages of readability's set that show previous/next links, and the titles they lead to.
PAGINATED = {
    "wordpress": (
        "Google Launches Invisible reCAPTCHA",
        "WeFoster Launches Hosting Platform Catered to Online Communities",
    ),
    "blogger": ("New gpg key", None),  # Blogger's "Older Post" link names no title: taken from its address
    "ars-1": (
        "Dozens of us government online whistleblower sites not secured by https",
        "Hidden files suggest street fighters ryu may come to smash bros",
    ),
}


@pytest.mark.parametrize("name", sorted(PAGINATED))
def test_corpus_blog_page_finds_its_previous_and_next(name: str, tmp_path: Path) -> None:
    article, _ = read_corpus_page(CORPUS / "pages" / name, tmp_path)
    found = (article.previous.title if article.previous else None, article.next.title if article.next else None)
    assert found == PAGINATED[name]


def _piece_files(root: Path) -> list[Path]:
    return sorted(path for path in root.glob("*.md"))


# Every real export: the posts imported (pieces with text), the link-only pieces, the previous/next links
# written and the book's title (the site's name). All published posts with a title and content are imported
# but two, each with a warning: 64-block's "Title" (only a dynamic block, no HTML) and the theme unit test's
# "Post Format: Image" (only a remote image); they stay as link-only pieces, their neighbours link to them.
EXPORTS = {
    "ttd-64-block-test-data.xml": (60, 1, 120, "Theme test data: Blocks"),
    "ttd-theme-preview.xml": (7, 0, 12, "Theme Preview"),
    "wpi-authors-multiline.xml": (1, 0, 0, "Authors Multiline"),
    "wpi-crazy-cdata-escaped.xml": (1, 0, 0, "Hello world!"),
    "wpi-post-content-blank-lines.xml": (1, 0, 0, "Export Datasets"),
    "wpi-slashes.xml": (1, 0, 0, "trunk"),
    "wpi-small-export.xml": (5, 0, 8, "trunk"),
    "wpi-theme-unit-test-data.xml": (53, 2, 108, "Theme Unit Test Data"),
    "wpi-valid-wxr-1.0.xml": (3, 0, 4, "Export Dataset"),
    "wpi-valid-wxr-1.1.xml": (1, 0, 0, "Export Datasets"),
    "wpi-wxr-simple.xml": (1, 0, 0, "My WordPress Website"),
    "wpi-wxr-utf-8-challenges.xml": (1, 0, 0, "My WordPress Website 🚀 \u202e\u202dمرحبا"),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_real_export_imports_every_post_with_its_links(name: str, tmp_path: Path) -> None:
    root = tmp_path / "manuscript"
    result = run(tmp_path, CORPUS / "exports" / name, "-m", root, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    pieces = [load_piece(root, path, Problems()) for path in _piece_files(root)]
    assert all(piece is not None for piece in pieces)
    with_text = [p for p in pieces if p is not None and not p.is_link_only]
    link_only = [p for p in pieces if p is not None and p.is_link_only]
    links = sum(bool(p.previous) + bool(p.next) for p in pieces if p is not None)
    book = yaml.safe_load((root / "book.yaml").read_text(encoding="utf-8"))
    assert (len(with_text), len(link_only), links, book["title"]) == EXPORTS[name]
    # Every post has its own file: the URLs (some only ?p=123) and the file names are all different.
    assert len({p.url for p in pieces if p is not None}) == len(pieces)


# --- the defects found on real blogs -------------------------------------------------------------------------------


def test_plain_permalinks_give_every_post_its_own_piece(tmp_path: Path) -> None:
    # Posts keyed by URL used to lose the query: every ?p=N was the first post ("'next' links form a cycle").
    root = tmp_path / "manuscript"
    result = run(tmp_path, CORPUS / "exports" / "wpi-small-export.xml", "-m", root, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        f"created {(root / name).as_posix()}"
        for name in ("hello-world.md", "foo-child.md", "top-level-foo.md", "non-standard-post-format.md",
                     "many-categories.md")
    ]  # fmt: skip
    hello = load_piece(root, root / "hello-world.md", Problems())
    assert hello is not None and (hello.url, hello.next) == ("http://localhost/?p=1", "foo-child.md")


def _page(tmp_path: Path, name: str, head: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(
        f'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    )
    return path


ARTICLE_TEXT = " ".join(["Breathing out slowly tells the body that it is safe to rest."] * 12)


def test_a_sidebar_widget_with_the_article_class_is_not_taken_for_the_article(tmp_path: Path) -> None:
    result = run(tmp_path, CORPUS / "platforms" / "wordpress-classic" / "source.html", "--author", "A. Author")
    assert result.exit_code == 0, result.output
    source = CORPUS / "platforms" / "wordpress-classic" / "source.html"
    assert (
        f"Warning: {source}:21: 2 blocks match .entry-content (WordPress): imported the largest article-like one "
        "(div.entry-content, 113 words), not those of 4 words; use --selector CSS to choose another"
    ) in result.stderr
    piece = (tmp_path / "manuscript" / "finding-calm-in-busy-weeks.md").read_text(encoding="utf-8")
    assert "Busy weeks ask a lot of the nervous system." in piece and "Welcome! New here?" not in piece


def test_a_body_split_across_blocks_is_imported_whole_with_a_warning(tmp_path: Path) -> None:
    source = CORPUS / "pages" / "dropbox-blog" / "source.html"
    article, problems = read_corpus_page(source.parent, tmp_path)
    assert [p.message for p in problems.items if "words" in p.message] == [
        "the largest block of paragraphs holds 430 words, the page's main text 2951: imported the main text "
        "(found by trafilatura); use --selector CSS to choose the block by hand"
    ]
    recall, _ = recall_and_precision((source.parent / "expected.txt").read_text(encoding="utf-8"), article.body)
    assert recall > 0.99  # it kept 15% of the words before


def test_selector_picks_the_body_by_hand(tmp_path: Path) -> None:
    source = CORPUS / "platforms" / "wordpress-classic" / "source.html"
    result = run(tmp_path, source, "--author", "A. Author", "--selector", "#text-3 .textwidget")
    assert result.exit_code == 0, result.output
    piece = (tmp_path / "manuscript" / "finding-calm-in-busy-weeks.md").read_text(encoding="utf-8")
    assert piece.split("---\n")[2].strip() == (
        "Welcome! New here? [Start with these posts](https://mindful-steps.example/start/) or "
        "[join the letter](https://mindful-steps.example/newsletter/)."
    )
    nothing = run(tmp_path, source, "--selector", "div.no-such-block", "-m", tmp_path / "other")
    assert (nothing.exit_code, nothing.stderr) == (
        1, f"Error: {source}: --selector 'div.no-such-block' matches nothing in the page\n"
    )  # fmt: skip
    broken = run(tmp_path, source, "--selector", "div[", "-m", tmp_path / "other")
    assert broken.exit_code == 1 and broken.stderr.startswith(
        f"Error: {source}: --selector 'div[' is not a CSS selector"
    )
    assert not (tmp_path / "other").exists()
    for hostile in (":has(" * 2000 + "p" + ")" * 2000, ",".join(["p"] * 20000)):
        refused = run(tmp_path, source, "--selector", hostile, "-m", tmp_path / "other")
        assert (refused.exit_code, refused.stderr) == (
            1, f"Error: {source}: --selector {hostile[:79] + '…'!r} is too complex: give a simpler one\n"
        )  # fmt: skip
    assert not (tmp_path / "other").exists()


def test_boilerplate_is_left_out_and_an_in_text_previous_link_becomes_previous(tmp_path: Path) -> None:
    piece = _page(
        tmp_path, "post.html",
        '<title>Rest Is Not a Reward | Mindful Steps</title><meta property="og:site_name" content="Mindful Steps">'
        '<link rel="canonical" href="https://mindful-steps.example/rest-is-not-a-reward/">',
        '<article><h1 class="entry-title">Rest Is Not a Reward</h1><div class="entry-content">'
        '<p><a href="/small-habits/">← Previous: Small Habits That Help</a></p>'
        f"<p>{ARTICLE_TEXT}</p>"
        '<div class="related-cards">'
        + "".join(f'<a href="/{n}/"><img src="/{n}.jpg" alt=""></a><a href="/{n}/"><h3>Card {n}</h3></a>'
                  f'<a href="/{n}/">Card {n}</a>' for n in ("one", "two", "three"))
        + "</div>"
        '<p><a href="/blog/">View all blog posts</a></p><p><a href="/trial/">Get free trial</a></p>'
        '<div class="about-the-author"><p>Sam writes about rest.</p></div>'
        "</div></article>",
    )  # fmt: skip
    result = run(tmp_path, piece, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    root = tmp_path / "manuscript"
    text = (root / "rest-is-not-a-reward.md").read_text(encoding="utf-8")
    assert text.split("---\n")[2].strip() == ARTICLE_TEXT
    imported = load_piece(root, root / "rest-is-not-a-reward.md", Problems())
    assert imported is not None and imported.previous == "small-habits.md"
    linked = load_piece(root, root / "small-habits.md", Problems())
    assert linked is not None and (linked.title, linked.url) == (
        "Small Habits That Help", "https://mindful-steps.example/small-habits/"
    )  # fmt: skip


def test_page_relative_links_are_resolved_against_the_page_address(tmp_path: Path) -> None:
    links = '<a href="../../../index.html">home</a> and <a href="notes/more.html">more notes</a>'
    body = f'<article><h1 class="entry-title">Saved Post</h1><div class="entry-content"><p>{ARTICLE_TEXT} See {links}.</p></div></article>'
    with_address = _page(
        tmp_path, "with.html", '<link rel="canonical" href="https://example.org/blog/2024/03/saved-post.html">', body
    )
    result = run(tmp_path, with_address, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "manuscript" / "saved-post.md").read_text(encoding="utf-8")
    assert (
        "See [home](https://example.org/index.html) and [more notes](https://example.org/blog/2024/03/notes/more.html)."
        in text
    )


def test_page_relative_links_without_an_address_stay_text_with_a_warning(tmp_path: Path) -> None:
    links = '<a href="../../../index.html">home</a> and <a href="/about/">about us</a>'
    body = f'<article><h1 class="entry-title">Saved Post</h1><div class="entry-content"><p>{ARTICLE_TEXT} See {links}.</p></div></article>'
    page = _page(tmp_path, "saved.html", "<title>Saved Post</title>", body)
    result = run(tmp_path, page, "--author", "A. Author")
    assert result.exit_code == 0, result.output  # the build accepts the piece: no link it would reject
    assert (
        f"Warning: {page}: 2 relative link(s) kept as text: the page names no address of its own "
        "(canonical link or og:url) to resolve them against: ../../../index.html, /about/"
    ) in result.stderr
    text = (tmp_path / "manuscript" / "saved-post.md").read_text(encoding="utf-8")
    assert text.rstrip().endswith("See home and about us.")


def _export(tmp_path: Path, channel: str, items: str) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">'
        f"<channel>{channel}{items}</channel></rss>",
        encoding="utf-8",
    )
    return path


def _item(title: str, link: str, slug: str, day: int, html_text: str, meta: str = "") -> str:
    return (
        f"<item><title>{html.escape(title)}</title><link>{link}</link><dc:creator>sam</dc:creator>"
        f"<content:encoded><![CDATA[{html_text}]]></content:encoded><wp:post_date>2024-03-0{day} 10:00:00</wp:post_date>"
        f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>{meta}</item>"
    )


def test_export_relative_links_are_resolved_against_the_site_address(tmp_path: Path) -> None:
    export = _export(
        tmp_path,
        "<title>Mindful Steps</title><link>https://mindful-steps.example</link>"
        "<wp:base_blog_url>https://mindful-steps.example</wp:base_blog_url>",
        _item("Basic Post", "/blog/basic-post.html", "basic-post", 1, '<p>Text with <a href="/about/">a link</a>.</p>')
        + _item("Second Post", "/blog/second-post.html", "second-post", 2, "<p>More text.</p>"),
    )
    result = run(tmp_path, export, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    root = tmp_path / "manuscript"
    basic = load_piece(root, root / "basic-post.md", Problems())
    assert basic is not None and basic.url == "https://mindful-steps.example/blog/basic-post.html"
    assert basic.body.strip() == "Text with [a link](https://mindful-steps.example/about/)."


def test_export_titles_become_text_and_the_book_takes_the_site_name(tmp_path: Path) -> None:
    export = _export(
        tmp_path,
        "<title>Mindful Steps</title><link>https://mindful-steps.example/</link>",
        _item("Living <em>With</em> Worry — Mindful Steps", "https://mindful-steps.example/?p=7", "", 1, "<p>One.</p>")
        + _item("禅修入门：第二课", "https://mindful-steps.example/?p=9", "", 2, "<p>Two.</p>"),
    )
    result = run(tmp_path, export, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    root = tmp_path / "manuscript"
    assert sorted(path.name for path in root.glob("*.md")) == ["living-with-worry.md", "shan-xiu-ru-men-di-er-ke.md"]
    living = load_piece(root, root / "living-with-worry.md", Problems())
    assert living is not None and living.title == "Living With Worry"
    assert yaml.safe_load((root / "book.yaml").read_text(encoding="utf-8"))["title"] == "Mindful Steps"
    # --title overrides the site's name.
    other = tmp_path / "other"
    assert run(tmp_path, export, "-m", other, "--author", "A", "--title", "Small Steps").exit_code == 0
    assert yaml.safe_load((other / "book.yaml").read_text(encoding="utf-8"))["title"] == "Small Steps"


def test_block_editor_footnotes_become_markdown_footnotes(tmp_path: Path) -> None:
    root = tmp_path / "manuscript"
    export = CORPUS / "exports" / "ttd-64-block-test-data.xml"
    assert run(tmp_path, export, "--only", "footnotes", "-m", root, "--author", "A").exit_code == 0
    piece = load_piece(root, root / "footnotes.md", Problems())
    assert piece is not None and piece.body.strip().endswith(
        "A paragraph[^1]\n\nAnother paragraph[^2]\n\n[^1]: A note\n\n[^2]: Another note"
    )


def test_definition_lists_and_table_captions_are_kept(tmp_path: Path) -> None:
    root = lxml.html.fragment_fromstring(
        "<dl><dt>Grounding</dt><dd>Noticing the room around you.</dd><dt>Pacing</dt><dd>Slowing down.</dd></dl>"
        "<table><caption>Sleep diary</caption><thead><tr><th></th><th></th></tr></thead>"
        "<tbody><tr><td>Monday</td><td>6 hours</td></tr><tr><td>Tuesday</td><td>7 hours</td></tr></tbody></table>",
        create_parent="div",
    )
    markdown = html_to_markdown(root, lambda image: None)
    assert markdown == (
        "Grounding\n:   Noticing the room around you.\n\nPacing\n:   Slowing down.\n\n"
        "Sleep diary\n\n| Monday | 6 hours |\n| --- | --- |\n| Tuesday | 7 hours |"
    )
    rendered = new_markdown().convert(markdown)
    assert "<dt>Grounding</dt>" in rendered and "<th>Monday</th>" in rendered and "<th></th>" not in rendered


def test_site_names_leave_page_titles_and_bylines_give_the_author(tmp_path: Path) -> None:
    page = _page(
        tmp_path, "post.html",
        "<title>Rest Is Not a Reward | Mindful Steps</title>"
        '<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "Mindful Steps"},'
        ' {"@type": "Article", "author": [{"@type": "Person", "name": "Sam Okafor"}]}]}</script>',
        f"<div class='content'><p>{ARTICLE_TEXT}</p><p>{ARTICLE_TEXT}</p></div>",
    )  # fmt: skip
    result = run(tmp_path, page)
    assert result.exit_code == 0, result.output
    book = yaml.safe_load((tmp_path / "manuscript" / "book.yaml").read_text(encoding="utf-8"))
    assert (book["title"], book["author"]) == ("Rest Is Not a Reward", "Sam Okafor")


@pytest.mark.slow
def test_a_book_imported_from_real_platform_pages_passes_epubcheck(tmp_path: Path) -> None:
    # Squarespace 7.1 links to the 7.0 post by title: the book runs from one to the other.
    platforms = CORPUS / "platforms"
    imported = _import_and_build(
        tmp_path, platforms / "squarespace-7.1" / "source.html", platforms / "squarespace-7.0" / "source.html"
    )
    assert [p.title for p in imported.rendered.pieces] == ["Finding Calm in Busy Weeks", "When Sleep Will Not Come"]
    assert [p.title for p in imported.rendered.link_only] == ["Small Habits That Help", "Talking With Teenagers"]
    assert epubcheck_messages(imported.epub) == []


# Authors of readability's pages: its expected byline (without the address ebb.org writes after the name), and
# the bylines readability leaves out (Blogger's "Posted by", WordPress's "by", Tumblr's blog name).
AUTHORS = {
    "ars-1": "Dan Goodin", "article-author-tag": "Laura June Topolsky", "blogger": "Andrew Zonenberg",
    "dropbox-blog": "Arun Sai Krishnan", "ebb-org": "Bradley M. Kuhn", "firefox-nightly-blog": "Mike Conley",
    "gitlab-blog": "Dave Steer", "medium-1": "Pippin Lee", "medium-2": "Courtney Kirchoff",
    "medium-3": "John C. Welch", "tumblr": "mcupdate", "wordpress": "Sarah Gooding",
}  # fmt: skip


def test_corpus_pages_give_their_authors(tmp_path: Path) -> None:
    found = {}
    for folder in sorted((CORPUS / "pages").iterdir()):
        article, _ = read_corpus_page(folder, tmp_path)
        if article.author:
            found[folder.name] = article.author
    assert found == AUTHORS


def test_only_a_link_standing_alone_is_taken_for_previous_or_next() -> None:
    root = lxml.html.fragment_fromstring(
        '<p>See <a href="https://x.org/a">Next: the plan</a> for more.</p><p><a href="https://x.org/b">Next-gen tools</a></p>'
        '<p><a href="https://x.org/c">Next post: Slow Mornings →</a></p>',
        create_parent="div",
    )
    assert take_pagination_links(root, None) == {"next": Link("Slow Mornings", "https://x.org/c")}
    assert html_to_markdown(root, lambda image: None) == (
        "See [Next: the plan](https://x.org/a) for more.\n\n[Next-gen tools](https://x.org/b)"
    )


def test_tracking_parameters_do_not_tell_articles_apart() -> None:
    assert url_key("https://www.example.org/blog/post/?utm_source=news&format=amp") == "example.org/blog/post"
    assert url_key("https://example.org/?p=12&fbclid=x") != url_key("https://example.org/?p=13")


def test_two_posts_whose_titles_make_one_file_name_become_two_pieces(tmp_path: Path) -> None:
    export = _export(
        tmp_path,
        "<title>Mindful Steps</title><link>https://mindful-steps.example/</link>",
        _item("Same Title", "https://mindful-steps.example/?p=1", "", 1, "<p>First post.</p>")
        + _item("Same Title!", "https://mindful-steps.example/?p=2", "", 2, "<p>Second post.</p>"),
    )
    result = run(tmp_path, export, "--author", "A. Author")
    assert result.exit_code == 0, result.output
    assert "imported twice" not in result.output
    root = tmp_path / "manuscript"
    bodies = sorted(p.read_text(encoding="utf-8").split("---\n")[2].strip() for p in root.glob("*.md"))
    assert bodies == ["First post.", "Second post."]


def test_control_characters_of_a_page_are_left_out_of_what_the_import_writes(tmp_path: Path) -> None:
    page = tmp_path / "bell.html"
    words = "Some words of the article here. " * 20
    page.write_text(
        f"<html><head><title>Bell &#7; title</title></head><body><article><h1>Bell \x07 title</h1><p>{words}</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    result = run(tmp_path, page, "--author", "Ann\x1bSmith")
    assert result.exit_code == 0, result.output
    root = tmp_path / "manuscript"
    assert "\x07" not in (root / "bell-title.md").read_text(encoding="utf-8")
    assert "author: AnnSmith" in (root / "book.yaml").read_text(encoding="utf-8")


def test_a_page_nested_hundreds_deep_is_read_whole_and_thousands_deep_is_refused(tmp_path: Path) -> None:
    words = "Words of the article that a reader came for. " * 10
    for depth, expected in ((300, 0), (5000, 1)):
        page = tmp_path / f"deep-{depth}.html"
        page.write_text(
            f"<html><head><title>Deep</title></head><body><article><h1>Deep</h1><p>First. {words}</p>"
            + "<div>" * depth + f"<p>Deep inside. {words}</p>" + "</div>" * depth
            + f"<p>Last paragraph. {words}</p></article></body></html>",
            encoding="utf-8",
        )  # fmt: skip
        result = run(tmp_path, page, "--author", "A", "-m", tmp_path / f"m{depth}")
        assert result.exit_code == expected, result.output
    text = (tmp_path / "m300" / "deep.md").read_text(encoding="utf-8")
    assert "Deep inside." in text and "Last paragraph." in text
    message = "the page nests its elements too deep to be read whole (thousands of levels)"
    assert result.stderr == f"Error: deep-5000.html: {message}\n"  # named from the working folder
