"""When a process may be forked, and how a worker process lives with its parent and ends with it.

The one fork-safety check (``fork_is_safe``) for every process publish starts (``publish.processes.workers``).
A forked child starts in a millisecond with every module already imported (a new interpreter needs a
tenth of a second to import Python-Markdown and lxml again, a third of one for WeasyPrint); the parent's
pages are shared with it until either writes to them: on a busy second core a fork costs some 10 ms of
copying, on an idle one it saves what the child computes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading


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
