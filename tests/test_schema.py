"""The manuscript's keys are declared once (publish.schema): the README's tables and the import follow them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from publish.importer.plan import _ordered, front_matter_text
from publish.manuscript import BookMeta, Piece, readme_sections, update_readme
from publish.schema import key_names, keys_of

from conftest import ROOT


def test_readme_key_tables_are_the_schemas() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert update_readme(readme) == readme, "run: .venv/bin/python -m publish.manuscript --update README.md"


def test_a_readme_missing_a_key_is_found() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("image_alt:"))
    stale = readme.replace(line + "\n", "")
    assert update_readme(stale) != stale
    assert update_readme(stale) == readme


def test_readme_examples_are_valid_yaml_of_every_key() -> None:
    for name, cls in (("book.yaml", BookMeta), ("pieces", Piece)):
        block = readme_sections()[name].split("```")[1].split("\n", 1)[1].strip("-\n").split("\n---")[0]
        data = yaml.safe_load(block)
        assert list(data) == list(key_names(cls))
        for field, spec in keys_of(cls):
            if hasattr(spec.kind, "schema_class"):
                assert list(data[field.name]) == list(key_names(spec.kind.schema_class))


def test_command_prints_the_tables() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "publish.manuscript"], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert result.stdout.strip() == "\n\n".join(readme_sections().values())


def test_import_writes_front_matter_in_the_schemas_order() -> None:
    data = {key: "x" for key in reversed(key_names(Piece))}
    text = front_matter_text(_ordered(data))
    written = [line.split(":")[0] for line in text.splitlines() if ":" in line]
    assert written == list(key_names(Piece))
