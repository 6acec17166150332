"""Bad input: every user error is one exact ``Error: file:line: message``, exit 1, and nothing written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from publish.cli import main

from conftest import FIXTURES, copy_manuscript, write_manuscript

BROKEN = FIXTURES / "broken"

# The exact stderr of `publish epub` on each broken fixture, copied to ./m (paths are shown relative to the
# working folder). The first line's file:line must match tests/fixtures/broken/EXPECTED.md.
MESSAGES: dict[str, list[str]] = {
    "no-book-yaml": [
        "m/book.yaml: not found: a manuscript folder needs a book.yaml with title, author, language and start",
    ],
    "yaml-syntax": ["m/book.yaml:3: invalid YAML: mapping values are not allowed here"],
    "missing-keys": ["m/book.yaml: missing required keys author, start"],
    "unknown-key": [
        "m/book.yaml:5: unknown key 'colour' (known keys: author, contents, cover, date, description, handout, "
        "identifier, language, practice, publisher, rights, series, start, strings, subjects, subtitle, theme, title)",
    ],
    "unknown-piece-key": ["m/a.md:3: unknown key 'auther' (did you mean 'author'?)"],
    "control-character": ["m/a.md:3: invalid YAML: character U+0007 cannot appear in YAML; remove it"],
    "wrong-type": [
        "m/book.yaml:5: 'subjects' must be a list of text, not a single text: write each item on its own line as '- item'",
    ],
    "bad-language": ["m/book.yaml:3: 'language' is not a BCP 47 language tag: 'english_US!' (for example en-US)"],
    "bad-date": ["m/book.yaml:5: 'date' is not a day of the calendar: 2024-02-30"],
    "duplicate-key": ["m/book.yaml:5: key 'title' appears twice (first on line 1)"],
    "missing-start": ["m/book.yaml:4: 'start' names nowhere.md, which does not exist"],
    "missing-next": ["m/a.md:3: 'next' names ghost.md, which does not exist"],
    "cycle": [
        "m/b.md:3: 'previous' links form a cycle: a.md -> b.md -> a.md",
        "m/b.md:4: 'next' links form a cycle: a.md -> b.md -> a.md",
    ],
    "reached-twice": [
        "m/a.md:4: b.md is reached twice: by a.md's 'previous' and again by a.md's 'next'; "
        "a piece has one place in the reading order",
    ],
    "duplicate-slugs": ["m/b.md:3: duplicate slug 'same': a.md has it too"],
    "empty-contents": [
        "m/book.yaml:5: 'contents' is empty: list the pieces in reading order, or remove it to follow 'start'",
    ],
    "contents-missing": ["m/book.yaml:7: 'contents' names ghost.md, which does not exist"],
    "unterminated-front-matter": ["m/a.md:1: front matter is not terminated: add a '---' line after it"],
    "invalid-front-matter": [
        "m/a.md:2: front matter must be a mapping of keys to values (for example 'title: ...')",
    ],
    "no-title": ["m/a.md:1: piece has no title: add 'title: ...' to its front matter"],
    "not-utf8": ["m/a.md:5: not valid UTF-8: byte 0xE9 at offset 39; save the file as UTF-8"],
    "missing-image": ["m/a.md:5: image images/nope.png not found"],
    "corrupt-image": ["m/a.md:5: image images/bad.png is empty or corrupt"],
    "remote-image": [
        "m/a.md:5: remote image https://example.com/picture.png is not fetched: copy it into the manuscript folder "
        "(or use --allow-remote to leave it out)",
    ],
    "outside-image": ["m/a.md:5: image ../../outside.png is outside the manuscript folder"],
    "missing-piece-link": ["m/a.md:5: link ghost.md: ghost.md does not exist"],
    "missing-anchor": ["m/a.md:6: link other.md#no-such-section: other.md has no section #no-such-section"],
    "file-link": ["m/a.md:5: link file:///etc/passwd points to a file on this computer: link to a piece or a web page"],
    "javascript-url": [
        "m/a.md:3: 'url' must be a web page's address starting with https:// or http://, not a javascript: URL",
    ],
    "data-url": ["m/a.md:3: 'url' must be a web page's address starting with https:// or http://, not a data: URL"],
    "link-only-javascript-url": [
        "m/b.md:3: 'url' must be a web page's address starting with https:// or http://, not a javascript: URL",
    ],
    "schemeless-url": [
        "m/a.md:3: 'url' must be a web page's address starting with https:// or http://, "
        "not 'www.example.com/blog/a-piece'",
    ],
    "yaml-alias-bomb": ["m/book.yaml:7: invalid YAML: an alias (*a) is not allowed here: write the value out"],
    "yaml-too-deep": ["m/book.yaml:5: invalid YAML: values nest more than 10 deep"],
    "series-infinite": ["m/book.yaml:7: 'series.position' must be a whole number from 1 to 9,999, not inf"],
    "title-escape-control": [
        "m/a.md:2: character U+0001 (a control character) cannot appear in a book (XML forbids it); remove it",
    ],
    "deep-list": ["m/a.md:25: lists nest 21 deep here; at most 20 may nest"],
    "deep-quotes": ["m/a.md:5: block quotes ('>') nest 250 deep here; at most 20 may nest"],
    "deep-emphasis": [
        "m/a.md:5: 5,000 '*' in a row; emphasis marks may come at most 100 in a row "
        "(for a rule, write '---' on a line of its own)",
    ],
    "deep-fences": ["m/a.md:25: '::: ' blocks nest 21 deep here; at most 20 may nest"],
    "deep-html": ["m/a.md:5: raw HTML elements nest 300 deep here; at most 40 may nest"],
    "start-outside": [
        "m/book.yaml:4: 'start' names ../../etc/passwd, which is outside the manuscript folder: name a piece inside it",
    ],
    "contents-outside": [
        "m/book.yaml:7: 'contents' names ../../etc/passwd, which is outside the manuscript folder: "
        "name a piece inside it",
    ],
    "readme-start": [
        "m/book.yaml:4: 'start' names README.md, which is a README: publish leaves README.md files out of the book "
        "(they are notes); rename it",
    ],
}


def _expected_table() -> dict[str, tuple[str, int | None]]:
    """EXPECTED.md's table: folder -> (file, line or None)."""
    rows: dict[str, tuple[str, int | None]] = {}
    for line in (BROKEN / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([\w-]+)` \| `([^`]+)` \| (\d+|—) \|", line)
        if match:
            rows[match[1]] = (match[2], None if match[3] == "—" else int(match[3]))
    return rows


def run(cwd: Path, *args: str) -> Result:
    """Run the CLI in ``cwd`` (so messages show paths relative to it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), prog_name="publish")


def error_lines(result: Result) -> list[str]:
    """The ``Error:`` lines of stderr, without the prefix."""
    return [line.removeprefix("Error: ") for line in result.stderr.splitlines() if line.startswith("Error: ")]


def assert_user_error(result: Result, expected: list[str]) -> None:
    """Exit 1, exactly these errors on stderr, no traceback, nothing on stdout."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.splitlines() == [f"Error: {line}" for line in expected]
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_expected_md_lists_every_broken_fixture() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert set(_expected_table()) == folders
    assert set(MESSAGES) == folders


@pytest.mark.parametrize("name", sorted(MESSAGES))
@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_broken_fixture_is_one_exact_error_and_writes_nothing(tmp_path: Path, name: str, command: str) -> None:
    copy_manuscript(BROKEN / name, tmp_path / "m")
    result = run(tmp_path, command, "-m", "m", "-o", f"out/book.{command}")
    assert_user_error(result, MESSAGES[name])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_first_error_is_where_expected_md_says(tmp_path: Path, name: str) -> None:
    copy_manuscript(BROKEN / name, tmp_path / "m")
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    file, line = _expected_table()[name]
    location = f"m/{file}:{line}: " if line else f"m/{file}: "
    assert error_lines(result)[0].startswith(location)
    assert result.stderr.splitlines()[-1] == f"{len(MESSAGES[name])} error(s), 0 warning(s)"


BOOK = "title: A Book\nauthor: Someone\nlanguage: en\nstart: a.md\n"
PIECE = "---\ntitle: A\n---\n\nSome text.\n"


@pytest.mark.parametrize(
    ("book", "piece", "expected"),
    [
        (BOOK + "series: Notes\n", PIECE, "m/book.yaml:5: 'series' must be a mapping, not text"),
        (BOOK + "series:\n  name: Notes\n  position: two\n", PIECE, "m/book.yaml:7: 'series.position' must be a number, not text"),
        (BOOK + "subjects:\n  - One\n  - [Two]\n", PIECE, "m/book.yaml:7: 'subjects' must be a list of text, but item 2 is a list"),
        (BOOK + "practice:\n  fax: 123\n", PIECE, "m/book.yaml:6: unknown key 'practice.fax' (known keys: address, email, logo, name, phone, website)"),
        (BOOK.replace("title: A Book", "title: [A, Book]"), PIECE, "m/book.yaml:1: 'title' must be text, not a list"),
        (BOOK.replace("language: en", "language: true"), PIECE, "m/book.yaml:3: 'language' must be text, not true/false"),
        (BOOK, "---\ntitle: {a: 1}\n---\n\nText.\n", "m/a.md:2: 'title' must be text, not a mapping"),
        (BOOK, "---\ntitle: A\nlang: en_GB\n---\n\nText.\n", "m/a.md:3: 'lang' is not a BCP 47 language tag: 'en_GB' (for example en-US)"),
        (BOOK, "---\ntitle: A\ndate: 10/01/2024\n---\n\nText.\n", "m/a.md:3: 'date' must be a date written YYYY-MM-DD, not '10/01/2024'"),
        (BOOK, "---\ntitle:\n---\n\nText.\n", "m/a.md:2: piece has no title: add 'title: ...' to its front matter"),
        (BOOK, "no front matter\n", "m/a.md:1: no front matter: a piece starts with a '---' line, then 'title: ...', then '---'"),
        (BOOK, "---\ntitle: A\nslug: Not A Slug\n---\n\nText.\n", "m/a.md:3: slug 'Not A Slug' may hold only lower-case letters, digits, '-' and '_'"),
        (BOOK, "---\ntitle: A\n  bad: indent\n---\n\nText.\n", "m/a.md:3: invalid YAML: mapping values are not allowed here"),
        (BOOK + "contents:\n", PIECE, "m/book.yaml:5: 'contents' is empty: list the pieces in reading order, or remove it to follow 'start'"),
        (BOOK + "contents:\n  - a.md\n  - a.md\n", PIECE, "m/book.yaml:7: 'contents' lists a.md twice"),
        ("- just\n- a list\n", PIECE, "m/book.yaml:1: book.yaml must be a mapping of keys to values"),
    ],
)  # fmt: skip
def test_wrong_types_and_values_name_the_key(tmp_path: Path, book: str, piece: str, expected: str) -> None:
    write_manuscript(tmp_path / "m", book=book, files={"a.md": piece})
    assert_user_error(run(tmp_path, "epub", "-m", "m", "-o", "out/book.epub"), [expected])
    assert not (tmp_path / "out").exists()


def test_check_lists_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    book = "title: Several Problems\nauthor: Someone\nlanguage: en\nstart: a.md\nsubtitle: [x]\n"
    write_manuscript(
        tmp_path / "m", book=book, files={
            "a.md": "---\ntitle: A\nnext: b.md\n---\n\n![](missing.png)\n\nSee [b](b.md#nowhere).\n",
            "b.md": "---\ntitle: B\nprevious: a.md\nnext: c.md\ncolour: red\n---\n\nSee [x](file:///etc/passwd).\n",
            "c.md": "---\ntitle: C\nprevious: b.md\n---\n\n![Far](https://example.com/far.png)\n",
            "d.md": "---\nsummary: no title\n---\n\nText.\n",
        },
    )  # fmt: skip
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 1
    assert error_lines(result) == [
        "m/a.md:6: image missing.png not found",
        "m/a.md:8: link b.md#nowhere: b.md has no section #nowhere",
        "m/b.md:5: unknown key 'colour' (known keys: author, date, image, image_alt, lang, next, previous, slug, summary, title, url)",
        "m/b.md:8: link file:///etc/passwd points to a file on this computer: link to a piece or a web page",
        "m/book.yaml:5: 'subtitle' must be text, not a list",
        "m/c.md:6: remote image https://example.com/far.png is not fetched: copy it into the manuscript folder "
        "(or use --allow-remote to leave it out)",
        "m/d.md:1: piece has no title: add 'title: ...' to its front matter",
    ]
    assert result.stderr.splitlines()[-1] == "7 error(s), 0 warning(s)"


def test_unreached_piece_is_a_warning_and_strict_makes_it_fatal(tmp_path: Path) -> None:
    write_manuscript(tmp_path / "m", book=BOOK, files={"a.md": PIECE, "lost.md": "---\ntitle: Lost\n---\n\nText.\n"})
    result = run(tmp_path, "check", "-m", "m")
    assert result.exit_code == 0
    assert (
        result.stderr
        == "Warning: m/lost.md: lost.md is not part of the book: no previous/next link leads to it from 'start' (a.md)\n"
    )
    assert run(tmp_path, "check", "--strict", "-m", "m").exit_code == 1


# --- output paths that cannot be written ---------------------------------------------------------------


def _read_only_folder(tmp_path: Path) -> tuple[Path, str]:
    """A folder nobody may write into, and the error for a file in it.

    As root, permission bits do not stop writes, so sysfs (read-only even for root) stands in.
    """
    import os

    if os.geteuid() == 0:
        return Path("/sys"), "/sys/book.epub: cannot write output: Permission denied"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder, "read-only: cannot write to the output folder: permission denied"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("/proc/x/book.epub", "/proc/x: cannot create output folder: No such file or directory"),
        ("/sys/x/book.epub", "/sys/x: cannot create output folder: Operation not permitted"),
        ("regular/book.epub", "regular: cannot create output folder: regular is a file, not a folder"),
        ("regular/sub/book.epub", "regular/sub: cannot create output folder: regular is a file, not a folder"),
    ],
)
def test_output_folder_that_cannot_be_created(tmp_path: Path, output: str, expected: str) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    (tmp_path / "regular").write_text("not a folder", encoding="utf-8")
    assert_user_error(run(tmp_path, "epub", "-m", "m", "-o", output), [expected])
    assert (tmp_path / "regular").read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_output_folder_that_cannot_be_written(tmp_path: Path, command: str) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    folder, expected = _read_only_folder(tmp_path)
    before = sorted(p.name for p in folder.iterdir())
    result = run(tmp_path, command, "-m", "m", "-o", str(folder / f"book.{command}"))
    assert_user_error(result, [expected.replace(".epub", f".{command}")])
    assert sorted(p.name for p in folder.iterdir()) == before


def test_output_that_is_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    (tmp_path / "out").mkdir()
    result = run(tmp_path, "epub", "-m", "m", "-o", "out")
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


# --- references leaving the manuscript folder ----------------------------------------------------------


def test_paths_leaving_the_manuscript_are_refused_by_name(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ntitle: Secret\n---\n\nSecret text.\n", encoding="utf-8")
    shutil.copy(FIXTURES / "linked" / "images" / "square.png", outside / "secret.png")
    body = (
        "---\ntitle: A\n---\n\n"
        "[passwd](../../etc/passwd) [abs](/etc/passwd) [file](file:///etc/passwd)\n\n"  # line 5
        "![up](../outside/secret.png)\n\n"  # line 7
        "![abs](/etc/passwd)\n\n"  # line 9
        "![file](file:///etc/passwd)\n\n"  # line 11
        "![linked](linked.png)\n\n"  # line 13
        '<a href="FILE:///etc/hosts">raw</a>\n'  # line 15
    )
    m = write_manuscript(tmp_path / "m", book=BOOK, files={"a.md": body})
    (m / "linked.png").symlink_to(outside / "secret.png")
    (m / "secret.md").symlink_to(outside / "secret.md")
    result = run(tmp_path, "check", "-m", "m")
    assert error_lines(result) == [
        "m/a.md:5: link ../../etc/passwd leads outside the manuscript folder",
        "m/a.md:5: link file:///etc/passwd points to a file on this computer: link to a piece or a web page",
        "m/a.md:7: image ../outside/secret.png is outside the manuscript folder",
        "m/a.md:9: image path '/etc/passwd' must be relative to the piece, inside the manuscript folder",
        "m/a.md:11: image file:///etc/passwd is not a file in the manuscript folder",
        "m/a.md:13: image linked.png is outside the manuscript folder",
        "m/a.md:15: link FILE:///etc/hosts points to a file on this computer: link to a piece or a web page",
        "m/secret.md: secret.md is a link to a file outside the manuscript folder: copy the file in instead",
    ]
    # A site-relative link without a 'url' to resolve it against is reported, never left as a broken link.
    assert (
        "Warning: m/a.md:5: link /etc/passwd is relative to the website, and the piece has no 'url' to resolve it "
        "against; kept as text"
    ) in result.stderr.splitlines()


# --- nothing fetched ---------------------------------------------------------------------------------------

_PNG = (FIXTURES / "linked" / "images" / "square.png").read_bytes()


class _CountingServer:
    """A local HTTP server on 127.0.0.1 that serves a PNG for any path and counts requests."""

    def __init__(self) -> None:
        counter = self
        self.requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                counter.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(_PNG)))
                self.end_headers()
                self.wfile.write(_PNG)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def http_server() -> Iterator[_CountingServer]:
    with _CountingServer() as server:
        yield server


def _remote_manuscript(tmp_path: Path, url: str) -> Path:
    book = BOOK + f"cover: {url}/cover.png\n"
    body = (
        f"---\ntitle: A\nimage: {url}/hero.png\nimage_alt: A hero\n---\n\n"  # image: line 3
        f"![Remote]({url}/md.png)\n\n"  # line 7
        f'<img src="{url}/raw.png" alt="raw">\n\n'  # line 9
        f'<link rel="stylesheet" href="{url}/link.css">\n\n'  # line 11
        f'<style>@import url("{url}/import.css");</style>\n\n'  # line 13
        f'<p style="background: url({url}/bg.png)">Styled.</p>\n\n'  # line 15
        f"![Protocol-relative](//127.0.0.1:{url.rsplit(':', 1)[1]}/pr.png)\n"  # line 17
    )
    write_manuscript(tmp_path / "m", book=book, files={"a.md": body})
    styles = tmp_path / "styles"
    styles.mkdir()
    for name in ("epub.css", "print.css"):
        (styles / name).write_text(
            f'@import url("{url}/{name}");\nbody {{ background: url({url}/{name}.png); }}\n', encoding="utf-8"
        )
    return tmp_path / "m"


def _remote_messages(url: str, allowed: bool) -> list[str]:
    kind = {False: "is not fetched: copy it into the manuscript folder (or use --allow-remote to leave it out)",
            True: "left out: building never fetches anything"}[allowed]  # fmt: skip
    port = url.rsplit(":", 1)[1]
    return [
        f"m/a.md:3: remote image {url}/hero.png {kind}",
        f"m/a.md:7: remote image {url}/md.png {kind}",
        f"m/a.md:9: remote image {url}/raw.png {kind}",
        f"m/a.md:11: remote stylesheet {url}/link.css {kind}",
        f"m/a.md:13: remote stylesheet {url}/import.css {kind}",
        f"m/a.md:15: remote resource in CSS {url}/bg.png {kind}",
        f"m/a.md:17: remote image //127.0.0.1:{port}/pr.png {kind}",
        f"m/book.yaml:5: remote image {url}/cover.png {kind}",
    ]


@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_remote_references_are_errors_and_never_fetched(
    tmp_path: Path, http_server: _CountingServer, command: str
) -> None:
    url = http_server.url
    _remote_manuscript(tmp_path, url)
    result = run(tmp_path, command, "-m", "m", "--styles", "styles", "-o", f"out/book.{command}")
    assert result.exit_code == 1
    expected = _remote_messages(url, allowed=False)
    styles = [
        f"styles/{name}:{line}: remote {what} {url}/{ref} is not fetched: copy it into the manuscript folder "
        "(or use --allow-remote to leave it out)"
        for name in ("epub.css", "print.css")
        for line, what, ref in ((1, "stylesheet", name), (2, "resource in CSS", f"{name}.png"))
    ]
    assert sorted(error_lines(result)) == sorted(expected + styles)
    assert not (tmp_path / "out").exists()
    assert http_server.requests == []


@pytest.mark.parametrize("command", ["epub", "pdf"])
def test_allow_remote_leaves_references_out_and_fetches_nothing(
    tmp_path: Path, http_server: _CountingServer, command: str
) -> None:
    url = http_server.url
    _remote_manuscript(tmp_path, url)
    result = run(tmp_path, command, "--allow-remote", "-m", "m", "--styles", "styles", "-o", f"out/book.{command}")
    assert result.exit_code == 0, result.output
    warnings = [line.removeprefix("Warning: ") for line in result.stderr.splitlines()]
    assert set(_remote_messages(url, allowed=True)) <= set(warnings)
    assert http_server.requests == []
    output = tmp_path / "out" / f"book.{command}"
    port = url.rsplit(":", 1)[1]
    if command == "epub":
        with zipfile.ZipFile(output) as archive:
            for name in archive.namelist():
                assert f"127.0.0.1:{port}".encode() not in archive.read(name), name
    else:
        assert _pdf_uris(output) == []


def _pdf_objects(path: Path) -> Iterator[object]:
    """Every object reachable from a PDF's trailer, each once."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    reader = PdfReader(path)
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        yield item
        if isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _pdf_uris(path: Path) -> list[str]:
    from pypdf.generic import DictionaryObject

    return [str(obj["/URI"]) for obj in _pdf_objects(path) if isinstance(obj, DictionaryObject) and "/URI" in obj]


# --- active content and awkward metadata ----------------------------------------------------------------

HOSTILE = """---
title: Hostile HTML
---

Some text before.

<script>alert("script")</script>

<p onclick="alert('click')" onmouseover="alert('over')">Click me</p>

<a href="javascript:alert('js')">js link</a> [md js](javascript:alert('md')) <a href="JaVaScRiPt:alert('case')">mixed</a>
<a href="java&#x09;script:alert('tab')">tab</a> <a href="vbscript:msgbox('vb')">vb</a>

<img src="pic.png" onerror="alert('img')" alt="A picture">

<iframe src="https://example.com/frame"></iframe>

<object data="evil.swf"><param name="x" value="y"></object><embed src="evil.swf">

<form action="https://example.com/steal"><input name="q"><button formaction="javascript:alert('btn')">Go</button></form>

<svg onload="alert('svg')"><script>alert("svg script")</script></svg>

<math><mi xlink:href="javascript:alert('math')">x</mi></math>

<div style="background:url(javascript:alert('style'))">Styled div</div>

<meta http-equiv="refresh" content="0;url=javascript:alert('meta')">

<base href="javascript:alert('base')//">

<details open ontoggle="alert('toggle')"><summary>More</summary>Details</details>

<video src="v.mp4" onerror="alert('video')"></video><audio src="a.mp3" onerror="alert('audio')"></audio>

<textarea>alert('textarea')</textarea><select><option>alert('select')</option></select>

<!-- <script>alert('comment')</script> -->

<style>body { background: red; }</style>

<noscript><p>alert('noscript')</p></noscript>

<template><script>alert('template')</script></template>

<a href="#" onclick="alert('hash')">hash link</a>

Some text after.
"""

ACTIVE = re.compile(
    r"<script|<iframe|<object|<embed|<form|<input|<button|<textarea|<select|<svg|<math|<template|<noscript"
    r"|<base|<meta http-equiv|<style|<details|<video|<audio|\son[a-z]+\s*=|javascript:|vbscript:|alert\(",
    re.IGNORECASE,
)

AWKWARD = {
    "title": "Tom & Jerry <Live> \"Quoted\" 'single' 🙂",
    "subtitle": "שלום עולם · 日本語のテキスト",
    "author": "O'Brien & Søn <Ltd>",
    "description": 'a < b && c > d, "both" quotes \' and ]]> end',
}


@pytest.fixture(scope="module")
def hostile_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A manuscript full of active HTML and XML-special/Unicode metadata, built once as EPUB and PDF."""
    import yaml

    from publish.build import prepare
    from publish.epub.package import write_epub
    from publish.pdf.write import write_pdf

    folder = tmp_path_factory.mktemp("hostile")
    book = yaml.safe_dump({**AWKWARD, "language": "en-US", "start": "a.md"}, allow_unicode=True)
    root = write_manuscript(folder / "m", book=book, files={"a.md": HOSTILE})
    shutil.copy(FIXTURES / "linked" / "images" / "square.png", root / "pic.png")
    rendered = prepare(root)
    return root, write_epub(rendered, folder / "hostile.epub"), write_pdf(rendered, folder / "hostile.pdf")


def test_no_active_content_in_the_epub(hostile_book: tuple[Path, Path, Path]) -> None:
    _, epub, _ = hostile_book
    with zipfile.ZipFile(epub) as archive:
        documents = [n for n in archive.namelist() if n.endswith(".xhtml")]
        piece = archive.read("EPUB/a.xhtml").decode()
        for name in documents:
            text = archive.read(name).decode()
            assert not ACTIVE.search(text), (name, ACTIVE.search(text))
    # The content around the removed parts is still there.
    for kept in ("Some text before.", "Click me", "A picture", "Styled div", "hash link", "Some text after."):
        assert kept in piece
    assert 'src="pic.png"' in piece


def test_no_javascript_or_launch_actions_in_the_pdf(hostile_book: tuple[Path, Path, Path]) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    _, _, pdf = hostile_book
    for obj in _pdf_objects(pdf):
        if isinstance(obj, DictionaryObject):
            assert not {"/JavaScript", "/JS", "/Launch", "/AA", "/OpenAction"} & set(obj), obj
            assert obj.get("/S") not in (NameObject("/JavaScript"), NameObject("/Launch"))
    assert not any(uri.lower().startswith(("javascript:", "vbscript:", "file:")) for uri in _pdf_uris(pdf))
    # poppler's pdftotext: pypdf misreads the text of the fallback fonts that the Hebrew and Japanese need.
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Click me" in text
    assert "alert(" not in text


def test_metadata_with_xml_specials_and_unicode_is_escaped(hostile_book: tuple[Path, Path, Path]) -> None:
    from pypdf import PdfReader

    _, epub, pdf = hostile_book
    parser = etree.XMLParser(resolve_entities=False, no_network=True)  # strict: any escaping slip fails here
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"), parser)
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                etree.fromstring(archive.read(name), parser)
    dc = {"dc": "http://purl.org/dc/elements/1.1/"}
    titles = opf.xpath("//dc:title/text()", namespaces=dc)
    assert titles == [AWKWARD["title"], AWKWARD["subtitle"]]
    assert opf.xpath("//dc:creator/text()", namespaces=dc) == [AWKWARD["author"]]
    assert opf.xpath("//dc:description/text()", namespaces=dc) == [AWKWARD["description"]]
    info = PdfReader(pdf).metadata
    assert info is not None
    assert info.title == AWKWARD["title"]
    assert info.author == AWKWARD["author"]


@pytest.mark.slow
def test_hostile_book_passes_epubcheck(hostile_book: tuple[Path, Path, Path]) -> None:
    from validators import epubcheck_messages

    _, epub, _ = hostile_book
    assert [m for m in epubcheck_messages(epub) if not m.startswith("WARNING")] == []


def test_text_outside_the_book_fonts_falls_back_to_installed_fonts(tmp_path: Path) -> None:
    """CJK, emoji and Hebrew print in fallback fonts (Noto CJK, Noto Color Emoji, DejaVu), not as empty boxes."""
    import logging

    from publish.build import prepare
    from publish.pdf.write import write_pdf

    if (
        not shutil.which("fc-list")
        or "Noto Sans CJK" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout
    ):
        if os.environ.get("PUBLISH_REQUIRE_VALIDATORS") == "1":
            pytest.fail("fonts-noto-cjk is not installed (run tests/install-validators.sh)")
        pytest.skip("fonts-noto-cjk is not installed")
    root = write_manuscript(
        tmp_path / "m",
        book="title: 心の本 🌿\nauthor: נור\nlanguage: en-US\nstart: a.md\n",
        files={"a.md": "---\ntitle: 日本語の章 🌿\n---\n\nText with 日本語, 中文, 한국어, emoji 🌿😊 and עברית.\n"},
    )
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("publish")
    logger.addHandler(handler)
    try:
        pdf = write_pdf(prepare(root), tmp_path / "unicode.pdf")
    finally:
        logger.removeHandler(handler)
    assert records == []
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK" in fonts or "Noto-Serif-CJK" in fonts
    assert "Noto-Color-Emoji" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "日本語" in text and "한국어" in text


def test_a_failure_inside_weasyprint_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import weasyprint

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("Got ' \\n' between two lines")

    copy_manuscript(FIXTURES / "minimal", tmp_path / "m")
    monkeypatch.setattr(weasyprint.HTML, "render", fail)
    result = CliRunner().invoke(
        main, ["pdf", "-m", str(tmp_path / "m"), "-o", str(tmp_path / "book.pdf"), "--jobs", "1"]
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {tmp_path / 'm'}: WeasyPrint could not typeset this (AssertionError: Got ' \\n' between two lines); "
        "the EPUB is not affected; try simplifying the Markdown changed last"
    ]
    assert "Traceback" not in result.output
    assert not (tmp_path / "book.pdf").exists()
