"""Every word publish writes into a book, in English: the source of the catalogs in ``publish/i18n/locales``.

Each message has a name, used in code (``words("continue_reading")``) and in ``book.yaml``'s ``strings:``
to replace it; the English text is the gettext ``msgid`` and the name its ``msgctxt``, so a catalog's
translator sees the sentence, and a changed English sentence shows up as a missing translation.
Placeholders are written ``{name}``; a translation or a practice's own wording may leave one out but use
no other (``placeholder_problem``). This module imports nothing, so ``book.yaml`` can be checked cheaply.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # The title page, the copyright page, the contents and the landmarks (book.yaml's language).
    "cover": "Cover",
    "cover_alt": "Cover: {title}, by {author}",
    "cover_alt_subtitle": "Cover: {title}: {subtitle}, by {author}",
    "cover_of": "Cover of {title}",
    "title_page": "Title page",
    "copyright": "Copyright",
    "contents": "Contents",
    "start_of_content": "Start of content",
    "back_matter": "Back matter",
    "landmarks": "Landmarks",
    "by": "by {author}",
    "published_by": "Published by {publisher}",
    "first_published": "First published {date}",
    "series": "Part of the series {series}",
    "series_number": "Part of the series {series}, number {position}",
    "all_rights": "All rights reserved.",
    "colophon_faces": "Set in {faces}",
    "colophon_system": "Set mostly in the system's fonts ({scripts})",
    "colophon_system_with": "Set mostly in the system's fonts ({scripts}), with {faces}",
    "colophon_fallback": "Set in {faces}, with the system's fonts for {scripts}",
    "colophon_code": "{sentence}; code in Source Code Pro.",
    "colophon_end": "{sentence}.",
    "list_and": "{items} and {last}",
    # "Continue reading" and "About the practice".
    "continue_reading": "Continue reading",
    "continue_intro": "More articles in this series, not yet part of this book:",
    "continue_intro_print": "More articles in this series, not yet part of this book.",
    "continue_intro_scan": (
        "More articles in this series, not yet part of this book. "
        "Scan a code with a phone camera, or type the address, to read them online."
    ),
    "continue_website": "Read it on {website}",
    "qr_alt": "QR code linking to {url}",
    "about": "About the practice",
    "about_intro": "{name} wrote the articles in this book.",
    "website": "Website",
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "logo_alt": "{name} logo",
    # A piece's own labels (the piece's language).
    "notes": "Notes",
    "note_back": "Note {number}, back to the text",
    "reflection": "Reflection",
    "read_online": "Read this online",
    "handout_page": "Page {page} of {pages}",
    # A handout's write-in lines and a pack's first page (the piece's language).
    "prepared_for": "Prepared for",
    "write_in_date": "Date",
    "write_in_notes": "Notes",
    "in_this_pack": "In this pack",
    "pack_intro": "{count} handouts from {name}:",
    # The EPUB's accessibility summary (schema:accessibilitySummary), in the book's language.
    "a11y_structure": (
        "This publication has a table of contents, headings that mark every section, and a single reading order."
    ),
    "a11y_display": "Fonts, text size, spacing and colours can be changed in the reading system.",
    "a11y_footnotes": "Footnotes are linked from the text and link back to it.",
    "a11y_no_images": "It contains no images other than the cover, which has a text description.",
    "a11y_all_described": "Every image has a text description.",
    "a11y_some_undescribed": "Some images have no text description.",
    "a11y_conforms": "It meets EPUB Accessibility 1.1 and WCAG 2.2 Level AA.",
}


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message (ValueError when its braces do not pair)."""
    import string  # only when book.yaml has strings: or a test reads the catalogs

    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def placeholder_problem(key: str, text: str) -> str | None:
    """What is wrong with ``text`` as ``book.yaml``'s wording for message ``key``, or None when it can replace it."""
    try:
        used = placeholders(text)
    except ValueError:
        return f"'strings.{key}' has an unpaired brace: write {{{{ or }}}} for a brace itself"
    allowed = placeholders(MESSAGES[key])
    if unknown := sorted(used - allowed):
        known = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
        return f"'strings.{key}' uses {{{unknown[0]}}}, which it does not have (its placeholders: {known})"
    return None
