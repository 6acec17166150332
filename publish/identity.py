"""What both writers say about a build: its identifier and its timestamp."""

from __future__ import annotations

import datetime as dt
import os
import uuid

from publish.render import RenderedBook


def build_time() -> dt.datetime:
    """The build's timestamp: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def book_identifier(rendered: RenderedBook) -> str:
    """The book's identifier: ``book.yaml``'s, else a urn:uuid derived from title and author (stable across builds)."""
    meta = rendered.book.meta
    if meta.identifier:
        return meta.identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'publish:{meta.title}|{meta.author}')}"
