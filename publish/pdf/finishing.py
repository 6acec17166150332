"""Tagging and finishing: publish's own changes to the PDF's objects after WeasyPrint's layout, and
``typeset``, which typesets a document with them (the call every writer of a PDF makes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from publish.errors import PublishError
from publish.pdf.engine import typeset_document
from publish.pdf.weasyprint_compat import mark_as_artifacts, pages_listed_once
from publish.processes.memory import few_full_collections
from publish.processes.workers import Task, Worker


class FinishingError(Exception):
    """publish's own finishing of the PDF failed: a bug in publish, not a problem of the book or of WeasyPrint."""


def _finish_pdf(
    bleed: float | None = None, arabic_from: str | None = None, amend: Callable[[Any, Any], None] | None = None
) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher: amends the PDF objects after layout, before they are written.

    - Running heads, folios and letterheads (margin boxes) become pagination artifacts.
      WeasyPrint marks them as content but leaves them out of the structure tree; PDF/UA-1
      (ISO 14289-1, 7.8) wants page headers and footers marked as artifacts.
    - Table header cells get a /Scope.
    - A link annotation belongs to its Link structure element.
    - Link annotations get the Print flag, so print and screen agree.
    - ``/PageLabels`` (ISO 32000-1, 12.4.2): viewers show the roman front matter as i, ii, iii
      and number from 1 on the page holding the element with id ``arabic_from``.
    - The BleedBox is the real bleed (WeasyPrint caps it at 10 pt, and the crop marks widen the CSS bleed).
    """

    def finish(document: Any, pdf: Any) -> None:
        try:
            finish_objects(document, pdf)
        except PublishError:
            raise
        except Exception as error:
            # publish's own code, called from inside WeasyPrint: not to be taken for WeasyPrint's failure.
            raise FinishingError(f"{type(error).__name__}: {error}") from error

    def finish_objects(document: Any, pdf: Any) -> None:
        import pydyf

        def get(reference: bytes) -> Any:
            return pdf.objects[int(reference.split()[0])]

        _margin_boxes_as_artifacts(pdf, get)
        _strip_jpeg_metadata(pdf)
        _links_own_their_annotations(pdf, get)
        for page_reference in pdf.page_references:
            page = get(page_reference)
            for annotation in page.get("Annots", []):
                annotation = get(annotation) if isinstance(annotation, bytes) else annotation
                if annotation.get("Subtype") == "/Link":
                    annotation["F"] = 4  # Print
            if bleed is not None:
                left, bottom, right, top = (float(v) for v in page["TrimBox"])
                page["BleedBox"] = pydyf.Array([left - bleed, bottom - bleed, right + bleed, top + bleed])
        if arabic_from is not None:
            first = next((i for i, page in enumerate(document.pages) if arabic_from in page.anchors), None)
            if first:
                labels = [0, pydyf.Dictionary({"S": "/r"}), first, pydyf.Dictionary({"S": "/D"})]
                pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(labels)})
        if amend is not None:
            amend(document, pdf)

    return finish


def _strip_jpeg_metadata(pdf: Any) -> None:
    """Leave the EXIF, GPS and XMP of the book's JPEG photos out of the PDF (WeasyPrint embeds JPEGs as they are)."""
    import pydyf

    from publish.image_prep import strip_jpeg_metadata

    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.extra.get("Filter") == "/DCTDecode":
            data = b"".join(chunk if isinstance(chunk, bytes) else chunk.data for chunk in item.stream)
            item.stream = [strip_jpeg_metadata(data)]


def _links_own_their_annotations(pdf: Any, get: Callable[[bytes], Any]) -> None:
    """Hand a link annotation that WeasyPrint gave to an element inside a link (a span, an
    emphasis) to the enclosing Link structure element (PDF/UA-1 7.18.5: links are Link elements).
    """
    if "StructTreeRoot" not in pdf.catalog:
        return
    numbers = get(get(pdf.catalog["StructTreeRoot"])["ParentTree"])["Nums"]
    for index in range(1, len(numbers), 2):
        owner_reference = numbers[index]
        if not isinstance(owner_reference, bytes):
            continue  # a page's array of marked-content owners
        owner = get(owner_reference)
        if owner.get("S") == "/Link":
            continue
        link = owner
        while link.get("S") != "/Link" and isinstance(link.get("P"), bytes):
            link = get(link["P"])
        if link.get("S") != "/Link":
            continue
        moved = [kid for kid in owner["K"] if isinstance(kid, bytes) and get(kid).get("Type") == "/OBJR"]
        owner["K"][:] = [kid for kid in owner["K"] if kid not in moved]
        link["K"].extend(moved)
        numbers[index] = link.reference


def _margin_boxes_as_artifacts(pdf: Any, get: Callable[[bytes], Any]) -> None:
    """Re-mark the content that no structure element reaches (the margin boxes) as pagination artifacts.

    On the way through the structure tree, give table header cells their scope.
    """
    if "StructTreeRoot" not in pdf.catalog:
        return
    root = get(pdf.catalog["StructTreeRoot"])
    reachable: set[bytes] = set()
    stack: list[tuple[Any, str]] = [(kid, "") for kid in root["K"]]
    while stack:
        reference, grandparent = stack.pop()
        if not isinstance(reference, bytes) or reference in reachable:
            continue
        reachable.add(reference)
        element = get(reference)
        if element.get("S") == "/TH" and isinstance(element.get("A"), dict):
            # Say what a header cell heads (PDF/UA-1 7.5; ISO 32000-1 table 349), which WeasyPrint leaves out.
            element["A"]["Scope"] = "/Column" if grandparent == "/THead" else "/Row"
        kids = element.get("K")
        if isinstance(kids, list):
            parent = get(element["P"]).get("S", "") if isinstance(element.get("P"), bytes) else ""
            stack.extend((kid, parent) for kid in kids)
    numbers = get(root["ParentTree"])["Nums"]
    # pydyf finds the pages by walking every object each time it is asked: ask once.
    pages = pdf.page_references
    for key, mapping in zip(numbers[::2], numbers[1::2], strict=True):
        if not isinstance(mapping, list) or key >= len(pages):
            continue  # an annotation's entry, not a page's
        orphans = {mcid for mcid, reference in enumerate(mapping) if reference not in reachable}
        if not orphans:
            continue
        content = get(get(pages[key])["Contents"]).stream
        for mcid in mark_as_artifacts(content, orphans):
            mapping[mcid] = "null"


def typeset(
    document_html: str,
    stylesheets: list[str],
    base: Path,
    allowed: list[Path],
    bleed: float | None = None,
    arabic_from: str | None = None,
    amend: Callable[[Any, Any], None] | None = None,
    reads: dict[str, str] | None = None,
) -> tuple[bytes, list[str]]:
    """Render an HTML document to PDF/UA-1 bytes with the book's fonts; return them with WeasyPrint's warnings.

    ``bleed`` (points) sets the PDF's BleedBox; ``arabic_from`` is the id of the element whose
    page is labelled 1 (the pages before it get roman labels); ``amend(document, pdf)`` changes
    the PDF's objects after the book's own finishing, before they are written. ``reads`` is given
    the local files read, with their SHA-256 (``publish.pdf.engine.url_fetcher``).
    """
    with pages_listed_once(), few_full_collections():
        finisher = _finish_pdf(bleed, arabic_from, amend)
        return typeset_document(document_html, stylesheets, base, allowed, finisher, reads)


def typeset_in(worker: Worker, *args: Any, progress: bool = True) -> tuple[bytes, list[str]]:
    """``typeset(*args)`` in ``worker`` (started ahead, ``publish.processes.workers``); its errors are raised here.
    The worker is stopped after.
    """
    try:
        result: tuple[bytes, list[str]] = worker.run(Task(typeset, args, progress=progress))
    finally:
        worker.stop()
    return result


# WeasyPrint's name in the XMP metadata (PDF/UA-1 asks only for the title and the part there).
_XMP_PRODUCER = re.compile(rb'<rdf:Description rdf:about="" pdf:Producer="[^"]*" />')


def strip_producer_metadata(pdf: Any) -> None:
    """Leave out of a PDF's metadata everything but its title, author and language: no producer, creator,
    subject, keywords or dates (in the document information dictionary, and the producer in the XMP)."""
    import pydyf

    for key in ("Producer", "Creator", "Subject", "Keywords", "CreationDate", "ModDate"):
        pdf.info.pop(key, None)
    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.extra.get("Type") == "/Metadata":
            data = b"".join(chunk if isinstance(chunk, bytes) else chunk.data for chunk in item.stream)
            item.stream = [_XMP_PRODUCER.sub(b"", data)]
