"""``publish preview`` and ``publish watch`` run as the user runs them: a process of their own, its output read line
by line and waited on with a deadline (never a fixed sleep).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

# Generous: a loaded machine typesets slowly. A test waits this long for a line, and no longer.
DEADLINE = 60.0
ADDRESS = re.compile(r"Previewing .* at (http://\S+/) \(Ctrl-C to stop\)")


def descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (Linux: read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


class Running:
    """A ``publish`` command running in ``folder``, with its own temporary directory (``folder/tmp``)."""

    def __init__(self, folder: Path, *arguments: str) -> None:
        self.tmp = folder / "tmp"
        self.tmp.mkdir(exist_ok=True)
        environment = {**os.environ, "TMPDIR": str(self.tmp), "PYTHONUNBUFFERED": "1"}
        environment.pop("PUBLISH_SCREENSHOTS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "publish", *arguments], cwd=folder, env=environment, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.cursors: dict[str, int] = {}  # per stream: the index in ``seen`` after its last matched line
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("out", self.process.stdout), ("err", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.put((name, line.rstrip("\n")))

    def wait_for(self, pattern: str, stream: str = "out", timeout: float = DEADLINE) -> re.Match[str]:
        """The next line of ``stream`` (after the last one matched there) that matches ``pattern``; fails after
        ``timeout`` seconds. stdout and stderr come through separate pipes, so lines of the other stream read
        meanwhile are kept for a later wait.
        """
        wanted = re.compile(pattern)
        index = self.cursors.get(stream, 0)
        try:
            while True:
                while index < len(self.seen):
                    name, line = self.seen[index]
                    index += 1
                    if name == stream and (match := wanted.search(line)):
                        self.cursors[stream] = index
                        return match
                self.seen.append(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError(f"no line matching {pattern!r} within {timeout} s; seen: {self.seen}") from None

    def address(self) -> str:
        """The preview's address, from its first line."""
        return self.wait_for(ADDRESS.pattern).group(1)

    def interrupt(self, timeout: float = DEADLINE) -> int:
        """Ctrl-C; wait for the end; return the exit status. Fails if a process it started is still running."""
        workers = descendants(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout)
        left = {pid for pid in workers if Path(f"/proc/{pid}").exists()}
        assert not left, f"processes left running: {left}"
        return status

    def drain(self) -> list[tuple[str, str]]:
        """Every line of the ended process."""
        for reader in self.readers:
            reader.join(DEADLINE)
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen

    def stop(self) -> None:
        """End the process if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.drain()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
