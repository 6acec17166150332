"""Progress of long builds, shown on a terminal only."""

from __future__ import annotations

import logging
import re
import time
from typing import TextIO

PROGRESS = logging.getLogger("publish.progress")
_WEASYPRINT_STEP = re.compile(r"^Step \d+ - ")


def report_progress(message: str, *args: object) -> None:
    """Say what a long build is doing now (shown only on a terminal, after a couple of seconds)."""
    PROGRESS.info(message, *args)


class TerminalProgress(logging.Handler):
    """One self-rewriting status line with the elapsed time, for builds that take more than ``delay`` seconds."""

    def __init__(self, stream: TextIO, delay: float = 2.0):
        super().__init__(logging.INFO)
        self.stream = stream
        self.delay = delay
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False

    def emit(self, record: logging.LogRecord) -> None:
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < self.delay or now - self.last < 0.1:  # at most ten updates a second
            return
        self.last = now
        message = _WEASYPRINT_STEP.sub("", record.getMessage())  # "Step 5 - Creating layout - Page 12"
        self.stream.write(f"\r\x1b[K[{elapsed:5.1f} s] {message[:100]}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Remove the status line before normal output continues."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def attach_terminal_progress(stream: TextIO) -> TerminalProgress:
    """Show publish's and WeasyPrint's progress on ``stream``."""
    handler = TerminalProgress(stream)
    for name in ("publish.progress", "weasyprint.progress"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return handler


def clear_progress() -> None:
    """Remove the status line, if one is shown (a worker process does, before it ends)."""
    for name in ("publish.progress", "weasyprint.progress"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, TerminalProgress):
                handler.clear()
