"""Every word publish writes into a book, in the book's languages.

Book-level pages (title page, copyright page, contents, landmarks, "Continue reading", "About the
practice", the accessibility summary) speak the language of ``book.yaml``; a piece's own labels (its
notes, its reflection prompts, its handout) speak the piece's ``lang``. The words come from gettext
catalogs (``locales/<language>/LC_MESSAGES/publish.po``, compiled to ``.mo`` with Babel: ``make
catalogs``) read with the standard library's ``gettext``; an English book reads none, as English is
the messages' own text (``publish.i18n.messages``). A language without a catalog falls back to
English, which ``publish check`` says once. ``book.yaml``'s ``strings:`` replaces any message with the
practice's own wording, in the book's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from publish.i18n.messages import MESSAGES

if TYPE_CHECKING:
    from publish.manuscript import BookMeta

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "publish"
# The languages with a complete catalog (a test keeps each complete and its .mo in step with its .po).
CATALOG_LANGUAGES = ("en", "es", "fr", "de", "pt", "it")


def primary_language(tag: str) -> str:
    """The language subtag of a BCP 47 tag, lower case: ``es`` for ``es-US``."""
    return tag.replace("_", "-").split("-")[0].lower()


def has_catalog(tag: str) -> bool:
    """Whether publish has its words in this language."""
    return primary_language(tag) in CATALOG_LANGUAGES


@cache
def _catalog(language: str) -> dict[str, str]:
    """The translated messages of a catalog language (read once per process); English needs none."""
    if language == "en" or language not in CATALOG_LANGUAGES:
        return {}
    import gettext

    with (LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as file:
        translations = gettext.GNUTranslations(file)
    return {key: translations.pgettext(key, english) for key, english in MESSAGES.items()}


@dataclass(frozen=True)
class Words:
    """The messages in one language, with the practice's own wording (``strings:``) over them.

    Call it with a message's name and its placeholders' values: ``words("by", author="…")``.
    """

    language: str  # a BCP 47 tag
    overrides: tuple[tuple[str, str], ...] = ()

    def __call__(self, key: str, **values: object) -> str:
        template = dict(self.overrides).get(key) or _catalog(primary_language(self.language)).get(key) or MESSAGES[key]
        return template.format(**values) if values else template

    def date(self, value: str) -> str:
        """A ``YYYY-MM-DD`` date written out in this language ("1 de junio de 2025")."""
        from publish.i18n.dates import format_date

        return format_date(value, self.language)

    def join(self, names: list[str]) -> str:
        """ "A, B and C" in this language."""
        if len(names) < 2:
            return "".join(names)
        return self("list_and", items=", ".join(names[:-1]), last=names[-1])


def book_words(meta: BookMeta) -> Words:
    """The words of the book's own pages: ``book.yaml``'s language and ``strings:``."""
    return Words(meta.language, meta.strings)


def piece_words(meta: BookMeta, lang: str) -> Words:
    """The words of a piece's own labels: its language; ``strings:`` too when that is the book's language."""
    same = primary_language(lang) == primary_language(meta.language)
    return Words(lang, meta.strings if same else ())


def languages_without_catalog(languages: Iterable[str]) -> list[str]:
    """The languages among these whose labels fall back to English, each once, in order."""
    missing: list[str] = []
    for tag in languages:
        if tag and not has_catalog(tag) and tag not in missing:
            missing.append(tag)
    return missing


def logo_alt(meta: BookMeta) -> str:
    """The logo's text alternative: the practice's name with "logo", in the book's language."""
    return book_words(meta)("logo_alt", name=meta.practice_name)
