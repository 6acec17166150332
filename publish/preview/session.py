"""The resident builder behind ``publish preview``: one thread rebuilds the book on every save and keeps the last good
rendering, another watches the folders; what changed is announced to the page.

A build checks and renders the whole book (a link in one piece can break with an edit to another), writes the EPUB
in memory and compares it with the last one, so only the documents that changed are sent again and redrawn in the
e-reader view. The print view's PDF is typeset after that, for the choices the page has asked for, in this process:
WeasyPrint is loaded once, by the first typesetting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publish.errors import ManuscriptError, Problem, PublishError
from publish.preview.pages import PrintedPages, printed_pages
from publish.preview.pipeline import (
    ContentsEntry,
    EpubFiles,
    MarkdownKept,
    PrintChoice,
    check_and_render,
    handout_pieces,
    typeset_pdf,
    write_epub_files,
)
from publish.preview.watcher import watch_changes, watched_folders

if TYPE_CHECKING:
    from publish.render import RenderedBook

log = logging.getLogger(__name__)

# The print choices kept typeset at once (the page's current one and the one before): older ones are typeset again
# when asked for.
KEPT_PRINTS = 4
_LABELS = {"error": "Error", "warning": "Warning"}
Notify = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class BuildReport:
    """What the latest build found: its problems and, when it failed, the errors the banner shows."""

    number: int = 0  # builds so far
    seconds: float = 0.0
    problems: tuple[Problem, ...] = ()
    errors: tuple[str, ...] = ()  # ``Error: file:line: message`` lines; empty when the build succeeded
    changed: tuple[str, ...] = ()  # the documents the last good build changed


@dataclass
class _Prints:
    """The print view's PDFs by choice, and the choices still to typeset for the current rendering."""

    pages: dict[str, PrintedPages] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    wanted: list[PrintChoice] = field(default_factory=list)  # most recently asked for first
    pending: list[PrintChoice] = field(default_factory=list)
    under_way: tuple[PrintChoice, int] | None = None  # being typeset, for the rendering of this version


def _contents_json(entries: tuple[ContentsEntry, ...]) -> list[dict[str, Any]]:
    return [{"label": e.label, "href": e.href, "children": _contents_json(e.children)} for e in entries]


def _error_lines(error: PublishError) -> tuple[str, ...]:
    return tuple(f"Error: {problem.format(Path.cwd())}" for problem in error.problems)


class PreviewSession:
    """The manuscript watched and rebuilt; the last good rendering and the latest problems, for the server."""

    def __init__(self, root: Path, styles: Path | None = None, allow_remote: bool = False,
                 notify: Notify | None = None, report: Callable[[str], None] | None = None,
                 watched_styles: tuple[Path, ...] = ()) -> None:  # fmt: skip
        self.root = root
        self.styles = styles
        self.allow_remote = allow_remote
        self.notify: Notify = notify or (lambda event, data: None)
        self.report = report or (lambda line: None)
        self.folders = watched_folders(root, (styles, *watched_styles))
        self.version = 0  # of the good rendering shown
        self.epub: EpubFiles | None = None
        self.rendered: RenderedBook | None = None
        self.last = BuildReport()
        self.building = True
        self.working = False  # a build or a typesetting is under way
        self._prints = _Prints()
        self._markdown = MarkdownKept()
        self._dirty = False  # the watcher asks for the first build once it watches
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- life -------------------------------------------------------------------

    def start(self) -> None:
        """Build the book once and go on rebuilding it on every save, in threads of this process."""
        for name, run in (("preview-build", self._build_loop), ("preview-watch", self._watch_loop)):
            thread = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop watching and building; wait for a build under way to end, so that nothing it writes (WeasyPrint's
        temporary fonts) comes after the command's temporary folder is removed. A second Ctrl-C ends it at once.
        """
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            if thread.is_alive() and thread.name == "preview-build" and self.working:
                self.report("Stopping: waiting for the build under way to end")
            thread.join()
        self._threads.clear()
        for pages in self._prints.pages.values():
            pages.close()

    def rebuild(self) -> None:
        """Build again (the watcher calls this on every save)."""
        with self._wake:
            self._dirty = True
            self._wake.notify_all()

    def _watch_loop(self) -> None:
        for _ in watch_changes(self.folders, self._stop):
            self.rebuild()

    def _build_loop(self) -> None:
        while True:
            with self._wake:
                while not (self._dirty or self._prints.pending or self._stop.is_set()):
                    self._wake.wait()
                if self._stop.is_set():
                    return
                dirty, self._dirty = self._dirty, False
                choice = None if dirty else self._prints.pending.pop(0)
                self._prints.under_way = None if choice is None else (choice, self.version)
            self.working = True
            try:
                if dirty:
                    self._build()
                elif choice is not None:
                    self._typeset(choice)
            finally:
                self.working = False
                self._prints.under_way = None

    # --- building ---------------------------------------------------------------

    def _build(self) -> None:
        self.building = True
        self.notify("building", {})
        started = time.perf_counter()
        problems: list[Problem] = []
        changed: tuple[str, ...] = ()
        try:
            rendered, problems = check_and_render(self.root, self.styles, self.allow_remote, self._markdown)
            errors = [p for p in problems if p.severity == "error"]
            if errors or rendered is None:
                raise ManuscriptError(errors or [Problem(self.root, None, "the manuscript could not be rendered")])
            epub = write_epub_files(rendered, self.styles)
            changed = self._changed(epub)
            self.rendered, self.epub, self.version = rendered, epub, self.version + 1
            error_lines: tuple[str, ...] = ()
        except PublishError as error:
            error_lines = _error_lines(error)
        except Exception as error:  # a bug in publish must not end the preview: it is shown, and a save retries
            log.debug("the preview's build failed", exc_info=True)
            error_lines = (f"Error: internal error in publish: {type(error).__name__}: {error}",)
        seconds = time.perf_counter() - started
        self.last = BuildReport(self.last.number + 1, seconds, tuple(problems), error_lines, changed)
        self.building = False
        stamp = time.strftime("%H:%M:%S")
        if error_lines:
            self.report(
                f"{stamp} {error_lines[0]}" + (f" (and {len(error_lines) - 1} more)" if error_lines[1:] else "")
            )
        else:
            self.report(f"{stamp} rebuilt in {seconds:.2f} s: {len(changed)} document(s) changed")
        self.notify("state", self.state())
        if not error_lines:
            with self._wake:
                self._prints.pending = list(self._prints.wanted)
                self._wake.notify_all()

    def _changed(self, epub: EpubFiles) -> tuple[str, ...]:
        before = self.epub.files if self.epub is not None else {}
        return tuple(sorted(name for name, data in epub.files.items() if before.get(name) != data))

    def _typeset(self, choice: PrintChoice) -> None:
        rendered, version = self.rendered, self.version
        if rendered is None:
            return
        try:
            pages = printed_pages(typeset_pdf(rendered, choice, self.styles), version)
            replaced = self._prints.pages.get(choice.key)
            self._prints.pages[choice.key] = pages
            self._prints.failures.pop(choice.key, None)
            if replaced is not None:
                replaced.close()
        except PublishError as error:
            self._prints.failures[choice.key] = _error_lines(error)[0]
        except Exception as error:  # as in _build: shown, never the end of the preview
            log.debug("the print view's typesetting failed", exc_info=True)
            self._prints.failures[choice.key] = f"Error: internal error in publish: {type(error).__name__}: {error}"
        for key in list(self._prints.pages)[:-KEPT_PRINTS]:
            if key not in {c.key for c in self._prints.wanted}:
                self._prints.pages.pop(key).close()
        self.notify("print", self.print_state(choice))

    # --- what the server asks -----------------------------------------------------

    def request_print(self, choice: PrintChoice) -> dict[str, Any]:
        """The print view's pages for ``choice``; typeset now if they are missing or older than the rendering."""
        with self._wake:
            wanted = [choice, *(c for c in self._prints.wanted if c != choice)]
            self._prints.wanted = wanted[:KEPT_PRINTS]
            pages = self._prints.pages.get(choice.key)
            stale = pages is None or pages.version != self.version
            # Asked again while it is being typeset for this rendering (the page asks on every build): once is enough.
            under_way = self._prints.under_way == (choice, self.version)
            if stale and not under_way and choice not in self._prints.pending and self.rendered is not None:
                self._prints.pending.insert(0, choice)
                self._wake.notify_all()
        return self.print_state(choice, typesetting=stale)

    def print_state(self, choice: PrintChoice, typesetting: bool = False) -> dict[str, Any]:
        """What the print view shows for ``choice``: its page labels, the build they come from, a failure."""
        pages = self._prints.pages.get(choice.key)
        return {
            "key": choice.key,
            "version": pages.version if pages else None,
            "labels": list(pages.labels) if pages else [],
            "sizes": [list(size) for size in pages.sizes] if pages else [],
            "typesetting": typesetting,
            "error": self._prints.failures.get(choice.key),
        }

    def handout_slugs(self) -> set[str]:
        """The pieces of the last good rendering that have a handout."""
        rendered = self.rendered
        return {slug for slug, _ in handout_pieces(rendered)} if rendered is not None else set()

    def page_image(self, key: str, index: int) -> bytes | None:
        """A page image of a typeset choice, by the choice's key and the page's index; None when there is none."""
        pages = self._prints.pages.get(key)
        if pages is None or not 0 <= index < len(pages.labels):
            return None
        return pages.image(index)

    def document(self, name: str) -> bytes | None:
        """A file of the last good EPUB, by its exact path inside the EPUB; None for any other name."""
        return self.epub.files.get(name) if self.epub is not None else None

    def state(self) -> dict[str, Any]:
        """The page's view of the session: contents, reading order, handouts, problems, the banner."""
        epub, rendered, last = self.epub, self.rendered, self.last
        return {
            "version": self.version,
            "build": last.number,
            "building": self.building,
            "seconds": round(last.seconds, 3),
            "title": rendered.book.meta.title if rendered else None,
            "contents": _contents_json(epub.contents) if epub else [],
            "readingOrder": list(epub.reading_order) if epub else [],
            "first": epub.first_piece if epub else None,
            "handouts": [list(piece) for piece in handout_pieces(rendered)] if rendered else [],
            "changed": list(last.changed),
            "errors": list(last.errors),
            "problems": [
                {"severity": p.severity, "text": f"{_LABELS[p.severity]}: {p.format(Path.cwd())}"}
                for p in sorted(last.problems, key=lambda p: (str(p.path or ""), p.line or 0))
            ],
        }
