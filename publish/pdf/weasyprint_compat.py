"""The only module that touches WeasyPrint's or pydyf's private names, and only for versions it was tested with.

Three things publish does go beyond WeasyPrint's public API:

- ``pages_listed_once``: pydyf lists the PDF's pages again each time it is asked (``pydyf.PDF.page_references``);
  a long book asks once per structure element. Replaced, while a document is written, by a cached list.
- ``mark_as_artifacts``: the margin boxes' content is re-marked as pagination artifacts by editing the
  tokens of a page's content stream (PDF/UA-1 7.8).
- ``pagination_hook``: a part of a long book typeset in its own process (``publish.pdf.parts``)
  pauses between pagination and the margin boxes (``weasyprint.layout.layout_document``,
  ``make_margin_boxes``), and a page that changes sides is rebuilt as a ``PageBox`` of the other side.

Each is used only with the versions in ``TESTED``. With any other WeasyPrint or pydyf the book is typeset
in one process with the public API only (slower for a long book; the running heads stay marked as content),
and ``warn_if_untested`` says so once. A private name that is missing all the same (an AttributeError) is
the same case: the part is typeset whole, the cache or the marking is left out; it never reaches the author.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

log = logging.getLogger("publish.pdf")

# The versions the private names below were tested with (the PDF tests pass, the parallel book is exact).
TESTED: dict[str, tuple[str, ...]] = {"weasyprint": ("70.0",), "pydyf": ("0.13.0",)}


class PaginationError(Exception):
    """A part cannot be typeset exactly (its pages cannot be moved to the other side, or WeasyPrint changed)."""


def installed_versions() -> dict[str, str]:
    """The installed versions of the libraries in ``TESTED`` ("unknown" when not found)."""
    found = {}
    for name in TESTED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "unknown"
    return found


def untested_versions() -> str | None:
    """What is installed outside ``TESTED``, said for the author ("WeasyPrint 71.0"), or None when all was tested."""
    installed = installed_versions()
    untested = [f"{name} {installed[name]}" for name, known in TESTED.items() if installed[name] not in known]
    return ", ".join(untested) or None


@cache
def private_api_allowed() -> bool:
    """Whether the private names may be used: the installed WeasyPrint and pydyf are the tested ones."""
    return untested_versions() is None


_warned: list[str] = []


def warn_if_untested() -> None:
    """Say once per command why a book is typeset with the public API only, when it is."""
    untested = untested_versions()
    if untested is None or _warned:
        return
    _warned.append(untested)
    tested = ", ".join(f"{name} {' or '.join(versions)}" for name, versions in TESTED.items())
    log.warning(
        "%s: not a version publish was tested with (%s); typesetting in one process with WeasyPrint's public API only",
        untested,
        tested,
    )


@contextmanager
def pages_listed_once() -> Iterator[None]:
    """Let pydyf list the PDF's pages once, not once per structure element.

    WeasyPrint asks for one page's reference for every structure element and link it tags,
    and pydyf builds the list of all pages each time: the time grows with elements × pages
    (about 10 s of a 1,000-page book). The list is kept while the page count stays the same;
    pages are only ever appended.
    """
    import pydyf

    original = getattr(pydyf.PDF, "page_references", None)
    if not private_api_allowed() or not isinstance(original, property) or original.fget is None:
        yield
        return
    list_pages = original.fget

    def page_references(pdf: Any) -> Any:
        count = len(pdf.pages["Kids"])
        cached = pdf.__dict__.get("_publish_page_references")
        if cached is None or cached[0] != count:
            cached = (count, list_pages(pdf))
            pdf.__dict__["_publish_page_references"] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    try:
        yield
    finally:
        pydyf.PDF.page_references = original


def mark_as_artifacts(content: list[Any], orphans: set[int]) -> list[int]:
    """Re-mark the marked content numbered ``orphans`` in a page's content-stream tokens as pagination
    artifacts; return the numbers changed (none with untested versions).
    """
    if not private_api_allowed():
        return []
    import pydyf

    changed = []
    for index in range(2, len(content)):
        properties = content[index - 1]
        if content[index] == b"BDC" and isinstance(properties, dict) and properties.get("MCID") in orphans:
            content[index - 2] = "/Artifact"
            content[index - 1] = pydyf.Dictionary({"Type": "/Pagination"})
            changed.append(properties["MCID"])
    return changed


# What a part learns once it has paginated: the folio offset of its first page, and whether its pages change sides.
Paginated = Callable[[int, list[list[str]]], tuple[int, bool]]


@contextmanager
def pagination_hook(paginated: Paginated) -> Iterator[None]:
    """While in the block, hook WeasyPrint between pagination and the margin boxes: ``paginated(pages, anchors)``
    is called once, with the page count and each page's anchors, and says the part's folio offset and whether
    it changes sides. WeasyPrint's own functions are back after the block, so a process typesets a part, then
    anything else. Raises PaginationError where that cannot be done (untested versions, a changed WeasyPrint).
    """
    if not private_api_allowed():
        raise PaginationError(f"{untested_versions()} is not a tested version")
    try:
        import weasyprint.document
        import weasyprint.layout

        layout_document = weasyprint.document.layout_document
        make_margin_boxes = weasyprint.layout.make_margin_boxes
    except (ImportError, AttributeError) as error:
        raise PaginationError(f"WeasyPrint changed: {error}") from None
    plan: dict[str, Any] = {}

    def hooked_layout_document(html: Any, root_box: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        plan["html"] = html
        return layout_document(html, root_box, context, *args, **kwargs)

    def hooked_make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        try:
            if "offset" not in plan:
                pages = len(context.page_maker) - 1
                anchors = [list(entry[-1]["anchors"]) for entry in context.page_maker[:pages]]
                offset, flip = paginated(pages, anchors)
                plan.update(offset=offset, flip=flip)
            if plan["flip"]:
                if page.page_type.blank:
                    raise PaginationError("a blank page would change sides")
                _change_side(context, plan["html"], page)
            if plan["offset"]:
                state = copy.deepcopy(state)
                counters = state[1]
                counters["page"] = [value + plan["offset"] for value in counters["page"]]
        except (AttributeError, KeyError, IndexError, TypeError) as error:  # WeasyPrint's internals changed
            raise PaginationError(f"WeasyPrint changed: {type(error).__name__}: {error}") from None
        return make_margin_boxes(context, page, state)

    weasyprint.document.layout_document = hooked_layout_document
    weasyprint.layout.make_margin_boxes = hooked_make_margin_boxes
    try:
        yield
    finally:
        weasyprint.document.layout_document = layout_document
        weasyprint.layout.make_margin_boxes = make_margin_boxes


def _change_side(context: Any, html: Any, page: Any) -> None:
    """Turn a laid-out page into the other side's page: its style, its margins, its content moved across."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.page import page_height, page_width, set_page_type_computed_styles
    from weasyprint.layout.percent import resolve_percentages

    side = "left" if page.page_type.side == "right" else "right"
    page_type = page.page_type._replace(side=side)
    set_page_type_computed_styles(page_type, html, context.style_for)
    style = context.style_for(page_type)
    style["overflow"] = page.style["overflow"]
    other = boxes.PageBox(page_type, style)
    size = other.style["size"]
    resolve_percentages(other, size)
    other.position_x = other.position_y = 0
    page_width(other, context, size[0])
    page_height(other, context, size[1])
    # The same text area on either side (mirrored margins; their sums differ in the last bits of a float).
    sizes = zip(
        (other.width, other.height, other.content_box_y()), (page.width, page.height, page.content_box_y()), strict=True
    )
    if any(abs(mine - theirs) > 1e-6 for mine, theirs in sizes):
        raise PaginationError("left and right pages have text areas of different sizes")
    dx = other.content_box_x() - page.content_box_x()
    for child in page.children:
        child.translate(dx, 0)
    for key, value in vars(other).items():
        if key != "children":
            setattr(page, key, value)
