"""Typographic quotes, dashes and ellipses: what Python-Markdown's ``smarty`` extension gives, at less cost.

``smarty`` registers its rules as seventeen inline patterns of a second inline processor, which tries
every pattern on every run of text of the document. Here the same rules (the same regular expressions, in
the same order, with the same options: quotes, dashes and ellipses, no angled quotes) run as one tree pass
that leaves out, before any regular expression runs, the rules whose characters a text does not contain.
The results are ``smarty``'s, character for character: a test compares the two on generated text.

Two details of ``smarty`` are kept because its results depend on them. Each rule runs over the whole text
before the next one starts. And what a rule replaces is hidden from the rules after it behind a
placeholder that starts with STX and ends with ETX, as Python-Markdown's inline processor does: a quote
after an em dash is not "closing" (``closeClass`` excludes ETX), the space that an opening quote's rule
consumed is not seen again. The placeholders become the characters themselves (``smarty`` stores HTML
entities such as ``&rsquo;``, which are the same characters once the HTML is parsed).

In a language other than English the same pass writes that language's quotation marks (CLDR, see
``publish.i18n.quotes``): double quotes the outer pair, single quotes the inner pair, an apostrophe
inside a word stays ’. French text then gets its spaces: a narrow no-break space inside « » and
before ; ! ?, a no-break space before a colon (Imprimerie nationale's rules, as CLDR's French data
writes them). Quotation marks the author typed as curly quotes are the author's and are kept.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from publish.i18n.quotes import ENGLISH, Quotes, quotes_for

# The rules of Python-Markdown's smarty extension (markdown/extensions/smarty.py), in the order its
# registry runs them (by priority: dashes 50 and 45, quotes 30 down to 16, ellipses 10).
_PUNCT = r"""[!"#\$\%'()*+,-.\/:;<=>?\@\[\\\]\^_`{|}~]"""
_CLOSE = r"[^\ \t\r\n\[\{\(\-\u0002\u0003]"
_OPENING_BASE = r"(\s|&nbsp;|--|–|—|&[mn]dash;|&#8211;|&#8212;)"
MDASH, NDASH, ELLIPSIS = "\u2014", "\u2013", "\u2026"
LSQUO, RSQUO, LDQUO, RDQUO = "\u2018", "\u2019", "\u201c", "\u201d"

# (characters a text must contain for the rule to match, pattern, replacement: text, or 1 for group 1)
_RULES: tuple[tuple[tuple[str, ...], str, tuple[int | str, ...]], ...] = (
    (("---",), r"(?<!-)---(?!-)", (MDASH,)),
    (("--",), r"(?<!-)--(?!-)", (NDASH,)),
    (("'",), rf"^'(?={_PUNCT}\B)", (RSQUO,)),
    (('"',), rf'^"(?={_PUNCT}\B)', (RDQUO,)),
    (("\"'",), r""""'(?=\w)""", (LDQUO + LSQUO,)),
    (("'\"",), r"""'"(?=\w)""", (LSQUO + LDQUO,)),
    (("'\"",), rf"(?<={_CLOSE})'\"", (RSQUO + RDQUO,)),
    (("\"'",), rf"(?<={_CLOSE})\"'", (RDQUO + RSQUO,)),
    (("'",), r"(?<!\w)'(?=\d{2}s)", (RSQUO,)),
    (("'",), rf"{_OPENING_BASE}'(?=\w)", (1, LSQUO)),
    (("'",), rf"(?<={_CLOSE})'(?!\s|s\b|\d)", (RSQUO,)),
    (("'",), r"'(\s|s\b)", (RSQUO, 1)),
    (("'",), r"'", (LSQUO,)),
    (('"',), rf'{_OPENING_BASE}"(?=\w)', (1, LDQUO)),
    (('"',), r'"(?=\s)', (RDQUO,)),
    (('"',), rf'(?<={_CLOSE})"', (RDQUO,)),
    (('"',), r'"', (LDQUO,)),
    (("...",), r"(?<!\.)\.{3}(?!\.)", (ELLIPSIS,)),
)
_TRIGGERS = ("'", '"', "--", "...")
# What a replaced match becomes until the text is finished: STX ... ETX like Python-Markdown's own
# placeholders, so the rules that follow see the same characters around it as under smarty.
_TOKEN = "\x02tpgr:{}\x03"
_TOKEN_RE = re.compile("\x02tpgr:([0-9]+)\x03")


@cache
def _pattern(index: int) -> re.Pattern[str]:
    # Compiled when first needed: a book without an ellipsis never pays for that rule. The flags are
    # the ones Python-Markdown compiles inline patterns with.
    return re.compile(_RULES[index][1], re.DOTALL | re.UNICODE)


def educate(text: str, quotes: Quotes = ENGLISH) -> str:
    """Replace straight quotes, ``--``, ``---`` and ``...`` in one run of text exactly as smarty does
    (with ``quotes``' marks instead of English ones)."""
    if not any(trigger in text for trigger in _TRIGGERS):
        return text
    replaced: list[str] = []
    for index, (needs, _, replacement) in enumerate(_RULES):
        if not all(needed in text for needed in needs):
            continue  # the rule's characters are not in the text (a replacement never adds any)
        pattern = _pattern(index)
        start = 0
        while (match := pattern.search(text, start)) is not None:
            # As Python-Markdown's inline processor does: replace, then search on after the placeholder.
            token = _TOKEN.format(len(replaced))
            replaced.append("".join(part if isinstance(part, str) else match.group(part) for part in replacement))
            text = text[: match.start()] + token + text[match.end() :]
            start = match.start() + len(token)
    if not replaced:
        return text
    # A rule's group is whitespace, a dash or "s", never a placeholder: one substitution restores all.
    if quotes is ENGLISH:
        return _TOKEN_RE.sub(lambda m: replaced[int(m.group(1))], text)
    return _TOKEN_RE.sub(_localiser(text, replaced, quotes), text)


def _localiser(text: str, replaced: list[str], quotes: Quotes) -> Any:
    """What each placeholder becomes in a language with other quotation marks, left to right.

    smarty writes ’ for both a closing single quote and an apostrophe: one between two letters is an
    apostrophe ("don’t"), as is one that closes no open single quote ("the ’90s", "Chris’ book").
    """
    open_inner = 0
    mapping = {LDQUO: quotes.open, RDQUO: quotes.close, LSQUO: quotes.inner_open}

    def localise(match: re.Match[str]) -> str:
        nonlocal open_inner
        out = []
        # The characters around each: the replacement's own (a rule may keep the space it matched), else the text's.
        token = (
            text[match.start() - 1 : match.start()]
            + replaced[int(match.group(1))]
            + text[match.end() : match.end() + 1]
        )
        for index, character in enumerate(replaced[int(match.group(1))], 1):
            apostrophe = token[index - 1].isalpha() and token[index + 1 : index + 2].isalpha()
            if character == LSQUO:
                open_inner += 1
            elif character == RSQUO and open_inner and not apostrophe:
                open_inner -= 1
                out.append(quotes.inner_close)
                continue
            out.append(mapping.get(character, character))
        return "".join(out)

    return localise


# French spacing (CLDR fr and the Imprimerie nationale's Lexique): U+202F NARROW NO-BREAK SPACE inside
# guillemets and before ; ! ?, U+00A0 NO-BREAK SPACE before a colon. A space the author typed is replaced.
_FRENCH_SPACES = (
    (re.compile(r"«[ \t\u00a0]*"), "«\u202f"),
    (re.compile(r"[ \t\u00a0]*»"), "\u202f»"),
    (re.compile(r"[ \t\u00a0]+(?=[;!?])|(?<=[\w»)\]])(?=[;!?](?:\s|$|[»)\]]))"), "\u202f"),
    (re.compile(r"[ \t\u202f]+(?=:)|(?:(?<=[^\W\d])|(?<=[»)\]]))(?=:(?:\s|$))"), "\u00a0"),
)


def space_french(text: str) -> str:
    """French text with its no-break spaces around « », before ; ! ? and before a colon."""
    if not any(mark in text for mark in "«»;:!?"):
        return text
    for pattern, space in _FRENCH_SPACES:
        text = pattern.sub(space, text)
    return text


class TypographyTreeprocessor(Treeprocessor):
    """Educate the text of every element below the root, as smarty's inline processor does."""

    def __init__(self, md: Markdown, language: str = "en") -> None:
        super().__init__(md)
        self.quotes = quotes_for(language)
        self.french = language.lower().startswith("fr")

    def educate(self, text: str) -> str:
        """One run of text with its typographic quotes, dashes and ellipses, and French spacing in French."""
        text = educate(text, self.quotes)
        return space_french(text) if self.french else text

    def run(self, root: Any) -> None:
        for element in root.iter():
            if element is root:
                continue  # smarty's processor, like the inline one, handles the root's children only
            text = element.text
            if text and not isinstance(text, AtomicString):
                element.text = self.educate(text)
            tail = element.tail
            if tail and not isinstance(tail, AtomicString):
                element.tail = self.educate(tail)


class TypographyExtension(Extension):
    """Typographic quotes (‘ ’ “ ”), dashes (– —) and ellipses (…), as ``smarty`` without angled quotes.

    Registers:
        treeprocessor ``typography`` at priority 6, smarty's own place: after the inline patterns (20),
        ``attr_list`` (8) and ``abbr`` (7), before ``toc`` (5) so heading ids are made from the final text.
    Like smarty, lets a backslash escape a quote (``\\"`` stays straight). ``language`` (BCP 47) chooses
    the quotation marks and, in French, the spacing.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"language": ["en", "the text's language (BCP 47): its quotation marks and spacing"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's API
        md.treeprocessors.register(TypographyTreeprocessor(md, self.getConfig("language")), "typography", 6)
        md.ESCAPED_CHARS.extend(['"', "'"])
