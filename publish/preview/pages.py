"""A typeset PDF shown as page images, each with its page number as printed (the PDF's page labels)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field

# PDFium is not thread-safe (pypdfium2's documentation): one page is drawn at a time, whichever request asks.
_PDFIUM = threading.Lock()
# 1.5 × 72 dpi: a letter page 918 px wide, sharp on a laptop's screen at the view's width.
SCALE = 1.5


@dataclass
class PrintedPages:
    """One PDF and its page images, drawn when first asked for and then kept."""

    pdf: bytes
    labels: tuple[str, ...]
    version: int  # the build it was typeset from
    images: dict[int, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def image(self, index: int) -> bytes:
        """Page ``index`` (from 0) as a PNG."""
        with self.lock:
            if index not in self.images:
                self.images[index] = draw_page(self.pdf, index)
            return self.images[index]


def page_labels(pdf: bytes) -> tuple[str, ...]:
    """Each page's number as printed: the PDF's page labels (roman in the front matter), else 1, 2, 3."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return tuple(reader.page_labels)


def draw_page(pdf: bytes, index: int) -> bytes:
    """One page of ``pdf`` as a PNG."""
    import pypdfium2

    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[index]
            image = page.render(scale=SCALE).to_pil()
            page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # drawn for the screen in a moment, not stored
    return buffer.getvalue()


def printed_pages(pdf: bytes, version: int) -> PrintedPages:
    """The pages of ``pdf``, none drawn yet."""
    return PrintedPages(pdf, page_labels(pdf), version)
