"""Load a manuscript folder: ``book.yaml`` and the Markdown pieces beside it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from publish.confine import BOOK_YAML, PIECE, ConfinementError, Kind, read_confined
from publish.errors import Problems
from publish.limits import MAX_YAML_DEPTH, describe_character, first_forbidden, scan_markdown, shown
from publish.urls import web_address_problem

BOOK_FILE = "book.yaml"
# Names the writers give the book's own pages (the contents, "Continue reading"): a piece cannot take them.
RESERVED_SLUGS = frozenset({"contents", "continue-reading"})

# RFC 5646 well-formed language tags (langtag and private use; no grandfathered tags).
_BCP47 = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?$"
    r"|^x(?:-[A-Za-z0-9]{1,8})+$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_language_tag(tag: str) -> bool:
    """True for a well-formed BCP 47 (RFC 5646) language tag such as ``en-US``."""
    return bool(_BCP47.fullmatch(tag))


@dataclass(frozen=True)
class Practice:
    """The practice's details, printed on handouts."""

    name: str | None = None
    website: str | None = None
    phone: str | None = None
    email: str | None = None
    logo: str | None = None  # an image in the manuscript folder (publish.brand checks it)
    address: str | None = None


@dataclass(frozen=True)
class HandoutText:
    """Extra text printed at the foot of every handout."""

    footer: str | None = None
    disclaimer: str | None = None
    crisis: str | None = None  # a crisis line, boxed at the foot of a handout's first page; no default


@dataclass(frozen=True)
class Theme:
    """The practice's look: an accent colour (checked by publish.brand) and the faces of headings and text."""

    accent: str | None = None
    heading_font: str | None = None  # "sans" or "serif"
    body_font: str | None = None  # "serif" or "sans"


@dataclass(frozen=True)
class Series:
    """The series a book belongs to."""

    name: str
    position: int | None = None


@dataclass(frozen=True)
class BookMeta:
    """What ``book.yaml`` says about the book."""

    title: str
    author: str
    language: str
    start: str
    subtitle: str | None = None
    publisher: str | None = None
    date: str | None = None
    identifier: str | None = None
    rights: str | None = None
    description: str | None = None
    subjects: tuple[str, ...] = ()
    series: Series | None = None
    cover: str | None = None
    contents: tuple[str, ...] | None = None
    practice: Practice = Practice()
    handout: HandoutText = HandoutText()
    theme: Theme = Theme()
    key_lines: tuple[tuple[str, int], ...] = ()

    def line_of(self, key: str) -> int | None:
        """Return the line of ``key`` in book.yaml, if known."""
        return dict(self.key_lines).get(key)


@dataclass(frozen=True)
class Piece:
    """One Markdown file: front matter and body."""

    path: Path
    name: str  # the file's path relative to the manuscript folder, with "/"
    title: str
    slug: str
    body: str
    body_line: int  # line number in the file where the body starts
    date: str | None = None
    author: str | None = None
    summary: str | None = None
    url: str | None = None
    previous: str | None = None
    next: str | None = None
    lang: str | None = None
    image: str | None = None
    image_alt: str | None = None
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

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"an alias (*{event.anchor}) is not allowed here: write the value out", event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"values nest more than {MAX_YAML_DEPTH} deep", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


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
        line = first_line + node.start_mark.line if node is not None else None
        problems.error(path, line, f"invalid YAML value: {exc}")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else None
        problems.error(path, line, f"invalid YAML: {exc.problem or exc.context}")
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


# --- field validation -------------------------------------------------------


def _describe_type(value: object) -> str:
    """Name a YAML value's type the way an author would."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return type(value).__name__


class _Fields:
    """Checks a YAML mapping against the keys a file may hold."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int], path: Path, problems: Problems, prefix: str = ""):
        self.data = data
        self.lines = lines
        self.path = path
        self.problems = problems
        self.prefix = prefix

    def line(self, key: str) -> int | None:
        return self.lines.get(self.prefix + key)

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                import difflib  # only for a key the file should not have

                guess = difflib.get_close_matches(
                    str(key), allowed, n=1, cutoff=0.7
                )  # 'titel' -> 'title', not 'color' -> 'cover'
                hint = (
                    f"did you mean '{self.prefix}{guess[0]}'?" if guess else f"known keys: {', '.join(sorted(allowed))}"
                )
                self.problems.error(self.path, self.line(str(key)), f"unknown key '{self.prefix}{key}' ({hint})")

    def _wrong(self, key: str, expected: str) -> None:
        got = _describe_type(self.data[key])
        self.problems.error(self.path, self.line(key), f"'{self.prefix}{key}' must be {expected}, not {got}")

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None  # a missing required key is reported once, with the others
        if isinstance(value, dt.date):
            value = value.isoformat()  # YAML reads 2024-01-01 as a date; as text it is what the author wrote
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self._wrong(key, "text")
            return None
        text = str(value).strip()
        if required and not text:
            self.problems.error(self.path, self.line(key), f"'{self.prefix}{key}' must not be empty")
            return None
        return text or None

    def date(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                self.problems.error(
                    self.path, self.line(key), f"'{self.prefix}{key}' is not a day of the calendar: {value.strip()}"
                )
                return None
        self.problems.error(
            self.path, self.line(key), f"'{self.prefix}{key}' must be a date written YYYY-MM-DD, not {shown(value)}"
        )
        return None

    def web_address(self, key: str) -> str | None:
        """A web page's address: http or https, and valid once percent-encoded (see publish.urls)."""
        value = self.text(key)
        if value is None or not value.strip():
            return None
        if (problem := web_address_problem(value)) is not None:
            self.problems.error(self.path, self.line(key), f"'{self.prefix}{key}' {problem}")
            return None
        return value.strip()

    def text_list(self, key: str) -> tuple[str, ...] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            self.problems.error(
                self.path, self.line(key),
                f"'{self.prefix}{key}' must be a list of text, not a single text: write each item on its own line as '- item'",
            )  # fmt: skip
            return None
        if not isinstance(value, list):
            self._wrong(key, "a list of text")
            return None
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                line = self.lines.get(f"{self.prefix}{key}[{index}]", self.line(key))
                got = _describe_type(item)
                self.problems.error(
                    self.path, line, f"'{self.prefix}{key}' must be a list of text, but item {index + 1} is {got}"
                )
                return None
        return tuple(str(v).strip() for v in value)

    def mapping(self, key: str) -> _Fields | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(key, "a mapping")
            return None
        return _Fields(value, self.lines, self.path, self.problems, f"{self.prefix}{key}.")

    def language(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not is_language_tag(value):
            self.problems.error(
                self.path,
                self.line(key),
                f"'{self.prefix}{key}' is not a BCP 47 language tag: {shown(value)} (for example en-US)",
            )
            return None
        return value


_BOOK_KEYS = {
    "title", "author", "language", "start", "subtitle", "publisher", "date", "identifier", "rights",
    "description", "subjects", "series", "cover", "contents", "practice", "handout",
    "theme",
}  # fmt: skip
_PIECE_KEYS = {
    "title", "slug", "date", "author", "summary", "url", "previous", "next", "lang", "image", "image_alt",
}  # fmt: skip


# A series of more books than any publisher has made: a larger number is a slip (readers show it as written).
MAX_SERIES_POSITION = 9_999


def _identifier(fields: _Fields) -> str | None:
    """``identifier``; an ISBN must be one (its check digit right), as printed on the copyright page."""
    value = fields.text("identifier")
    if value is not None and value.lower().startswith("urn:isbn:"):
        from stdnum import isbn

        number = value[len("urn:isbn:") :]
        if not isbn.is_valid(number):
            fields.problems.error(
                fields.path, fields.line("identifier"),
                f"'identifier' {shown(value)} is not a valid ISBN (10 or 13 digits with a right check digit)",
            )  # fmt: skip
            return None
        return "urn:isbn:" + isbn.compact(number)
    return value


def _theme(fields: _Fields) -> Theme:
    """``theme``: an accent with enough contrast on the page (publish.brand), and ``sans`` or ``serif`` faces."""
    from publish.brand import accent_problem

    fields.reject_unknown({"accent", "heading_font", "body_font"})
    accent = fields.text("accent")
    if accent is not None and (problem := accent_problem(accent)) is not None:
        fields.problems.error(fields.path, fields.line("accent"), f"'theme.accent' {problem}")
        accent = None
    faces = []
    for key in ("heading_font", "body_font"):
        face = fields.text(key)
        if face is not None and face not in ("sans", "serif"):
            fields.problems.error(
                fields.path,
                fields.line(key),
                f"'theme.{key}' must be sans or serif (the faces shipped), not {shown(face)}",
            )
            face = None
        faces.append(face)
    return Theme(accent, faces[0], faces[1])


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
    fields = _Fields(data, lines, path, problems)
    fields.reject_unknown(_BOOK_KEYS)
    missing = [k for k in ("title", "author", "language", "start") if data.get(k) in (None, "")]
    if missing:
        problems.error(path, None, "missing required key" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    series = None
    if (series_fields := fields.mapping("series")) is not None:
        series_fields.reject_unknown({"name", "position"})
        name = series_fields.text("name")
        position = series_fields.data.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, (int, float))):
            series_fields._wrong("position", "a number")
            position = None
        elif position is not None and not (1 <= position <= MAX_SERIES_POSITION and float(position).is_integer()):
            # YAML reads .inf and .nan as numbers: neither is a place in a series (nor is 1.5, 0 or -2).
            problems.error(
                path,
                series_fields.line("position"),
                f"'series.position' must be a whole number from 1 to {MAX_SERIES_POSITION:,}, not {shown(position)}",
            )
            position = None
        if name is None:
            problems.error(path, fields.line("series"), "'series' needs a 'name'")
        else:
            series = Series(name, int(position) if position is not None else None)
    practice = Practice()
    if (practice_fields := fields.mapping("practice")) is not None:
        practice_keys = ("name", "website", "phone", "email", "logo", "address")
        practice_fields.reject_unknown(set(practice_keys))
        practice = Practice(*(practice_fields.text(k) for k in practice_keys))
    handout = HandoutText()
    if (handout_fields := fields.mapping("handout")) is not None:
        handout_fields.reject_unknown({"footer", "disclaimer", "crisis"})
        handout = HandoutText(*(handout_fields.text(k) for k in ("footer", "disclaimer", "crisis")))
    theme = Theme()
    if (theme_fields := fields.mapping("theme")) is not None:
        theme = _theme(theme_fields)
    contents = fields.text_list("contents")
    if "contents" in data and data["contents"] in (None, []):
        problems.error(
            path,
            fields.line("contents"),
            "'contents' is empty: list the pieces in reading order, or remove it to follow 'start'",
        )
    title, author = fields.text("title", True), fields.text("author", True)
    language, start = fields.language("language"), fields.text("start", True)
    meta = BookMeta(
        title=title or "",
        author=author or "",
        language=language or "",
        start=start or "",
        subtitle=fields.text("subtitle"),
        publisher=fields.text("publisher"),
        date=fields.date("date"),
        identifier=_identifier(fields),
        rights=fields.text("rights"),
        description=fields.text("description"),
        subjects=fields.text_list("subjects") or (),
        series=series,
        cover=fields.text("cover"),
        contents=contents or None,
        practice=practice,
        handout=handout,
        theme=theme,
        key_lines=tuple(sorted(lines.items())),
    )
    if not (title and author and language and start):
        return None
    return meta


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
    fields = _Fields(data, lines, path, problems)
    fields.reject_unknown(_PIECE_KEYS)
    raw_title = data.get("title")
    if raw_title is None or (isinstance(raw_title, str) and not raw_title.strip()):
        problems.error(path, fields.line("title") or 1, "piece has no title: add 'title: ...' to its front matter")
        return None
    title = fields.text("title")
    if title is None:
        return None  # the wrong type is reported
    name = path.relative_to(root).as_posix()
    slug = fields.text("slug") or slugify(path.stem) or "piece"
    if slugify(slug) != slug:
        problems.error(
            path, fields.line("slug"), f"slug {shown(slug)} may hold only lower-case letters, digits, '-' and '_'"
        )
    elif slug in RESERVED_SLUGS:
        problems.error(
            path, fields.line("slug") or 1,
            f"slug {shown(slug)} names a page of the book itself: give the piece another 'slug' in its front matter",
        )  # fmt: skip
    return Piece(
        path=path,
        name=name,
        title=title,
        slug=slug,
        body=body,
        body_line=body_line,
        date=fields.date("date"),
        author=fields.text("author"),
        summary=fields.text("summary"),
        url=fields.web_address("url"),
        previous=fields.text("previous"),
        next=fields.text("next"),
        lang=fields.language("lang"),
        image=fields.text("image"),
        image_alt=fields.text("image_alt"),
        key_lines=tuple(sorted(lines.items())),
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
