"""The manuscript's keys, declared once: what ``book.yaml`` and a piece's front matter may say.

Each key is a field of a dataclass in ``publish.manuscript`` (``BookMeta``, ``Piece`` and the mappings nested in
``BookMeta``) whose ``metadata`` is made by ``key()``: its kind (how a YAML value is checked and turned into the
field's value), whether it is required, an example value and a help line. From those fields come:

- loading and checking (``read_keys``: unknown keys, missing required keys, wrong types, each with its line), so
  ``publish build`` and ``publish check`` say the same;
- the order ``publish import`` writes front matter in (``key_names``);
- the README's key tables (``python -m publish.manuscript`` prints them; ``--update README.md`` rewrites them, and a
  test fails when they differ).

To add a key, add a field with ``field(default=..., metadata=key(KIND, "help", "example"))`` where it belongs
(a nested mapping is a frozen dataclass whose own fields are keys, declared with ``mapping(ThatClass)``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publish.errors import Problems
from publish.limits import shown
from publish.urls import web_address_problem

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


def describe_type(value: object) -> str:
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


class Fields:
    """One YAML mapping being checked: its values, the line of each key, where to report problems."""

    def __init__(
        self, data: dict[str, Any], lines: Mapping[str, int], path: Path, problems: Problems, prefix: str = ""
    ) -> None:
        self.data = data
        self.lines = lines
        self.path = path
        self.problems = problems
        self.prefix = prefix

    def line(self, key: str) -> int | None:
        """The line of ``key`` (of this mapping) in the file, if known."""
        return self.lines.get(self.prefix + key)

    def error(self, key: str, message: str) -> None:
        """Report a problem on the line of ``key``."""
        self.problems.error(self.path, self.line(key), message)

    def name(self, key: str) -> str:
        """The key as an author finds it: ``series.position``."""
        return self.prefix + key

    def reject_unknown(self, allowed: set[str]) -> None:
        """Report each key not in ``allowed``, with the nearest known one."""
        for key in self.data:
            if key not in allowed:
                import difflib  # only for a key the file should not have

                # 'titel' -> 'title', not 'color' -> 'cover'
                guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.7)
                hint = (
                    f"did you mean '{self.prefix}{guess[0]}'?" if guess else f"known keys: {', '.join(sorted(allowed))}"
                )
                self.error(str(key), f"unknown key '{self.prefix}{key}' ({hint})")

    def wrong(self, key: str, expected: str) -> None:
        """Report a value of the wrong type."""
        self.error(key, f"'{self.name(key)}' must be {expected}, not {describe_type(self.data[key])}")


# A kind checks the value of one key (present and not null) and returns what the dataclass holds, or None
# after reporting a problem.
Kind = Callable[[Fields, str], Any]


def text(fields: Fields, key: str) -> str | None:
    """Text: a number is taken as written; surrounding spaces are dropped; empty text is no value."""
    value = fields.data[key]
    if isinstance(value, dt.date):
        value = value.isoformat()  # YAML reads 2024-01-01 as a date; as text it is what the author wrote
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        fields.wrong(key, "text")
        return None
    return str(value).strip() or None


def date(fields: Fields, key: str) -> str | None:
    """A day of the calendar written YYYY-MM-DD, kept as ISO text."""
    value = fields.data[key]
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            fields.error(key, f"'{fields.name(key)}' is not a day of the calendar: {value.strip()}")
            return None
    fields.error(key, f"'{fields.name(key)}' must be a date written YYYY-MM-DD, not {shown(value)}")
    return None


def web_address(fields: Fields, key: str) -> str | None:
    """A web page's address: http or https, and valid once percent-encoded (see publish.urls)."""
    value = text(fields, key)
    if value is None:
        return None
    if (problem := web_address_problem(value)) is not None:
        fields.error(key, f"'{fields.name(key)}' {problem}")
        return None
    return value


def language(fields: Fields, key: str) -> str | None:
    """A BCP 47 language tag."""
    value = text(fields, key)
    if value is not None and not is_language_tag(value):
        fields.error(key, f"'{fields.name(key)}' is not a BCP 47 language tag: {shown(value)} (for example en-US)")
        return None
    return value


def text_list(fields: Fields, key: str) -> tuple[str, ...] | None:
    """A list of text, each item on its own line (a single text is refused: it is a common slip)."""
    value = fields.data[key]
    name = fields.name(key)
    if isinstance(value, str):
        fields.error(
            key, f"'{name}' must be a list of text, not a single text: write each item on its own line as '- item'"
        )
        return None
    if not isinstance(value, list):
        fields.wrong(key, "a list of text")
        return None
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            line = fields.lines.get(f"{name}[{index}]", fields.line(key))
            fields.problems.error(
                fields.path, line, f"'{name}' must be a list of text, but item {index + 1} is {describe_type(item)}"
            )
            return None
    return tuple(str(v).strip() for v in value)


def whole_number(low: int, high: int) -> Kind:
    """A whole number from ``low`` to ``high``."""

    def check(fields: Fields, key: str) -> int | None:
        value = fields.data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fields.wrong(key, "a number")
            return None
        if not (low <= value <= high and float(value).is_integer()):
            # YAML reads .inf and .nan as numbers: neither is a whole number (nor is 1.5).
            fields.error(key, f"'{fields.name(key)}' must be a whole number from {low} to {high:,}, not {shown(value)}")
            return None
        return int(value)

    check.__doc__ = f"A whole number from {low} to {high:,}."
    return check


def mapping(cls: type[Any]) -> Kind:
    """A mapping whose keys are the fields of the dataclass ``cls``; reads into an instance of it."""

    def check(fields: Fields, key: str) -> Any:
        value = fields.data[key]
        if not isinstance(value, dict):
            fields.wrong(key, "a mapping")
            return None
        nested = Fields(value, fields.lines, fields.path, fields.problems, f"{fields.name(key)}.")
        values = read_keys(cls, nested)
        if values is None:
            return None
        return cls(**values)

    check.__doc__ = f"A mapping of the keys of {cls.__name__}."
    setattr(check, "schema_class", cls)  # noqa: B010 (for key_table: the nested keys)
    return check


def checked(kind: Kind, then: Callable[[Fields, str, Any], Any]) -> Kind:
    """``kind``, then a further rule ``then(fields, key, value)`` that returns the value or None after reporting."""

    def check(fields: Fields, key: str) -> Any:
        value = kind(fields, key)
        return None if value is None else then(fields, key, value)

    check.__doc__ = kind.__doc__
    return check


@dataclass(frozen=True)
class Key:
    """What the schema knows about one key besides its name and default (those are the dataclass field's)."""

    kind: Kind
    help: str
    example: str  # a YAML value, as the README shows it
    required: bool = False
    empty: str | None = None  # the message when the key is given with no value; None: the key is simply unset


def key(
    kind: Kind, help: str, example: str = "", *, required: bool = False, empty: str | None = None
) -> dict[str, Key]:
    """The ``metadata`` of a dataclass field that is a manuscript key."""
    return {"key": Key(kind, help, example, required, empty)}


def keys_of(cls: type[Any]) -> list[tuple[dataclasses.Field[Any], Key]]:
    """The fields of ``cls`` that are manuscript keys, in the order they are declared."""
    return [(f, f.metadata["key"]) for f in dataclasses.fields(cls) if "key" in f.metadata]


def key_names(cls: type[Any]) -> tuple[str, ...]:
    """The names of ``cls``'s keys in order: the order ``publish import`` writes front matter in."""
    return tuple(f.name for f, _ in keys_of(cls))


def read_keys(
    cls: type[Any], fields: Fields, on_missing: Callable[[Fields, list[str]], None] | None = None
) -> dict[str, Any] | None:
    """Check a mapping against ``cls``'s keys; return the value of each key given, or None if a required one is
    missing or unusable. Every problem is reported, each on its key's line.

    A required key is missing when it is absent, empty or blank. ``on_missing`` reports those at the top of a
    file; in a nested mapping the report is "'series' needs a 'name'" on the mapping's line.
    """
    declared = keys_of(cls)
    fields.reject_unknown({f.name for f, _ in declared})
    missing = [f.name for f, spec in declared if spec.required and _blank(fields.data.get(f.name))]
    if missing and on_missing is not None:
        on_missing(fields, missing)
    elif missing:
        parent = fields.prefix.rstrip(".")
        for name in missing:
            fields.problems.error(fields.path, fields.lines.get(parent), f"'{parent}' needs a '{name}'")
    values: dict[str, Any] = {}
    for f, spec in declared:
        raw = fields.data.get(f.name)
        if f.name in missing or raw is None or (raw == [] and spec.empty is not None):
            if f.name in fields.data and spec.empty is not None:
                fields.error(f.name, spec.empty)
            continue
        value = spec.kind(fields, f.name)
        if value is None and spec.required:
            missing.append(f.name)  # unusable: reported by its kind
        elif value is not None:
            values[f.name] = value
    return None if missing else values


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def report_missing(fields: Fields, names: list[str]) -> None:
    """Report required keys left out of a file together (no line: they are not there), and a blank one on its line."""
    absent = [name for name in names if fields.data.get(name) in (None, "")]
    for name in names:
        if name not in absent:
            fields.error(name, f"'{fields.name(name)}' must not be empty")
    if absent:
        fields.problems.error(
            fields.path, None, "missing required key" + ("s " if len(absent) > 1 else " ") + ", ".join(absent)
        )


# --- the README's key tables -------------------------------------------------


def _lines(cls: type[Any], indent: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for f, spec in keys_of(cls):
        comment = ("required: " if spec.required else "") + spec.help
        nested = getattr(spec.kind, "schema_class", None)
        if nested is not None:
            rows.append((f"{indent}{f.name}:", comment))
            rows += _lines(nested, indent + "  ")
        else:
            rows.append((f"{indent}{f.name}: {spec.example}".rstrip(), comment))
    return rows


def key_table(cls: type[Any]) -> str:
    """The README's table of ``cls``'s keys: a YAML example with each key's help as a comment."""
    rows = _lines(cls)
    # Comments line up in one column; a longer line keeps its comment two spaces after it.
    width = max(len(left) for left, _ in rows if len(left) <= _COMMENT_COLUMN)
    return "\n".join(f"{left.ljust(width)}  # {comment}" for left, comment in rows)


_COMMENT_COLUMN = 44
