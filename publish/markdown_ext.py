"""Python-Markdown extensions that ``publish`` adds to the standard set."""

from __future__ import annotations

import re
import sys
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

_FENCE_OPEN = re.compile(r"^:{3,}\s*\{?\s*\.?(?P<kind>[A-Za-z][\w-]*)\s*\}?\s*$")
_FENCE_CLOSE = re.compile(r"^:{3,}\s*$")


class FencedDivPreprocessor(Preprocessor):
    """Turn ``::: kind`` ... ``:::`` fences into ``<div class="kind" markdown="1">`` blocks."""

    def __init__(self, md: Markdown, kinds: set[str]):
        super().__init__(md)
        self.kinds = kinds

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        depth = 0
        for line in lines:
            opening = _FENCE_OPEN.match(line)
            if opening and opening.group("kind") in self.kinds:
                depth += 1
                # Blank lines around the tag make it a raw HTML block for md_in_html.
                out += ["", f'<div class="{opening.group("kind")}" markdown="1">', ""]
            elif depth and _FENCE_CLOSE.match(line):
                depth -= 1
                out += ["", "</div>", ""]
            else:
                out.append(line)
        out += ["", "</div>", ""] * depth  # close fences the author left open
        return out


class FencedDivExtension(Extension):
    """Fenced blocks such as ``::: reflection``, rendered as a classed ``div``.

    Registers:
        preprocessor ``fenced_div`` at priority 29, before ``html_block`` (20) so the
        generated ``div`` is stashed as raw HTML, and after ``normalize_whitespace`` (30).
    Needs ``md_in_html`` so the block's content is still Markdown.
    """

    def __init__(self, **kwargs: Any):
        self.config = {"kinds": [["reflection"], "Block kinds recognised after ':::'"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's API
        md.preprocessors.register(FencedDivPreprocessor(md, set(self.getConfig("kinds"))), "fenced_div", 29)


def fenced_code_extension() -> Extension:
    """Python-Markdown's fenced code blocks, imported without Pygments.

    Its module imports the code highlighter's, which imports Pygments wherever it is installed: some
    milliseconds at every start, for highlighting that only a CodeHiliteExtension asks for and publish
    never registers (fenced code is then written plainly either way). So Pygments is kept out of that one
    import; any later import of it works as usual, but the highlighter of this process then finds none.
    """
    keep_out = "markdown.extensions.fenced_code" not in sys.modules and "pygments" not in sys.modules
    if keep_out:
        sys.modules["pygments"] = None  # type: ignore[assignment]  # "import halted": an ImportError
    try:
        from markdown.extensions.fenced_code import FencedCodeExtension
    finally:
        if keep_out:
            del sys.modules["pygments"]
    return FencedCodeExtension()
