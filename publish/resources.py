"""Where the styles and fonts that ship with ``publish`` are found."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path

from publish.errors import PublishError


def styles_dir() -> Path:
    """The built-in styles: inside the installed package, or the checkout's top-level ``styles/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "styles", here.parent / "styles"):
        if (candidate / "epub.css").is_file():
            return candidate
    raise PublishError("the built-in styles are missing: reinstall publish")


def read_style(name: str, custom: Path | None = None) -> str:
    """Read a stylesheet: from ``custom`` when it has the file, else the built-in one.

    Remote ``@import``/``url()`` references are left out: building is offline, and an EPUB reader must not
    fetch them either (``publish.build.check_stylesheets`` reports them before anything is written).
    """
    from publish.render import strip_remote_css

    for folder in (custom, styles_dir()):
        if folder is not None and (folder / name).is_file():
            return strip_remote_css((folder / name).read_text(encoding="utf-8"))
    raise PublishError(f"stylesheet {name} not found")


@dataclass(frozen=True)
class Font:
    """One font file of the book's families."""

    family: str
    weight: int
    style: str
    path: Path


_FACES = {
    "Regular": (400, "normal"), "It": (400, "italic"), "Semibold": (600, "normal"),
    "SemiboldIt": (600, "italic"), "Bold": (700, "normal"), "BoldIt": (700, "italic"),
}  # fmt: skip


def _package_dir(module: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PublishError(f"font package {module} is not installed: reinstall publish")
    return Path(spec.origin).parent / "files"


CODE_FAMILY = "Source Code Pro"
# Source Code Pro ships as two variable fonts (upright and italic, weights 200-900); WeasyPrint embeds
# the instance of the weight asked for, as a static font.
_CODE_FACES = {
    "SourceCodePro[wght].ttf": ((400, "normal"), (700, "normal")),
    "SourceCodePro-Italic[wght].ttf": ((400, "italic"),),
}


@cache
def book_fonts() -> tuple[Font, ...]:
    """The OFL fonts the book uses (Source Serif Pro for text, Source Sans Pro for headings, Source Code Pro for code)."""
    fonts: list[Font] = []
    for module, family, prefix in (
        ("font_source_serif_pro", "Source Serif Pro", "SourceSerifPro"),
        ("font_source_sans_pro", "Source Sans Pro", "SourceSansPro"),
    ):
        folder = _package_dir(module)
        for face, (weight, style) in _FACES.items():
            path = folder / f"{prefix}-{face}.otf"
            if path.is_file():
                fonts.append(Font(family, weight, style, path))
    folder = _package_dir("fontpkg_source_code_pro")
    for name, faces in _CODE_FACES.items():
        fonts.extend(
            Font(CODE_FAMILY, weight, style, folder / name) for weight, style in faces if (folder / name).is_file()
        )
    return tuple(fonts)
