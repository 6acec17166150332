"""Typography: the same quotes, dashes and ellipses as Python-Markdown's smarty extension, which it replaces."""

from __future__ import annotations

import random

import markdown
import pytest

from publish.typography import TypographyExtension, educate

# smarty writes entities; the typography step writes the characters they stand for.
ENTITIES = {
    "&mdash;": "\u2014", "&ndash;": "\u2013", "&hellip;": "\u2026",
    "&lsquo;": "\u2018", "&rsquo;": "\u2019", "&ldquo;": "\u201c", "&rdquo;": "\u201d",
}  # fmt: skip
# The extensions a book uses besides the one under test (publish.render.new_markdown).
OTHERS = ["toc", "footnotes", "tables", "attr_list", "def_list", "fenced_code", "sane_lists", "abbr", "md_in_html"]


def _characters(html: str) -> str:
    for entity, character in ENTITIES.items():
        html = html.replace(entity, character)
    return html


def with_smarty(source: str) -> str:
    md = markdown.Markdown(
        extensions=[*OTHERS, "smarty"],
        extension_configs={"smarty": {"smart_angled_quotes": False}},
        output_format="xhtml",
    )
    return _characters(md.convert(source))


def with_typography(source: str) -> str:
    md = markdown.Markdown(extensions=[*OTHERS, TypographyExtension()], output_format="xhtml")
    return _characters(md.convert(source))


@pytest.mark.parametrize(
    "source",
    [
        "\"Double,\" she said, 'and single.' It's the author's own.",
        "An en dash -- an em dash --- four dashes ---- and an ellipsis... or four....",
        "In the '80s, rock 'n' roll; 'tis the \"'quoted' words\" and '\"these\"'.",
        "'\"Quote\" first.' \"'Sets' too.\" Em dash---\"quoted\"--'single'.",
        'A quote after a tag: <b>bold</b>"x" and *em*\'s tail, `"code" stays`, \\"escaped\\\' too.',
        "Non-breaking&nbsp;'quote' and &mdash;\"entity\" and —'dash' and –\"dash\".",
        "# Heading's \"quotes\"\n\n- list's 'item'\n\n> quote's \"block\"\n\nNote[^1]\n\n[^1]: The note's \"text\"...",
        "'\n\n\"\n\n'.\n\n\".\n\n'a\n\n\"a\n\n's\n\n\"'\n\n'\"",
    ],
)
def test_renders_as_smarty_does(source: str) -> None:
    expected = with_smarty(source)
    assert with_typography(source) == expected
    assert any(character in expected for character in ENTITIES.values())  # smarty did change something


def test_generated_text_renders_as_smarty_does() -> None:
    # Runs of the characters the rules look at, mixed with Markdown around them; seeded, so every run
    # checks the same cases.
    pieces = [
        "'", '"', "-", "--", "---", "...", "....", ".", " ", "\t", "a", "word", "s", "80s", "1", "\n", "\n\n",
        "*", "_", "**", "`", "(", ")", "[", "]", "{", "}", "&nbsp;", "&mdash;", "&#8211;", "—", "–", "\\'",
        '\\"', "\\-", "<b>", "</b>", "<br>", ",", "!", "?", ":", "# ", "> ", "- ", "[^1]", "\n[^1]: ",
        "[x](http://e.com/'a') ", "<http://x.org/a'b>", "it's", "rock 'n' roll", "\"'", "'\"",
    ]  # fmt: skip
    generator = random.Random(20240611)
    for _ in range(400):
        source = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 40)))
        assert with_typography(source) == with_smarty(source), source


def test_text_without_quotes_dashes_or_ellipses_is_returned_as_it_is() -> None:
    text = "Plain text - with a hyphen, a full stop. And two.. dots."
    assert educate(text) is text


def test_a_backslash_keeps_a_quote_straight() -> None:
    assert with_typography("\\\"Straight\\\" and \\'straight\\'") == "<p>\"Straight\" and 'straight'</p>"
