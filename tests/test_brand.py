"""The practice's own look (issue 17): logo, accent and faces, address, crisis line; write-in lines, packs, --fit.

The fixture ``tests/fixtures/branded`` is a made-up practice with an SVG logo, an accent (#2f5d62), an
address and a crisis line.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from PIL import Image

from publish.brand import book_css, epub_css
from publish.build import prepare
from publish.cli import main
from publish.colours import contrast_ratio, darker_shade, parse_colour

from conftest import DEMO, FIXTURES
from pdf_helpers import figure_alts, normalise, outline, page_texts, text_runs

BRANDED = FIXTURES / "branded"
CRISIS = "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline). In an emergency, call 911."
DEMO_PIECE = "supporting-your-partner-in-developing-self-compassion"
# The accent #2f5d62 and two of the logo's own colours, as WeasyPrint writes them in drawing operators.
ACCENT_FILL = b"0.184314 0.364706 0.384314 rg"
LOGO_GOLD = b"0.788235 0.65098 0.419608 rg"  # #c9a66b, drawn only by the logo
LOGO_CREAM = b"0.956863 0.937255 0.901961 rg"  # #f4efe6


def _pdf(tmp_path: Path, *arguments: str, manuscript: Path = BRANDED, name: str = "out.pdf") -> tuple[Path, str]:
    target = tmp_path / name
    result = CliRunner().invoke(main, ["pdf", "-m", str(manuscript), *arguments, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target, result.output


def _content(page: pikepdf.Page) -> bytes:
    """A page's drawing operators, its form XObjects' included."""
    data = page.obj.Contents.read_bytes()
    for xobject in page.Resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Form":
            data += xobject.read_bytes()
    return data


def _images(page: pikepdf.Page) -> list[pikepdf.Object]:
    return [x for x in page.Resources.get("/XObject", {}).values() if x.get("/Subtype") == "/Image"]


@pytest.fixture(scope="module")
def branded_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("branded-book")
    result = CliRunner().invoke(main, ["build", "-m", str(BRANDED), "-o", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "notes-for-partners-and-clients.epub", folder / "notes-for-partners-and-clients.pdf"


# --- colours --------------------------------------------------------------------------------------


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio((0, 0, 0)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255)) == pytest.approx(1.0)
    assert contrast_ratio((0x76, 0x76, 0x76)) == pytest.approx(4.54, abs=0.01)  # the lightest AA grey on white
    assert parse_colour("#2F5D62") == parse_colour("rgb(47, 93, 98)") == (47, 93, 98)
    assert parse_colour("#abc") == (0xAA, 0xBB, 0xCC)
    assert parse_colour("teal-ish") is None and parse_colour("#12345") is None and parse_colour("rgb(1,2,300)") is None


def test_large_print_takes_a_darker_shade_of_the_accent() -> None:
    accent = (0x3A, 0x7C, 0x85)  # passes AA (4.6:1), not AAA
    assert 4.5 <= contrast_ratio(accent) < 7
    shade = darker_shade(accent)
    assert contrast_ratio(shade) >= 7
    assert shade[2] > shade[1] > shade[0]  # the same hue, darker


def test_a_book_without_branding_adds_no_styles() -> None:
    meta = prepare(DEMO).book.meta
    assert book_css(meta) == "" and book_css(meta, large_print=True) == "" and epub_css(meta) == ""


# --- the handout ----------------------------------------------------------------------------------


def test_branded_handout_letterhead_crisis_box_and_vector_logo(tmp_path: Path) -> None:
    target, _ = _pdf(tmp_path, "--handout", "supporting-your-partner")
    texts = page_texts(target)
    assert len(texts) >= 2
    first = normalise(texts[0])
    assert "Juniper Hollow Counseling" in first and "214 Larkspur Lane, Suite 3, Riverton, OR 97000" in first
    assert normalise(CRISIS) in first
    assert all(normalise(CRISIS) not in normalise(text) for text in texts[1:])
    # The crisis box is at the foot of the page: below the last line of the text, above the footer.
    runs = text_runs(target, 0)
    crisis_y = next(run.y for run in runs if run.text.startswith("If you are in crisis"))
    body_ys = [run.y for run in runs if "tear themselves down" in run.text or "Self-compassion can" in run.text]
    footer_y = next(run.y for run in runs if "Page 1 of" in run.text)
    assert footer_y < crisis_y < min(body_ys)
    with pikepdf.open(target) as pdf:
        page = pdf.pages[0]
        drawn = _content(page)
        assert LOGO_GOLD in drawn and LOGO_CREAM in drawn, "the SVG logo is drawn as vector paths"
        assert _images(page) == [], "the logo is not a raster image"
        assert ACCENT_FILL in drawn, "the accent colours the title and the letterhead"


def test_the_crisis_box_leaves_the_notes_their_numbers(tmp_path: Path) -> None:
    target, _ = _pdf(tmp_path, "--handout", "quieting-the-inner-critic")
    text = normalise(page_texts(target)[0])
    assert "with a friend.1 " in text and "1. Kristin Neff" in text and "2." not in text
    assert text.index(normalise(CRISIS)) < text.index("1. Kristin Neff")


def test_handout_pdf_metadata_is_title_practice_and_language_only(tmp_path: Path) -> None:
    target, _ = _pdf(tmp_path, "--handout", "supporting-your-partner")
    with pikepdf.open(target) as pdf:
        assert dict(pdf.docinfo.items()) == {
            "/Title": "Supporting Your Partner in Developing Self-Compassion",
            "/Author": "Juniper Hollow Counseling",
        }
        assert str(pdf.Root.Lang) == "en-US"
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            assert set(xmp.keys()) == {
                "{http://www.aiim.org/pdfua/ns/id/}part",
                "{http://purl.org/dc/elements/1.1/}title",
                "{http://purl.org/dc/elements/1.1/}creator",
            }
            assert xmp.get("dc:creator") == ["Juniper Hollow Counseling"]


def test_write_in_lines_in_the_handouts_language(tmp_path: Path) -> None:
    target, _ = _pdf(tmp_path, "--handout", "quieting-the-inner-critic", "--write-in")
    texts = [normalise(text) for text in page_texts(target)]
    assert "Quieting the Inner Critic: A Short Practice September 14, 2025 Prepared for Date Most of us" in texts[0]
    assert "Notes" in texts[-1].split("Be patient", 1)[1]
    # A Spanish handout says them in Spanish.
    spanish = shutil.copytree(BRANDED, tmp_path / "es")
    piece = spanish / "quieting-the-inner-critic.md"
    piece.write_text(piece.read_text().replace("date: 2025-09-14\n", "date: 2025-09-14\nlang: es\n"))
    target, _ = _pdf(
        tmp_path, "--handout", "quieting-the-inner-critic", "--write-in", manuscript=spanish, name="es.pdf"
    )
    texts = [normalise(text) for text in page_texts(target)]
    assert "Preparado para" in texts[0] and "Fecha" in texts[0] and "Prepared for" not in texts[0]
    assert "Notas" in texts[-1] and "Página 1 de" in texts[0]
    with pikepdf.open(target) as pdf:
        assert str(pdf.Root.Lang) == "es"


def test_no_write_in_lines_without_the_option(tmp_path: Path) -> None:
    target, _ = _pdf(tmp_path, "--handout", "quieting-the-inner-critic")
    text = " ".join(page_texts(target))
    assert "Prepared for" not in text and "Notes" not in text


# --- packs ----------------------------------------------------------------------------------------


def test_pack_pages_outline_and_page_x_of_y(tmp_path: Path) -> None:
    target, output = _pdf(
        tmp_path, "--handout", "supporting-your-partner", "--handout", "quieting-the-inner-critic.md", "--pack-cover"
    )
    texts = page_texts(target)
    alone = [
        len(page_texts(_pdf(tmp_path, "--handout", p, name=f"{p}.pdf")[0]))
        for p in ("supporting-your-partner", "quieting-the-inner-critic")
    ]
    assert len(texts) == 1 + sum(alone)
    assert "In this pack" in texts[0] and "Page" not in texts[0]
    # The list's leaders are drawn (as the contents' are): each title followed by its page, no run of dots.
    assert not re.search(r"(\.\s*){3}", texts[0]) and "…" not in texts[0], texts[0]
    assert re.search(r"Supporting Your Partner in Developing Self-Compassion\s+2\b", texts[0]), texts[0]
    first, second = alone
    for number in range(1, first + 1):
        assert f"Page {number} of {first}" in texts[number]
    assert f"Page 1 of {second}" in texts[1 + first]
    assert normalise(CRISIS) in normalise(texts[1]) and normalise(CRISIS) in normalise(texts[1 + first])
    titles = [(level, title, page) for level, title, page in outline(target) if level == 1]
    assert titles == [
        (1, "Supporting Your Partner in Developing Self-Compassion", 1),
        (1, "Quieting the Inner Critic: A Short Practice", 1 + first),
    ]
    assert output.startswith(f"Wrote {target} (")


def test_duplex_pack_starts_each_article_on_a_right_hand_page(tmp_path: Path) -> None:
    target, _ = _pdf(
        tmp_path, "--handout", "supporting-your-partner", "--handout", "quieting-the-inner-critic", "--pack-cover",
        "--duplex",
    )  # fmt: skip
    texts = page_texts(target)
    starts = [i for i, text in enumerate(texts) if "Page 1 of" in text]
    assert len(starts) == 2 and all(index % 2 == 0 for index in starts)  # pages 1, 3, 5...: right-hand
    assert texts[1].strip() == ""  # the cover's verso is blank: no letterhead, no footer
    with pikepdf.open(target) as pdf:
        assert dict(pdf.docinfo.items())["/Title"] == (
            "Supporting Your Partner in Developing Self-Compassion · Quieting the Inner Critic: A Short Practice"
        )


def test_a_piece_twice_in_a_pack_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(BRANDED), "--handout", "quieting-the-inner-critic", "--handout",
               "quieting-the-inner-critic.md", "-o", str(tmp_path / "p.pdf")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output == "Error: quieting-the-inner-critic is named twice: a pack holds each article once\n"
    assert list(tmp_path.iterdir()) == []


# --- fit ------------------------------------------------------------------------------------------


def test_fit_3_sets_the_demo_article_on_3_pages_at_10_pt_or_more(tmp_path: Path) -> None:
    plain, _ = _pdf(tmp_path, "--handout", DEMO_PIECE, manuscript=DEMO, name="plain.pdf")
    assert len(page_texts(plain)) == 4
    target, output = _pdf(tmp_path, "--handout", DEMO_PIECE, "--fit", "3", manuscript=DEMO)
    assert len(page_texts(target)) == 3
    last = output.strip().splitlines()[-1]
    size = float(re.fullmatch(r"Fitted on 3 pages: body text ([\d.]+) pt on [\d.]+ leading", last).group(1))
    assert 10 <= size < 12
    body = [run.size for run in text_runs(target, 1) if run.font == "Source-Serif-Pro"]
    assert body and min(body) >= 10 and max(body) == pytest.approx(size, abs=0.05)


def test_fit_1_fails_with_the_pages_the_smallest_setting_needs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(DEMO), "--handout", DEMO_PIECE, "--fit", "1", "-o", str(tmp_path / "h.pdf")]
    )
    assert result.exit_code == 1
    assert re.fullmatch(
        r"Error: the handout does not fit on 1 page: at the smallest setting \(10 pt on 1.36\) it needs (\d) pages; "
        r"give --fit \1 or more\n",
        result.output,
    ), result.output
    assert list(tmp_path.iterdir()) == []


def test_large_print_fit_never_goes_below_16_pt(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(DEMO), "--handout", DEMO_PIECE, "--large-print", "--fit", "2", "-o", str(tmp_path / "h.pdf")]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "at the smallest setting (16 pt on 1.36)" in result.output


# --- the book -------------------------------------------------------------------------------------


def test_logo_on_the_title_page_and_the_generated_cover(branded_book: tuple[Path, Path]) -> None:
    epub, pdf_path = branded_book
    with pikepdf.open(pdf_path) as pdf:
        title_page = pdf.pages[0]
        assert LOGO_GOLD in _content(title_page) and _images(title_page) == []
        assert ACCENT_FILL in _content(title_page)
    texts = page_texts(pdf_path)
    about = next(i for i, text in enumerate(texts) if "About the practice" in text and "Address" in text)
    assert normalise(CRISIS) in normalise(texts[about])
    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        assert "EPUB/images/logo.svg" in names
        title = archive.read("EPUB/front.titlepage.xhtml").decode()
        assert '<img class="logo" src="images/logo.svg" alt="Juniper Hollow Counseling logo"/>' in title
        assert CRISIS.replace("&", "&amp;") in archive.read("EPUB/back.about.xhtml").decode()
        cover = Image.open(io.BytesIO(archive.read("EPUB/images/front.cover.png"))).convert("RGB")
        assert cover.size == (1600, 2560)
        assert cover.getpixel((800, 1200)) == (47, 93, 98), "the field is the accent"
        badge = cover.crop((126, 76, 300, 274))
        assert (201, 166, 107) in {colour for _, colour in badge.getcolors(1 << 16)}, "the logo's gold"
        assert "h1, h2, h3 { color: #2f5d62; }" in archive.read("EPUB/style/book.css").decode()
    assert "Juniper Hollow Counseling logo" in figure_alts(pdf_path), "the title page's logo is a described figure"


def test_branded_epub_passes_epubcheck_and_ace(branded_book: tuple[Path, Path]) -> None:
    from validators import ace_violations, epubcheck_messages

    epub, _ = branded_book
    assert epubcheck_messages(epub) == []
    assert ace_violations(epub) == []


# --- bad input ------------------------------------------------------------------------------------

_SCRIPT_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10"/></svg>'
_EXTERNAL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
    '<image xlink:href="https://example.com/tracker.png" width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("key", "value", "files", "message"),
    [
        ("logo", "../outside.svg", {}, "'practice.logo' ../outside.svg is outside the manuscript folder"),
        ("logo", "images/missing.svg", {}, "'practice.logo' images/missing.svg not found"),
        ("logo", "images/logo.png", {"images/logo.png": "not an image"}, "'practice.logo' images/logo.png is empty or corrupt"),
        ("logo", "https://example.com/logo.svg", {},
         "'practice.logo' https://example.com/logo.svg is not a file: put the logo in the manuscript folder"),
        ("logo", "images/script.svg", {"images/script.svg": _SCRIPT_SVG},
         "'practice.logo' images/script.svg holds <script>: a logo may hold no active content"),
        ("logo", "images/external.svg", {"images/external.svg": _EXTERNAL_SVG},
         "'practice.logo' images/external.svg holds"),
        ("accent", "tealish", {}, "'theme.accent' is not a colour: 'tealish' (write it as #rrggbb, for example #2f5d62)"),
        ("accent", "#88c0d0", {},
         "'theme.accent' #88c0d0 has a contrast of 2.00:1 against the white page; text needs at least 4.5:1 "
         "(WCAG 2.2 AA): choose a darker colour"),
        ("heading_font", "comic", {}, "'theme.heading_font' must be sans or serif (the faces shipped), not 'comic'"),
    ],
)  # fmt: skip
def test_bad_branding_is_one_error_line_and_nothing_written(
    tmp_path: Path, key: str, value: str, files: dict[str, str], message: str
) -> None:
    manuscript = shutil.copytree(BRANDED, tmp_path / "m")
    (tmp_path / "outside.svg").write_text(_SCRIPT_SVG)
    for name, text in files.items():
        (manuscript / name).write_text(text)
    book = manuscript / "book.yaml"
    lines = book.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
    lines[number] = f'{lines[number].split(":")[0]}: "{value}"'
    book.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    for command in (
        ["pdf", "--handout", "supporting-your-partner", "-o", str(out / "h.pdf")],
        ["build", "-o", str(out)],
    ):
        result = CliRunner().invoke(main, [command[0], "-m", str(manuscript), *command[1:]])
        assert result.exit_code == 1, result.output
        lines_out = result.output.splitlines()
        assert len(lines_out) == 1, result.output
        assert lines_out[0].startswith(f"Error: {book}:{number + 1}: "), result.output
        assert message in lines_out[0]
        assert not out.exists()
