"""Hostile input: depth and size limits, text safety and clear answers (issue 11, items 4 and 9).

Every case is one exact ``Error:`` (or ``Warning:``) line, the exit status, no traceback; the deep and
large cases run in a subprocess under a memory cap and a timeout, so a regression fails the test rather
than the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import tinycss2
from click.testing import CliRunner, Result

from publish.build import collect_problems, prepare
from publish.cli import main
from publish.errors import PublishError, escape_controls
from publish.limits import parse_bleed, parse_length, scan_markdown
from publish.pdf.css import css_string
from publish.pdf.handouts import handout_page_css
from publish.pdf.paper import DEFAULT_OPTIONS

BOOK = "title: A Book\nauthor: Someone\nlanguage: en\nstart: a.md\n"
PIECE = "---\ntitle: A\n---\n\nSome text.\n"
MEMORY_CAP = 1536 * 1024 * 1024  # bytes of address space: the alias bomb took 3 GB before the fix
TIMEOUT = 60  # seconds: the 5 MB line ran past 120 s in the PDF before the fix


def piece(body: str, front: str = "title: A\n") -> str:
    return f"---\n{front}---\n\n{body}\n"


def write_manuscript(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The CLI in ``cwd`` (messages show paths relative to it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        return CliRunner().invoke(main, list(args), prog_name="publish")


def assert_one_line(result: Result, status: int, line: str) -> None:
    """Exactly this one line on stderr, this exit status, no traceback."""
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.splitlines() == [line]
    assert "Traceback" not in result.output


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_bounded(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``publish`` in a subprocess under the memory cap and the timeout (a hang fails): (status, stdout, stderr)."""
    result = subprocess.run(
        [sys.executable, "-m", "publish", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_cap_memory,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


# --- depth and size limits, bounded in time and memory -----------------------------------------------------

_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)  # ten to the ninth strings once expanded
_INDENTED_BOMB = "".join("  " + line for line in _BOMB.splitlines(True))


def _lists(levels: int) -> str:
    return "\n".join("    " * level + "- item" for level in range(levels))


DEEP_CASES = {
    "alias bomb under book.yaml's date": (
        {"book.yaml": BOOK + "date:\n" + _INDENTED_BOMB, "a.md": PIECE}, "epub",
        "m/book.yaml:7: invalid YAML: an alias (*a) is not allowed here: write the value out",
    ),
    "alias bomb under a piece's date": (
        {"book.yaml": BOOK, "a.md": "---\ntitle: A\ndate:\n" + _INDENTED_BOMB + "---\n\nText.\n"}, "epub",
        "m/a.md:5: invalid YAML: an alias (*a) is not allowed here: write the value out",
    ),
    "YAML nested 1000 deep (flow)": (
        {"book.yaml": BOOK + "description: " + "[" * 1000 + "x" + "]" * 1000 + "\n", "a.md": PIECE}, "epub",
        "m/book.yaml:5: invalid YAML: values nest more than 10 deep",
    ),
    "YAML nested 1000 deep (block)": (
        {"book.yaml": BOOK + "description:\n" + "".join(" " * i + "-\n" for i in range(1, 1000)), "a.md": PIECE},
        "epub", "m/book.yaml:15: invalid YAML: values nest more than 10 deep",
    ),
    "300 nested lists": (
        {"book.yaml": BOOK, "a.md": piece(_lists(300))}, "epub", "m/a.md:25: lists nest 21 deep here; at most 20 may nest",
    ),
    "2000 nested lists": (
        {"book.yaml": BOOK, "a.md": piece(_lists(2000))}, "epub",
        "m/a.md:4: the piece is 8,010,001 characters long; a piece may have at most 500,000 (a long novel): "
        "split it into several pieces",
    ),
    "5000 nested emphasis markers": (
        {"book.yaml": BOOK, "a.md": piece("*" * 5000 + "x" + "*" * 5000)}, "epub",
        "m/a.md:5: 5,000 '*' in a row; emphasis marks may come at most 100 in a row "
        "(for a rule, write '---' on a line of its own)",
    ),
    "1000 nested ::: reflection fences": (
        {"book.yaml": BOOK, "a.md": piece("::: reflection\n" * 1000 + "x\n" + ":::\n" * 1000)}, "epub",
        "m/a.md:25: '::: ' blocks nest 21 deep here; at most 20 may nest",
    ),
    "a line of 250 '>' (PDF)": (
        {"book.yaml": BOOK, "a.md": piece(">" * 250 + " x")}, "pdf",
        "m/a.md:5: block quotes ('>') nest 250 deep here; at most 20 may nest",
    ),
    "300 nested <div> (PDF)": (
        {"book.yaml": BOOK, "a.md": piece("<div>" * 300 + "x" + "</div>" * 300)}, "pdf",
        "m/a.md:5: raw HTML elements nest 300 deep here; at most 40 may nest",
    ),
    "300 nested <span> (PDF)": (
        {"book.yaml": BOOK, "a.md": piece("<span>" * 300 + "x" + "</span>" * 300)}, "pdf",
        "m/a.md:5: raw HTML elements nest 300 deep here; at most 40 may nest",
    ),
    "a piece that is one 5 MB line (PDF)": (
        {"book.yaml": BOOK, "a.md": piece("word " * 1_000_000)}, "pdf",
        "m/a.md:4: the piece is 5,000,002 characters long; a piece may have at most 500,000 (a long novel): "
        "split it into several pieces",
    ),
    "a line of 150,000 characters": (
        {"book.yaml": BOOK, "a.md": piece("Fine.\n\n" + "word " * 30_000)}, "epub",
        "m/a.md:7: the line is 150,000 characters long; a line may have at most 100,000: break the paragraph into lines",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(DEEP_CASES))
def test_deep_and_large_input_is_one_error_in_bounded_time_and_memory(tmp_path: Path, case: str) -> None:
    files, command, expected = DEEP_CASES[case]
    write_manuscript(tmp_path / "m", files)
    status, stdout, stderr = run_bounded(tmp_path, command, "-m", "m", "-o", f"out/book.{command}")
    assert (status, stderr.splitlines(), stdout) == (1, [f"Error: {expected}"], "")
    assert not (tmp_path / "out").exists()


def _deep_mix(extra_divs: int) -> str:
    """Nesting within each limit that adds up: 20 ':::' blocks, 20 lists, 20 quotes, then raw divs."""
    fences = "::: reflection\n\n" * 20
    inner = "    " * 20 + "> " * 20 + "<div>" * extra_divs + "deep" + "</div>" * extra_divs
    return fences + _lists(20) + "\n\n" + inner + "\n\n" + ":::\n\n" * 20


def test_tree_too_deep_for_the_pdf_is_an_error_before_weasyprint(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece(_deep_mix(21))})
    status, stdout, stderr = run_bounded(tmp_path, "pdf", "-m", "m", "-o", "out/book.pdf")
    expected = (
        "Error: m/a.md:66: elements nest 101 deep here (lists, quotes, '::: ' blocks, emphasis and raw HTML "
        "together); the PDF can typeset at most 100: nest less"
    )
    assert (status, stderr.splitlines(), stdout) == (1, [expected], "")
    # The EPUB has no such limit: the same manuscript builds.
    assert run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub").exit_code == 0


def test_tree_too_deep_in_a_handout_worker_names_the_file_and_line(tmp_path: Path) -> None:
    files = {
        "book.yaml": BOOK,
        "a.md": piece(_deep_mix(21), "title: A\nnext: b.md\n"),
        "b.md": piece("B.", "title: B\nprevious: a.md\n"),
    }
    write_manuscript(tmp_path / "m", files)
    status, _, stderr = run_bounded(tmp_path, "pdf", "-m", "m", "--all-handouts", "-o", "out")
    # Raised in a worker process: the error comes back with its file and line (pickled whole).
    assert (status, stderr.splitlines()) == (
        1,
        [
            "Error: m/a.md:67: elements nest 101 deep here (lists, quotes, '::: ' blocks, emphasis and raw HTML "
            "together); the PDF can typeset at most 100: nest less"
        ],
    )


def test_tree_just_within_the_limit_typesets(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece(_deep_mix(19))})
    status, _, stderr = run_bounded(tmp_path, "pdf", "-m", "m", "-o", "out/book.pdf")
    assert status == 0, stderr
    assert (tmp_path / "out" / "book.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("book", "expected"),
    [
        ("title: &t A Book\nauthor: *t\nlanguage: en\nstart: a.md\n",
         "m/book.yaml:2: invalid YAML: an alias (*t) is not allowed here: write the value out"),
        (BOOK + "subtitle: &s [x]\nsubjects: *s\n",
         "m/book.yaml:6: invalid YAML: an alias (*s) is not allowed here: write the value out"),
        (BOOK + "series:\n  name: S\n  position: .inf\n",
         "m/book.yaml:7: 'series.position' must be a whole number from 1 to 9,999, not inf"),
        (BOOK + "series:\n  name: S\n  position: .nan\n",
         "m/book.yaml:7: 'series.position' must be a whole number from 1 to 9,999, not nan"),
        (BOOK + "series:\n  name: S\n  position: 1.5\n",
         "m/book.yaml:7: 'series.position' must be a whole number from 1 to 9,999, not 1.5"),
        (BOOK + "series:\n  name: S\n  position: 99999999999999999999999\n",
         "m/book.yaml:7: 'series.position' must be a whole number from 1 to 9,999, not 99999999999999999999999"),
        (BOOK + "date: " + "9x" * 5000 + "\n",
         "m/book.yaml:5: 'date' must be a date written YYYY-MM-DD, not '" + "9x" * 29 + "…"),
    ],
)  # fmt: skip
def test_yaml_aliases_and_odd_numbers_name_the_line(tmp_path: Path, book: str, expected: str) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": book, "a.md": PIECE})
    assert_one_line(run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub"), 1, f"Error: {expected}")


def test_a_real_article_is_far_from_every_limit() -> None:
    demo = Path(__file__).resolve().parent.parent / "manuscript"
    for path in demo.glob("*.md"):
        assert [f for f in scan_markdown(path.read_text(encoding="utf-8")) if f.fatal] == []
    # What authors write that looks like nesting but is not: rules, fill-in lines, quoted replies.
    assert scan_markdown("* * * * * * * * * * * * * * * * * * * * * * * * *\n\nName: " + "_" * 80) == []
    assert scan_markdown("> > > an old reply\n\n" + "\n".join("    " * i + "- x" for i in range(20))) == []
    assert scan_markdown("<p>One<p>two<p>" * 50 + "<br>" * 100) == []
    assert scan_markdown("<https://example.com> <me@example.com> `<div>`\n" * 60) == []


# --- text safety -----------------------------------------------------------------------------------------------

FORBIDDEN_TITLES = [("\\x01", "U+0001 (a control character)"), ("\\uFFFE", "U+FFFE (a noncharacter)"),
                    ("\\ud800", "U+D800 (a lone surrogate)"), ("\\f", "U+000C (a control character)"),
                    ("\\e[2J", "U+001B (a control character)")]  # fmt: skip


@pytest.mark.parametrize(("escape", "named"), FORBIDDEN_TITLES)
@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_forbidden_character_in_a_piece_title_is_refused_on_its_line(
    tmp_path: Path, escape: str, named: str, command: str
) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece("Text.", f'title: "A{escape}B"\n')})
    result = run(tmp_path, command, "-m", "m", "-o", f"out/book.{command}")
    assert_one_line(
        result, 1, f"Error: m/a.md:2: character {named} cannot appear in a book (XML forbids it); remove it"
    )


@pytest.mark.parametrize(("escape", "named"), FORBIDDEN_TITLES)
def test_forbidden_character_in_book_yaml_is_refused_on_its_line(tmp_path: Path, escape: str, named: str) -> None:
    book = BOOK + f'handout:\n  footer: "x{escape} @import url(file:///etc/passwd);"\n'
    write_manuscript(tmp_path / "m", {"book.yaml": book, "a.md": PIECE})
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert_one_line(
        result, 1, f"Error: m/book.yaml:6: character {named} cannot appear in a book (XML forbids it); remove it"
    )


@pytest.mark.parametrize(
    ("body", "warning"),
    [
        ("A &#65535; B", "&#65535; refers to U+FFFF (a noncharacter), which XML forbids; left out"),
        ("A &#xFFFE; B", "&#xFFFE; refers to U+FFFE (a noncharacter), which XML forbids; left out"),
        ("A &#0; B", "&#0; refers to U+0000 (a control character), which XML forbids; left out"),
        ("A &#xD800; B", "&#xD800; refers to U+D800 (a lone surrogate), which XML forbids; left out"),
        ("A \x01\x1b B", "character U+0001 (a control character) left out: XML forbids it"),
    ],
)
def test_forbidden_character_in_the_body_is_left_out_with_a_warning(tmp_path: Path, body: str, warning: str) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece(body + "\n\nCode: `&#0;`, dash: &#150;.")})
    result = run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [f"Warning: m/a.md:5: {warning}"]
    assert run(tmp_path, "epub", "--strict", "-m", "m", "-o", "out/strict.epub").exit_code == 1
    rendered = prepare(tmp_path / "m")
    assert "<p>A  B</p>" in rendered.pieces[0].body
    # A reference in code stays as text; &#150; is an en dash to an HTML parser, and stays.
    assert "<code>&amp;#0;</code>, dash: \u2013." in rendered.pieces[0].body


def test_forbidden_reference_never_reaches_the_pdf(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece("A &#65535; B")})
    result = run(tmp_path, "pdf", "-m", "m", "-o", "out/book.pdf")
    assert result.exit_code == 0
    # Before, WeasyPrint warned of a .notdef glyph for U+FFFF: the character was in the PDF.
    assert result.stderr.splitlines() == [
        "Warning: m/a.md:5: &#65535; refers to U+FFFF (a noncharacter), which XML forbids; left out"
    ]


def test_terminal_output_escapes_control_characters(tmp_path: Path) -> None:
    assert escape_controls("A\x1b]52;c;aGk=\x07B\x9b2J\udcff\nC\tD") == "A\\x1b]52;c;aGk=\\x07B\\x9b2J\\udcff\\nC\tD"
    sneaky = "b\x1b]52;c;aGk=\x07\x1b[2J.md"
    write_manuscript(
        tmp_path / "m", {"book.yaml": BOOK, "a.md": PIECE, sneaky: PIECE, f"c{sneaky}": "no front matter\n"}
    )
    result = run(tmp_path, "check", "-m", "m")
    shown = escape_controls(sneaky)
    assert result.stderr.splitlines() == [
        f"Warning: m/{shown}: {shown} is not part of the book: no previous/next link leads to it from 'start' (a.md)",
        f"Error: m/c{shown}:1: no front matter: a piece starts with a '---' line, then 'title: ...', then '---'",
        "1 error(s), 1 warning(s)",
    ]
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_css_strings_cannot_be_ended_by_what_they_hold() -> None:
    hostile = 'x\n\r\f"\\} @import url(file:///etc/passwd); x { content: "'
    tokens = [t for t in tinycss2.parse_component_value_list(css_string(hostile)) if t.type != "whitespace"]
    assert [(t.type, t.value) for t in tokens] == [("string", hostile)]


@pytest.mark.parametrize(
    "footer",
    ['x\\r} @import url(file:///etc/passwd); x {', 'x\\" } @import url(file:///etc/passwd); x { content: \\"',
     'x\\\\\\" } @import url(file:///etc/passwd); x {', 'line one\\nline two } @import url(x); x {'],
)  # fmt: skip
def test_handout_footer_stays_inside_its_css_string(tmp_path: Path, footer: str) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK + f'handout:\n  footer: "{footer}"\n', "a.md": PIECE})
    css = handout_page_css(prepare(tmp_path / "m"), DEFAULT_OPTIONS)
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    assert [(r.type, r.at_keyword) for r in rules] == [("at-rule", "page"), ("at-rule", "page")]


# --- clear answers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["epub", "-m", "m/a.md"], "Invalid value for '-m' / '--manuscript': Directory 'm/a.md' is a file. "
         "(see 'publish epub -h')"),
        (["epub", "-m", "m", "-o", "m"], "Invalid value for '-o' / '--output': File 'm' is a directory. "
         "(see 'publish epub -h')"),
        (["build", "-m", "m", "-o", "m/a.md"], "Invalid value for '-o' / '--output': Directory 'm/a.md' is a file. "
         "(see 'publish build -h')"),
        (["pdf", "-m", "m", "--handout", ""], "--handout needs a piece: give its file name or slug (see 'publish pdf -h')"),
        (["pdf", "-m", "m", "--handout", " "], "--handout needs a piece: give its file name or slug (see 'publish pdf -h')"),
        # Refused before the manuscript is read: "nowhere" does not exist, and that is not what is said.
        (["pdf", "-m", "nowhere", "--bleed", "infin"], "Invalid value for '--bleed': bleed 'infin' is not a length: "
         "give a number and a unit, e.g. 0.125in or 3mm (see 'publish pdf -h')"),
        (["pdf", "-m", "nowhere", "--bleed", "1e30in"], "Invalid value for '--bleed': bleed '1e30in' is not a length: "
         "give a number and a unit, e.g. 0.125in or 3mm (see 'publish pdf -h')"),
        (["pdf", "-m", "nowhere", "--bleed", "2in"], "Invalid value for '--bleed': bleed '2in' is more than 1in: "
         "a print shop asks for 0.125in (3mm) or so (see 'publish pdf -h')"),
    ],
)  # fmt: skip
def test_command_line_mistakes_are_one_error_line_with_status_2(tmp_path: Path, args: list[str], expected: str) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": PIECE})
    assert_one_line(run(tmp_path, *args), 2, f"Error: {expected}")
    assert not (tmp_path / "dist").exists()


def test_publish_alone_still_prints_its_help(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: publish [OPTIONS] COMMAND [ARGS]...")
    assert "Error" not in result.stderr


def test_bleed_lengths() -> None:
    assert parse_length("0.125in") == 9.0
    assert parse_length(" 3MM ") == pytest.approx(8.5039, abs=1e-3)
    assert parse_length("1in") == 72.0
    for bad in ("inf in", "nanmm", "-1mm", "0x1in", "1e3pt", "3", "mm"):
        with pytest.raises(PublishError, match="is not a length"):
            parse_length(bad)
    assert parse_bleed("1in") == 72.0
    with pytest.raises(PublishError, match=r"bleed '1\.5in' is more than 1in"):
        parse_bleed("1.5in")
    assert parse_length("1.5in") == 108.0  # a margin may be longer than any bleed


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"book.yaml": BOOK.replace("start: a.md", "start: ../../etc/passwd")},
         "m/book.yaml:4: 'start' names ../../etc/passwd, which is outside the manuscript folder: name a piece inside it"),
        ({"book.yaml": BOOK.replace("start: a.md", "start: /etc/passwd")},
         "m/book.yaml:4: 'start' names /etc/passwd, which is outside the manuscript folder: name a piece inside it"),
        ({"book.yaml": BOOK.replace("start: a.md", "start: ../outside.md")},
         "m/book.yaml:4: 'start' names ../outside.md, which is outside the manuscript folder: name a piece inside it"),
        ({"book.yaml": BOOK + "contents:\n  - a.md\n  - ../outside.md\n"},
         "m/book.yaml:7: 'contents' names ../outside.md, which is outside the manuscript folder: name a piece inside it"),
        ({"a.md": piece("Text.", "title: A\nnext: ../outside.md\n")},
         "m/a.md:3: 'next' names ../outside.md, which is outside the manuscript folder: name a piece inside it"),
        ({"book.yaml": BOOK.replace("start: a.md", "start: ReadMe.md"), "ReadMe.md": PIECE},
         "m/book.yaml:4: 'start' names ReadMe.md, which is a README: publish leaves README.md files out of the book "
         "(they are notes); rename it"),
        ({"book.yaml": BOOK.replace("start: a.md", "start: .drafts/a.md"), ".drafts/a.md": PIECE},
         "m/book.yaml:4: 'start' names .drafts/a.md, which is hidden (its name or a folder's starts with '.'): "
         "publish leaves hidden files out"),
        ({"book.yaml": BOOK.replace("start: a.md", "start: notes.txt"), "notes.txt": "notes"},
         "m/book.yaml:4: 'start' names notes.txt, which is not a Markdown piece (a .md file)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["epub", "check"])
def test_start_and_contents_that_cannot_be_a_piece_say_why(
    tmp_path: Path, files: dict[str, str], expected: str, command: str
) -> None:
    (tmp_path / "outside.md").write_text(PIECE, encoding="utf-8")  # it exists: being outside is the problem
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": PIECE, **files})
    result = run(tmp_path, command, "-m", "m", *(["-o", "out/book.epub"] if command == "epub" else []))
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("Error")] == [f"Error: {expected}"]
    assert "Traceback" not in result.output and "OK:" not in result.output


def test_readme_alone_is_no_book(tmp_path: Path) -> None:
    book = BOOK.replace("start: a.md", "start: readme.md")
    write_manuscript(tmp_path / "m", {"book.yaml": book, "readme.md": PIECE})
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    assert result.stdout == ""  # not "OK: 0 pieces"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99999999999999999", "SOURCE_DATE_EPOCH='99999999999999999' is too large: the latest date an EPUB can hold "
         "is 2107-12-31 (SOURCE_DATE_EPOCH=4354819199)"),
        ("253402300800", "SOURCE_DATE_EPOCH='253402300800' is too large: the latest date an EPUB can hold is "
         "2107-12-31 (SOURCE_DATE_EPOCH=4354819199)"),
        ("yesterday", "SOURCE_DATE_EPOCH='yesterday' is not a number of seconds since 1970-01-01 (for example 1700000000)"),
        ("-5", "SOURCE_DATE_EPOCH='-5' is not a number of seconds since 1970-01-01 (for example 1700000000)"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_source_date_epoch_out_of_range_names_the_variable(
    tmp_path: Path, value: str, expected: str, command: str
) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": PIECE})
    result = run(tmp_path, command, "-m", "m", "-o", f"out/book.{command}", env={"SOURCE_DATE_EPOCH": value})
    assert_one_line(result, 1, f"Error: {expected}")
    assert not (tmp_path / "out").exists()


def test_a_400_character_title_gives_a_short_output_name(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK.replace("A Book", "Longer words " * 31), "a.md": PIECE})
    result = run(tmp_path, "epub", "-m", "m")
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "dist").iterdir()
    assert written.name == "longer-words-" * 5 + "longer-words.epub"


def test_toc_takes_allow_remote(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece("![x](https://example.com/x.png)")})
    refused = run(tmp_path, "toc", "-m", "m")
    assert refused.exit_code == 1
    result = run(tmp_path, "toc", "-m", "m", "--allow-remote")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: m/a.md:5: remote image https://example.com/x.png left out: building never fetches anything\n"
    )
    assert result.stdout.startswith("A Book\n\nReading order:\n  1. a.md\n")


def test_toc_into_a_closed_pipe_ends_quietly_with_status_141(tmp_path: Path) -> None:
    # Far more than a pipe holds (64 KB), so the command is still writing when the reader goes.
    headings = "\n\n".join(
        f"## A section whose heading is long enough to fill the pipe, number {n}" for n in range(3000)
    )
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece(headings)})
    command = [sys.executable, "-m", "publish", "toc", "-m", "m"]
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as toc:
        assert toc.stdout is not None and toc.stderr is not None
        assert toc.stdout.readline() == b"A Book\n"
        toc.stdout.close()  # what `head -1` does once it has its line
        assert toc.wait(timeout=TIMEOUT) == 141
        assert toc.stderr.read() == b""


@pytest.mark.parametrize(
    ("html", "kept", "warning"),
    [
        ("The area is <math><mi>x</mi><mo>=</mo><mn>2</mn></math> exactly.", "The area is <span class=\"math\">x = 2</span> exactly.",
         "<math>: MathML cannot be shown in the book: its text is kept"),
        ('The area is <math alttext="x squared"><msup><mi>x</mi><mn>2</mn></msup></math> exactly.',
         'The area is <span class="math">x squared</span> exactly.', "<math>: MathML cannot be shown in the book: its text is kept"),
        ('See <svg><title>Sleep</title><text x="0" y="10">hours a night</text></svg> here.',
         'See <span class="svg">Sleep hours a night</span> here.',
         "<svg>: an inline SVG drawing cannot be shown in the book: its text is kept"),
        ('<video src="v.mp4"><source src="v.webm">Watch the talk at example.com.</video>', "Watch the talk at example.com.",
         "<video>: a video cannot play in the book: its fallback text is kept"),
        ('<audio src="a.mp3">A recording of the breathing exercise.</audio>', "A recording of the breathing exercise.",
         "<audio>: a recording cannot play in the book: its fallback text is kept"),
        ("<form><label>How do you feel today?</label><input><button>Send</button></form>", "How do you feel today?",
         "<form>: a form cannot be filled in a book: its labels are kept, its fields left out"),
    ],
)  # fmt: skip
def test_content_a_book_cannot_show_keeps_its_text_with_a_warning(
    tmp_path: Path, html: str, kept: str, warning: str
) -> None:
    write_manuscript(tmp_path / "m", {"book.yaml": BOOK, "a.md": piece(html + "\n\n`<math>` in code is text.")})
    _, rendered, problems = collect_problems(tmp_path / "m")
    assert rendered is not None
    assert [p.format(tmp_path) for p in problems] == [f"m/a.md:5: {warning}"]
    assert kept in rendered.pieces[0].body
    assert "Send" not in rendered.pieces[0].body
