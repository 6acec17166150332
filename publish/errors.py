"""The one family of exceptions that the CLI turns into a message."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# A message quotes a user's values: past this many characters it is cut, however long the value was.
MAX_MESSAGE = 2000


def escape_controls(text: str) -> str:
    r"""``text`` safe to print on a terminal: controls and surrogates written as ``\x1b``, ``\udcff``.

    A title or a file name holding ESC could otherwise clear the screen or write to the clipboard (OSC 52),
    and one holding a line feed could print a line of its own. Tab stays.
    """
    return _terminal_controls().sub(lambda m: repr(m.group())[1:-1], text)


@cache
def _terminal_controls() -> re.Pattern[str]:
    # Compiled when a message is first printed, not at every start: the surrogates' range makes re build a
    # table for the whole Basic Multilingual Plane (a third of a millisecond).
    return re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manuscript, located as precisely as known."""

    path: Path | None
    line: int | None
    message: str
    severity: str = "error"  # "error" or "warning"
    column: int | None = None  # where known (a link's target); not shown in ``location``, which stays file:line

    def location(self, base: Path | None = None) -> str:
        """Return ``file:line`` (or less) for this problem."""
        if self.path is None:
            return ""
        shown = self.path
        if base is not None:
            # abspath, not resolve(): a symbolic link is named as the author sees it, not as its target.
            try:
                shown = Path(os.path.abspath(self.path)).relative_to(os.path.abspath(base))
            except ValueError:
                shown = self.path
        return f"{shown}:{self.line}" if self.line else f"{shown}"

    def format(self, base: Path | None = None) -> str:
        """Return ``file:line: message``."""
        where = self.location(base)
        text = f"{where}: {self.message}" if where else self.message
        if len(text) > MAX_MESSAGE:
            text = text[: MAX_MESSAGE - 1] + "…"
        return escape_controls(text)


class PublishError(Exception):
    """A problem the user can fix: bad input, an unwritable output."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None):
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (Problem(path, line, message),)

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt with every problem's file and line when it comes back from a worker process (pickle
        # would call __init__ with the message alone, and the file and line would be lost).
        return (_rebuild, (type(self), self.problems))


def _rebuild(kind: type[PublishError], problems: tuple[Problem, ...]) -> PublishError:
    """A PublishError of ``kind`` carrying ``problems`` (see ``PublishError.__reduce__``)."""
    error = kind.__new__(kind)
    Exception.__init__(error, problems[0].message)
    error.problems = problems
    return error


class ManuscriptError(PublishError):
    """The manuscript cannot be built; carries every problem found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        first = problems[0]
        super().__init__(first.message, first.path, first.line)
        self.problems = tuple(problems)


class RenderError(PublishError):
    """A piece could not be rendered."""


class OutputError(PublishError):
    """An output file could not be written."""


class Problems:
    """Collects problems while a stage goes on, so all are reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, path: Path | None, line: int | None, message: str) -> None:
        """Record an error."""
        self.items.append(Problem(path, line, message, "error"))

    def warning(self, path: Path | None, line: int | None, message: str) -> None:
        """Record a warning."""
        self.items.append(Problem(path, line, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        """The problems that stop a build."""
        return [p for p in self.items if p.severity == "error"]

    def raise_if_errors(self) -> None:
        """Raise a ManuscriptError carrying every error collected so far."""
        if self.errors:
            raise ManuscriptError(self.errors)
