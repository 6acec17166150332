"""The choices for an EPUB (``EpubOptions``) and its file name: what the command line needs before the book is
loaded, apart from ``publish.epub.package`` and what it imports (Python-Markdown, lxml, ebooklib), so that a
generated cover can start drawing in a second process before those are imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Kindle shows two levels of contents (Amazon's Kindle Publishing Guidelines, 5.1.2: "nested deeper than
# two levels" is flattened or dropped), so pieces and their ## sections are the default.
DEFAULT_TOC_DEPTH = 2
TOC_DEPTHS = (1, 2, 3)
# The stores a build can be tuned for (README: "EPUB targets"): generic is valid everywhere; kindle keeps to
# what Amazon's converter keeps; kobo adds Kobo's reading spans (a .kepub.epub); apple adds Apple's display options.
TARGETS = ("generic", "kindle", "kobo", "apple")
KINDLE_TOC_DEPTH = 2


@dataclass(frozen=True)
class EpubOptions:
    """Choices for the EPUB output."""

    embed_fonts: bool = False
    styles: Path | None = None  # a folder whose epub.css replaces the built-in one
    toc_depth: int = DEFAULT_TOC_DEPTH  # 1: pieces; 2: and their ## sections; 3: and their ### sections
    target: str = "generic"  # one of TARGETS

    @property
    def contents_depth(self) -> int:
        """The contents' depth for this target: Kindle shows no more than two levels."""
        return min(self.toc_depth, KINDLE_TOC_DEPTH) if self.target == "kindle" else self.toc_depth


def epub_filename(slug: str, target: str = "generic") -> str:
    """The EPUB's file name: Kobo's reader takes a book with reading spans for a kepub by its name."""
    return f"{slug}.kepub.epub" if target == "kobo" else f"{slug}.epub"
