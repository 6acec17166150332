"""WeasyPrint's and pydyf's private names are used only with the versions tested; otherwise, or when one is
gone, the book is typeset in one process with the public API, and a bug in publish is never WeasyPrint's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing import Pipe
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

import publish.pdf.write
from publish import __version__
from publish.cli import main
from publish.pdf import finishing, parts, weasyprint_compat
from publish.processes.workers import Failed

from conftest import FIXTURES


@pytest.fixture
def compat(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The compat module with its version check and its one warning fresh, and fresh again afterwards."""
    weasyprint_compat.private_api_allowed.cache_clear()
    monkeypatch.setattr(weasyprint_compat, "_warned", [])
    yield weasyprint_compat
    weasyprint_compat.private_api_allowed.cache_clear()


def test_the_tested_versions_are_installed(compat: object) -> None:
    """The allow-list names what this environment has: the tests below exercise the private path."""
    assert weasyprint_compat.untested_versions() is None
    assert weasyprint_compat.private_api_allowed()


def test_an_unknown_weasyprint_typesets_in_one_process_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compat: object
) -> None:
    monkeypatch.setattr(weasyprint_compat, "installed_versions", lambda: {"weasyprint": "71.0", "pydyf": "0.13.0"})

    def in_parts(*args: object) -> None:
        raise AssertionError("typeset in parts with an untested WeasyPrint")

    monkeypatch.setattr(publish.pdf.write, "typeset_book_parallel", in_parts)
    target = tmp_path / "book.pdf"
    # Two pieces and --jobs 2: with the tested versions the book would be typeset in two parts.
    result = CliRunner().invoke(main, ["pdf", "-m", str(FIXTURES / "contents"), "--jobs", "2", "-o", str(target)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
    assert len(warnings) == 1, result.stderr
    assert "weasyprint 71.0" in warnings[0] and "one process" in warnings[0]
    assert "Traceback" not in result.output
    with pikepdf.open(target) as pdf:
        assert len(pdf.pages) >= 3


def test_an_unknown_version_leaves_the_private_names_alone(monkeypatch: pytest.MonkeyPatch, compat: object) -> None:
    import pydyf

    monkeypatch.setattr(weasyprint_compat, "installed_versions", lambda: {"weasyprint": "70.0", "pydyf": "0.14.0"})
    original = pydyf.PDF.page_references
    with weasyprint_compat.pages_listed_once():
        assert pydyf.PDF.page_references is original
    assert weasyprint_compat.mark_as_artifacts([b"/P", {"MCID": 0}, b"BDC"], {0}) == []
    with (
        pytest.raises(weasyprint_compat.PaginationError, match=r"pydyf 0\.14\.0"),
        weasyprint_compat.pagination_hook(lambda pages, anchors: (0, False)),
    ):
        pass


def test_a_private_name_gone_is_no_traceback(monkeypatch: pytest.MonkeyPatch, compat: object) -> None:
    """WeasyPrint changed under the same version number: the part is refused (the book is typeset whole)."""
    import pydyf
    import weasyprint.layout

    monkeypatch.delattr(weasyprint.layout, "make_margin_boxes")
    with (
        pytest.raises(weasyprint_compat.PaginationError, match="WeasyPrint changed"),
        weasyprint_compat.pagination_hook(lambda pages, anchors: (0, False)),
    ):
        pass
    monkeypatch.delattr(pydyf.PDF, "page_references")
    with weasyprint_compat.pages_listed_once():
        assert not hasattr(pydyf.PDF, "page_references")


def _broken_finisher(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise KeyError("no such object")

    monkeypatch.setattr(finishing, "_links_own_their_annotations", broken)


# The finishing broken before the command starts its workers, so each of them (forked) has it broken too:
# whichever process typesets the front matter or a part, the bug is publish's.
_BROKEN_COMMAND = """
import sys
from publish.cli import main
from publish.pdf import finishing

def broken(*args):
    raise KeyError("no such object")

finishing._links_own_their_annotations = broken
main(sys.argv[1:])
"""


def test_a_bug_in_the_finishing_of_a_book_in_parts_is_an_internal_error(tmp_path: Path) -> None:
    target = tmp_path / "book.pdf"
    command = ["pdf", "-m", str(FIXTURES / "contents"), "--jobs", "2", "-o", str(target)]
    result = subprocess.run(
        [sys.executable, "-c", _BROKEN_COMMAND, *command],
        capture_output=True, text=True, env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: internal error in publish {__version__}: FinishingError: KeyError: ")
    assert "could not typeset" not in line and "please report it with " in line
    assert not target.exists()


def test_a_part_sends_a_bug_in_publish_back_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not taken for WeasyPrint's failure (which would typeset the book whole): raised in the parent as it is."""
    import weasyprint.document
    import weasyprint.layout

    # The hook replaces these for the process: put back afterwards.
    monkeypatch.setattr(weasyprint.document, "layout_document", weasyprint.layout.layout_document)
    monkeypatch.setattr(weasyprint.layout, "make_margin_boxes", weasyprint.layout.make_margin_boxes)
    _broken_finisher(monkeypatch)
    parent, child = Pipe()
    html = '<html><body><main><section class="piece"><p>A <a href="https://example.org/">link</a>.</p></section></main></body></html>'
    parent.send(parts.Placement(0, False))  # read by the part once it has paginated
    # The part's task raises it; the worker sends it back as Failed (publish.processes.workers.serve).
    with pytest.raises(finishing.FinishingError) as raised:
        parts.typeset_part(child, parts._Job(html, [], tmp_path, [], None, ""))
    assert isinstance(parent.recv(), parts.Paginated)
    message = Failed(raised.value)
    with pytest.raises(finishing.FinishingError):
        parts._expect(message, parts.PartDone)
    with pytest.raises(parts._PartError):
        parts._expect(parts.PartRefused("WeasyPrint could not typeset this"), parts.PartDone)
