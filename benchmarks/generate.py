"""Generate benchmark manuscripts deterministically (nothing here is committed output)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

WORDS = [
    "calm",
    "steady",
    "presence",
    "partner",
    "kindness",
    "critic",
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
    "patience",
    "softness",
    "support",
    "change",
    "habit",
    "question",
    "answer",
    "feeling",
    "body",
    "evening",
    "morning",
    "walk",
    "quiet",
    "voice",
    "reminder",
    "effort",
    "care",
    "space",
    "together",
    "alone",
    "pressure",
    "relief",
    "practice",
    "pause",
    "name",
    "small",
    "step",
    "honest",
    "story",
    "memory",
    "comfort",
    "weight",
    "rest",
    "home",
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "is",
    "that",
    "it",
    "with",
    "for",
    "as",
    "on",
    "was",
    "but",
    "be",
    "at",
    "by",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "not",
    "they",
    "you",
    "we",
]


def _sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if rng.random() < 0.15:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    if rng.random() < 0.08:
        index = rng.randrange(len(words))
        words[index] = f"**{words[index]}**"
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "—and that is enough."])


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 7)))


def _piece(rng: random.Random, index: int, count: int, words_per_piece: int) -> str:
    title = f"Piece {index + 1}: {' '.join(rng.choice(WORDS) for _ in range(3)).title()}"
    front = [f'title: "{title}"', f"slug: piece-{index + 1:03d}"]
    if index > 0:
        front.append(f"previous: piece-{index:03d}.md")
    if index < count - 1:
        front.append(f"next: piece-{index + 2:03d}.md")
    body: list[str] = []
    words = 0
    section = 0
    notes: list[str] = []
    while words < words_per_piece:
        if words == 0 or rng.random() < 0.12:
            section += 1
            body.append(f"## Section {section}: {rng.choice(WORDS).title()} and {rng.choice(WORDS)}")
        kind = rng.random()
        if kind < 0.06:
            body.append("\n".join(f"- {_sentence(rng, 4, 10)}" for _ in range(rng.randint(3, 5))))
        elif kind < 0.10:
            body.append("\n".join(f"{n}. {_sentence(rng, 4, 10)}" for n in range(1, rng.randint(3, 5))))
        elif kind < 0.14:
            body.append("> " + _paragraph(rng))
        elif kind < 0.16:
            rows = "\n".join(
                f"| {rng.choice(WORDS)} | {rng.randint(1, 99)} | {_sentence(rng, 3, 6)} |" for _ in range(4)
            )
            body.append(f"| Word | Count | Note |\n|---|--:|---|\n{rows}")
        else:
            paragraph = _paragraph(rng)
            if rng.random() < 0.1:
                number = len(notes) + 1
                paragraph += f"[^{number}]"
                notes.append(f"[^{number}]: {_sentence(rng)}")
            if rng.random() < 0.05 and count > 1:
                other = rng.randrange(count)
                paragraph += f" See [piece {other + 1}](piece-{other + 1:03d}.md)."
            body.append(paragraph)
        words += len(body[-1].split())
    return "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body + notes) + "\n"


def generate(folder: Path, pieces: int, words: int, seed: int = 1) -> Path:
    """Write a manuscript of ``pieces`` linked pieces totalling about ``words`` words."""
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "book.yaml").write_text(
        f"title: Benchmark Book of {pieces} Pieces\nauthor: Benchmark\nlanguage: en-US\nstart: piece-001.md\n",
        encoding="utf-8",
    )
    for index in range(pieces):
        text = _piece(rng, index, pieces, words // pieces)
        (folder / f"piece-{index + 1:03d}.md").write_text(text, encoding="utf-8")
    return folder


def pandoc_source(manuscript: Path, target: Path) -> Path:
    """The same book as one Markdown file for pandoc (titles as level-1 headings)."""
    import yaml

    meta = yaml.safe_load((manuscript / "book.yaml").read_text(encoding="utf-8"))
    parts = [f'---\ntitle: "{meta["title"]}"\nauthor: "{meta["author"]}"\nlang: {meta["language"]}\n---\n']
    for path in sorted(manuscript.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        title = yaml.safe_load(front)["title"]
        # Footnote labels must be unique in one document.
        body = body.replace("[^", f"[^{path.stem}-")
        parts.append(f"# {title}\n\n{body}")
    target.write_text("\n\n".join(parts), encoding="utf-8")
    return target


def generate_export(target: Path, posts: int, words_per_post: int = 600, seed: int = 1) -> Path:
    """A WordPress export (WXR) of ``posts`` published posts, each a few headed sections of paragraphs."""
    from xml.sax.saxutils import escape

    rng = random.Random(seed)
    items = []
    for index in range(1, posts + 1):
        paragraphs, count = [], 0
        while count < words_per_post:
            if len(paragraphs) % 5 == 4:
                paragraphs.append(f"<h2>{escape(_sentence(rng, 3, 6).rstrip('.'))}</h2>")
            paragraph = _paragraph(rng)
            count += len(paragraph.split())
            paragraphs.append(f"<p>{escape(paragraph)}</p>")
        title = _sentence(rng, 3, 7).rstrip(".")
        day = f"2020-{1 + index // 28 % 12:02d}-{1 + index % 28:02d}"
        items.append(
            f"<item><title>{escape(title)}</title><link>https://example.org/?p={index}</link>"
            f"<dc:creator>author</dc:creator><content:encoded><![CDATA[{''.join(paragraphs)}]]></content:encoded>"
            f"<wp:post_id>{index}</wp:post_id><wp:post_date>{day} 09:{index % 60:02d}:00</wp:post_date>"
            f"<wp:post_name>post-{index}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
            "</item>"
        )
    target.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        'content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        "<title>Benchmark Blog</title><link>https://example.org</link>"
        "<wp:base_blog_url>https://example.org</wp:base_blog_url>"
        "<wp:author><wp:author_login>author</wp:author_login><wp:author_display_name>A. Author</wp:author_display_name>"
        f"</wp:author>{''.join(items)}</channel></rss>\n",
        encoding="utf-8",
    )
    return target
