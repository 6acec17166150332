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


def _noted(rng: random.Random, paragraph: str, notes: list[str], chance: float) -> str:
    """``paragraph``, given a footnote (added to ``notes``) with probability ``chance``."""
    if rng.random() < chance:
        number = len(notes) + 1
        paragraph += f"[^{number}]"
        notes.append(f"[^{number}]: {_sentence(rng)}")
    return paragraph


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
            paragraph = _noted(rng, _paragraph(rng), notes, 0.1)
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


# The rich book's images: (file, size, kind). Photographs as JPEG, flat drawings as PNG; pieces reuse them.
RICH_IMAGES = [
    ("garden.jpg", (960, 640), "photo"),
    ("creek.jpg", (800, 600), "photo"),
    ("morning.jpg", (1200, 800), "photo"),
    ("steps.png", (640, 400), "drawing"),
    ("circle.png", (480, 480), "drawing"),
    ("chart.png", (720, 360), "drawing"),
]


def _write_image(path: Path, size: tuple[int, int], kind: str, seed: int) -> None:
    """A deterministic image: a photograph-like gradient with shapes (JPEG) or a flat drawing (PNG)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = size
    base = (rng.randrange(40, 200), rng.randrange(40, 200), rng.randrange(40, 200))
    if kind == "photo":
        image = Image.linear_gradient("L").resize(size).convert("RGB")
        image = Image.blend(image, Image.new("RGB", size, base), 0.6)
    else:
        image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for _ in range(12 if kind == "photo" else 6):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(20, max(21, min(size) // 3))
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour, outline="black")
    if kind == "photo":
        image = image.filter(ImageFilter.GaussianBlur(3))
        image.save(path, "JPEG", quality=85)
    else:
        image.save(path, "PNG")


def _rich_table(rng: random.Random) -> str:
    rows = "\n".join(
        f"| {rng.choice(WORDS).title()} | {rng.randint(1, 99)} | {_sentence(rng, 3, 8)} |"
        for _ in range(rng.randint(4, 7))
    )
    return f"| Practice | Minutes | What to notice |\n|---|--:|---|\n{rows}"


def _rich_piece(rng: random.Random, index: int, count: int, words_per_piece: int) -> str:
    """A piece with a hero image or an inline one, a table, footnotes, lists and links to other pieces."""
    title = f"Piece {index + 1}: {' '.join(rng.choice(WORDS) for _ in range(3)).title()}"
    front = [f'title: "{title}"', f"slug: piece-{index + 1:03d}"]
    if index % 3 == 0:
        name = RICH_IMAGES[index % len(RICH_IMAGES)][0]
        front += [f"image: images/{name}", f'image_alt: "A picture for piece {index + 1}"']
    if index > 0:
        front.append(f"previous: piece-{index:03d}.md")
    if index < count - 1:
        front.append(f"next: piece-{index + 2:03d}.md")
    # What every piece holds at least once, placed among the paragraphs in turn.
    due = ["image", "table", "link", "list", "image", "link", "table", "link"]
    body: list[str] = []
    notes: list[str] = []
    words = 0
    section = 0
    while words < words_per_piece:
        if words == 0 or rng.random() < 0.15:
            section += 1
            body.append(f"## Section {section}: {rng.choice(WORDS).title()} and {rng.choice(WORDS)}")
            if rng.random() < 0.3:
                body.append(f"### {rng.choice(WORDS).title()} {rng.choice(WORDS)}")
        kind = due.pop(0) if due and rng.random() < 0.3 else "paragraph"
        if kind == "image":
            name = rng.choice(RICH_IMAGES)[0]
            body.append(f"![{_sentence(rng, 3, 6).rstrip('.?')}](images/{name})")
        elif kind == "table":
            body.append(_rich_table(rng))
        elif kind == "list":
            marker = rng.choice(["-", "1."])
            body.append("\n".join(f"{marker} {_sentence(rng, 4, 10)}" for _ in range(rng.randint(3, 6))))
        else:
            paragraph = _noted(rng, _paragraph(rng), notes, 0.25)
            if kind == "link" or rng.random() < 0.1:
                other = rng.choice([n for n in range(count) if n != index])
                paragraph += f" See [piece {other + 1}](piece-{other + 1:03d}.md)."
            body.append(paragraph)
        words += len(body[-1].split())
    # Leftovers come last, so that every piece has each kind however short it is.
    for kind in dict.fromkeys(due):
        if kind == "image":
            body.append(f"![A closing picture](images/{rng.choice(RICH_IMAGES)[0]})")
        elif kind == "table":
            body.append(_rich_table(rng))
        elif kind == "list":
            body.append("\n".join(f"- {_sentence(rng, 4, 10)}" for _ in range(3)))
        else:
            other = (index + 1) % count
            body.append(f"{_paragraph(rng)} See [piece {other + 1}](piece-{other + 1:03d}.md).")
    if not notes:
        body[-1] += "[^1]"
        notes.append(f"[^1]: {_sentence(rng)}")
    return "---\n" + "\n".join(front) + "\n---\n\n" + "\n\n".join(body + notes) + "\n"


def generate_rich(folder: Path, pieces: int, words: int, seed: int = 1) -> Path:
    """A manuscript like ``generate``'s whose every piece has images, a table, footnotes, lists and cross-links."""
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "images").mkdir(parents=True)
    for number, (name, size, kind) in enumerate(RICH_IMAGES):
        _write_image(folder / "images" / name, size, kind, seed * 100 + number)
    (folder / "book.yaml").write_text(
        f"title: Illustrated Benchmark Book of {pieces} Pieces\nauthor: Benchmark\nlanguage: en-US\n"
        "start: piece-001.md\n",
        encoding="utf-8",
    )
    for index in range(pieces):
        text = _rich_piece(rng, index, pieces, words // pieces)
        (folder / f"piece-{index + 1:03d}.md").write_text(text, encoding="utf-8")
    return folder


def pandoc_source(manuscript: Path, target: Path) -> Path:
    """The same book as one Markdown file for pandoc (titles as level-1 headings).

    Each piece's title gets its file's name as id, so that links between pieces stay links inside the
    book; images are given by absolute path and a piece's ``image`` is shown under its title.
    """
    import re

    import yaml

    meta = yaml.safe_load((manuscript / "book.yaml").read_text(encoding="utf-8"))
    parts = [f'---\ntitle: "{meta["title"]}"\nauthor: "{meta["author"]}"\nlang: {meta["language"]}\n---\n']
    folder = manuscript.resolve()
    for path in sorted(manuscript.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front_text, body = text.split("---\n", 2)
        front = yaml.safe_load(front_text)
        # Footnote labels must be unique in one document.
        body = body.replace("[^", f"[^{path.stem}-")
        body = re.sub(r"\]\(([\w-]+)\.md\)", r"](#\1)", body)
        body = body.replace("](images/", f"]({folder}/images/")
        if "image" in front:
            body = f"![{front.get('image_alt', '')}]({folder}/{front['image']})\n\n{body}"
        parts.append(f"# {front['title']} {{#{path.stem}}}\n\n{body}")
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
