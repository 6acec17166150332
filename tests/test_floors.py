"""``make test-oldest`` reads the dependencies' floors from pyproject.toml (tests/floors.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from floors import floors


def test_the_floors_are_read_from_pyproject() -> None:
    assert floors(["weasyprint", "pydyf"]) == {"weasyprint": "70", "pydyf": "0.13"}


def test_a_dependency_without_a_floor_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["weasyprint<71", "pydyf>=0.13"]\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=re.escape("'weasyprint<71' in pyproject.toml has no '>=' floor")):
        floors(["weasyprint"], pyproject)
    with pytest.raises(SystemExit, match=re.escape("not a dependency in pyproject.toml: fonttools")):
        floors(["pydyf", "fonttools"], pyproject)
