"""Client handouts: one article, letterhead and footer, QR code, large print, one per piece on two cores."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

import publish.pdf.handouts
from publish.cli import main
from publish.pdf.handouts import write_handout
from publish.pdf.paper import PdfOptions
from publish.processes.workers import Pool

from conftest import FIXTURES, Once
from pdf_helpers import BuiltPdf, figure_alts, normalise, outline, page_texts, publish_warnings, text_runs


@pytest.fixture(scope="session")
def handout_pdf(once: Once) -> Callable[..., BuiltPdf]:
    """Typeset one piece of a fixture book as a handout, once per test run."""

    def build(book: str, piece: str, large_print: bool = False) -> BuiltPdf:
        def make(folder: Path) -> BuiltPdf:
            rendered = once.rendered(book)
            target = folder / f"{piece}.pdf"
            with publish_warnings() as warnings:
                write_handout(rendered, piece, target, PdfOptions(large_print=large_print))
            return BuiltPdf(rendered, target, tuple(warnings), tuple(page_texts(target)))

        return once(("handout", book, piece, large_print), make)

    return build


def _uris(path: Path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [
            str(annotation.A.URI)
            for page in pdf.pages
            for annotation in page.obj.get("/Annots", [])
            if "/A" in annotation and "/URI" in annotation.A
        ]


def test_one_article_with_letterhead_and_footer(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("linked", "second.md")
    assert built.warnings == ()
    pages = len(built.texts)
    assert 1 <= pages <= 2
    for number, text in enumerate(built.texts, 1):
        lines = [line.strip() for line in text.splitlines()]
        assert "Test Practice www.example.com" in lines, "letterhead: practice name and website"
        assert f"Test Practice · www.example.com · (555) 010-0199 · Page {number} of {pages}" in lines
        assert "For general information only; not a substitute for professional care." in lines
    first = normalise(built.texts[0])
    assert first.index("Making Room to Talk") < first.index("January 17, 2024") < first.index("Some conversations")
    everything = normalise(" ".join(built.texts))
    # One article: no title page, no contents, no other piece.
    assert "Contents" not in everything and "Small Steps Together" not in everything
    assert "First Steps: Noticing" not in everything and "Repair After a Disagreement" not in everything
    assert [title for _, title, _ in outline(built.path)] == [
        "Making Room to Talk",
        "Choosing the right time",
        "When it doesn’t go well",
        "Speaking so you can be heard",
    ]


def test_title_size_and_block_paragraphs(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("linked", "second.md")
    runs = text_runs(built.path, 0)
    title = [run for run in runs if run.y == runs[0].y]
    assert normalise(" ".join(run.text for run in title)) == "Making Room to Talk"
    assert {run.size for run in title} == {22}
    body = [run for run in runs if run.size == 12 and run.font == "Source-Serif-Pro"]
    assert len(body) > 10
    left = min(run.x for run in body)
    # Block paragraphs: no line starts a first-line indent (1.2 em) in from the margin.
    assert not [run for run in body if abs(run.x - left - 1.2 * 12) < 1], "an indented paragraph"
    paragraph_starts = [run for run in body if run.text.startswith(("If you have been practising", "A hard topic"))]
    assert len(paragraph_starts) == 2 and all(run.x == pytest.approx(left) for run in paragraph_starts)


def test_qr_code_to_the_article_and_links_to_other_pieces_online(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("linked", "second.md")
    assert "QR code linking to https://example.com/blog/making-room-to-talk" in figure_alts(built.path)
    last = normalise(built.texts[-1])
    assert "Read this online https://example.com/blog/making-room-to-talk" in last
    uris = _uris(built.path)
    assert "https://example.com/blog/first-steps" in uris
    assert "https://example.com/blog/repair-after-a-disagreement#a-simple-repair-plan" in uris
    # The notes are at the foot of the page, as in the book.
    assert "1. Many couples find that a regular weekly check-in" in normalise(" ".join(built.texts))


def test_pdf_ua_metadata_of_a_handout(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("linked", "second.md")
    with pikepdf.open(built.path) as pdf:
        assert str(pdf.Root.Lang) == "en-US"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) and bool(pdf.Root.MarkInfo.Marked)
        assert str(pdf.docinfo["/Title"]) == "Making Room to Talk"
        assert str(pdf.docinfo["/Author"]) == "Test Practice"
        # Only the title, the practice's name and the language (issue 17): not the summary, nor dates.
        assert set(pdf.docinfo.keys()) == {"/Title", "/Author"}
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
        for page in pdf.pages:
            marked = [op.operands for op in pikepdf.parse_content_stream(page) if str(op.operator) == "BDC"]
            assert any(operands[0] == "/Artifact" for operands in marked), "letterhead and footer are artifacts"


def test_handout_without_url_or_date(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("demo", "supporting-your-partner-in-developing-self-compassion")
    assert built.warnings == ()
    pages = len(built.texts)
    assert f"Your Practice Name · www.example.com · (555) 010-0100 · Page 1 of {pages}" in built.texts[0]
    assert "Read this online" not in " ".join(built.texts)
    assert not [alt for alt in figure_alts(built.path) if alt.startswith("QR code")]
    assert "Your Practice Name www.example.com" in built.texts[0].splitlines()
    assert normalise(built.texts[0]).startswith("Supporting Your Partner in Developing Self-Compassion It’s hard")


def test_large_print_handout(handout_pdf: Callable[..., BuiltPdf]) -> None:
    built = handout_pdf("linked", "first.md", large_print=True)
    assert built.warnings == ()
    for index in range(len(built.texts)):
        runs = text_runs(built.path, index)
        body = [
            run for run in runs if len(run.text) > 25 and "·" not in run.text and "general information" not in run.text
        ]
        if body:
            assert min(run.size for run in body) >= 18, sorted({run.size for run in body})
            assert Counter(run.font for run in body).most_common(1)[0][0] == "Source-Sans-Pro"
    lines = [line.rstrip() for text in built.texts for line in text.splitlines()]
    assert not [line for line in lines if re.search(r"[a-z][-\u2010]$", line)], "no hyphenation in large print"
    assert "Page 1 of" in built.texts[0]


# --- Command line ---------------------------------------------------------------


def test_default_handout_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "linked"), "--handout", "making-room-to-talk"])
    assert result.exit_code == 0, result.output
    pages = page_texts(tmp_path / "dist" / "handouts" / "making-room-to-talk.pdf")
    assert result.output.startswith(f"Wrote {Path('dist') / 'handouts' / 'making-room-to-talk.pdf'} (")
    assert result.output.endswith(f" KB, {len(pages)} pages)\n")
    assert pages[0].count("Making Room to Talk") == 1


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("nope", "Error: no piece 'nope' in the book: give a file name or one of these slugs: "
                 "first-steps, making-room-to-talk, repair-after-a-disagreement\n"),
        ("fourth.md", "Error: fourth.md has no text yet (it is listed under Continue reading), so it has no handout\n"),
    ],
)  # fmt: skip
def test_handout_of_an_unknown_or_link_only_piece(tmp_path: Path, reference: str, message: str) -> None:
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(FIXTURES / "linked"), "--handout", reference, "-o", str(tmp_path / "h.pdf")]
    )
    assert result.exit_code == 1
    assert result.output == message
    assert not (tmp_path / "h.pdf").exists()


@pytest.mark.parametrize(
    "arguments",
    [
        ["--handout", "first.md", "--all-handouts"],
        ["--handout", "first.md", "--booklet"],
        ["--all-handouts", "--booklet"],
    ],
)
def test_conflicting_options(tmp_path: Path, arguments: list[str]) -> None:
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "linked"), *arguments, "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "Error:" in result.output
    assert not (tmp_path / "x").exists()


def test_all_handouts_one_per_piece_on_two_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[int] = []
    jobs = ["first-steps", "making-room-to-talk", "repair-after-a-disagreement"]
    real = publish.pdf.handouts.Pool

    def recording_pool(count: int) -> Pool:
        pools.append(count)
        return real(count)

    monkeypatch.setattr(publish.pdf.handouts, "Pool", recording_pool)
    folder = tmp_path / "handouts"
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "linked"), "--all-handouts", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    assert pools == [2]
    assert sorted(path.name for path in folder.iterdir()) == [f"{slug}.pdf" for slug in jobs]
    for slug, title in zip(
        jobs,
        ["First Steps: Noticing the Small Moments", "Making Room to Talk", "Repair After a Disagreement"],
        strict=True,
    ):
        texts = page_texts(folder / f"{slug}.pdf")
        assert outline(folder / f"{slug}.pdf")[0][1] == title
        assert title.split(":")[0] in texts[0] and f"Page 1 of {len(texts)}" in texts[0]
    assert [line.split(" (")[0] for line in result.output.splitlines()] == [
        f"Wrote {folder / f'{slug}.pdf'}" for slug in jobs
    ]


def test_all_handouts_into_a_file_is_an_error(tmp_path: Path) -> None:
    existing = tmp_path / "book.pdf"
    existing.write_bytes(b"%PDF")
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "minimal"), "--all-handouts", "-o", str(existing)])
    assert result.exit_code == 2  # a usage error, found before the manuscript is read
    assert "the handouts go into a folder: give a folder, not a file" in result.output
