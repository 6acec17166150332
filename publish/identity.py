"""What both writers say about a build: its identifier and its timestamp."""

from __future__ import annotations

import datetime as dt
import uuid

from publish.limits import source_date_epoch
from publish.render import RenderedBook


def build_time() -> dt.datetime:
    """The build's timestamp: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; in UTC."""
    epoch = source_date_epoch()  # checked as the command starts; a malformed value is a PublishError here too
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def book_identifier(rendered: RenderedBook) -> str:
    """The book's identifier: ``book.yaml``'s, else a urn:uuid derived from title and author (stable across builds)."""
    meta = rendered.book.meta
    if meta.identifier:
        return meta.identifier
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'publish:{meta.title}|{meta.author}')}"
