"""The oldest versions pyproject.toml allows: ``python tests/floors.py weasyprint pydyf`` prints ``weasyprint==70 ...``;
``--installed weasyprint pydyf`` prints the versions installed.

``make test-oldest`` installs exactly these into ``.venv-oldest`` and runs the PDF tests there, so a floor that
no longer works fails the build.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floors(names: list[str], pyproject: Path = PYPROJECT) -> dict[str, str]:
    """The ``>=`` floor of each named dependency (a name without one is an error: it has no oldest version)."""
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    found: dict[str, str] = {}
    for requirement in dependencies:
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*(.*)$", requirement)
        if match is None or match.group(1).lower() not in names:
            continue
        floor = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", match.group(2))
        if floor is None:
            raise SystemExit(f"{requirement!r} in {pyproject.name} has no '>=' floor")
        found[match.group(1).lower()] = floor.group(1)
    if missing := [name for name in names if name not in found]:
        raise SystemExit(f"not a dependency in {pyproject.name}: {', '.join(missing)}")
    return found


def main(argv: list[str]) -> str:
    """``NAME...``: the floors as pins for pip; ``--installed NAME...``: the versions installed, to print."""
    if argv[:1] == ["--installed"]:
        installed = ", ".join(f"{name} {version(name)}" for name in argv[1:])
        return f"PDF tests against the oldest versions pyproject.toml allows: {installed}"
    return " ".join(f"{name}=={floor}" for name, floor in floors([n.lower() for n in argv]).items())


if __name__ == "__main__":
    print(main(sys.argv[1:]))
