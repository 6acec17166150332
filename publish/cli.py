"""The ``publish`` command line: a thin layer over the library."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click

from publish import __version__
from publish.errors import PublishError, escape_controls

log = logging.getLogger("publish")


class _MessageHandler(logging.Handler):
    """Print warnings as ``Warning: ...`` on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        _clear_progress()
        prefix = "Warning: " if record.levelno >= logging.WARNING else ""
        click.echo(f"{prefix}{escape_controls(record.getMessage())}", err=True)


_progress: Any = None  # the terminal status line, when there is one


def _setup_logging(verbosity: int) -> None:
    global _progress
    level = {-1: logging.ERROR, 0: logging.WARNING}.get(verbosity, logging.INFO)
    logger = logging.getLogger("publish")
    logger.handlers[:] = [_MessageHandler()]
    logger.setLevel(level)
    logger.propagate = False
    progress = logging.getLogger("publish.progress")
    progress.propagate = False  # never mixed into the messages above
    stream = sys.stderr
    if verbosity >= 0 and stream.isatty():
        from publish.progress import attach_terminal_progress

        _progress = attach_terminal_progress(stream)


def _on_signal(signum: int, handler: Any) -> Any:
    """Set a signal's handler; the previous one, or None where signals cannot be handled (not the main thread)."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def _terminated(signum: int, frame: Any) -> None:
    # SIGTERM or SIGHUP: end as an error would, so the workers and the temporary folder go too.
    sys.exit(128 + signum)


def _save_traceback(error: BaseException, folder: Path | None) -> str:
    """Write the traceback of ``error`` to a file in ``folder`` (the system's temporary folder); return its path."""
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(error))
    try:
        handle, name = tempfile.mkstemp(prefix="publish-traceback-", suffix=".txt", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(f"publish {__version__}, Python {sys.version.split()[0]}\n{text}")
    except OSError:
        return "the traceback below (it could not be saved)\n" + text
    return name


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a PublishError into ``Error: file:line: message`` lines and exit status 1, Ctrl-C into
    ``Error: interrupted`` and exit status 130; run the command with a private temporary folder
    (``publish.scratch``), removed on every way out.
    """

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from publish.scratch import start_scratch_root

        scratch = start_scratch_root()
        previous = {signum: _on_signal(signum, _terminated) for signum in (signal.SIGTERM, signal.SIGHUP)}
        interrupted = False
        try:
            from publish.limits import source_date_epoch

            source_date_epoch()  # a malformed value is refused before anything is read
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            interrupted = True
            previous[signal.SIGINT] = _on_signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must wait
            _clear_progress()
            click.echo("Error: interrupted", err=True)
        except PublishError as error:
            _clear_progress()
            for problem in error.problems:
                click.echo(f"Error: {problem.format(Path.cwd())}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            _end_quietly_on_closed_pipe()
        except OSError as error:
            _clear_progress()
            # A file the library did not expect to fail (permissions, a disk full): still the user's to fix.
            where = f"{error.filename}: " if error.filename else ""
            click.echo(escape_controls(f"Error: {where}{error.strerror or error}"), err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # Click's own: a usage error (one line, status 2), --help, --version
        except Exception as error:
            # A bug in publish: one line that says so, and the traceback saved for a report (never blamed
            # on the Markdown, never printed over the terminal).
            _clear_progress()
            saved = _save_traceback(error, scratch.path.parent if scratch is not None else None)
            click.echo(
                escape_controls(
                    f"Error: internal error in publish {__version__}: {type(error).__name__}: {error}; "
                    f"please report it with {saved}"
                ),
                err=True,
            )
            sys.exit(1)
        finally:
            for signum, handler in previous.items():
                if handler is not None:
                    _on_signal(signum, handler)
            from publish.processes.forking import end_worker_processes

            end_worker_processes()  # before their temporary folder goes, so that none writes after it
            if scratch is not None:
                scratch.remove()
            if interrupted:
                _exit_interrupted()

    return wrapper


def _end_quietly_on_closed_pipe() -> None:
    """End as ``head`` expects of a command whose output it stopped reading: no message, status 141.

    141 is 128 + SIGPIPE, the status a shell reports for tools that SIGPIPE ends (``yes | head``). Standard
    output goes to /dev/null first, so Python's own flush at exit does not fail on the closed pipe again.
    """
    try:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test's captured output)
        pass
    sys.exit(141)


def _one_line(error: click.UsageError) -> click.UsageError:
    """The same usage error as one ``Error:`` line that names the command's help.

    Click prints the usage and a hint on lines of their own before the error; a UsageError without a
    context prints the ``Error:`` line alone. ``publish`` alone still prints the help.
    """
    if isinstance(error, click.exceptions.NoArgsIsHelpError):
        return error
    command = error.ctx.command_path if error.ctx is not None else "publish"
    one = click.UsageError(f"{error.format_message()} (see '{command} -h')")
    one.exit_code = error.exit_code  # type: ignore[misc]  # click declares it on the class; an instance may differ
    return one


class _OneLineUsageErrors(click.Group):
    """Click's group, but a mistake on the command line is one ``Error:`` line, exit status 2, and Ctrl-C
    before a command has begun (while options are read, or a module loads) ends as it does later: one
    ``Error: interrupted`` line and status 130, not Click's "Aborted!" and status 1.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:
            raise _one_line(error) from None
        except KeyboardInterrupt:
            _interrupted_early()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error) from None
        except KeyboardInterrupt:
            _interrupted_early()


def _interrupted_early() -> NoReturn:
    _clear_progress()
    click.echo("Error: interrupted", err=True)
    _exit_interrupted()
    raise SystemExit(130)  # not reached: _exit_interrupted ends the process


def _check_bleed(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a bleed that is no length, or more than an inch, before the manuscript is read."""
    if value is not None:
        from publish.limits import parse_bleed

        try:
            parse_bleed(value)
        except PublishError as error:
            raise click.BadParameter(str(error), ctx, param) from None
    return value


def _exit_interrupted() -> None:
    """End with status 130, as a shell reports a command ended by Ctrl-C.

    In the command's own process the exit is immediate (what is to clean up is cleaned up by now):
    Python's shutdown would otherwise end a process that saw a KeyboardInterrupt by SIGINT itself.
    """
    if sys.stderr is sys.__stderr__ and sys.stderr is not None:  # not inside a test's CliRunner
        if sys.stdout is not None:
            sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(130)


def _check_output(output: Path | None, manuscript: Path, styles: Path | None) -> None:
    """Refuse an output that is not a new path or a regular file, or that would overwrite an input."""
    if output is not None:
        from publish.confine import check_output

        check_output(output, (manuscript, styles))


def _capped_jobs(jobs: int | None) -> int | None:
    """``--jobs``, at most the number of cores this process may use (with a warning above it)."""
    from publish.processes.forking import available_cores

    cores = available_cores()
    if jobs is not None and jobs > cores:
        log.warning("--jobs %d is more than the %d cores available: using %d", jobs, cores, cores)
        return cores
    return jobs


manuscript_option = click.option(
    "-m", "--manuscript", "manuscript", type=click.Path(path_type=Path, file_okay=False), default=Path("manuscript"),
    show_default=True, help="The manuscript folder (book.yaml and the pieces).",
)  # fmt: skip
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
styles_option = click.option(
    "--styles", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
    help="A folder of stylesheets (epub.css, print.css, ...) that replace the built-in ones.",
)  # fmt: skip
toc_depth_option = click.option(
    "--toc-depth", type=click.IntRange(1, 3), default=2, show_default=True,
    help="Levels in the contents: 1 pieces, 2 and their ## sections (Kindle shows two), 3 and ### sections.",
)  # fmt: skip
target_option = click.option(
    "--target", type=click.Choice(["generic", "kindle", "kobo", "apple"]), default="generic", show_default=True,
    help="Tune the EPUB for a store: kindle (two-level contents, JPEG cover), kobo (reading spans, .kepub.epub), "
    "apple (display options).",
)  # fmt: skip
allow_remote_option = click.option(
    "--allow-remote", is_flag=True,
    help="Leave out remote images and stylesheets with a warning instead of failing (nothing is ever fetched).",
)  # fmt: skip


def _with(options: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """Several Click options as one decorator, shown in the order listed."""

    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


# The options every command that writes a book takes, in this order.
book_options = _with([toc_depth_option, target_option, styles_option, strict_option, allow_remote_option])


def _freeze_loaded_objects() -> None:
    """Keep what the imports loaded out of garbage collection from now on.

    The cycle collector would otherwise walk every module's objects again at each full collection and
    once more at exit: about 10 ms of the demo's EPUB and 30 ms of a long book's. Frozen objects are
    still freed when their last reference goes; only a reference cycle among them would now wait for
    the end of the process, which a command is the last act of.
    """
    from publish.processes.memory import freeze_loaded_objects

    freeze_loaded_objects()


def _clear_progress() -> None:
    if _progress is not None:
        _progress.clear()


def _report_written(target: Path) -> None:
    """Name the file written with its size and page count, unless --quiet."""
    _clear_progress()
    if not log.isEnabledFor(logging.WARNING):
        return
    size = target.stat().st_size
    shown = f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, round(size / 1024))} KB"
    if target.suffix == ".pdf":
        from pypdf import PdfReader

        pages = len(PdfReader(target).pages)
        shown += f", {pages} page{'' if pages == 1 else 's'}"
    elif target.suffix == ".epub":
        import zipfile

        with zipfile.ZipFile(target) as archive:
            documents = sum(1 for name in archive.namelist() if name.endswith(".xhtml"))
        shown += f", {documents} documents"
    click.echo(escape_controls(f"Wrote {target} ({shown})"))


@click.group(cls=_OneLineUsageErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publish")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Say what is being done.")
def main(quiet: bool, verbose: bool) -> None:
    """Turn a folder of linked articles into an EPUB and a print-ready PDF.

    \b
    Example:
      publish build -m manuscript     # dist/<title>.epub and dist/<title>.pdf
    """
    _setup_logging(-1 if quiet else 1 if verbose else 0)


def _epub_options(embed_fonts: bool, styles: Path | None, toc_depth: int = 2, target: str = "generic") -> Any:
    from publish.epub.options import EpubOptions

    return EpubOptions(embed_fonts=embed_fonts, styles=styles, toc_depth=toc_depth, target=target)


@main.command()
@manuscript_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The EPUB to write [default: dist/<slug>.epub].",
)
@click.option(
    "--embed-fonts", is_flag=True, help="Embed the book's OFL fonts (by default the reader's fonts are used)."
)
@book_options
@_reports_errors
def epub(
    manuscript: Path, output: Path | None, embed_fonts: bool, toc_depth: int, target: str, styles: Path | None,
    strict: bool, allow_remote: bool,
) -> None:  # fmt: skip
    """Write the book as an EPUB 3.

    \b
    Example:
      publish epub -m manuscript -o dist/book.epub
      publish epub --target kobo        # dist/<slug>.kepub.epub
    """
    from publish.build import build_epub

    _check_output(output, manuscript, styles)
    _freeze_loaded_objects()
    options = _epub_options(embed_fonts, styles, toc_depth, target)
    _report_written(build_epub(manuscript, output, strict, allow_remote, options))


def _pdf_options(paper: str, duplex: bool, bleed: str | None, crop_marks: bool, large_print: bool, styles: Path | None,
                 booklet: bool = False, strict: bool = False, jobs: int | None = None,
                 toc_depth: int = 2) -> Any:  # fmt: skip
    from publish.pdf.paper import PdfOptions

    return PdfOptions(paper=paper, duplex=duplex, bleed=bleed, crop_marks=crop_marks, large_print=large_print,
                      booklet=booklet, styles=styles, strict=strict, jobs=jobs, toc_depth=toc_depth)  # fmt: skip


pdf_options = [
    click.option(
        "--paper",
        type=click.Choice(["letter", "a4", "a5", "half-letter"]),
        default="letter",
        show_default=True,
        help="Paper size.",
    ),
    click.option("--duplex", is_flag=True, help="Start each piece on a right-hand page, for double-sided printing."),
    click.option(
        "--bleed",
        metavar="LENGTH",
        default=None,
        callback=_check_bleed,
        help="Bleed for a print shop, e.g. 0.125in or 3mm (at most 1in).",
    ),
    click.option("--crop-marks", is_flag=True, help="Print crop marks (adds a 0.125in bleed unless --bleed is given)."),
    click.option("--large-print", is_flag=True, help="Large print: 18 pt sans serif, ragged right, no hyphenation."),
]


@main.command()
@manuscript_option
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The PDF to write [default: dist/<slug>.pdf, with --handout dist/handouts/<slug>.pdf]; "
                   "with --all-handouts the folder [default: dist/handouts].")  # fmt: skip
@_with(pdf_options)
@click.option(
    "--booklet",
    is_flag=True,
    help="Impose for saddle-stitch printing: half-letter pages two to a landscape letter sheet (A5 on A4 with --paper a4).",
)
@click.option(
    "--handout",
    metavar="PIECE",
    multiple=True,
    help="Write one piece (file name or slug) as a client handout instead of the book; "
    "repeat it for a pack of several in one PDF, each from a new page.",
)
@click.option("--all-handouts", is_flag=True, help="Write a handout for every piece with text into the -o folder.")
@click.option("--write-in", is_flag=True,
              help="Handouts: blank lines to fill in by hand: \"Prepared for ___ Date ___\" under the title, "
                   "ruled lines for notes at the end.")  # fmt: skip
@click.option("--pack-cover", is_flag=True, help="A pack of handouts: a first page listing what is inside.")
@click.option("--fit", type=click.IntRange(min=1), default=None, metavar="N",
              help="Handouts: set the text smaller (down to 10 pt, 16 pt in large print) until each fits on N pages.")  # fmt: skip
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes that typeset the book at once [default: 2 for a long book on 2 or more cores]; "
                   "--jobs 1 typesets it in one.")  # fmt: skip
@toc_depth_option
@styles_option
@strict_option
@allow_remote_option
@_reports_errors
def pdf(manuscript: Path, output: Path | None, paper: str, duplex: bool, bleed: str | None, crop_marks: bool,
        large_print: bool, booklet: bool, handout: tuple[str, ...], all_handouts: bool, write_in: bool,
        pack_cover: bool, fit: int | None, jobs: int | None,
        toc_depth: int, styles: Path | None, strict: bool, allow_remote: bool) -> None:  # fmt: skip
    """Write the book as a print-ready PDF, or client handouts.

    \b
    Examples:
      publish pdf -m manuscript --paper a4 --duplex -o dist/book.pdf
      publish pdf --booklet -o dist/booklet.pdf
      publish pdf --handout supporting-your-partner-in-developing-self-compassion
      publish pdf --handout a.md --handout b.md --pack-cover --duplex -o pack.pdf
      publish pdf --handout a.md --fit 2 --write-in
      publish pdf --all-handouts --large-print -o dist/large-print-handouts
    """
    if any(not reference.strip() for reference in handout):
        raise click.UsageError("--handout needs a piece: give its file name or slug")
    if (pack_cover or fit is not None) and not handout:
        raise click.UsageError(f"{'--pack-cover' if pack_cover else '--fit'} works with --handout PIECE")
    if write_in and not (handout or all_handouts):
        raise click.UsageError("--write-in adds lines to handouts: give --handout PIECE or --all-handouts")
    if handout and all_handouts:
        raise click.UsageError("give either --handout PIECE or --all-handouts, not both")
    if booklet and (handout or all_handouts):
        raise click.UsageError("--booklet imposes the book; handouts are printed as they are")
    if booklet and (bleed or crop_marks):
        raise click.UsageError("--booklet imposes pages for an office printer: leave out --bleed and --crop-marks")
    if all_handouts and output is not None and output.exists() and not output.is_dir():
        raise click.UsageError("the handouts go into a folder: give a folder, not a file")
    _check_output(None if all_handouts else output, manuscript, styles)
    jobs = _capped_jobs(jobs)
    from publish.processes.workers import HANDOUT_PROCESSES, estimated_processes, start_pool

    # Started first: they load WeasyPrint while this process reads the manuscript.
    processes = HANDOUT_PROCESSES if all_handouts else estimated_processes(manuscript, jobs, styles)
    typesetters = None if handout else start_pool(processes)
    from publish.build import prepare
    from publish.cache import ConversionCache
    from publish.pdf.write import write_pdf

    folder = output.parent if output is not None else Path("dist")
    cache = None if handout or all_handouts else ConversionCache(folder, (manuscript, styles), create=False)
    rendered = prepare(manuscript, strict, allow_remote, styles, cache)
    options = _pdf_options(paper, duplex, bleed, crop_marks, large_print, styles, booklet, strict, jobs, toc_depth)
    if handout or all_handouts:
        from publish.pdf.handout_parts import HandoutChoices
        from publish.pdf.handouts import write_all_handouts

        choices = HandoutChoices(write_in=write_in)
        if handout:
            from publish.pdf.packs import write_handouts

            result = write_handouts(rendered, list(handout), output, options, choices, pack_cover, fit)
            _report_written(result.path)
            if result.size is not None and log.isEnabledFor(logging.WARNING):
                longest = max(result.pages)
                click.echo(
                    f"Fitted on {longest} page{'' if longest == 1 else 's'}: "
                    f"body text {result.size:g} pt on {result.leading:g} leading"
                )
        else:
            from publish.output import all_or_nothing

            with all_or_nothing():  # every handout, or none when one fails
                folder = output or Path("dist") / "handouts"
                targets = write_all_handouts(rendered, folder, options, pool=typesetters, choices=choices)
            for target in targets:
                _report_written(target)
        return
    target = output or Path("dist") / f"{rendered.book.slug}.pdf"
    _check_output(target, manuscript, styles)
    from publish.pdf.typeset_cache import TypesetCache

    kept = TypesetCache(folder, (manuscript, styles), create=False)
    write_pdf(rendered, target, options, typesetters, kept)
    if cache is not None:
        cache.save()
    kept.save()
    _report_written(target)


@main.command()
@manuscript_option
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="The folder to write both files into.")  # fmt: skip
@book_options
@click.option("--force", is_flag=True,
              help="Rebuild even when nothing changed since the last build, typesetting a long book's parts afresh.")  # fmt: skip
@_reports_errors
def build(
    manuscript: Path, output_dir: Path, toc_depth: int, target: str, styles: Path | None, strict: bool,
    allow_remote: bool, force: bool,
) -> None:  # fmt: skip
    """Write both the EPUB and the PDF, unless nothing changed since the last build.

    Whether anything changed is decided by content hashes of the manuscript, the styles,
    the options and the version of publish, not by timestamps.

    \b
    Example:
      publish build -m manuscript -o dist
    """
    from publish.freshness import input_fingerprint, record_build, up_to_date_outputs
    from publish.resources import styles_dir

    options = {"strict": strict, "styles": str(styles) if styles else None, "allow_remote": allow_remote,
               "toc_depth": toc_depth, "target": target}  # fmt: skip
    fingerprint = input_fingerprint(manuscript, [styles_dir(), *([styles] if styles else [])], options, output_dir)
    if not force and (outputs := up_to_date_outputs(output_dir, fingerprint)):
        if log.isEnabledFor(logging.WARNING):
            click.echo("Up to date: " + ", ".join(str(p) for p in outputs) + " (use --force to rebuild)")
        return

    from functools import partial

    from publish.processes.workers import estimated_processes, start_pool

    # Started first: they load WeasyPrint while this process reads the manuscript and writes the EPUB.
    typesetters = start_pool(estimated_processes(manuscript, None, styles))
    from publish.build import prepare
    from publish.cache import ConversionCache
    from publish.epub.options import epub_filename
    from publish.epub.package import write_epub
    from publish.pdf.typeset_cache import TypesetCache
    from publish.pdf.write import write_pdf

    cache = ConversionCache(output_dir, (manuscript, styles))
    kept = TypesetCache(output_dir, (manuscript, styles), refresh=force)
    rendered = prepare(manuscript, strict, allow_remote, styles, cache)
    from publish.output import all_or_nothing

    written = []
    with all_or_nothing():  # the EPUB is put in place only once the PDF is made too
        for path, write, write_options in (
            (output_dir / epub_filename(rendered.book.slug, target), write_epub,
             _epub_options(False, styles, toc_depth, target)),
            (output_dir / f"{rendered.book.slug}.pdf", partial(write_pdf, typesetters=typesetters, kept=kept),
             _pdf_options("letter", False, None, False, False, styles, strict=strict, toc_depth=toc_depth)),
        ):  # fmt: skip
            _check_output(path, manuscript, styles)
            written.append(write(rendered, path, write_options))
    cache.save()  # once both books are written: a failed build adds nothing to the folder
    kept.save()
    for path in written:
        _report_written(path)
    record_build(output_dir, fingerprint, written)


@main.command()
@manuscript_option
@styles_option
@strict_option
@allow_remote_option
@_reports_errors
def check(manuscript: Path, styles: Path | None, strict: bool, allow_remote: bool) -> None:
    """Report every problem in the manuscript at once, without writing anything.

    Exits with status 1 when any problem is an error (or, with --strict, a warning).

    \b
    Example:
      publish check -m manuscript
    """
    from publish.build import collect_problems

    book, _, problems = collect_problems(manuscript, allow_remote, styles)
    # By file, then line: the order an author fixes them in (sorted() keeps each file's own order otherwise).
    problems = sorted(problems, key=lambda p: (str(p.path or ""), p.line or 0))
    for problem in problems:
        label = "Error" if problem.severity == "error" else "Warning"
        click.echo(f"{label}: {problem.format(Path.cwd())}", err=True)
    errors = [p for p in problems if p.severity == "error" or strict]
    if errors:
        click.echo(f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)", err=True)
        sys.exit(1)
    pieces = len(book.pieces) if book else 0
    click.echo(f"OK: {pieces} piece{'' if pieces == 1 else 's'}, {len(problems)} warning(s)")


@main.command()
@manuscript_option
@allow_remote_option
@_reports_errors
def toc(manuscript: Path, allow_remote: bool) -> None:
    """Print the reading order and the table of contents, without building anything.

    \b
    Example:
      publish toc -m manuscript
    """
    from publish.build import prepare

    rendered = prepare(manuscript, allow_remote=allow_remote)
    book = rendered.book
    lines = [book.meta.title, "", "Reading order:"]
    for number, piece in enumerate(book.pieces, 1):
        note = "  (link only)" if piece.is_link_only else ""
        lines.append(f"  {number}. {piece.name}{note}")
    lines += ["", "Contents:"]
    # The contents both writers list (publish.book.contents), every level deep.
    from publish.book.contents import CONTINUE_READING, contents_tree

    for entry in contents_tree(rendered, depth=3):
        lines.append(f"  {entry.label}")
        for section in entry.children:
            lines.append(f"    {section.label}")
            lines += [f"        {subsection.label}" for subsection in section.children]
        if entry.back == CONTINUE_READING:
            lines += [
                f"      {linked.title}" + (f" <{linked.url}>" if linked.url else "") for linked in rendered.link_only
            ]
    for line in lines:
        click.echo(escape_controls(line))  # a title's ESC must not drive the terminal


@main.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@manuscript_option
@click.option(
    "--only", multiple=True, metavar="SLUG", help="From a WordPress export, import only this post (repeatable)."
)
@click.option("--drafts", is_flag=True, help="From a WordPress export, import unpublished posts too.")
@click.option("--author", default=None, help="The author for a new book.yaml [default: from the page or export].")
@click.option(
    "--language", default=None, help="The language (BCP 47) for a new book.yaml [default: from the page, else en-US]."
)
@click.option(
    "--title", default=None, help="The title for a new book.yaml [default: the export's site name, else the article's]."
)
@click.option("--force", is_flag=True, help="Overwrite pieces that already have text.")
@click.option(
    "--selector", metavar="CSS", default=None, help="A saved page's article body, chosen by hand (a CSS selector)."
)
@_reports_errors
def import_(sources: tuple[Path, ...], manuscript: Path, only: tuple[str, ...], drafts: bool, author: str | None,
            language: str | None, title: str | None, force: bool, selector: str | None) -> None:  # fmt: skip
    """Bring articles from the blog into the manuscript, with the articles they link to.

    SOURCES are saved article pages (HTML, with their images folder), WordPress exports
    (WXR) or plain-text copies of article pages. Each article becomes a piece; each article
    it links to (previous/next) that is not in the manuscript yet becomes a link-only piece.
    Nothing is fetched from the network, and nothing is written when a source is unusable.

    \b
    Examples:
      publish import ~/Downloads/supporting-your-partner.html
      publish import export.xml --only why-do-compliments-make-me-uncomfortable
    """
    from publish.importer import ImportOptions, import_articles

    options = ImportOptions(
        only=only, drafts=drafts, author=author, language=language, force=force, title=title, selector=selector
    )
    report = import_articles(sources, manuscript, options)
    if log.isEnabledFor(logging.WARNING):  # not with --quiet
        for line in report.lines():
            click.echo(escape_controls(line))


@main.command()
@manuscript_option
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="The port to serve on [default: a free one].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to serve on; any other than a loopback address lets other computers read the book.")  # fmt: skip
@click.option("--no-open", is_flag=True, help="Do not open the page in the browser.")
@styles_option
@allow_remote_option
@_reports_errors
def preview(manuscript: Path, port: int, host: str, no_open: bool, styles: Path | None, allow_remote: bool) -> None:
    """Show the book in the browser while you write, rebuilt on every save.

    The page has an e-reader view (the EPUB's documents at a phone's, an e-reader's or a
    tablet's width), a print view (the PDF's pages, or a handout's, with the paper and
    large-print options) and the problems `publish check` reports. A broken edit shows a
    banner and keeps the last good build. Ctrl-C stops it.

    \b
    Example:
      publish preview -m manuscript
    """
    from publish.preview.server import run_preview

    try:
        run_preview(manuscript, styles, allow_remote, host, port, not no_open, _say)
    except KeyboardInterrupt:
        _say("Stopped")  # Ctrl-C is how a preview ends: not an error


@main.command()
@click.argument("what", type=click.Choice(["build", "epub", "pdf"]), default="build")
@manuscript_option
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="The folder to write into.")  # fmt: skip
@_with([pdf_options[0], pdf_options[1], pdf_options[4]])  # paper, duplex, large print
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes that typeset the book; 1 keeps WeasyPrint loaded between rebuilds.")  # fmt: skip
@book_options
@_reports_errors
def watch(what: str, manuscript: Path, output_dir: Path, paper: str, duplex: bool, large_print: bool, jobs: int,
          toc_depth: int, target: str, styles: Path | None, strict: bool, allow_remote: bool) -> None:  # fmt: skip
    """Write the book again on every save: both files (build), the EPUB or the PDF.

    One line per rebuild says what was written and how long it took. Ctrl-C stops it.

    \b
    Examples:
      publish watch -m manuscript
      publish watch pdf --paper a4 -o dist
    """
    from publish.preview.pipeline import WatchOutputs
    from publish.preview.watch import run_watch
    from publish.resources import styles_dir

    outputs = WatchOutputs(output_dir, epub=what != "pdf", pdf=what != "epub", styles=styles, strict=strict,
                           allow_remote=allow_remote, toc_depth=toc_depth, target=target, paper=paper,
                           duplex=duplex, large_print=large_print, jobs=_capped_jobs(jobs))  # fmt: skip
    try:
        run_watch(manuscript, outputs, _say, _say_error, watched_styles=(styles_dir(),))
    except KeyboardInterrupt:
        _say("Stopped")


def _say(line: str) -> None:
    _clear_progress()
    click.echo(escape_controls(line))


def _say_error(line: str) -> None:
    _clear_progress()
    click.echo(escape_controls(line), err=True)
