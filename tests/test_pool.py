"""The worker processes (publish.processes.workers): typed results, errors raised here, no process left behind."""

from __future__ import annotations

import os
import signal
import sys
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest

from publish.errors import RenderError
from publish.processes.workers import Finished, Pool, Task, Worker, WorkerLostError

# Tests may not fork (this process has loaded WeasyPrint): their workers are fresh interpreters.
SPAWN = get_context("spawn")


def work(shared: int, item: Any) -> Any:
    """A Pool.map function (module-level: a fresh interpreter finds it by name)."""
    if item == "die":
        os._exit(9)  # killed mid-task, as by the kernel's out-of-memory killer
    if item == "fail":
        raise ValueError("bad item")
    if item == "block":
        signal.pause()  # at work until ended
    return (shared * item, os.getpid())


def unpicklable() -> None:
    raise ValueError(lambda: None)


def test_a_worker_answers_tasks_one_after_another_with_typed_results() -> None:
    worker = Worker.start(SPAWN)
    try:
        worker.send(Task(pow, (2, 10)))
        message = worker.receive()
        assert type(message) is Finished and message.value == 1024
        assert worker.run(Task(divmod, (17, 5))) == (3, 2)  # the same process, a second task
        with pytest.raises(ValueError, match="invalid literal"):
            worker.run(Task(int, ("x",)))  # raised here with its own type
        with pytest.raises(RenderError, match="ValueError: <function"):
            worker.run(Task(unpicklable))  # what cannot cross the pipe arrives as its message
        assert worker.run(Task(abs, (-3,))) == 3  # still at work after its task's errors
    finally:
        worker.stop()
    assert worker.process.exitcode == 0  # an idle worker exits when its pipe closes


def test_the_pool_shares_the_items_and_gives_the_results_in_order() -> None:
    pool = Pool(2, SPAWN, preload=())
    processes = [worker.process for worker in pool._idle]
    results = list(pool.map(work, 3, list(range(12)), "counting"))
    assert [value for value, _ in results] == [3 * n for n in range(12)]
    assert {pid for _, pid in results} <= {process.pid for process in processes}
    assert os.getpid() not in {pid for _, pid in results}
    assert len(pool) == 0 and all(process.exitcode is not None for process in processes)


def test_a_worker_killed_mid_task_is_a_clear_error_and_the_others_are_ended() -> None:
    pool = Pool(2, SPAWN, preload=())
    processes = [worker.process for worker in pool._idle]
    with pytest.raises(WorkerLostError) as raised:
        list(pool.map(work, 1, ["block", "die", 3], "typesetting the handouts"))
    assert str(raised.value) == "a process typesetting the handouts ended unexpectedly (killed, or out of memory?)"
    # Not waited for: the one still at work ("block") was ended; none is left running.
    assert sorted(process.exitcode for process in processes) == [-signal.SIGKILL, 9]


def test_an_error_in_one_task_ends_the_workers_still_at_work() -> None:
    pool = Pool(2, SPAWN, preload=())
    processes = [worker.process for worker in pool._idle]
    with pytest.raises(ValueError, match="bad item"):
        list(pool.map(work, 1, ["block", "fail"], "testing"))
    # Not waited for: the one still at work was ended at once; none is left running.
    exits = [process.exitcode for process in processes]
    assert None not in exits and -signal.SIGKILL in exits


def test_with_no_worker_left_the_work_is_done_here() -> None:
    pool = Pool(0, SPAWN, preload=())
    assert list(pool.map(work, 2, [1, 2], "testing")) == [(2, os.getpid()), (4, os.getpid())]


def test_a_worker_dies_with_its_parent() -> None:
    """A worker's parent killed (SIGKILL, no clean-up of its own): the kernel ends the worker (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    import subprocess

    from conftest import ROOT, alive, wait_for

    script = (
        "import os, signal\n"
        "from publish.processes.workers import Task, Worker\n"
        "worker = Worker.start()\n"
        "worker.send(Task(signal.pause))\n"
        "print(worker.process.pid, flush=True)\n"
        "signal.pause()\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()
    try:
        wait_for(lambda: not alive(child), "the worker to die with its parent", 10)
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_handouts_command_forks_its_pool_first_and_writes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``publish pdf --all-handouts`` forks two workers before reading; they write what one process writes."""
    import subprocess

    from publish.build import prepare
    from publish.pdf.handouts import write_all_handouts

    from conftest import FIXTURES, ROOT

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    command = [sys.executable, "-m", "publish", "-q", "pdf", "-m", str(FIXTURES / "linked"), "--all-handouts"]
    subprocess.run([*command, "-o", str(tmp_path / "forked")], check=True, cwd=ROOT)
    here = write_all_handouts(prepare(FIXTURES / "linked"), tmp_path / "here", workers=1)
    assert len(here) == 3
    for path in here:
        assert (tmp_path / "forked" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers are forked on Linux only")
def test_forked_workers_end_on_their_own_when_their_pipe_closes() -> None:
    """A worker forked after another holds no copy of that one's pipe: each reads its end and exits (status 0),
    none has to be killed. In a fresh interpreter: this one has loaded WeasyPrint and may not fork.
    """
    import subprocess

    from conftest import ROOT

    script = (
        "from multiprocessing import get_context\n"
        "from publish.processes.workers import Pool\n"
        "pool = Pool(3, get_context('fork'), preload=())\n"
        "workers = [pool.take() for _ in range(3)]\n"
        "for worker in workers:\n"
        "    worker.stop(wait=60)\n"  # a deadline, not a pause: the worker exits as soon as it reads the end
        "print([worker.process.exitcode for worker in workers])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[0, 0, 0]"
