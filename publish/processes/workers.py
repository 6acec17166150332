"""Processes that typeset the PDF, started before the manuscript is read.

Importing WeasyPrint takes longer than reading and rendering a short book (a third of a
second, much of it spent looking for its libraries), and it cannot be done in a thread
while this process works: the import holds the interpreter most of that time. A forked
process can: ``start_typesetters`` forks the processes the book will need as the ``pdf``
command begins, each imports WeasyPrint while this one renders the Markdown, then
typesets what it is sent: the whole book, or one part of a long one (``publish.pdf.parts``).

Forking is safe only before WeasyPrint (fontconfig, Pango) is loaded and while this
process runs no other thread; otherwise, and off Linux, the processes are started fresh
("spawn") when they are needed, or the book is typeset here.

This module imports nothing heavy: it runs before the rest of the command is loaded.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from publish.processes.forking import available_cores, end_with_parent, fork_is_safe
from publish.processes.memory import loading_without_collections

# The words of the book's pieces above which it is typeset in parallel by default. Measured
# on a 2-core machine, whole processes: a part's process costs about a second to start
# (WeasyPrint's import, fonts, stylesheets), so the split breaks even at about 12,000 words;
# at 16,000 it saves 9%, at 60,000 40%, at 300,000 nearly half.
PARALLEL_WORDS = 20_000
PARALLEL_PIECES = 4
# Seconds a worker waits for its turn to load WeasyPrint (the others' loading takes well under one).
_LOADING_WAIT = 3.0
# Manuscript bytes per word of text, about (Markdown, front matter, link-only pieces): to
# guess before reading whether the book will be typeset in parts (publish.pdf.parts decides).
_BYTES_PER_WORD = 6.5


def worker_context() -> Any:
    """The multiprocessing context for a new worker: a fork when it is safe, else a fresh interpreter."""
    return get_context("fork" if fork_is_safe() else "spawn")


# The modules a worker loads while it waits for work (named, not imported here: publish.pdf depends on this package).
PRELOAD = ("weasyprint", "publish.pdf.finishing")


@dataclass(frozen=True)
class Task:
    """The one piece of work a worker is sent: ``function(connection, *args)``, a module-level function
    (it reaches a fresh interpreter by name). With ``progress`` the worker shows WeasyPrint's progress.
    """

    function: Callable[..., None]
    args: tuple[Any, ...]
    progress: bool = True


@dataclass(frozen=True)
class Finished:
    """A worker's result."""

    value: Any


@dataclass(frozen=True)
class Failed:
    """A worker's exception, raised again in the parent."""

    error: BaseException


@dataclass
class Worker:
    """One typesetting process and this process's end of its pipe."""

    process: Any
    connection: Connection

    @classmethod
    def start(cls, context: Any, loading: Any = None) -> Worker:
        """Start a worker; it prepares WeasyPrint (holding the lock ``loading``, if given) and waits for work.
        Raises when no process may start.
        """
        parent_end, child_end = context.Pipe()
        process = context.Process(target=serve, args=(child_end, loading, os.getpid()), daemon=True)
        try:
            process.start()  # fails inside a daemonic process, which may not have children
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        return cls(process, parent_end)

    def stop(self, wait: float = 1.0) -> None:
        """End the worker and reap it: an idle or finished one exits within ``wait`` seconds, else it is ended."""
        self.connection.close()  # an idle worker reads the end of its pipe and exits
        self.process.join(timeout=wait)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _stop_all(workers: list[Worker]) -> None:
    while workers:
        # Not ended by force: one may hold the loading lock that a worker taken still waits for.
        # It exits once it reads the end of its pipe (the command's exit ends it at once).
        workers.pop().connection.close()


class Typesetters:
    """Workers started ahead of the work; ``take`` hands one out, ``close`` ends those not taken."""

    def __init__(self, count: int, context: Any = None) -> None:
        self._idle: list[Worker] = []
        # Ends the workers not taken if the command stops early (an error in the manuscript).
        self._finalizer = weakref.finalize(self, _stop_all, self._idle)
        context = context or worker_context()
        # One worker loads WeasyPrint at a time: this process, rendering the Markdown meanwhile,
        # keeps a core of its own on a 2-core machine (the loading takes less time than that).
        # (Kept here: a fresh interpreter opens the lock by name after this returns.)
        self._loading = context.Lock() if count > 1 else None
        for _ in range(count):
            self._idle.append(Worker.start(context, self._loading))

    def __len__(self) -> int:
        return len(self._idle)

    def take(self) -> Worker | None:
        """An idle worker (the caller stops it when done), or None when none is left."""
        return self._idle.pop(0) if self._idle else None

    def close(self) -> None:
        """End the workers not taken."""
        self._finalizer()


def estimated_processes(manuscript: Path, jobs: int | None = None, styles: Path | None = None) -> int:
    """How many processes will typeset the book, guessed from the manuscript's size before it is read:
    one for a short book, else one per part and one for the front matter (``publish.pdf.parts``).
    """
    if styles is not None:
        return 1  # the book is typeset whole with stylesheets of one's own
    if jobs is None:
        try:
            size = sum(entry.stat().st_size for entry in os.scandir(manuscript) if entry.name.endswith(".md"))
        except OSError:
            return 1
        jobs = 2 if size / _BYTES_PER_WORD >= PARALLEL_WORDS and available_cores() >= 2 else 1
    return jobs + 1 if jobs > 1 else 1


def start_typesetters(manuscript: Path, jobs: int | None = None, styles: Path | None = None) -> Typesetters | None:
    """Fork the processes that will typeset the book (``--jobs``, ``--styles`` as the ``pdf`` command takes
    them), so that they load WeasyPrint while this process reads the manuscript; None when forking is not safe.
    """
    if not fork_is_safe():
        return None
    try:
        return Typesetters(estimated_processes(manuscript, jobs, styles), get_context("fork"))
    except (AssertionError, OSError):  # no child processes here: typeset in this process
        return None


def run_in(worker: Worker, function: Callable[..., Any], args: tuple[Any, ...], progress: bool = True) -> Any:
    """``function(*args)`` in ``worker`` (a module-level function); its errors are raised here. With
    ``progress``, the worker shows WeasyPrint's progress on the terminal. The worker is stopped after.
    """
    try:
        worker.connection.send(Task(_call, (function, args), progress))
        message = worker.connection.recv()
    except (EOFError, OSError) as error:
        from publish.errors import RenderError

        raise RenderError(f"the typesetting process ended unexpectedly ({error})") from error
    finally:
        worker.stop()
    if isinstance(message, Failed):
        raise message.error
    return message.value


# --- In a worker process --------------------------------------------------------------


def serve(connection: Connection, loading: Any = None, parent: int | None = None) -> None:
    """A worker's life: prepare WeasyPrint (holding ``loading``, if given), then do the one piece of
    work the parent (process id ``parent``) sends.
    """
    if not end_with_parent(parent):
        return
    with loading_without_collections():
        # A bounded wait: a worker ended while holding the lock never releases it.
        turn = loading.acquire(timeout=_LOADING_WAIT) if loading is not None else False
        try:
            for module in PRELOAD:
                importlib.import_module(module)  # the point of starting early
        finally:
            if turn:
                loading.release()
    try:
        task: Task = connection.recv()
    except (EOFError, OSError):  # not needed after all
        connection.close()
        return
    # One status line on the terminal: a worker whose progress would only interleave keeps quiet.
    logging.getLogger("weasyprint.progress").disabled = not task.progress
    try:
        task.function(connection, *task.args)
    finally:
        from publish.progress import clear_progress

        clear_progress()
        connection.close()


def _call(connection: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Send back ``function(*args)``, or what it raised (any exception: the parent raises it as it is)."""
    try:
        value = function(*args)
    except Exception as error:
        connection.send(Failed(portable(error)))
        return
    connection.send(Finished(value))


def portable(error: Exception) -> Exception:
    """``error`` if it survives the trip to the parent unchanged, else a RenderError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to pickle: send the message instead
        copy = None
    if type(copy) is type(error) and str(copy) == str(error):
        return error
    from publish.errors import RenderError

    return RenderError(f"{type(error).__name__}: {error}")
