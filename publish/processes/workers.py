"""The one kind of worker process publish starts, the pool of them, and the typed messages they exchange.

A ``Worker`` is a process and this process's end of its pipe. It is forked while that is safe
(``forking.fork_is_safe``), else started fresh ("spawn"); it dies with this process and leaves
Ctrl-C to it (``forking.end_with_parent``). It runs ``Task`` after ``Task`` and answers each with
``Finished(value)`` or ``Failed(error)``; a worker that dies is reported as ``WorkerLostError``, never
waited for. Three uses, one mechanism:

- A ``Pool`` started as ``publish pdf`` begins (``start_pool``): its workers import WeasyPrint
  while this process reads the manuscript (the import takes longer than reading and rendering
  a short book, and cannot be done in a thread here: it holds the interpreter most of that
  time), then typeset the whole book, a long book's parts and front matter
  (``publish.pdf.parts``), or the handouts (``Pool.map``, the book sent to each worker once).
- ``ChildMap``: a worker forked at the moment its work is known (a long book's later pieces of
  Markdown, a generated cover), given that work as it forks, so it starts in a millisecond with
  everything already imported and computes exactly what this process would. Started early, a
  pool would have to import Python-Markdown again and be sent every text; this one shares them.
  Where it cannot be forked, or when it dies, this process computes the rest itself.

This module imports nothing heavy (multiprocessing where a worker starts): it runs before the
rest of the command is loaded, and ``publish epub`` of a short book never starts a process.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import threading
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from publish.errors import PublishError, RenderError
from publish.processes.forking import available_cores, end_with_parent, fork_is_safe
from publish.processes.memory import loading_without_collections

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

Item = TypeVar("Item")
Result = TypeVar("Result")
Shared = TypeVar("Shared")

# The words of the book's pieces above which it is typeset in parallel by default. Measured
# on a 2-core machine, whole processes: a part's process costs about a second to start
# (WeasyPrint's import, fonts, stylesheets), so the split breaks even at about 12,000 words;
# at 16,000 it saves 9%, at 60,000 40%, at 300,000 nearly half.
PARALLEL_WORDS = 20_000
PARALLEL_PIECES = 4
# The processes that typeset --all-handouts.
HANDOUT_PROCESSES = 2
# Seconds a worker waits for its turn to load WeasyPrint (the others' loading takes well under one).
_LOADING_WAIT = 3.0
# Manuscript bytes per word of text, about (Markdown, front matter, link-only pieces): to
# guess before reading whether the book will be typeset in parts (publish.pdf.parts decides).
_BYTES_PER_WORD = 6.5

# The modules a typesetting worker loads while it waits for work (named, not imported here:
# publish.pdf depends on this package).
TYPESETTING = ("weasyprint", "publish.pdf.finishing")


# --- The messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A piece of work for a worker: ``function(*args)``, a module-level function (it reaches a fresh
    interpreter by name). With ``talks`` the function is given the worker's end of the pipe first, to
    exchange messages of its own with this process before its result (a part's pagination). With
    ``progress`` the worker shows WeasyPrint's progress on the terminal (one status line at a time).
    """

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    talks: bool = False
    progress: bool = False


@dataclass(frozen=True)
class Finished:
    """A task's result."""

    value: Any


@dataclass(frozen=True)
class Failed:
    """A task's exception, raised again in this process."""

    error: BaseException


class WorkerLostError(PublishError):
    """A worker process ended without its answer (killed, out of memory)."""


# --- In this process ---------------------------------------------------------------------------


def worker_context() -> Any:
    """The multiprocessing context for a new worker: a fork when it is safe, else a fresh interpreter."""
    from multiprocessing import get_context

    return get_context("fork" if fork_is_safe() else "spawn")


@dataclass
class Worker:
    """One worker process and this process's end of its pipe."""

    process: Any
    connection: Connection
    purpose: str = "working for publish"

    @classmethod
    def start(
        cls, context: Any = None, preload: Sequence[str] = (), loading: Any = None, first: Task | None = None,
        purpose: str = "working for publish",
    ) -> Worker:  # fmt: skip
        """Start a worker; it imports ``preload`` (holding the lock ``loading``, if given), does ``first`` (given
        as it starts: a forked worker inherits it, nothing is pickled), then what it is sent.
        Raises AssertionError or OSError when no process may start here (inside a daemonic process).
        """
        from multiprocessing.util import register_after_fork

        context = context or worker_context()
        parent_end, child_end = context.Pipe()
        # A worker forked later would hold this end too, and this worker would never read the end of its
        # pipe: every forked worker closes the ends it inherits.
        register_after_fork(parent_end, _close_inherited)
        arguments = (child_end, tuple(preload), loading, os.getpid(), first)
        process = context.Process(target=serve, args=arguments, daemon=True)
        try:
            process.start()  # fails inside a daemonic process, which may not have children
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()
        return cls(process, parent_end, purpose)

    def send(self, message: object) -> None:
        """Send a task, or a message to a task that talks; a worker that is gone is WorkerLostError."""
        try:
            self.connection.send(message)
        except OSError as error:
            raise self._lost() from error

    def receive(self) -> object:
        """The worker's next message; WorkerLostError when it ended without sending one (never waits for ever)."""
        return receive_any([self])[1]

    def run(self, task: Task) -> Any:
        """``task``'s result, or its exception raised here."""
        self.send(task)
        return result_of(self.receive())

    def stop(self, wait: float = 1.0) -> None:
        """End the worker and reap it: an idle or finished one exits within ``wait`` seconds, else it is killed
        (SIGKILL: a worker forked a moment ago may still have its parent's handler for SIGTERM).
        """
        self.connection.close()  # an idle worker reads the end of its pipe and exits
        self.process.join(timeout=wait)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()

    def _lost(self) -> WorkerLostError:
        return WorkerLostError(f"a process {self.purpose} ended unexpectedly (killed, or out of memory?)")


def _close_inherited(connection: Connection) -> None:
    connection.close()


def result_of(message: object) -> Any:
    """The value of a ``Finished``; the error of a ``Failed``, raised."""
    if isinstance(message, Failed):
        raise message.error
    if not isinstance(message, Finished):
        raise RenderError(f"a worker process sent {type(message).__name__} where a result was expected")
    return message.value


def receive_any(workers: Sequence[Worker]) -> tuple[int, object]:
    """The next message from any of ``workers``, with the worker's index; WorkerLostError when one of them has
    ended without a message (its process's sentinel is ready and its pipe is empty).
    """
    from multiprocessing.connection import wait

    sentinels = {worker.process.sentinel: index for index, worker in enumerate(workers)}
    connections = {id(worker.connection): index for index, worker in enumerate(workers)}
    while True:
        ready = wait([*(worker.connection for worker in workers), *sentinels])
        for item in ready:  # a message first: a worker sends its last one just before it ends
            index = connections.get(id(item))
            if index is not None:
                try:
                    return index, workers[index].connection.recv()
                except (EOFError, OSError):
                    raise workers[index]._lost() from None
        for item in ready:
            index = sentinels[item]
            if not workers[index].connection.poll():
                raise workers[index]._lost()


def _stop_all(workers: list[Worker]) -> None:
    while workers:
        # Not ended by force: one may hold the loading lock that a worker taken still waits for.
        # It exits once it reads the end of its pipe (the command's exit ends it at once).
        workers.pop().connection.close()


class Pool:
    """Workers started ahead of the work; ``take`` hands one out, ``map`` shares work among them all,
    ``close`` ends those not taken.
    """

    def __init__(self, count: int, context: Any = None, preload: Sequence[str] = TYPESETTING,
                 purpose: str = "typesetting the book") -> None:  # fmt: skip
        self._idle: list[Worker] = []
        # Ends the workers not taken if the command stops early (an error in the manuscript).
        self._finalizer = weakref.finalize(self, _stop_all, self._idle)
        context = context or worker_context()
        # One worker loads WeasyPrint at a time: this process, rendering the Markdown meanwhile,
        # keeps a core of its own on a 2-core machine (the loading takes less time than that).
        # (Kept here: a fresh interpreter opens the lock by name after this returns.)
        self._loading = context.Lock() if count > 1 and preload else None
        for _ in range(count):
            self._idle.append(Worker.start(context, preload, self._loading, purpose=purpose))

    def __len__(self) -> int:
        return len(self._idle)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def take(self) -> Worker | None:
        """An idle worker (the caller stops it when done), or None when none is left."""
        return self._idle.pop(0) if self._idle else None

    def map(
        self, function: Callable[[Shared, Item], Result], shared: Shared, items: Sequence[Item], purpose: str
    ) -> Iterator[Result]:
        """``function(shared, item)`` for every item, in order, shared among the pool's workers: ``shared``
        reaches each worker once, an item goes to the first worker free. The first error is raised here
        (a worker that died: WorkerLostError naming ``purpose``), and the workers still at work are ended.
        """
        workers = [self._idle.pop(0) for _ in range(min(len(self._idle), len(items)))]
        self.close()
        if not workers:  # none left: the work is done here
            yield from (function(shared, item) for item in items)
            return
        finished = False
        try:
            for worker in workers:
                worker.purpose = purpose
                worker.send(Task(_work_through, (function, shared), talks=True))
            queue = iter(enumerate(items))
            busy: dict[int, int] = {}  # worker -> item

            def give(index: int) -> None:
                for number, item in queue:
                    workers[index].send((item,))
                    busy[index] = number
                    return

            for index in range(len(workers)):
                give(index)
            results: dict[int, Result] = {}
            next_number = 0
            while busy:
                index, message = receive_any([workers[i] for i in busy])
                index = list(busy)[index]
                results[busy.pop(index)] = result_of(message)
                give(index)
                while next_number in results:
                    yield results.pop(next_number)
                    next_number += 1
            finished = True
        finally:
            for worker in workers:
                # Finished workers exit as they read the end of their pipe; one still at work is ended at once.
                worker.stop(wait=1.0 if finished else 0.0)

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


def start_pool(count: int) -> Pool | None:
    """Fork ``count`` typesetting workers as a command begins, so that they load WeasyPrint while this
    process reads the manuscript (``estimated_processes`` for a book, ``HANDOUT_PROCESSES`` for the
    handouts); None when forking is not safe (the work then starts its workers when it needs them).
    """
    if not fork_is_safe():
        return None
    from multiprocessing import get_context

    try:
        return Pool(count, get_context("fork"))
    except (AssertionError, OSError):  # no child processes here: typeset in this process
        return None


class ChildMap(Generic[Item, Result]):
    """``function(item)`` for every item, in order, of which a worker forked at once computes ``items[split:]``.

    Iterate over it for the results: the first ``split`` are computed here, each when it is asked for,
    the others come from the worker as it finishes them. Whatever goes wrong in the worker (an
    exception, a crash, a kill), the items it did not send are computed here: the results, and any
    exception, are those of a run in one process. Close it when done, or to give up: a worker still
    at work is stopped. Check ``forking.can_share_work()`` first.
    """

    def __init__(self, function: Callable[[Item], Result], items: Sequence[Item], split: int):
        from multiprocessing import get_context

        self._function = function
        self._items = items
        self._split = split
        self._received = 0
        try:
            # The work is given as the worker forks: the function may be a closure, the items are not copied.
            first = Task(_stream, (function, items[split:]), talks=True)
            self._worker: Worker | None = Worker.start(get_context("fork"), first=first)
        except (AssertionError, OSError):  # no child processes here: all is computed in this process
            self._worker = None
        self._results = self._in_order()

    def __iter__(self) -> Iterator[Result]:
        return self

    def __next__(self) -> Result:
        return next(self._results)

    def __enter__(self) -> ChildMap[Item, Result]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop and reap the worker if it is still there; the results not yet taken are given up."""
        self._results.close()
        self._end_worker()

    def _in_order(self) -> Generator[Result, None, None]:
        for item in self._items[: self._split]:
            yield self._function(item)
        expected = len(self._items) - self._split
        while self._worker is not None and self._received < expected:
            try:
                message = self._worker.receive()
            except WorkerLostError:
                break  # the worker stopped early: the rest is computed below
            if not isinstance(message, Finished):
                break  # it failed: the same exception is raised below, computing the same item here
            self._received += 1
            yield message.value
        self._end_worker()
        for item in self._items[self._split + self._received :]:
            yield self._function(item)

    def _end_worker(self) -> None:
        if self._worker is not None:
            # It has nothing more to give, or nothing more is wanted: a worker still at work is ended at once.
            self._worker.stop(wait=1.0 if self._received == len(self._items) - self._split else 0.0)
            self._worker = None


# --- In a worker process -----------------------------------------------------------------------


def serve(
    connection: Connection, preload: Sequence[str] = (), loading: Any = None, parent: int | None = None,
    first: Task | None = None,
) -> None:  # fmt: skip
    """A worker's life: import ``preload`` (holding ``loading``, if given), then do ``first`` and every task
    the parent (process id ``parent``) sends, answering each, until the parent closes the pipe.
    """
    if not end_with_parent(parent):
        return
    if preload:
        with loading_without_collections():
            # A bounded wait: a worker ended while holding the lock never releases it.
            turn = loading.acquire(timeout=_LOADING_WAIT) if loading is not None else False
            try:
                for module in preload:
                    importlib.import_module(module)  # the point of starting early
            finally:
                if turn:
                    loading.release()
    try:
        for task in _tasks(connection, first):
            # One status line on the terminal: a worker whose progress would only interleave keeps quiet.
            logging.getLogger("weasyprint.progress").disabled = not task.progress
            try:
                value = task.function(connection, *task.args) if task.talks else task.function(*task.args)
            except Exception as error:  # any exception: the parent raises it as it is
                connection.send(Failed(portable(error)))
            else:
                connection.send(Finished(value))
            finally:
                from publish.progress import clear_progress

                clear_progress()
    except (EOFError, OSError):  # the parent is gone, or stopped reading: it needs nothing more
        pass
    finally:
        connection.close()


def _tasks(connection: Connection, first: Task | None) -> Iterable[Task]:
    if first is not None:
        yield first
    while True:
        try:
            yield connection.recv()
        except EOFError:  # the parent closed the pipe: no more work
            return


def _work_through(connection: Connection, function: Callable[[Any, Any], Any], shared: Any) -> None:
    """``Pool.map`` in a worker: answer each item the parent sends with ``function(shared, item)``, until it
    sends the end of its pipe.
    """
    while True:
        try:
            (item,) = connection.recv()
        except EOFError:
            return
        try:
            value = function(shared, item)
        except Exception as error:  # any exception: the parent raises it as it is
            connection.send(Failed(portable(error)))
        else:
            connection.send(Finished(value))


def _stream(connection: Connection, function: Callable[[Any], Any], items: Sequence[Any]) -> None:
    """``ChildMap`` in its worker: send ``Finished(function(item))`` for each item, in order, as it comes.

    A thread sends them, so the worker never waits for the parent to read (the parent computes its own
    share first); on an exception the results so far are sent, then the task's ``Failed``.
    """
    results: SimpleQueue[object] = SimpleQueue()
    sender = threading.Thread(target=_send_each, args=(connection, results))
    sender.start()
    try:
        for item in items:
            results.put(Finished(function(item)))
    finally:
        results.put(_DONE)
        sender.join()


_DONE = object()


def _send_each(connection: Connection, results: SimpleQueue[object]) -> None:
    try:
        while (result := results.get()) is not _DONE:
            connection.send(result)
    except OSError:
        pass  # the parent stopped reading: it needs nothing more


def portable(error: Exception) -> Exception:
    """``error`` if it survives the trip to the parent unchanged, else a RenderError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # any failure to pickle: send the message instead
        copy = None
    if type(copy) is type(error) and str(copy) == str(error):
        return error
    return RenderError(f"{type(error).__name__}: {error}")
