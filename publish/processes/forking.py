"""Share a pure function's work over a list with one forked child process, to use a second core.

The child is a copy of this process made by ``fork``: it starts in a millisecond with every module
already imported (a new interpreter would need a tenth of a second to import Python-Markdown and
lxml again), and it computes exactly what this process would. It takes the items after ``split``
while the caller is handed the first ones, one at a time, to work on in between; its results come
back through a pipe, in order. A writer thread in the child sends them, so the child never waits
for the caller to read.

Whatever goes wrong in the child (an exception, a crash, a kill), the caller computes the items it
did not receive itself: the results, and any exception, are those of a run in one process.

Used for a long book's Markdown (``publish.render``) and for the generated cover (``publish.cover``).
The parent's pages are shared with the child until either writes to them: on a busy second core a
fork costs some 10 ms of copying, on an idle one it saves what the child computes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from queue import SimpleQueue
from typing import BinaryIO, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def available_cores() -> int:
    """The processor cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fork_is_safe() -> bool:
    """True where a child can safely be forked: Linux, no other thread in this process, no WeasyPrint loaded.

    A thread holding a lock when the process forks leaves that lock held forever in the child; macOS's
    system libraries are not safe to use after a fork at all; nor are fontconfig and Pango, which
    WeasyPrint loads. The one check for every process publish starts (``publish.processes``).
    """
    return sys.platform == "linux" and threading.active_count() == 1 and "weasyprint" not in sys.modules


def can_share_work() -> bool:
    """True where a forked child can share the work: ``fork_is_safe()`` and a second core to run it on."""
    return fork_is_safe() and available_cores() >= 2


def end_worker_processes() -> None:
    """End this process's multiprocessing children still running (a handout or typesetter at work when the
    command stopped, or one started ahead and not needed) and reap them: none outlives the command's work.
    """
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:  # never imported: no such child
        return
    for child in multiprocessing.active_children():
        child.kill()
        child.join(timeout=5)


def end_with_parent(parent: int | None) -> bool:
    """Make this worker process die with its parent (process id ``parent``), and leave Ctrl-C to it.

    On Linux the kernel kills the worker the moment its parent dies, even of SIGKILL
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): it can write nothing after that, and holds no pipe of
    the caller's open. Elsewhere a worker ends when it reads the end of its pipe. Ctrl-C, which the
    terminal sends to every process of the command, is the parent's to handle (one line, exit 130;
    it ends its workers): a worker ignores it, and SIGTERM ends it at once. Returns False when the
    parent is already gone (the worker should then exit).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    # The parent may have died before prctl took effect: then no signal will come.
    return parent is None or os.getppid() == parent


class ChildMap(Generic[Item, Result]):
    """``function(item)`` for every item, in order, of which a child forked at once computes ``items[split:]``.

    Iterate over it for the results: the first ``split`` are computed here, each when it is asked for,
    the others come from the child as it finishes them. Close it when done, or to give up: a child
    still at work is stopped. Check ``can_share_work()`` first.
    """

    def __init__(self, function: Callable[[Item], Result], items: Sequence[Item], split: int):
        self._function = function
        self._items = items
        self._split = split
        self._received = 0
        read_end, write_end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            os.close(read_end)
            if not end_with_parent(parent):
                os._exit(1)
            _child(function, items[split:], write_end)
        os.close(write_end)
        self._pid: int | None = pid
        self._pipe: BinaryIO | None = os.fdopen(read_end, "rb")
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
        """Stop and reap the child if it is still there; the results not yet taken are given up."""
        self._results.close()
        self._end_child()

    def _in_order(self) -> Generator[Result, None, None]:
        for item in self._items[: self._split]:
            yield self._function(item)
        expected = len(self._items) - self._split
        while self._pipe is not None and self._received < expected:
            try:
                result = pickle.load(self._pipe)
            except (EOFError, pickle.UnpicklingError):
                break  # the child stopped early: the rest is computed below
            self._received += 1
            yield result
        self._end_child()
        for item in self._items[self._split + self._received :]:
            yield self._function(item)

    def _end_child(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._pid is not None:
            if self._received < len(self._items) - self._split:
                _kill(self._pid)  # it has nothing more to give, or nothing more is wanted
            os.waitpid(self._pid, 0)
            self._pid = None


def _child(function: Callable[[Item], Result], items: Sequence[Item], write_end: int) -> None:
    """Compute ``items`` in order, sending each result; end the process without running the caller's exit code.

    On an exception the results so far are sent and the process ends with status 1: the parent computes
    the rest itself, and raises the exception there.
    """
    status = 1
    try:
        results: SimpleQueue[object] = SimpleQueue()
        writer = threading.Thread(target=_send, args=(results, write_end))
        writer.start()
        try:
            for item in items:
                results.put(function(item))
        finally:
            results.put(_DONE)
            writer.join()
        status = 0
    finally:
        os._exit(status)


_DONE = object()


def _send(results: SimpleQueue[object], write_end: int) -> None:
    """Write each result to the pipe as it comes, until ``_DONE``."""
    try:
        with os.fdopen(write_end, "wb") as pipe:
            while (result := results.get()) is not _DONE:
                pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                if results.empty():
                    pipe.flush()  # the parent may be waiting for it
    except OSError:
        pass  # the parent stopped reading: it needs nothing more


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
