"""The garbage collector's settings, changed here only (for the command, a worker, and typesetting)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def few_full_collections() -> Iterator[None]:
    """No full garbage collections while WeasyPrint typesets (young generations are still collected).

    WeasyPrint builds millions of objects that live as long as the document (boxes, styles);
    each full collection walks them all again, and the cycle collector starts one whenever
    they have grown by a quarter: about a sixth of the time of a long book. The price is the
    cycles left for later: peak memory up to 15% higher (measured on 500- and 1,000-page
    books). What exists before is frozen out of the way; the settings are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], 1_000_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def loading_without_collections() -> Iterator[None]:
    """No collection at all while a worker loads its libraries.

    The objects inherited from the parent stay untouched (no copy-on-write for the collector),
    and importing WeasyPrint creates only long-lived objects: no collection is worth its time.
    """
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def freeze_loaded_objects() -> None:
    """Move what is loaded so far out of the collector's way for the rest of the process (see publish.cli)."""
    gc.freeze()
