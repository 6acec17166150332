"""Bring articles from the blog into a manuscript: saved pages, a WordPress export, plain-text copies.

Everything is read and checked before anything is written: the sources are read into
articles, the files to write are planned against the manuscript, the result is built in a
scratch copy of the manuscript and checked as ``publish check`` would, and only then are
the files written (each atomically). A bad source changes nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from publish.confine import BOOK_YAML, ConfinementError, check_writable, read_confined
from publish.errors import Problem, Problems
from publish.importer.images import ImageNamer
from publish.importer.model import Article
from publish.importer.plan import DEFAULT_LANGUAGE, Change, Plan, Planner, load_existing, title_key, url_key
from publish.importer.sources import read_source
from publish.manuscript import BOOK_FILE
from publish.output import atomic_output

__all__ = ["Change", "ImportOptions", "ImportReport", "import_articles"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportOptions:
    """How to import: which posts of an export, and what a new book.yaml says."""

    only: tuple[str, ...] = ()  # slugs of the export's posts to import (all when empty)
    drafts: bool = False  # import an export's unpublished posts too
    author: str | None = None  # for a new book.yaml
    language: str | None = None  # for a new book.yaml
    force: bool = False  # overwrite pieces that have text
    title: str | None = None  # for a new book.yaml (else an export's site name, else the first article's title)
    selector: str | None = None  # a CSS selector for a saved page's body, chosen by hand


@dataclass(frozen=True)
class ImportReport:
    """What an import did, file by file."""

    root: Path
    changes: tuple[Change, ...]

    def lines(self) -> list[str]:
        """One line per file: ``created manuscript/x.md``, ``skipped ... (has text; use --force)``."""
        return [
            f"{change.action} {(self.root / change.name).as_posix()}" + (f" ({change.reason})" if change.reason else "")
            for change in self.changes
        ]


def _read_sources(
    sources: Sequence[Path], root: Path, options: ImportOptions, problems: Problems
) -> tuple[list[Article], str | None]:
    """The articles of all sources, and the site's name when a whole export was read."""
    namer = ImageNamer(root)
    articles: list[Article] = []
    slugs: set[str] = set()
    exports = pages = 0
    site_title: str | None = None
    for path in sources:
        source = read_source(path, namer, problems, options.only, options.drafts, options.selector)
        if source is None:
            continue
        articles.extend(source.articles)
        slugs |= source.slugs
        exports += source.kind == "export"
        pages += source.kind == "page"
        if source.kind == "export" and not options.only:
            site_title = site_title or source.site_title
    if options.selector and not pages and not problems.errors:
        problems.warning(None, None, f"--selector {options.selector!r} applies to saved pages, and no page was given")
    if options.only and not problems.errors:
        if not exports:
            problems.error(None, None, "--only names posts of a WordPress export, and no export was given")
        for slug in options.only if exports else ():
            if slug not in slugs:
                known = ", ".join(sorted(slugs)) or "none"
                problems.error(None, None, f"--only {slug}: no post with that slug in the export (its posts: {known})")
    return _unique(articles, problems), site_title


def _unique(articles: list[Article], problems: Problems) -> list[Article]:
    """Drop an article given twice (the same URL, or the same title), keeping the first."""
    kept: list[Article] = []
    for article in articles:
        twin = next(
            (
                k
                for k in kept
                if (url_key(k.url) and url_key(k.url) == url_key(article.url))
                or title_key(k.title) == title_key(article.title)
            ),
            None,
        )
        if twin is not None:
            problems.warning(
                article.source, None, f"{article.title!r} is also in {twin.source.name}: imported once, from there"
            )
        else:
            kept.append(article)
    return kept


def _book_language(root: Path) -> str | None:
    """The language an existing book.yaml declares (a broken one is reported by the check later)."""
    try:
        data = yaml.safe_load(read_confined(root / BOOK_FILE, BOOK_YAML, [root]).decode("utf-8"))
    except (ConfinementError, OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return str(data.get("language")) if isinstance(data, dict) and data.get("language") else None


def _relative(problem: Problem, folder: Path) -> tuple[str, str, str]:
    where = ""
    if problem.path is not None:
        try:
            where = problem.path.relative_to(folder).as_posix()
        except ValueError:
            where = str(problem.path)
    return where, problem.severity, problem.message


def _not_copied(folder: str, names: list[str]) -> set[str]:
    """What the scratch copy leaves out: hidden files (no part of a manuscript: load_manuscript skips
    them too), and named pipes, devices and sockets, which cannot be copied (nor read: the manuscript's
    own check reports them).
    """
    left_out = set()
    for name in names:
        try:
            mode = os.lstat(os.path.join(folder, name)).st_mode
        except OSError:
            continue
        if name.startswith(".") or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            left_out.add(name)
    return left_out


def _check(root: Path, plan: Plan, problems: Problems) -> None:
    """Build the imported manuscript in a scratch copy; report the problems the import would bring."""
    from publish.build import collect_problems

    before: set[tuple[str, str, str]] = set()
    if (root / BOOK_FILE).is_file():
        before = {_relative(p, root) for p in collect_problems(root)[2]}
    with tempfile.TemporaryDirectory(prefix="publish-import-") as scratch:
        stage = Path(scratch) / "manuscript"
        if root.is_dir():
            shutil.copytree(root, stage, symlinks=True, ignore=_not_copied)
        stage.mkdir(exist_ok=True)
        for name, text in plan.texts.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text, encoding="utf-8")
        for name, source in plan.images.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, stage / name)
        after = collect_problems(stage)[2]
        for problem in after:
            where, severity, message = _relative(problem, stage)
            if (where, severity, message) in before:
                continue  # there before the import: not for the import to report
            path = root / where if where else None
            if severity == "error":
                problems.error(path, problem.line, message)
            else:
                problems.warning(path, problem.line, message)


def _refuse_links(root: Path, plan: Plan, problems: Problems) -> None:
    """Report each planned file whose path passes a symbolic link or that is not a regular file: written
    (even into the scratch copy) it would land outside the manuscript.
    """
    for name in (*plan.images, *plan.texts):
        try:
            check_writable(root, name)
        except ConfinementError as refused:
            problems.error(refused.problems[0].path, None, refused.problems[0].message)


def _write(root: Path, plan: Plan) -> None:
    """Write the planned files, each atomically; images first, book.yaml last."""
    for name, source in plan.images.items():
        with atomic_output(root / name) as temporary:
            shutil.copyfile(source, temporary)
    for name, text in plan.texts.items():
        if name != BOOK_FILE:
            with atomic_output(root / name) as temporary:
                temporary.write_text(text, encoding="utf-8")
    if BOOK_FILE in plan.texts:
        with atomic_output(root / BOOK_FILE) as temporary:
            temporary.write_text(plan.texts[BOOK_FILE], encoding="utf-8")


def _report(problems: Problems) -> None:
    for problem in problems.items:
        if problem.severity == "warning":
            log.warning("%s", problem.format())
    problems.raise_if_errors()


def import_articles(sources: Sequence[Path], root: Path, options: ImportOptions = ImportOptions()) -> ImportReport:
    """Import articles into the manuscript at ``root``; raise a ManuscriptError (writing nothing) on any error."""
    problems = Problems()
    if root.exists() and not root.is_dir():
        problems.error(root, None, "the manuscript folder is a file")
    articles, site_title = _read_sources(sources, root, options, problems) if not problems.errors else ([], None)
    if not articles and not problems.errors:
        problems.error(None, None, "no articles to import")
    if problems.errors:
        _report(problems)
    new_book = not (root / BOOK_FILE).is_file()
    language = (options.language or articles[0].language or DEFAULT_LANGUAGE) if new_book else _book_language(root)
    planner = Planner(root, load_existing(root), options.force, language, problems)
    placed = planner.place(articles)
    planner.write_articles(placed)
    if new_book:
        planner.write_book(placed, options.author, language, options.title or site_title)
    elif options.author or options.language or options.title:
        problems.warning(
            root / BOOK_FILE,
            None,
            "book.yaml exists: --author, --language and --title apply only to a new one; edit book.yaml instead",
        )
    plan = planner.plan
    _refuse_links(root, plan, problems)
    if (plan.texts or plan.images) and not problems.errors:
        _check(root, plan, problems)
    _report(problems)
    _write(root, plan)
    return ImportReport(root, tuple(plan.changes))
