"""What the front and back matter say to readers, worded once for both writers.

Every phrase a reader sees on the copyright page, "Continue reading" and "About the practice" comes from
the book's message catalog (``publish.i18n``). Dates are written out ("June 1, 2025"), ISBNs
hyphenated by python-stdnum ("ISBN 978-0-306-40615-7"), and the copyright line always has its year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape

from publish.i18n import book_words
from publish.i18n.dates import format_date as format_date  # where pdf and handout find it
from publish.manuscript import BookMeta
from publish.urls import link_href

_YEAR = re.compile(r"\b(1[5-9]|2[0-9])\d\d\b")
# Words that make an author an organisation, whose name is sorted as written (not "Name, Practice Your").
_ORGANISATION = re.compile(
    r"\b(practice|therapy|therapies|counsel+ing|center|centre|clinic|group|associates|services|psychology|"
    r"wellness|institute|press|llc|inc|ltd|pllc|name)\b",
    re.IGNORECASE,
)
_ARTICLES = ("the ", "a ", "an ")


def package_date(value: str) -> str:
    """``dc:date`` as a full timestamp: noon UTC, so no reader's time zone moves it to the day before.

    A date alone is read as midnight UTC, which Calibre shows as the previous day west of Greenwich.
    """
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.isoformat()}T12:00:00Z"


def format_identifier(identifier: str) -> str | None:
    """The identifier as a reader would look for it: "ISBN 978-0-306-40615-7"; None for a ``urn:uuid``."""
    value = identifier.strip()
    lowered = value.lower()
    if lowered.startswith("urn:uuid:"):
        return None  # means nothing to a reader; it stays in the package metadata
    from stdnum import isbn  # after the common case: stdnum.util imports ssl and pydoc (~40 ms)

    number = value[len("urn:isbn:") :] if lowered.startswith("urn:isbn:") else value
    if lowered.startswith(("urn:isbn:", "isbn")) or isbn.is_valid(number):
        number = re.sub(r"^isbn[:\s]*", "", number, flags=re.IGNORECASE)
        if isbn.is_valid(number):
            return f"ISBN {isbn.format(number)}"
    return value


def copyright_notice(meta: BookMeta) -> str:
    """The copyright line with its year: ``rights`` (the book's year added after "©"), else "© YEAR author"."""
    from publish.identity import build_time

    # The year of first publication; a book without a date is published when it is built.
    year = meta.date[:4] if meta.date and _YEAR.fullmatch(meta.date[:4]) else str(build_time().year)
    rights = meta.rights
    if rights:
        if year and not _YEAR.search(rights):
            rights = re.sub(r"(©|\(c\)|Copyright)\s*", lambda m: f"{m.group(1)} {year} ", rights, count=1)
        return rights
    holder = meta.publisher or meta.author
    return " ".join(part for part in ("©", year, f"{holder}.", book_words(meta)("all_rights")) if part)


@dataclass(frozen=True)
class CopyrightLine:
    """One line of the copyright page; ``datetime`` and ``date_text`` are set on the line that gives a date."""

    text: str
    datetime: str | None = None
    date_text: str | None = None


def title_page_publisher(meta: BookMeta) -> str | None:
    """The publisher as the title page names it: a practice publishing its own articles is often both
    author and publisher, and is named once.
    """
    return meta.publisher if meta.publisher and meta.publisher != meta.author else None


def copyright_title(meta: BookMeta) -> str:
    """The book's full title as the copyright page begins: "Title: Subtitle"."""
    return meta.title + (f": {meta.subtitle}" if meta.subtitle else "")


def byline(meta: BookMeta) -> str:
    """The copyright page's second line: "by Author"."""
    return book_words(meta)("by", author=meta.author)


def copyright_lines(meta: BookMeta, identifier: str) -> list[CopyrightLine]:
    """The copyright page after the title: notice, publisher, first publication, series, identifier."""
    words = book_words(meta)
    lines = [CopyrightLine(copyright_notice(meta))]
    if meta.publisher:
        lines.append(CopyrightLine(words("published_by", publisher=meta.publisher)))
    if meta.date:
        date = words.date(meta.date)
        lines.append(CopyrightLine(words("first_published", date=date), meta.date, date))
    if meta.series:
        if meta.series.position is not None:
            series = words("series_number", series=meta.series.name, position=meta.series.position)
        else:
            series = words("series", series=meta.series.name)
        lines.append(CopyrightLine(series))
    if shown := format_identifier(identifier):
        lines.append(CopyrightLine(shown))
    return lines


def file_as_person(name: str) -> str:
    """An author's name as sorted: "Doe, Jane" for a person, an organisation's name as written."""
    words = name.split()
    if len(words) < 2 or _ORGANISATION.search(name) or "," in name:
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def file_as_title(title: str) -> str:
    """A title as sorted, without its leading article ("Art of Listening, The" sorts under A)."""
    for article in _ARTICLES:
        if title.lower().startswith(article) and len(title) > len(article):
            rest = title[len(article) :]
            return f"{rest}, {title[: len(article) - 1]}"
    return title


@dataclass(frozen=True)
class ContactLine:
    """One way to reach the practice: label, text shown, link."""

    label: str
    text: str
    href: str | None  # None when it cannot be a link (publish.urls' allow-list): written as text


def website_url(website: str) -> str | None:
    """A website as a link (``www.example.com`` becomes ``https://www.example.com``); None if it cannot be one."""
    return link_href(website if re.match(r"^[a-z][a-z0-9+.-]*://", website, re.IGNORECASE) else f"https://{website}")


def practice_contacts(meta: BookMeta) -> list[ContactLine]:
    """The practice's website, phone and email from ``book.yaml``, as links."""
    practice = meta.practice
    words = book_words(meta)
    contacts = []
    if practice.website:
        contacts.append(ContactLine(words("website"), practice.website, website_url(practice.website)))
    if practice.phone:
        contacts.append(
            ContactLine(words("phone"), practice.phone, link_href("tel:" + re.sub(r"[^0-9+]", "", practice.phone)))
        )
    if practice.email:
        contacts.append(ContactLine(words("email"), practice.email, link_href(f"mailto:{practice.email}")))
    if practice.address:
        contacts.append(ContactLine(words("address"), practice.address, None))
    return contacts


def contacts_html(meta: BookMeta) -> str:
    """The practice's contacts as a definition list (each a link where it can be one), or "" without any."""
    entries = "".join(
        f"<dt>{escape(c.label)}</dt><dd>"
        + (f'<a href="{escape(c.href)}">{escape(c.text)}</a>' if c.href else escape(c.text))
        + "</dd>"
        for c in practice_contacts(meta)
    )
    return f'<dl class="contact">{entries}</dl>' if entries else ""


def has_about_page(meta: BookMeta) -> bool:
    """Whether ``book.yaml`` says enough about the practice for an "About the practice" page."""
    practice = meta.practice
    return bool(
        practice.name or practice.website or practice.phone or practice.email or practice.address
        or meta.handout.disclaimer or meta.handout.crisis
    )  # fmt: skip
