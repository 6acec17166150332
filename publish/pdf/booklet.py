"""Impose a typeset PDF as a saddle-stitched booklet: two pages per side of a landscape sheet."""

from __future__ import annotations

from io import BytesIO

from publish.errors import RenderError

# Landscape sheets in PostScript points: the book's pages are half of one (half-letter, A5).
SHEETS = {"letter": (792.0, 612.0), "A4": (841.89, 595.28)}


def booklet_order(pages: int) -> list[tuple[int | None, int | None]]:
    """The source pages on each sheet side, in printing order, as (left half, right half).

    Pages count from 0; None is a blank padding page (the count is rounded up to a multiple
    of 4, since each folded sheet carries four pages). Sheet ``k`` carries on its front the
    last unplaced page on the left and the first on the right, and on its back the next
    first page on the left and the next last one on the right: folded and nested, the
    sheets read in order.
    """
    total = -(-max(pages, 1) // 4) * 4
    sides: list[tuple[int | None, int | None]] = []
    for sheet in range(total // 4):
        sides.append((total - 1 - 2 * sheet, 2 * sheet))
        sides.append((2 * sheet + 1, total - 2 - 2 * sheet))

    def real(index: int | None) -> int | None:
        return index if index is not None and index < pages else None

    return [(real(left), real(right)) for left, right in sides]


def impose_booklet(pdf: bytes, sheet: str = "letter") -> bytes:
    """Re-impose ``pdf`` for saddle-stitch printing on landscape ``sheet`` paper (print both sides, flip on the short edge)."""
    from pypdf import PdfReader, PdfWriter, Transformation

    if sheet not in SHEETS:
        raise RenderError(f"unknown booklet sheet {sheet!r}: use one of {', '.join(SHEETS)}")
    width, height = SHEETS[sheet]
    reader = PdfReader(BytesIO(pdf))
    writer = PdfWriter()
    for left, right in booklet_order(len(reader.pages)):
        side = writer.add_blank_page(width, height)
        for slot, index in enumerate((left, right)):
            if index is None:
                continue
            page = reader.pages[index]
            box = page.trimbox
            page_width, page_height = float(box.width), float(box.height)
            # Fit the page in its half (exactly 1 for half-letter on letter and A5 on A4), centred.
            scale = min(width / 2 / page_width, height / page_height)
            dx = slot * width / 2 + (width / 2 - page_width * scale) / 2 - float(box.left) * scale
            dy = (height - page_height * scale) / 2 - float(box.bottom) * scale
            side.merge_transformed_page(page, Transformation().scale(scale).translate(dx, dy))
        # Links would point at the wrong places on an imposed sheet.
        if "/Annots" in side:
            del side["/Annots"]
    if reader.metadata:
        writer.add_metadata({key: value for key, value in reader.metadata.items() if isinstance(key, str)})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
