"""No active content reaches either output: links are http, https, mailto, tel or inside the book, and
written as valid URLs; images are what their bytes say, within a pixel limit, SVG sanitised, and named
safely inside the EPUB (issue 11, items 2 and 8)."""

from __future__ import annotations

import base64
import io
import re
import struct
import zipfile
import zlib
from html import escape
from pathlib import Path
from urllib.parse import quote

import pikepdf
import pytest
from click.testing import CliRunner, Result
from lxml import etree
from PIL import Image

from publish.cli import main
from publish.images import PIXEL_LIMIT, ImageError, check_image, safe_image_name, sanitize_svg
from publish.urls import UrlError, normalise_link

from conftest import write_manuscript

BOOK = "title: Odd Book\nauthor: Test Author\nlanguage: en-US\nstart: a.md\n"
ALLOWED_URI = re.compile(r"^(https?|mailto|tel):", re.IGNORECASE)
FORBIDDEN_ANYWHERE = (b"javascript:", b"data:text/html", b"file:", b"vbscript:")
FORBIDDEN_IN_SVG = re.compile(rb"<script|\son[a-z]+\s*=|foreignobject|<!doctype|<!entity|<iframe", re.IGNORECASE)
SAFE_ZIP_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")


def png(width: int = 4, height: int = 4) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of ``width`` × ``height`` pixels (small on disk: rows of zeros)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


EVIL_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="10" height="10" onload="alert(1)">
<script>alert(2)</script><a xlink:href="javascript:alert(3)"><rect width="5" height="5"/></a>
<foreignObject width="5" height="5"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(4)"/></foreignObject>
<image href="file:///etc/hostname" width="1" height="1"/><image xlink:href="http://example.com/x.png" width="1" height="1"/>
<style>@import url(http://example.com/a.css); rect { fill: url(http://example.com/p.svg#g) }</style>
<circle cx="5" cy="5" r="2" onclick="alert(5)"/><set attributeName="href" to="javascript:alert(6)"/></svg>"""
EVIL_SVG_REMOVED = (
    "onload= handler, <script>, xlink:href=javascript:..., <foreignObject>, href=file:..., xlink:href=http:..., "
    "@import, url() to outside the image, onclick= handler, <set>"
)
EXTERNAL_ENTITY_SVG = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text x="1" y="9">&x;</text></svg>"""
ENTITY_BOMB_SVG = (
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">'.encode() for a, b in zip("abcdefg", "bcdefgh", strict=True))
    + b']><svg xmlns="http://www.w3.org/2000/svg"><text>&h;</text></svg>'
)
SVG_NOTE = "(SVG images may hold no active content and no reference to anything outside the image)"


def run(cwd: Path, *args: str) -> Result:
    """Run the CLI in ``cwd`` (so messages show paths relative to it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), prog_name="publish")


def assert_one_error(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"Error: {message}"]
    assert "Traceback" not in result.output and "DecompressionBomb" not in result.output


def pdf_uris(pdf: Path) -> list[str]:
    """Every URI of a link action in the PDF."""
    with pikepdf.open(pdf) as document:
        return [
            str(annotation.A.URI)
            for page in document.pages
            for annotation in page.get("/Annots", [])
            if "/A" in annotation and "/URI" in annotation.A
        ]


# --- a piece's url: only http and https, in every output ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(document.domain)", "must be a web page's address starting with https:// or http://, "
         "not a javascript: URL"),
        ("data:text/html,<script>alert(1)</script>", "must be a web page's address starting with https:// or "
         "http://, not a data: URL"),
        ("JavaScript:alert(1)", "must be a web page's address starting with https:// or http://, not a javascript: URL"),
        ("vbscript:msgbox(1)", "must be a web page's address starting with https:// or http://, not a vbscript: URL"),
        ("file:///etc/passwd", "must be a web page's address starting with https:// or http://, not a file: URL"),
        ("mailto:me@example.com", "must be a web page's address starting with https:// or http://, "
         "not a mailto: URL"),
        ("www.example.com/blog/a", "must be a web page's address starting with https:// or http://, "
         "not 'www.example.com/blog/a'"),
        ("https://../", "is not a valid web address: https://../ (the host '..' is not a domain name)"),
        ("https:///path", "is not a valid web address: https:///path (it has no host)"),
        ("https://exa mple.com/", "is not a valid web address: https://exa mple.com/ (the host 'exa mple.com' is "
         "not a domain name)"),
        ("http://example.com:99999/", "is not a valid web address: http://example.com:99999/ (the port 99999 is "
         "not a port number)"),
    ],
)  # fmt: skip
def test_a_piece_url_that_is_no_web_address_is_an_error(tmp_path: Path, url: str, message: str) -> None:
    write_manuscript(tmp_path / "m", {"a.md": f"---\ntitle: A\nurl: '{url}'\n---\n\nText.\n"}, BOOK)
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub", "--allow-remote")
    assert_one_error(result, f"m/a.md:3: 'url' {message}")
    assert not (tmp_path / "out").exists()


def test_a_link_only_piece_with_a_javascript_url_is_an_error_in_the_pdf_too(tmp_path: Path) -> None:
    write_manuscript(
        tmp_path / "m",
        {"a.md": "---\ntitle: A\nnext: b.md\n---\n\nText.\n", "b.md": "---\ntitle: B\nurl: javascript:alert(1)\n---\n"},
        BOOK,
    )
    result = run(tmp_path, "pdf", "-m", "m", "-o", "out/book.pdf")
    assert_one_error(
        result, "m/b.md:3: 'url' must be a web page's address starting with https:// or http://, not a javascript: URL"
    )
    assert not (tmp_path / "out").exists()


# --- the normaliser --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("https://example.com/blog/a", "https://example.com/blog/a"),
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM/A", "https://example.com/A"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ('https://example.com/"quoted"', "https://example.com/%22quoted%22"),
        ("https://exämple.com/ü?q=é#ß", "https://xn--exmple-cua.com/%C3%BC?q=%C3%A9#%C3%9F"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ("https://example.com/<x>{y}|z\\", "https://example.com/%3Cx%3E%7By%7D%7Cz%5C"),
        ("  https://example.com/a\n", "https://example.com/a"),
        ("http://user:pw@[::1]:8080/x", "http://user:pw@[::1]:8080/x"),
        ("mailto:someone@example.com?subject=Hello there", "mailto:someone@example.com?subject=Hello%20there"),
        ("tel:+1 (555) 010-0100", "tel:+1%20(555)%20010-0100"),
    ],
)
def test_links_are_written_percent_encoded_with_the_host_in_idna(url: str, written: str) -> None:
    assert normalise_link(url) == written


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "javascript: links are not allowed"),
        ("data:text/html,<script>", "data: links are not allowed"),
        ("ftp://example.com/", "ftp: links are not allowed"),
        ("https://../", "the host '..' is not a domain name"),
        ("https://a..b/", "the host 'a..b' is not a domain name"),
        ("https://-a.com/", "the host '-a.com' is not a domain name"),
        ("https:example.com", "it has no host (write it as https://host/...)"),
        ("https://[::g]/", "the host in https://[::g]/ is not an IPv6 address"),
        ("mailto:", "a mailto: link needs an address after 'mailto:'"),
        ("tel:call-me", "a tel: link needs a telephone number"),
        ("other.md", "it is not an absolute URL"),
    ],
)
def test_links_that_cannot_be_made_valid_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(UrlError) as refused:
        normalise_link(url)
    assert str(refused.value) == reason


# --- image files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "media_type", "name"),
    [
        ("images/hero.jpg", "image/jpeg", "images/hero.jpg"),
        ("images/Photo.JPEG", "image/jpeg", "images/Photo.JPEG"),
        ("images/a b.png", "image/png", "images/a-b.png"),
        ('images/a"q.png', "image/png", "images/a-q.png"),
        ("images/a#h.png", "image/png", "images/a-h.png"),
        ("images/a?q.png", "image/png", "images/a-q.png"),
        ("images/a%p.png", "image/png", "images/a-p.png"),
        ("..\\..\\evil.png", "image/png", "evil.png"),
        ("pictures/café.png", "image/png", "pictures/cafe.png"),
        ("ünïcödé folder/λ.svg", "image/svg+xml", "unicode-folder/image.svg"),
        ("photo.png", "image/jpeg", "photo.jpg"),
        ("drawing.gif", "image/webp", "drawing.webp"),
    ],
)
def test_epub_names_are_safe_for_ocf_and_urls_and_say_the_real_type(source: str, media_type: str, name: str) -> None:
    assert safe_image_name(source, media_type) == name


def test_the_type_comes_from_the_bytes() -> None:
    assert check_image(jpeg()).media_type == "image/jpeg"
    assert check_image(png()).media_type == "image/png"
    with pytest.raises(ImageError, match=r"^is empty or corrupt$"):
        check_image(b"GIF89a" + png()[6:])  # a PNG's body behind a GIF's signature


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (12000, 12000), (7072, 7072)])
def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(tmp_path: Path, width: int, height: int) -> None:
    write_manuscript(
        tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\n![Big](big.png)\n", "big.png": huge_png(width, height)}, BOOK
    )
    result = run(tmp_path, "pdf", "-m", "m", "-o", "out/book.pdf")
    assert_one_error(
        result,
        "m/a.md:5: image big.png has more than 50 million pixels, far more than a book needs (or a decompression "
        "bomb): scale it down",
    )
    assert not (tmp_path / "out").exists()


def test_an_image_just_under_the_pixel_limit_is_accepted() -> None:
    side = int(PIXEL_LIMIT**0.5)  # 7071 × 7071 = 49,999,041 pixels
    assert check_image(huge_png(side, side)).media_type == "image/png"


def test_an_svg_entity_bomb_is_refused_without_expanding(tmp_path: Path) -> None:
    write_manuscript(
        tmp_path / "m", {"a.md": "---\ntitle: A\n---\n\n![Bomb](bomb.svg)\n", "bomb.svg": ENTITY_BOMB_SVG}, BOOK
    )
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert_one_error(
        result, "m/a.md:5: image bomb.svg declares entities that expand too far (an entity bomb): remove its DOCTYPE"
    )


# --- the SVG sanitiser -----------------------------------------------------------------------------------


def test_svg_active_content_and_outside_references_are_removed_and_named() -> None:
    clean, removed = sanitize_svg(EVIL_SVG)
    assert ", ".join(removed) == EVIL_SVG_REMOVED
    assert not FORBIDDEN_IN_SVG.search(clean)
    assert not any(bad in clean.lower() for bad in FORBIDDEN_ANYWHERE)
    assert b"http://example.com" not in clean
    root = etree.fromstring(clean)
    assert [etree.QName(e).localname for e in root.iter()] == ["svg", "a", "rect", "style", "circle"]
    assert root.find("{http://www.w3.org/2000/svg}style").text.strip() == "rect { fill: none }"


def test_svg_keeps_fragments_embedded_raster_images_and_web_links() -> None:
    embedded = "data:image/png;base64," + base64.b64encode(png()).decode()
    source = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:version="1.0">'
        '<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
        '<rect width="5" height="5" fill="url(#g)" style="fill: url(#g)"/><use xlink:href="#g"/>'
        f'<image href="{embedded}" width="1" height="1"/>'
        '<image href="data:image/svg+xml;base64,PHN2Zy8+" width="1" height="1"/>'
        '<image href="data:image/png;base64,' + base64.b64encode(jpeg()).decode() + '"/>'
        '<a href="https://exämple.com/a b"><text>link</text></a></svg>'
    ).encode()
    clean, removed = sanitize_svg(source)
    assert removed == ("href=data:...",)  # the SVG, and the JPEG that says it is a PNG
    text = clean.decode()
    assert 'fill="url(#g)"' in text and 'style="fill: url(#g)"' in text and 'xlink:href="#g"' in text
    assert embedded in text
    assert 'href="https://xn--exmple-cua.com/a%20b"' in text
    assert "inkscape" not in text


def test_an_svg_external_entity_is_never_read() -> None:
    clean, removed = sanitize_svg(EXTERNAL_ENTITY_SVG)
    assert removed == ("external entity x", "entity &x;")
    assert b"ENTITY" not in clean and b"&x;" not in clean and b"file:" not in clean


def test_a_standard_doctype_and_internal_entities_are_no_warning() -> None:
    clean, removed = sanitize_svg(
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" '
        b'[<!ENTITY ns_svg "http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;"><rect width="1" height="1"/></svg>'
    )
    assert removed == ()
    assert clean == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    )


def test_svg_that_is_not_svg_is_refused() -> None:
    with pytest.raises(ImageError, match=r"^is not an SVG image \(its root element is not <svg>\)$"):
        sanitize_svg(b"<html><body>hello</body></html>")


# --- one book with every odd case, built once: EPUB, PDF, handout, EPUBCheck ----------------------------

ODD_NAMES = ["a b.png", 'a"q.png', "a#h.png", "a?q.png", "a%p.png", "A b.png", "café.png"]


def _odd_book(root: Path) -> Path:
    images = " ".join(f"![{name}](images/{quote(name)})" for name in ODD_NAMES)
    body = (
        f"Images: {images}\n\n"
        "A photo: ![A JPEG named PNG](photo.png) and a drawing: ![A drawing](drawing.svg) "
        "and a letter: ![A letter](letter.svg)\n\n"
        "Links: <https://foo.bar/baz bim> and <https://../> and [spaced](<https://example.com/a b>) and "
        '<a href="https://exämple.com/ü?q=\'x\'">raw</a> and <a href="mailto:me@example.com?subject=a b">mail</a> '
        'and <a href="tel:+1 555 0100">call</a> and <a href="javascript:alert(1)">script</a> and [B](b.md).\n'
    )
    pieces = {
        "a.md": "---\ntitle: A\nurl: https://exämple.com/blog/a piece\nimage: '..\\..\\evil.png'\nimage_alt: Evil\n"
        f"next: b.md\n---\n\n{body}",
        "b.md": "---\ntitle: B\nurl: 'https://example.com/b?x=\"1\"'\n---\n",
    }
    files = {f"images/{name}": png() for name in ODD_NAMES}
    files |= {
        "..\\..\\evil.png": png(),
        "photo.png": jpeg(),
        "drawing.svg": EVIL_SVG,
        "letter.svg": EXTERNAL_ENTITY_SVG,
    }
    files["cover.svg"] = EVIL_SVG
    return write_manuscript(root, {**pieces, **files}, BOOK + "cover: cover.svg\n")


ODD_WARNINGS = [
    "Warning: m/a.md:11: image photo.png is a JPEG file, not PNG: it goes into the EPUB as photo.jpg (rename the file to match)",
    f"Warning: m/a.md:11: image drawing.svg: removed {EVIL_SVG_REMOVED} {SVG_NOTE}",
    f"Warning: m/a.md:11: image letter.svg: removed external entity x, entity &x; {SVG_NOTE}",
    "Warning: m/a.md:13: link https://foo.bar/baz bim is not a valid URL (it holds a space); kept as text",
    "Warning: m/a.md:13: link https://../ is not a valid URL (the host '..' is not a domain name); kept as text",
    f"Warning: m/book.yaml:5: image cover.svg: removed {EVIL_SVG_REMOVED} {SVG_NOTE}",
]


@pytest.fixture(scope="module")
def odd_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Result]]:
    folder = tmp_path_factory.mktemp("odd")
    _odd_book(folder / "m")
    results = {
        "epub": run(folder, "epub", "-m", "m", "-o", "out/book.epub"),
        "pdf": run(folder, "pdf", "-m", "m", "-o", "out/book.pdf"),
        "handout": run(folder, "pdf", "-m", "m", "--handout", "a.md", "-o", "out/handout.pdf"),
    }
    return folder / "out", results


def test_the_odd_book_builds_with_exact_warnings(odd_book: tuple[Path, dict[str, Result]]) -> None:
    _, results = odd_book
    for command, result in results.items():
        assert result.exit_code == 0, (command, result.output)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
        assert warnings == ODD_WARNINGS, command
        assert "Traceback" not in result.output and "WeasyPrint" not in result.output


def test_the_odd_epub_holds_no_active_content_and_only_safe_names(odd_book: tuple[Path, dict[str, Result]]) -> None:
    out, _ = odd_book
    with zipfile.ZipFile(out / "book.epub") as archive:
        names = archive.namelist()
        for name in names:
            data = archive.read(name)
            assert SAFE_ZIP_NAME.match(name), name
            assert not any(bad in data.lower() for bad in FORBIDDEN_ANYWHERE), name
            if name.endswith(".svg"):
                assert not FORBIDDEN_IN_SVG.search(data), name
        images = sorted(n.removeprefix("EPUB/") for n in names if n.endswith((".png", ".jpg", ".svg")))
        assert images == [
            "cover.svg", "drawing.svg", "evil.png", "images/A-b-2.png", "images/a-b.png", "images/a-h.png",
            "images/a-p.png", "images/a-q-2.png", "images/a-q.png", "images/cafe.png", "letter.svg", "photo.jpg",
        ]  # fmt: skip
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        types = {item.get("href"): item.get("media-type") for item in opf.iter("{http://www.idpf.org/2007/opf}item")}
        assert {name: types[name] for name in ("photo.jpg", "images/a-b.png", "drawing.svg")} == {
            "photo.jpg": "image/jpeg", "images/a-b.png": "image/png", "drawing.svg": "image/svg+xml"
        }  # fmt: skip
        a = archive.read("EPUB/a.xhtml").decode()
        further = archive.read("EPUB/continue-reading.xhtml").decode()
    assert re.findall(r'src="([^"]*)"', a) == [
        "evil.png", "images/a-b.png", "images/a-q.png", "images/a-h.png", "images/a-q-2.png", "images/a-p.png",
        "images/A-b-2.png", "images/cafe.png", "photo.jpg", "drawing.svg", "letter.svg",
    ]  # fmt: skip
    assert re.findall(r'href="([^"]*)"', a) == [
        "style/book.css",
        "https://example.com/a%20b",
        "https://xn--exmple-cua.com/%C3%BC?q='x'",
        "mailto:me@example.com?subject=a%20b",
        "tel:+1%20555%200100",
        "https://example.com/b?x=%221%22",
    ]
    assert "https://foo.bar/baz bim" in a and 'href="https://foo.bar' not in a
    assert 'href="https://example.com/b?x=%221%22"' in further


def test_the_odd_pdfs_link_nowhere_but_the_allowed_schemes(odd_book: tuple[Path, dict[str, Result]]) -> None:
    out, _ = odd_book
    book, handout = pdf_uris(out / "book.pdf"), pdf_uris(out / "handout.pdf")
    assert all(ALLOWED_URI.match(uri) for uri in book + handout), book + handout
    assert "https://example.com/b?x=%221%22" in book
    assert "https://xn--exmple-cua.com/blog/a%20piece" in handout


def test_the_odd_pdf_shows_every_image(odd_book: tuple[Path, dict[str, Result]]) -> None:
    out, _ = odd_book
    with pikepdf.open(out / "book.pdf") as document:
        images = [o for o in document.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
    # The odd names, the hero and the JPEG named .png (the SVGs are drawn as paths).
    assert len(images) == len(ODD_NAMES) + 2


def test_the_odd_epub_passes_epubcheck(odd_book: tuple[Path, dict[str, Result]]) -> None:
    from validators import epubcheck_messages

    out, _ = odd_book
    assert (out / "book.epub").is_file()
    assert epubcheck_messages(out / "book.epub") == []


# --- the practice's contacts in book.yaml become links on "About the practice" and "Continue reading" -------


@pytest.mark.parametrize(
    "website",
    ["javascript://%0aalert(1)", "JaVaScRiPt://x%0aalert(1)", "data://text/html,<script>alert(1)</script>",
     "file:///etc/passwd", "vbscript://x"],
)  # fmt: skip
def test_a_practice_website_outside_the_allow_list_is_text_not_a_link(tmp_path: Path, website: str) -> None:
    book = BOOK + f'practice:\n  name: Calm Practice\n  website: "{website}"\n  email: "a@b.example"\n'
    pieces = {"a.md": "---\ntitle: A\nnext: b.md\n---\n\nText.\n", "b.md": "---\ntitle: B\n---\n"}
    root = write_manuscript(tmp_path / "m", pieces, book=book)
    result = run(tmp_path, "build", "-m", "m", "-o", "out")
    assert result.exit_code == 0, result.output
    epub, pdf = sorted((tmp_path / "out").glob("*.epub")), sorted((tmp_path / "out").glob("*.pdf"))
    hrefs = []
    with zipfile.ZipFile(epub[0]) as archive:
        about = archive.read("EPUB/back.about.xhtml").decode()
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                hrefs += etree.fromstring(archive.read(name)).xpath("//@href | //@src")
    assert escape(website, quote=False) in about  # shown as written, as text
    assert 'href="mailto:a@b.example"' in about  # the allowed contact is still a link
    assert all(ALLOWED_URI.match(href) or ":" not in href.split("/")[0] for href in hrefs), hrefs
    assert all(ALLOWED_URI.match(uri) for uri in pdf_uris(pdf[0]))
    assert root.is_dir()
