"""A long book for the tests of typesetting in parts: eight linked pieces with what the joining must carry."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, write_manuscript

WORDS = [
    "calm",
    "steady",
    "partner",
    "kindness",
    "gentle",
    "safety",
    "trust",
    "repair",
    "listen",
    "notice",
    "breathe",
    "moment",
    "tender",
    "worth",
    "grace",
]


def _text(seed: int, count: int) -> str:
    words = [WORDS[(seed * 7 + index * 3 + index // 5) % len(WORDS)] for index in range(count)]
    return " ".join(words).capitalize() + "."


def piece(number: int, pieces: int) -> str:
    """A piece of varied length with what the joining must carry: sections and subsections, footnotes,
    a table with header cells, lists, links to pieces in other parts. The first piece fills one page,
    so the part after it starts on a left-hand page."""
    front = [f'title: "Piece {number}: {WORDS[number].title()} and {WORDS[number + 3]}"', f"slug: piece-{number}"]
    if number > 1:
        front.append(f"previous: piece-{number - 1}.md")
    front.append(f"next: piece-{number + 1}.md" if number < pieces else "next: online.md")
    if number == 2:
        front += ["image: images/hero.png", "image_alt: A wide green field"]
    body = []
    for section in range(1, 2 if number == 1 else 2 + number % 4):
        body.append(f"## Section {section} of piece {number}")
        for paragraph in range(1 if number == 1 else 3 + (number * section) % 5):
            note = f"[^n{section}-{paragraph}]" if paragraph == 1 else ""
            body.append(_text(number + section + paragraph, 60 + 17 * ((number + paragraph) % 6)) + note)
            if note:
                body.append(f"[^n{section}-{paragraph}]: {_text(paragraph, 12)}")
        if section == 2:
            body.append("### A closer look")
            body.append("- " + _text(number, 8) + "\n- " + _text(number + 1, 9))
            body.append("| Word | Count |\n|---|--:|\n| calm | 3 |\n| trust | 5 |")
    other = pieces + 1 - number
    body.append(
        f"See [piece {other}](piece-{other}.md) and [its first section](piece-{other}.md#section-1-of-piece-{other})."
    )
    return "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body) + "\n"


def write_long_book(folder: Path, pieces: int = 8) -> None:
    """Eight linked pieces (the second with an image) and one listed under Continue reading."""
    shutil.copytree(FIXTURES / "linked" / "images", folder / "images")
    files = {f"piece-{number}.md": piece(number, pieces) for number in range(1, pieces + 1)}
    files["online.md"] = f"---\ntitle: Read Online\nurl: https://example.com/online\nprevious: piece-{pieces}.md\n---\n"
    write_manuscript(folder, files, title="A Book  of Eight Pieces", author="Test Author", language="en-US")
