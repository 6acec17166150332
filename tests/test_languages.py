"""Books in the practice's languages: every word publish writes, every quote and date, in the book's language.

The Spanish fixture (``language: es-US``) holds one English piece; the French one is French throughout.
Every generated page of their EPUBs, PDFs and handouts is read back and searched for the English catalog.
"""

from __future__ import annotations

import ast
import gettext
import re
import string
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from pypdf import PdfReader

from publish.build import prepare
from publish.cli import main
from publish.i18n import CATALOG_LANGUAGES, LOCALES, Words, has_catalog
from publish.i18n.messages import MESSAGES
from publish.i18n.quotes import quotes_for
from publish.typography import educate, space_french

from conftest import FIXTURES, ROOT, copy_manuscript

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NNBSP, NBSP = "\u202f", "\u00a0"


@dataclass(frozen=True)
class Built:
    """A fixture book built into an EPUB, a PDF and its handouts."""

    epub: Path
    pdf: Path
    handouts: dict[str, Path]


def _build(name: str, folder: Path) -> Built:
    from publish.epub.package import write_epub
    from publish.pdf.handouts import write_handout
    from publish.pdf.write import write_pdf

    rendered = prepare(FIXTURES / name)
    handouts = {
        piece.slug: write_handout(rendered, piece.slug, folder / f"{piece.slug}.pdf") for piece in rendered.pieces
    }
    return Built(write_epub(rendered, folder / "book.epub"), write_pdf(rendered, folder / "book.pdf"), handouts)


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build("spanish", tmp_path_factory.mktemp("spanish"))


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return _build("french", tmp_path_factory.mktemp("french"))


def _english_fragments() -> dict[str, list[str]]:
    """Each English message that its translations change, as the literal parts between its placeholders."""
    fragments: dict[str, list[str]] = {}
    for key, english in MESSAGES.items():
        if all(Words(lang)(key) == english for lang in ("es", "fr")):
            continue  # the same word in both ("Notes" in French): not an English leftover
        parts = [text.strip(" :,.") for text, _, _, _ in string.Formatter().parse(english)]
        fragments[key] = [part for part in parts if len(part) >= 4]
    return fragments


def _leftovers(text: str, language: str) -> list[str]:
    """The English messages found in a page's text, other than those the same in ``language``."""
    found = []
    for key, parts in _english_fragments().items():
        if Words(language)(key) == MESSAGES[key]:
            continue
        translated = Words(language)(key)  # a fragment the translation shares ("Page" in French) is not a leftover
        found += [f"{key}: {part!r}" for part in parts if part in text and part not in translated]
    return found


def _epub_pages(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist() if name.endswith(".xhtml")}


def _page_text(root: etree._Element) -> str:
    """What a reader sees or hears on a page: its text, and its alt texts and ARIA labels."""
    labels = [
        value for element in root.iter() for name in ("alt", "aria-label", "title") if (value := element.get(name))
    ]
    return " ".join(["".join(root.itertext()), *labels])


def _pdf_pages(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def _opf(epub: Path) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        return etree.fromstring(archive.read("EPUB/content.opf"))


# --- no English on a Spanish or French page ----------------------------------------------------------


@pytest.mark.parametrize("book, language", [("spanish", "es"), ("french", "fr")])
def test_no_english_message_on_a_generated_epub_page(book: str, language: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(book)
    checked = 0
    for name, root in _epub_pages(built.epub).items():
        if not root.get(XML_LANG, "").startswith(language):
            assert name == "EPUB/listening.xhtml", name  # the Spanish book's one English piece
            continue
        checked += 1
        assert _leftovers(_page_text(root), language) == [], name
    assert checked >= 6  # cover, title page, copyright, contents, the pieces, continue reading, about, nav
    # What the package says to readers: the accessibility summary, the EPUB 2 guide's and the NCX's labels.
    opf = _opf(built.epub)
    said = [
        e.text or ""
        for e in opf.iter("{http://www.idpf.org/2007/opf}meta")
        if e.get("property") == "schema:accessibilitySummary"
    ]
    said += [e.get("title", "") for e in opf.iter("{http://www.idpf.org/2007/opf}reference")]
    with zipfile.ZipFile(built.epub) as archive:
        said += [
            "".join(etree.fromstring(archive.read("EPUB/toc.ncx")).itertext()).replace("Listening Without Fixing", "")
        ]
    assert len(said) >= 5
    assert _leftovers(" ".join(said), language) == []


def test_the_english_piece_of_a_spanish_book_keeps_english_labels(spanish: Built) -> None:
    piece = _epub_pages(spanish.epub)["EPUB/listening.xhtml"]
    assert piece.get(XML_LANG) == "en-US"
    notes = piece.find(f".//{XHTML}section[@class='footnotes']")
    assert notes is not None and notes.get("aria-label") == "Notes"
    assert [a.get("aria-label") for a in piece.iter(f"{XHTML}a") if a.get("role") == "doc-backlink"] == [
        "Note 1, back to the text"
    ]
    # Its title in the Spanish contents is marked English.
    nav = _epub_pages(spanish.epub)["EPUB/nav.xhtml"]
    entry = next(a for a in nav.iter(f"{XHTML}a") if a.text == "Listening Without Fixing")
    assert entry.get(XML_LANG) == "en-US"


@pytest.mark.parametrize("book, language", [("spanish", "es"), ("french", "fr")])
def test_no_english_message_in_the_pdf_or_a_handout(book: str, language: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(book)
    pages = _pdf_pages(built.pdf)
    for slug, handout in built.handouts.items():
        if slug != "listening":
            pages += _pdf_pages(handout)
    for number, text in enumerate(pages, 1):
        assert _leftovers(text, language) == [], (number, text[:200])


def test_spanish_pages_in_spanish(spanish: Built) -> None:
    pages = _epub_pages(spanish.epub)
    assert pages["EPUB/front.contents.xhtml"].findtext(f".//{XHTML}h1") == "Índice"
    copyright_text = _page_text(pages["EPUB/front.copyright.xhtml"])
    assert "Primera edición: 1 de junio de 2025" in copyright_text
    assert "Todos los derechos reservados." in copyright_text
    assert "Parte de la serie Notas para parejas, número 1" in copyright_text
    chapter = pages["EPUB/acompanar.xhtml"]
    assert chapter.find(f".//{XHTML}p[@class='reflection-label']").text == "Para reflexionar"
    assert chapter.find(f".//{XHTML}section[@class='footnotes']").get("aria-label") == "Notas"
    cover = pages["EPUB/front.cover.xhtml"].find(f".//{XHTML}img")
    assert cover.get("alt") == "Portada: Pequeños pasos juntos: Notas para acompañar a tu pareja, de Consulta Ejemplo"
    handout = " ".join(_pdf_pages(spanish.handouts["acompanar"]))
    assert "Página 1 de 2" in handout and "Léelo en línea" in handout and "1 de junio de 2025" in handout
    english_handout = " ".join(_pdf_pages(spanish.handouts["listening"]))
    assert "Page 1 of 1" in english_handout and "June 8, 2025" in english_handout


# --- quotes, dates, spacing ----------------------------------------------------------------------------


def test_spanish_quotes_nested_and_english_quotes_in_the_english_piece(spanish: Built) -> None:
    pages = _epub_pages(spanish.epub)
    text = "".join(pages["EPUB/acompanar.xhtml"].itertext())
    assert "«no sirvo para nada»" in text
    assert "«Te escucho. Cuando dices “no puedo más”, te creo»" in text
    assert "¿Qué pasaría si no intentaras cambiar nada? ¡Inténtalo hoy mismo!" in text  # ¿ ¡ left alone
    assert "“" not in text.replace("“no puedo más”", "")
    english = "".join(pages["EPUB/listening.xhtml"].itertext())
    assert "“I’m just not good enough”" in english and "«" not in english
    pdf = " ".join(_pdf_pages(spanish.pdf))
    assert "«no sirvo para nada»" in pdf and "1 de junio de 2025" in pdf


def test_french_spacing_and_guillemets(french: Built) -> None:
    text = "".join(_epub_pages(french.epub)["EPUB/ecouter.xhtml"].itertext())
    assert f"«{NNBSP}je ne vaux rien{NNBSP}»" in text
    assert f"voyons{NNBSP}»{NNBSP}!" in text
    assert f"Dites simplement{NBSP}:" in text
    assert f"«{NNBSP}Je t’entends. Quand tu dis «{NNBSP}je n’en peux plus{NNBSP}», je te crois.{NNBSP}»" in text
    assert f"Et ensuite{NNBSP}? Rien{NNBSP}; attendez." in text
    pages = _epub_pages(french.epub)
    assert "Première publication\u00a0: 1 juin 2025" in _page_text(pages["EPUB/front.copyright.xhtml"])


@pytest.mark.parametrize(
    "language, source, expected",
    [
        ("de-DE", "Sie sagte: \"Er sagte 'nein'.\"", "Sie sagte: „Er sagte ‚nein‘.“"),
        ("it", '"Ciao", disse.', "«Ciao», disse."),
        ("pt-BR", '"Olá"', "“Olá”"),  # CLDR's pt is Brazil's: curly quotes
        ("pt-PT", '"Olá"', "«Olá»"),
        ("es", "los '90s y 'algo' don't", "los ’90s y “algo” don’t"),
        ("en-US", "\"a 'b' c\" don't", "“a ‘b’ c” don’t"),
    ],
)
def test_quotation_marks_by_language(language: str, source: str, expected: str) -> None:
    assert educate(source, quotes_for(language)) == expected


def test_french_spacing_leaves_addresses_and_times_alone() -> None:
    assert (
        space_french("à 10:30, voir https://example.com/?q=1 ou a:b") == "à 10:30, voir https://example.com/?q=1 ou a:b"
    )
    assert space_french("Vraiment ?Oui !") == f"Vraiment{NNBSP}?Oui{NNBSP}!"


@pytest.mark.parametrize(
    "language, expected",
    [("es-US", "1 de junio de 2025"), ("de", "1. Juni 2025"), ("fr", "1 juin 2025"), ("en-US", "June 1, 2025"),
     ("en-GB", "1 June 2025"), ("pt-BR", "1 de junho de 2025"), ("it", "1 giugno 2025"), ("zz", "2025-06-01")],
)  # fmt: skip
def test_dates_written_out_in_the_language(language: str, expected: str) -> None:
    assert Words(language).date("2025-06-01") == expected


# --- EPUB metadata ------------------------------------------------------------------------------------


def test_one_dc_language_per_language_book_first_and_conformance_claimed(spanish: Built, french: Built) -> None:
    dc = "{http://purl.org/dc/elements/1.1/}language"
    assert [e.text for e in _opf(spanish.epub).iter(dc)] == ["es-US", "en-US"]
    assert [e.text for e in _opf(french.epub).iter(dc)] == ["fr-FR"]
    for built in (spanish, french):
        properties = {e.get("property") for e in _opf(built.epub).iter("{http://www.idpf.org/2007/opf}meta")}
        assert "dcterms:conformsTo" in properties
    summary = next(
        e.text for e in _opf(spanish.epub).iter("{http://www.idpf.org/2007/opf}meta")
        if e.get("property") == "schema:accessibilitySummary"
    )  # fmt: skip
    assert summary.startswith("Este libro tiene un índice")


def _with_language(tmp_path: Path, language: str) -> Path:
    book = copy_manuscript(FIXTURES / "french", tmp_path / "m")
    yaml = book / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("language: fr-FR", f"language: {language}"))
    return book


def test_a_language_without_words_warns_once_and_withholds_the_claim(tmp_path: Path) -> None:
    book = _with_language(tmp_path, "nl-NL")
    result = CliRunner().invoke(main, ["check", "-m", str(book)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "nl-NL" in line]
    assert warnings == [
        f"Warning: {book / 'book.yaml'}:3: publish has no words in 'nl-NL': its titles and labels "
        "(Contents, Notes…) will be in English"
    ]
    out = tmp_path / "book.epub"
    result = CliRunner().invoke(main, ["epub", "-m", str(book), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "WCAG 3.1.2" in result.stderr and "publish has no words in 'nl-NL'" in result.stderr
    assert b"conformsTo" not in zipfile.ZipFile(out).read("EPUB/content.opf")
    assert not has_catalog("nl-NL") and has_catalog("pt-BR")


# --- strings: in book.yaml ------------------------------------------------------------------------------


def _with_strings(tmp_path: Path, strings: str) -> Path:
    book = copy_manuscript(FIXTURES / "spanish", tmp_path / "m")
    yaml = book / "book.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + strings, encoding="utf-8")
    return book


def test_a_practice_own_wording_wins_in_the_book_language_only(tmp_path: Path) -> None:
    book = _with_strings(tmp_path, 'strings:\n  continue_reading: "Para seguir leyendo"\n  notes: Notas al pie\n')
    out = tmp_path / "book.epub"
    result = CliRunner().invoke(main, ["epub", "-m", str(book), "-o", str(out)])
    assert result.exit_code == 0, result.output
    pages = _epub_pages(out)
    assert pages["EPUB/continue-reading.xhtml"].findtext(f".//{XHTML}h1") == "Para seguir leyendo"
    assert pages["EPUB/acompanar.xhtml"].find(f".//{XHTML}section[@class='footnotes']").get("aria-label") == (
        "Notas al pie"
    )
    # The English piece's notes keep the English catalog's label.
    assert pages["EPUB/listening.xhtml"].find(f".//{XHTML}section[@class='footnotes']").get("aria-label") == "Notes"


@pytest.mark.parametrize(
    "strings, error",
    [
        ("strings:\n  continue_readin: Sigue\n", "unknown key 'strings.continue_readin' (did you mean 'strings.continue_reading'?)"),
        ("strings:\n  notes: [a, b]\n", "'strings.notes' must be text, not a list"),
        ("strings:\n  by: {a: b}\n", "'strings.by' must be text, not a mapping"),
        ("strings:\n  by: de {autor}\n", "'strings.by' uses {autor}, which it does not have (its placeholders: {author})"),
        ("strings:\n  by: de {author\n", "'strings.by' has an unpaired brace: write {{ or }} for a brace itself"),
        ("strings: Sigue leyendo\n", "'strings' must be a mapping, not text"),
    ],
)  # fmt: skip
def test_bad_strings_are_one_error_naming_the_key_and_line(tmp_path: Path, strings: str, error: str) -> None:
    book = _with_strings(tmp_path, strings)
    # The line of the key under strings:, or of strings: itself when it is not a mapping.
    line = len((FIXTURES / "spanish" / "book.yaml").read_text(encoding="utf-8").splitlines()) + strings.count("\n")
    result = CliRunner().invoke(main, ["epub", "-m", str(book), "-o", str(tmp_path / "out.epub")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {book / 'book.yaml'}:{line}: {error}"]
    assert not (tmp_path / "out.epub").exists()


# --- the catalogs ----------------------------------------------------------------------------------------


def _used_messages() -> set[str]:
    """Every message name the code asks for: ``words("name")``, ``book_words(meta)("name")``, ``self("name")``
    inside publish.i18n, found by reading the source (both names of a ``"a" if x else "b"``)."""
    used: set[str] = set()
    for path in (ROOT / "publish").rglob("*.py"):
        callers = {"words", "self"} if path.parent.name == "i18n" else {"words"}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            named = isinstance(func, ast.Name) and func.id in callers
            made = isinstance(func, ast.Call) and isinstance(func.func, ast.Name)
            if not (named or (made and func.func.id in ("book_words", "piece_words"))):  # type: ignore[attr-defined]
                continue
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            used |= {o.value for o in options if isinstance(o, ast.Constant) and isinstance(o.value, str)}
    return used


def test_every_message_the_code_uses_exists_and_every_message_is_used() -> None:
    used = _used_messages()
    assert used - set(MESSAGES) == set()
    assert set(MESSAGES) - used == set()


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_catalog_is_complete_and_compiled(language: str) -> None:
    from babel.messages.pofile import read_po

    po = LOCALES / language / "LC_MESSAGES" / "publish.po"
    with po.open("rb") as file:
        catalog = read_po(file)
    assert not catalog.fuzzy
    for key, english in MESSAGES.items():
        message = catalog.get(english, context=key)
        assert message is not None, f"{language} lacks {key!r}: {english!r}"
        assert message.string and not message.fuzzy, f"{language}: {key!r} is not translated"
        translated = {field for _, field, _, _ in string.Formatter().parse(message.string) if field is not None}
        assert translated <= {field for _, field, _, _ in string.Formatter().parse(english) if field is not None}, key
    assert {message.context for message in catalog if message.id} == set(MESSAGES)
    # The shipped .mo says what the .po says (compared by content: Babel versions lay the file out differently).
    with po.with_suffix(".mo").open("rb") as file:
        shipped = gettext.GNUTranslations(file)
    for key, english in MESSAGES.items():
        assert shipped.pgettext(key, english) == catalog.get(english, context=key).string, f"{key}: run make catalogs"


def test_an_english_book_imports_no_babel() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from publish.build import prepare; from publish.epub.package import write_epub; import tempfile, pathlib;"
        f"r = prepare(pathlib.Path({str(ROOT / 'manuscript')!r}));"
        "write_epub(r, pathlib.Path(tempfile.mkdtemp()) / 'b.epub');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'babel'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
@pytest.mark.parametrize("book", ["spanish", "french"])
def test_epubcheck_and_ace_clean(book: str, request: pytest.FixtureRequest) -> None:
    from validators import ace_violations, epubcheck_messages

    built: Built = request.getfixturevalue(book)
    assert epubcheck_messages(built.epub) == []
    assert ace_violations(built.epub) == []


def test_words_fall_back_to_english_for_a_language_without_catalog() -> None:
    assert Words("nl")("continue_reading") == "Continue reading"
    assert Words("es-419")("continue_reading") == "Sigue leyendo"
    assert re.fullmatch(r"Seite \{page\} von \{pages\}", Words("de-AT")("handout_page"))
