"""Progress on a terminal: a self-rewriting status line after a couple of seconds, and nothing otherwise."""

from __future__ import annotations

import io
import logging

from publish.progress import TerminalProgress, attach_terminal_progress, clear_progress, report_progress


def test_nothing_is_shown_for_a_quick_build() -> None:
    stream = io.StringIO()
    handler = TerminalProgress(stream, delay=60)
    handler.emit(logging.makeLogRecord({"msg": "rendering %d pieces", "args": (3,)}))
    assert stream.getvalue() == ""
    handler.clear()
    assert stream.getvalue() == ""


def test_a_long_build_shows_one_rewritten_line_and_clears_it() -> None:
    stream = io.StringIO()
    handler = TerminalProgress(stream, delay=0)
    handler.emit(logging.makeLogRecord({"msg": "Step 5 - Creating layout - Page 12"}))
    shown = stream.getvalue()
    assert shown.startswith("\r\x1b[K[")
    assert shown.endswith("s] Creating layout - Page 12")
    handler.emit(logging.makeLogRecord({"msg": "Step 5 - Creating layout - Page 13"}))
    assert stream.getvalue() == shown  # throttled: ten updates a second at most
    handler.clear()
    assert stream.getvalue() == shown + "\r\x1b[K"


def test_publish_and_weasyprint_progress_reach_the_handler() -> None:
    stream = io.StringIO()
    handler = attach_terminal_progress(stream)
    handler.delay = 0
    try:
        report_progress("rendering %d pieces", 30)
        assert stream.getvalue().endswith("s] rendering 30 pieces")
        handler.last = 0.0
        logging.getLogger("weasyprint.progress").info("Step 6 - Creating PDF")
        assert stream.getvalue().endswith("s] Creating PDF")
    finally:
        for name in ("publish.progress", "weasyprint.progress"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True


def test_a_worker_clears_the_line_it_showed() -> None:
    stream = io.StringIO()
    handler = attach_terminal_progress(stream)
    handler.delay = 0
    try:
        logging.getLogger("weasyprint.progress").info("Step 5 - Creating layout - Page 3")
        shown = stream.getvalue()
        clear_progress()
        assert stream.getvalue() == shown + "\r\x1b[K"
        clear_progress()  # nothing shown any more: nothing written
        assert stream.getvalue() == shown + "\r\x1b[K"
    finally:
        for name in ("publish.progress", "weasyprint.progress"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
