"""Where the styles and fonts that ship with ``publish`` are found."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path

from publish.confine import STYLESHEET, read_confined
from publish.errors import PublishError


def styles_dir() -> Path:
    """The built-in styles: inside the installed package, or the checkout's top-level ``styles/``."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "styles", here.parent / "styles"):
        if (candidate / "epub.css").is_file():
            return candidate
    raise PublishError("the built-in styles are missing: reinstall publish")


# A reference in CSS to a local file by a URL with a scheme (file:, or any but data:, http: and
# https:, which publish.render handles) or by an absolute path: never read, neither by the PDF
# nor by an EPUB reader.
_CSS_LOCAL = re.compile(
    r"""@import\s+(?:url\(\s*)?(?P<q1>['"]?)(?P<import>(?!(?:data|https?):|//)(?:[a-z][a-z0-9+.-]*:|/)[^'")\s;]*)"""
    r"""(?P=q1)\s*\)?[^;]*;?"""
    r"""|url\(\s*(?P<q2>['"]?)(?P<url>(?!(?:data|https?):|//)(?:[a-z][a-z0-9+.-]*:|/)[^'")\s]*)(?P=q2)\s*\)""",
    re.IGNORECASE,
)


def local_css_references(css: str) -> list[tuple[int, str]]:
    """Every ``url()`` or ``@import`` of CSS that names a local file absolutely: (line, reference)."""
    return [
        (css.count("\n", 0, match.start()) + 1, match.group("import") or match.group("url"))
        for match in _CSS_LOCAL.finditer(css)
    ]


def strip_local_css(css: str) -> str:
    """Leave absolute local references out of a stylesheet: an ``@import`` goes, a ``url()`` becomes ``none``."""
    return _CSS_LOCAL.sub(lambda m: "" if m.group("import") else "none", css)


def read_style(name: str, custom: Path | None = None) -> str:
    """Read a stylesheet: from ``custom`` when it has the file, else the built-in one.

    It is read under the confinement rule (``publish.confine``: a regular file of the folder, at most
    2 MB). Remote and absolute local ``@import``/``url()`` references are left out: building is offline
    and reads nothing outside the manuscript and styles, and an EPUB reader must not fetch them either
    (``publish.build.check_stylesheets`` reports them before anything is written).
    """
    from publish.render import strip_remote_css

    for folder in (custom, styles_dir()):
        if folder is not None and os.path.lexists(folder / name):
            data = read_confined(folder / name, STYLESHEET, [folder], "the styles folder")
            try:
                css = data.decode("utf-8")
            except UnicodeDecodeError:
                raise PublishError("not valid UTF-8: save the stylesheet as UTF-8", folder / name) from None
            return strip_local_css(strip_remote_css(css))
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
