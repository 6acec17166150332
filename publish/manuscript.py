"""Load a manuscript folder: ``book.yaml`` and the Markdown pieces beside it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from publish.confine import BOOK_YAML, PIECE, ConfinementError, Kind, read_confined
from publish.errors import Problems
from publish.limits import MAX_YAML_DEPTH, describe_character, first_forbidden, scan_markdown, shown
from publish.schema import (
    Fields,
    checked,
    date,
    is_language_tag,
    key,
    key_table,
    language,
    mapping,
    read_keys,
    report_missing,
    text,
    text_list,
    web_address,
    whole_number,
)

__all__ = ["BookMeta", "Manuscript", "Piece", "is_language_tag", "load_manuscript", "load_piece", "slugify"]

BOOK_FILE = "book.yaml"
# Names the writers give the book's own pages (the contents, "Continue reading"): a piece cannot take them.
RESERVED_SLUGS = frozenset({"contents", "continue-reading"})
# A series of more books than any publisher has made: a larger number is a slip (readers show it as written).
MAX_SERIES_POSITION = 9_999


def _isbn(fields: Fields, name: str, value: str) -> str | None:
    """An ISBN identifier must be one (its check digit right), as printed on the copyright page; kept compact."""
    if not value.lower().startswith("urn:isbn:"):
        return value
    from stdnum import isbn

    number = value[len("urn:isbn:") :]
    if not isbn.is_valid(number):
        fields.error(
            name, f"'identifier' {shown(value)} is not a valid ISBN (10 or 13 digits with a right check digit)"
        )
        return None
    return "urn:isbn:" + isbn.compact(number)


def _strings(fields: Fields, name: str) -> tuple[tuple[str, str], ...] | None:
    """The practice's own wording for any of publish's messages, by the message's name (publish.i18n.messages)."""
    value = fields.data[name]
    if not isinstance(value, dict):
        fields.wrong(name, "a mapping")
        return None
    from publish.i18n.messages import MESSAGES, placeholder_problem

    nested = Fields(value, fields.lines, fields.path, fields.problems, f"{fields.name(name)}.")
    nested.reject_unknown(set(MESSAGES))
    chosen = []
    for message in value:
        if message not in MESSAGES or value[message] is None:
            continue
        wording = text(nested, message)
        if wording is not None and (problem := placeholder_problem(message, wording)) is not None:
            nested.error(message, problem)
        elif wording is not None:
            chosen.append((message, wording))
    return tuple(chosen)


# The keys of book.yaml and of a piece's front matter are the fields below whose metadata is made by key()
# (see publish.schema): their order is the README's and the order the import writes front matter in.


@dataclass(frozen=True)
class Practice:
    """The practice's details, printed on handouts."""

    name: str | None = field(default=None, metadata=key(text, "the practice's name", "Your Practice Name"))
    website: str | None = field(default=None, metadata=key(text, "its website", "www.example.com"))
    phone: str | None = field(default=None, metadata=key(text, "its phone number", "(555) 010-0100"))
    email: str | None = field(default=None, metadata=key(text, "its email address", "hello@example.com"))
    logo: str | None = field(
        default=None,
        metadata=key(text, "an SVG or PNG in the manuscript: handouts, title page, generated cover", "images/logo.svg"),
    )
    address: str | None = field(
        default=None, metadata=key(text, "its postal address, on the handouts' letterhead", "1 Main St, Austin TX")
    )


@dataclass(frozen=True)
class HandoutText:
    """Extra text printed at the foot of every handout."""

    footer: str | None = field(
        default=None, metadata=key(text, "a line at the foot of each page", "Your Practice Name · www.example.com")
    )
    disclaimer: str | None = field(
        default=None,
        metadata=key(text, "printed under the text", "This handout is not a substitute for professional care."),
    )
    crisis: str | None = field(
        default=None,
        metadata=key(
            text,
            "boxed on each handout's first page and on About the practice; no default",
            '"If you are in crisis, call or text 988"',
        ),
    )


def _accent(fields: Fields, name: str, value: str) -> str | None:
    """An accent colour with enough contrast on the page (publish.brand)."""
    from publish.colours import accent_problem

    if (problem := accent_problem(value)) is not None:
        fields.error(name, f"'{fields.name(name)}' {problem}")
        return None
    return value


def _face(fields: Fields, name: str, value: str) -> str | None:
    if value not in ("sans", "serif"):
        fields.error(name, f"'{fields.name(name)}' must be sans or serif (the faces shipped), not {shown(value)}")
        return None
    return value


@dataclass(frozen=True)
class Theme:
    """The practice's look: an accent colour and the faces of headings and text."""

    accent: str | None = field(
        default=None,
        metadata=key(checked(text, _accent), "#rrggbb for headings, rules, the cover; contrast 4.5:1", '"#2f5d62"'),
    )
    heading_font: str | None = field(default=None, metadata=key(checked(text, _face), "sans or serif", "sans"))
    body_font: str | None = field(default=None, metadata=key(checked(text, _face), "serif or sans", "serif"))


@dataclass(frozen=True)
class Series:
    """The series a book belongs to."""

    name: str = field(metadata=key(text, "the series' name", "Couples Notes", required=True))
    position: int | None = field(
        default=None, metadata=key(whole_number(1, MAX_SERIES_POSITION), "the book's place in it", "2")
    )


@dataclass(frozen=True)
class BookMeta:
    """What ``book.yaml`` says about the book."""

    title: str = field(
        metadata=key(text, "the book's title", "Supporting Your Partner in Developing Self-Compassion", required=True)
    )
    author: str = field(metadata=key(text, "who wrote it", "Your Practice Name", required=True))
    language: str = field(metadata=key(language, "the text's language, a BCP 47 tag", "en-US", required=True))
    start: str = field(
        metadata=key(text, "the entry piece", "supporting-your-partner-in-developing-self-compassion.md", required=True)
    )
    subtitle: str | None = field(default=None, metadata=key(text, "under the title", "Notes for partners"))
    publisher: str | None = field(
        default=None, metadata=key(text, "on the title and copyright pages", "Your Practice Name")
    )
    date: str | None = field(default=None, metadata=key(date, "publication date, YYYY-MM-DD", "2025-06-01"))
    identifier: str | None = field(
        default=None,
        metadata=key(
            checked(text, _isbn),
            "default: a urn:uuid derived from title and author; an ISBN is checked",
            "urn:isbn:...",
        ),
    )
    rights: str | None = field(
        default=None, metadata=key(text, "on the copyright page", '"© Your Practice Name. All rights reserved."')
    )
    description: str | None = field(
        default=None, metadata=key(text, "for stores and e-readers", "One or two sentences about the book.")
    )
    subjects: tuple[str, ...] = field(
        default=(),
        metadata=key(text_list, "subject headings for stores and libraries", "[Self-compassion, Relationships]"),
    )
    series: Series | None = field(default=None, metadata=key(mapping(Series), "the series the book belongs to"))
    cover: str | None = field(
        default=None, metadata=key(text, "default: a typographic cover is generated", "images/cover.jpg")
    )
    contents: tuple[str, ...] | None = field(
        default=None,
        metadata=key(
            text_list,
            "an explicit order, instead of following links",
            "[a.md, b.md]",
            empty="'contents' is empty: list the pieces in reading order, or remove it to follow 'start'",
        ),
    )
    practice: Practice = field(default=Practice(), metadata=key(mapping(Practice), "printed on handouts"))
    handout: HandoutText = field(
        default=HandoutText(), metadata=key(mapping(HandoutText), "printed at the foot of every handout")
    )
    theme: Theme = field(default=Theme(), metadata=key(mapping(Theme), "the practice's look"))
    strings: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata=key(
            _strings, "the practice's own wording for any label publish writes", "{continue_reading: Keep reading}"
        ),
    )
    key_lines: tuple[tuple[str, int], ...] = ()

    @property
    def practice_name(self) -> str:
        """The practice's name as handouts and "About the practice" print it: ``practice.name``, else the
        publisher, else the author."""
        return self.practice.name or self.publisher or self.author

    def line_of(self, key: str) -> int | None:
        """Return the line of ``key`` in book.yaml, if known."""
        return dict(self.key_lines).get(key)


@dataclass(frozen=True)
class Piece:
    """One Markdown file: front matter and body."""

    path: Path
    name: str  # the file's path relative to the manuscript folder, with "/"
    title: str = field(
        metadata=key(
            text, "the piece's title", '"Supporting Your Partner in Developing Self-Compassion"', required=True
        )
    )
    slug: str = field(metadata=key(text, "default: from the file name", "supporting-your-partner"))
    body: str
    body_line: int  # line number in the file where the body starts
    date: str | None = field(default=None, metadata=key(date, "when it was published, YYYY-MM-DD", "2025-06-01"))
    author: str | None = field(default=None, metadata=key(text, "its byline", "..."))
    summary: str | None = field(default=None, metadata=key(text, "a sentence or two about it", "..."))
    url: str | None = field(
        default=None,
        metadata=key(web_address, "where it lives online", "https://www.example.com/blog/supporting-your-partner"),
    )
    lang: str | None = field(default=None, metadata=key(language, "default: the book's language", "en-US"))
    image: str | None = field(default=None, metadata=key(text, "relative to the piece", "images/hero.jpg"))
    image_alt: str | None = field(
        default=None,
        metadata=key(
            text,
            "for readers who cannot see the image",
            "A description of the image for readers who cannot see it.",
        ),
    )
    previous: str | None = field(
        default=None, metadata=key(text, "the piece before it", "forest-bathing-in-barton-creek-greenbelt.md")
    )
    next: str | None = field(
        default=None, metadata=key(text, "the piece after it", "why-do-compliments-make-me-uncomfortable.md")
    )
    key_lines: tuple[tuple[str, int], ...] = ()

    @property
    def is_link_only(self) -> bool:
        """True when the piece has no text yet: known only by title and URL."""
        return not self.body.strip()

    def line_of(self, key: str) -> int | None:
        """Return the line of a front-matter key, if known."""
        return dict(self.key_lines).get(key)


@dataclass(frozen=True)
class Manuscript:
    """Everything read from a manuscript folder."""

    root: Path
    meta: BookMeta
    pieces: dict[str, Piece]


# --- YAML with line numbers -------------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, but dates stay text, aliases are refused and nesting is bounded.

    Dates stay text so the date check reports a bad one with its line (PyYAML turns ``2024-13-45`` into a
    ValueError from ``datetime.date`` with no line at all). An alias (``*name``) is refused where it appears:
    book.yaml and front matter never need one, and nine lines of aliases expand to gigabytes (an "alias
    bomb"). Nesting stops at ``MAX_YAML_DEPTH``, before the composer's recursion could fail.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"an alias (*{event.anchor}) is not allowed here: write the value out", event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"values nest more than {MAX_YAML_DEPTH} deep",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp_as_text(loader: _Loader, node: yaml.Node) -> str:
    return loader.construct_yaml_str(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _report_forbidden_text(node: yaml.Node, path: Path, problems: Problems, first_line: int) -> None:
    """Report each text (key or value) holding a character a book cannot hold, such as ``"\x01"``, on its line.

    YAML refuses such characters written as they are, but its escapes (``"\x01"``, ``"\ud800"``) make them.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            if (code := first_forbidden(str(current.value))) is not None:
                problems.error(
                    path, first_line + current.start_mark.line,
                    f"character {describe_character(code)} cannot appear in a book (XML forbids it); remove it",
                )  # fmt: skip
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            stack.extend(item for pair in reversed(current.value) for item in reversed(pair))


def _load_yaml(text: str, path: Path, problems: Problems, first_line: int = 1) -> tuple[Any, dict[str, int]] | None:
    """Parse YAML; return the value and the line of each top-level key, or None on a syntax error."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        # A control character: the reader refuses the text before parsing it, with an offset, not a mark.
        line = first_line + text.count("\n", 0, exc.position)
        problems.error(path, line, f"invalid YAML: character U+{exc.character:04X} cannot appear in YAML; remove it")
        return None
    node = None
    try:
        node = loader.get_single_node()
        if node is not None:
            reported = len(problems.errors)
            _report_forbidden_text(node, path, problems, first_line)
            if len(problems.errors) > reported:
                return None
        value = loader.construct_document(node) if node is not None else None
    except (ValueError, TypeError, OverflowError) as exc:
        # An explicit tag with a value it cannot hold (``!!int abc``): the constructor raises without a mark.
        value_line = first_line + node.start_mark.line if node is not None else None
        problems.error(path, value_line, f"invalid YAML value: {exc}")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line = first_line + mark.line if mark else None
        problems.error(path, mark_line, f"invalid YAML: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        problems.error(path, None, f"invalid YAML: {exc}")
        return None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if str(key_node.value) in lines:
                    # PyYAML keeps the last of two equal keys without a word; an author meant one of them.
                    problems.error(
                        path, first_line + key_node.start_mark.line,
                        f"key '{key_node.value}' appears twice (first on line {lines[str(key_node.value)]})",
                    )  # fmt: skip
                    continue
                lines[str(key_node.value)] = first_line + key_node.start_mark.line
                if isinstance(value_node, yaml.MappingNode):
                    for sub_key, _ in value_node.value:
                        if isinstance(sub_key, yaml.ScalarNode):
                            lines[f"{key_node.value}.{sub_key.value}"] = first_line + sub_key.start_mark.line
                elif isinstance(value_node, yaml.SequenceNode):
                    # "contents[2]": so a bad entry of a list is reported on its own line.
                    for index, item in enumerate(value_node.value):
                        lines[f"{key_node.value}[{index}]"] = first_line + item.start_mark.line
    return value, lines


def read_text(
    path: Path,
    problems: Problems,
    kind: Kind = PIECE,
    roots: Sequence[Path] | None = None,
    place: str = "the manuscript folder",
) -> str | None:
    """Read a UTF-8 file under the confinement rule (``publish.confine``: a regular file inside ``roots``,
    within ``kind``'s size limit); report a refusal, or a decoding error with its line and byte offset.
    """
    try:
        data = read_confined(path, kind, roots, place)
    except ConfinementError as exc:
        problems.error(path, None, exc.problems[0].message)
        return None
    except OSError as exc:
        problems.error(path, None, f"cannot read file: {exc.strerror}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(
            path, line, f"not valid UTF-8: byte 0x{data[exc.start]:02X} at offset {exc.start}; save the file as UTF-8"
        )
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_book_meta(root: Path) -> BookMeta | None:
    """What ``book.yaml`` says, or None if it has any problem (loading the manuscript reports them)."""
    problems = Problems()
    meta = _load_book_meta(root, problems)
    return meta if not problems.items else None


def _load_book_meta(root: Path, problems: Problems) -> BookMeta | None:
    path = root / BOOK_FILE
    if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
        problems.error(
            path, None, f"{BOOK_FILE} is a link to a file outside the manuscript folder: copy the file in instead"
        )
        return None
    if not path.exists():
        problems.error(
            path, None, "not found: a manuscript folder needs a book.yaml with title, author, language and start"
        )
        return None
    text = read_text(path, problems, BOOK_YAML, [root])
    if text is None:
        return None
    parsed = _load_yaml(text, path, problems)
    if parsed is None:
        return None
    data, lines = parsed
    if not isinstance(data, dict):
        problems.error(path, 1, f"{BOOK_FILE} must be a mapping of keys to values")
        return None
    values = read_keys(BookMeta, Fields(data, lines, path, problems), report_missing)
    if values is None:
        return None
    return BookMeta(**values, key_lines=tuple(sorted(lines.items())))


# --- pieces -----------------------------------------------------------------


def slugify(text: str) -> str:
    """Make a slug the way Python-Markdown's toc extension does by default."""
    from markdown.extensions.toc import slugify as toc_slugify

    return toc_slugify(text, "-")


def _split_front_matter(text: str, path: Path, problems: Problems) -> tuple[str, str, int] | None:
    """Split a piece into (front matter, body, first body line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.error(path, 1, "no front matter: a piece starts with a '---' line, then 'title: ...', then '---'")
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    problems.error(path, 1, "front matter is not terminated: add a '---' line after it")
    return None


def load_piece(root: Path, path: Path, problems: Problems) -> Piece | None:
    """Read one piece; report what is wrong with it and return None if it is unusable."""
    text = read_text(path, problems, PIECE, [root])
    if text is None:
        return None
    split = _split_front_matter(text, path, problems)
    if split is None:
        return None
    front, body, body_line = split
    parsed = _load_yaml(front, path, problems, first_line=2)
    if parsed is None:
        return None
    # Before Python-Markdown ever sees the body: nesting and sizes past its limits stop the piece here.
    findings = scan_markdown(body)
    for finding in findings:
        report = problems.error if finding.fatal else problems.warning
        report(path, body_line + finding.line, finding.message)
    if any(finding.fatal for finding in findings):
        return None
    data, lines = parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.error(path, 2, "front matter must be a mapping of keys to values (for example 'title: ...')")
        return None
    fields = Fields(data, lines, path, problems)
    values = read_keys(Piece, fields, _report_no_title)
    if values is None:
        return None
    slug = values.pop("slug", None) or slugify(path.stem) or "piece"
    if slugify(slug) != slug:
        problems.error(
            path, fields.line("slug"), f"slug {shown(slug)} may hold only lower-case letters, digits, '-' and '_'"
        )
    elif slug in RESERVED_SLUGS:
        problems.error(
            path, fields.line("slug") or 1,
            f"slug {shown(slug)} names a page of the book itself: give the piece another 'slug' in its front matter",
        )  # fmt: skip
    name = path.relative_to(root).as_posix()
    return Piece(
        path=path,
        name=name,
        slug=slug,
        body=body,
        body_line=body_line,
        key_lines=tuple(sorted(lines.items())),
        **values,
    )


def _report_no_title(fields: Fields, missing: list[str]) -> None:
    fields.problems.error(
        fields.path, fields.line("title") or 1, "piece has no title: add 'title: ...' to its front matter"
    )


def load_manuscript(root: Path, problems: Problems) -> Manuscript | None:
    """Read ``book.yaml`` and every ``*.md`` piece under ``root``; report all problems found."""
    if not root.is_dir():
        problems.error(root, None, "manuscript folder not found")
        return None
    meta = _load_book_meta(root, problems)
    pieces: dict[str, Piece] = {}
    slugs: dict[str, Piece] = {}
    for path in sorted(root.rglob("*.md")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or relative.name.lower() == "readme.md":
            continue
        if not path.resolve().is_relative_to(root.resolve()):
            # A symbolic link to a file elsewhere would carry text from outside the manuscript into the book.
            problems.error(
                path,
                None,
                f"{relative.as_posix()} is a link to a file outside the manuscript folder: copy the file in instead",
            )
            continue
        piece = load_piece(root, path, problems)
        if piece is None:
            continue
        if piece.slug in slugs:
            other = slugs[piece.slug]
            problems.error(path, piece.line_of("slug") or 1, f"duplicate slug {piece.slug!r}: {other.name} has it too")
            continue
        slugs[piece.slug] = piece
        pieces[piece.name] = piece
    if meta is None:
        return None
    return Manuscript(root=root, meta=meta, pieces=pieces)


# --- the README's key tables -------------------------------------------------

README_MARKERS = {
    "book.yaml": (
        "<!-- keys of book.yaml: made by python -m publish.manuscript -->",
        "<!-- end of keys of book.yaml -->",
    ),
    "pieces": ("<!-- keys of a piece: made by python -m publish.manuscript -->", "<!-- end of keys of a piece -->"),
}


def readme_sections() -> dict[str, str]:
    """Each marked section of the README, as the schema makes it (markers included)."""
    sections = {}
    for name, cls, fence in (("book.yaml", BookMeta, "yaml"), ("pieces", Piece, "markdown")):
        start, end = README_MARKERS[name]
        table = key_table(cls)
        body = f"---\n{table}\n---\n\nThe text, in Markdown.\n" if name == "pieces" else f"{table}\n"
        sections[name] = f"{start}\n```{fence}\n{body}```\n{end}"
    return sections


def update_readme(text: str) -> str:
    """``text`` with each marked section replaced by the schema's."""
    for name, section in readme_sections().items():
        start, end = README_MARKERS[name]
        head, found, rest = text.partition(start)
        _, found_end, tail = rest.partition(end)
        if not (found and found_end):
            raise ValueError(f"the README has no section marked {start!r} ... {end!r}")
        text = head + section + tail
    return text


def main(argv: list[str]) -> int:
    """``python -m publish.manuscript``: print the key tables; ``--update README.md`` rewrites them in place."""
    if argv[:1] == ["--update"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(update_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if argv:
        print("usage: python -m publish.manuscript [--update README.md]", file=sys.stderr)
        return 2
    print("\n\n".join(readme_sections().values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
