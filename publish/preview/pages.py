"""A typeset PDF shown as page images, each with its page number as printed (the PDF's page labels)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import Any

# PDFium is not thread-safe (pypdfium2's documentation): one page is drawn at a time, whichever request asks.
_PDFIUM = threading.Lock()
# 1.5 × 72 dpi: a letter page 918 px wide, sharp on a laptop's screen at the view's width.
SCALE = 1.5


@dataclass
class PrintedPages:
    """One PDF and its page images, drawn when first asked for and then kept."""

    pdf: bytes
    labels: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...]  # each page image's width and height in pixels
    version: int  # the build it was typeset from
    images: dict[int, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    document: Any = None  # the PDF opened by PDFium, once, when the first page is drawn
    closed: bool = False

    def close(self) -> None:
        """Close the PDF in PDFium (under its lock: a document closed by the garbage collector could be closed
        while another thread draws).
        """
        with _PDFIUM:
            self.closed = True
            if self.document is not None:
                self.document.close()
                self.document = None

    def image(self, index: int) -> bytes:
        """Page ``index`` (from 0) as a PNG."""
        with self.lock:
            if index not in self.images:
                self.images[index] = self._draw(index)
            return self.images[index]

    def _draw(self, index: int) -> bytes:
        import pypdfium2

        with _PDFIUM:
            document = self.document or pypdfium2.PdfDocument(self.pdf)
            page = document[index]
            try:
                image = page.render(scale=SCALE).to_pil()
            finally:
                page.close()
                if self.closed:
                    document.close()  # a request that came as the pages were replaced
                else:
                    self.document = document
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)  # drawn for the screen in a moment, not stored
        return buffer.getvalue()


def page_labels(pdf: bytes) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Each page's number as printed (the PDF's page labels: roman in the front matter, else 1, 2, 3) and the size
    of its image.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    sizes = tuple((round(float(page.mediabox.width) * SCALE), round(float(page.mediabox.height) * SCALE))
                  for page in reader.pages)  # fmt: skip
    return tuple(reader.page_labels), sizes


def printed_pages(pdf: bytes, version: int) -> PrintedPages:
    """The pages of ``pdf``, none drawn yet."""
    labels, sizes = page_labels(pdf)
    return PrintedPages(pdf, labels, sizes, version)
