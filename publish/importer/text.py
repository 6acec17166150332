"""Read a plain-text copy of an article page: title, image description, paragraphs, headings, Previous/Next."""

from __future__ import annotations

import re
from pathlib import Path

from publish.errors import Problems
from publish.importer.html_to_markdown import escape_line_start, escape_text
from publish.importer.model import Article, Link

_CLOSING = "\"'”’»)]}*_"  # characters that may follow a sentence's last punctuation mark
_SENTENCE_END = tuple(".!?:;,…")
_BULLET = re.compile(r"^(?:[•◦▪·*–-]|\d{1,3}[.)])\s+")
_MAX_HEADING_WORDS = 15
_MAX_HEADING_LENGTH = 120


def is_heading(line: str) -> bool:
    """A short line that does not end a sentence: how a section heading reads once the page is text."""
    words = line.split()
    if not words or len(words) > _MAX_HEADING_WORDS or len(line) > _MAX_HEADING_LENGTH:
        return False
    if not (words[0][0].isupper() or words[0][0].isdigit() or words[0][0] in "“\"‘'("):
        return False
    return not line.rstrip(_CLOSING).endswith(_SENTENCE_END) and any(c.isalpha() for c in line)


def _pagination(lines: list[str]) -> tuple[int, Link | None, Link | None]:
    """Find the trailing "Previous / Previous / <title> / Next / Next / <title>" block.

    ``lines`` are the text's non-empty lines; returns how many of them come before the block.
    """
    end = len(lines)

    def take(word: str, end: int) -> tuple[Link | None, int]:
        if end >= 2 and lines[end - 2].casefold() == word and lines[end - 1].casefold() not in ("previous", "next"):
            start = end - 2
            # The word is printed twice: once hidden for screen readers, once shown.
            if start >= 1 and lines[start - 1].casefold() == word:
                start -= 1
            return Link(lines[end - 1]), start
        return None, end

    following, end = take("next", end)
    previous, end = take("previous", end)
    return end, previous, following


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _block_markdown(block: list[str], last: bool) -> list[str]:
    if len(block) > 1 and all(_BULLET.match(line) for line in block):
        ordered = all(line[0].isdigit() for line in block)
        return ["\n".join(
            f"{f'{n}.' if ordered else '-'} {escape_text(_BULLET.sub('', line))}" for n, line in enumerate(block, 1)
        )]  # fmt: skip
    # One line per paragraph, as a copied page has them; a line starting in lower case
    # continues the one before (text wrapped by an editor).
    joined: list[str] = []
    for line in block:
        if joined and line[0].islower():
            joined[-1] += " " + line
        else:
            joined.append(line)
    out: list[str] = []
    for index, line in enumerate(joined):
        if is_heading(line) and not (last and index == len(joined) - 1):
            out.append("## " + re.sub(r"(#+)$", r"\\\1", escape_text(line)))
        else:
            out.append(escape_line_start(escape_text(line)))
    return out


def read_text_page(path: Path, text: str, problems: Problems) -> Article | None:
    """Read a plain-text copy of an article page; report what makes it unusable and return None then."""
    lines = text.split("\n")
    filled = [index for index, line in enumerate(lines) if line.strip()]
    count, previous, following = _pagination([lines[i].strip() for i in filled])
    if count == 0:
        problems.error(path, None, "no article text: the file is empty")
        return None
    blocks = _blocks(lines[: filled[count - 1] + 1])
    title, *rest_of_title_block = blocks[0]
    blocks = [rest_of_title_block, *blocks[1:]] if rest_of_title_block else blocks[1:]
    image_alt = None
    # After the title, a one-line block followed by the text is the hero image's description.
    if len(blocks) > 1 and len(blocks[0]) == 1:
        image_alt = blocks.pop(0)[0]
    body: list[str] = []
    for index, block in enumerate(blocks):
        body.extend(_block_markdown(block, index == len(blocks) - 1))
    if not body:
        problems.error(path, None, "no article text: a title, then paragraphs separated by blank lines, were expected")
        return None
    return Article(
        source=path,
        title=" ".join(title.split()),
        body="\n\n".join(body),
        image_alt=image_alt,
        previous=previous,
        next=following,
    )
