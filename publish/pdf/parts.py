"""Typeset a long book in parts, in parallel processes, and join them into the PDF one render gives.

Why this is exact. Every piece starts on a new page, so a part boundary at a piece boundary
changes no line or page break: a page's text area is as wide on a left page as on a right one
(the margins are mirrored), so a piece paginates the same wherever it lands. What does depend
on earlier parts is the page *number* (the folio) and the *side* of each page (mirrored
margins, the running head of a left or a right page). WeasyPrint paginates the whole document
before it lays out the margin boxes; each part's process pauses there, reports its page count
and where its anchors fell, and learns from the parent its first folio and whether its first
page is a left one. Then it sets its page counter, moves a page that changed sides over to its
mirrored margins and lays out the running heads and folios as one render would.

The front matter is typeset once every part has paginated, with the contents' page numbers
written in (``target-counter()`` cannot see pages typeset elsewhere): by a worker started
ahead (``publish.processes.workers``) while the parts draw their pages, else in the parent. Links between parts travel through
a part as ``publish-part:`` URIs and become the internal links they were when the parts are
joined (pikepdf): pages, structure tree (ParentTree renumbered as WeasyPrint numbers it:
pages first, then annotations in page order), outline, named destinations, page labels;
metadata, language, MarkInfo and viewer preferences come from the front matter's document.

Each part document but the last ends with an empty piece that is dropped: it makes a duplex
book's blank verso before the next part's first piece exactly as one render would.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from publish.errors import PublishError
from publish.pdf.css import book_styles, css_string
from publish.pdf.engine import report_warnings, typesetting_roots
from publish.pdf.finishing import typeset
from publish.pdf.html import BookSections, PageOf, book_sections, toc_html
from publish.pdf.paper import DEFAULT_OPTIONS, PdfOptions, bleed_points
from publish.pdf.typeset_cache import TypesetCache, TypesetPart
from publish.pdf.weasyprint_compat import PaginationError, pagination_hook, private_api_allowed
from publish.processes.forking import available_cores
from publish.processes.workers import (
    PARALLEL_PIECES,
    PARALLEL_WORDS,
    TYPESETTING,
    Failed,
    Finished,
    Pool,
    Task,
    Worker,
    WorkerLostError,
    receive_any,
    result_of,
)
from publish.progress import report_progress

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from publish.render import RenderedBook

log = logging.getLogger(__name__)

PART_LINK = "publish-part:"

# An <a> start tag with an internal link: the text of the document is escaped, so "<a " only
# starts a tag, and attribute values are quoted without a bare quote inside.
# An empty piece that ends a part (dropped when joining): the page it starts on follows the
# same breaks as the next part's first piece would.
_PART_END = '<section class="piece"></section>'
_FRONT_END = '<main><section class="piece opening"></section></main>'
# The contents' numbers, written in instead of target-counter() (same text, same place).
_LITERAL_TOC = "nav.toc a::after { content: attr(data-page); }"
# Words per part, at most: a part's process holds less in memory, an edit typesets again about this much
# (publish.pdf.typeset_cache), and on two cores a book in eight parts takes no longer than in two (its last
# parts overlap with the front matter); each part costs a fraction of a second more to start.
PART_WORDS = 40_000


def parallel_jobs(rendered: RenderedBook, options: PdfOptions = DEFAULT_OPTIONS) -> int:
    """How many processes typeset the book: ``options.jobs``, or by default 2 for a long book on 2+ cores.

    The built-in stylesheets only: the split relies on what they do (a stylesheet of one's own
    could number or carry something across pieces), so with ``--styles`` the book is typeset whole; so it
    is with a WeasyPrint or pydyf version not tested (``publish.pdf.weasyprint_compat``).
    """
    if options.styles is not None or len(rendered.pieces) < 2 or not private_api_allowed():
        return 1
    if options.jobs is not None:
        return max(1, min(options.jobs, len(rendered.pieces)))
    words = sum(len(piece.piece.body.split()) for piece in rendered.pieces)
    if available_cores() < 2 or len(rendered.pieces) < PARALLEL_PIECES or words < PARALLEL_WORDS:
        return 1
    return 2


def split_pieces(sizes: list[int], parts: int) -> list[range]:
    """Contiguous runs of pieces of about equal size (``sizes``, e.g. HTML length), at least one piece each."""
    count = len(sizes)
    parts = max(1, min(parts, count))
    cumulative = list(itertools.accumulate(sizes))
    total = cumulative[-1] if cumulative else 0
    bounds = [0]
    for number in range(1, parts):
        target = total * number / parts
        # The cut nearest to the target, leaving at least one piece for this part and each later one.
        cut = next((i for i in range(1, count + 1) if cumulative[i - 1] >= target), count)
        if cut - 1 > bounds[-1] and target - cumulative[cut - 2] < cumulative[cut - 1] - target:
            cut -= 1
        bounds.append(min(max(cut, bounds[-1] + 1), count - (parts - number)))
    bounds.append(count)
    return [range(start, end) for start, end in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class _Job:
    """One part of the book for a worker process."""

    html: str
    styles: list[str]
    base: Path
    allowed: list[Path]
    bleed: float | None
    id_prefix: str  # keeps the structure elements' IDs (table headers) unique in the joined PDF


def part_ranges(rendered: RenderedBook, sections: BookSections, jobs: int) -> list[range]:
    """The pieces of each part: at least ``jobs`` parts, and one per ``PART_WORDS`` words (an edit then typesets
    again a part of that size, not half the book, and no process holds half a long book in memory).
    """
    words = sum(len(piece.piece.body.split()) for piece in rendered.pieces)
    return split_pieces([len(piece) for piece in sections.pieces], max(jobs, math.ceil(words / PART_WORDS)))


def typeset_book_parallel(
    rendered: RenderedBook, options: PdfOptions, jobs: int, typesetters: Pool | None = None,
    kept: TypesetCache | None = None,
) -> bytes | None:  # fmt: skip
    """The book's PDF typeset in parts by ``jobs`` processes at once; None when the parts cannot be made exact
    (the caller then typesets the book whole). WeasyPrint's warnings are reported as one render reports them.
    The parts go to ``typesetters``' workers first, to new processes when there are not enough. With ``kept``,
    the parts (and the front matter) typeset by the last build are used where they still hold, and this
    build's are kept (``publish.pdf.typeset_cache``; the caller saves it once the book is written).
    """
    # Links inside the book are made to cross parts (see the module's docstring).
    sections = book_sections(rendered, options, PART_LINK)
    styles = book_styles(options, rendered.book.meta)
    # The book's title for the running heads of the body's left pages, which the title page
    # sets in one render ("content(text)": its text with white space collapsed).
    title = " ".join(rendered.book.meta.title.split())
    body_styles = [*styles, f"html {{ string-set: book-title {css_string(title)}; }}"]
    ranges = part_ranges(rendered, sections, jobs)
    log.debug("part boundaries (pieces) %s", [part.start for part in ranges])
    allowed = [options.styles] if options.styles else []
    bleed = bleed_points(options)
    base = rendered.book.root

    parts = []
    for number, pieces in enumerate(ranges):
        last = number == len(ranges) - 1
        body = "".join(sections.pieces[index] for index in pieces)
        body += sections.further if last else _PART_END
        html = f"{sections.start}<main>{body}</main>{sections.end}"
        job = _Job(html, body_styles, base, allowed, bleed, f"p{number}-" if number else "")
        parts.append(_Part(number, last, job))

    def front_html(page_of: PageOf) -> str:
        return front_matter_html(rendered, sections, options.toc_depth, page_of)

    front = _Front(front_html, [*styles, _LITERAL_TOC], base, allowed, bleed)
    typesetting = _Typesetting(parts, front, jobs, typesetters, kept)
    result = typesetting.run()
    if result is None:
        return None
    pdf, warnings = result
    report_warnings(warnings, options.strict, rendered.book.meta.title)
    return pdf


def front_matter_html(rendered: RenderedBook, sections: BookSections, toc_depth: int, page_of: PageOf) -> str:
    """The title page, the copyright page and the contents, with the contents' numbers written in (``page_of``)."""
    contents = toc_html(rendered, toc_depth, PART_LINK, page_of)
    return f"{sections.start}{sections.front}{contents}{_FRONT_END}{sections.end}"


class _PartError(Exception):
    """A part could not be typeset exactly; the book is typeset whole instead."""


# The messages between the parent and a part's process, in the order they are sent.
@dataclass(frozen=True)
class Paginated:
    """A part has paginated: its page count, and the anchors on each page."""

    pages: int
    anchors: list[list[str]]


@dataclass(frozen=True)
class Placement:
    """Where a part starts: its folio offset, and whether its first page is a left one."""

    offset: int
    flip: bool


@dataclass(frozen=True)
class PartDone:
    """A part's PDF, with WeasyPrint's warnings and the files it read (``publish.pdf.typeset_cache``)."""

    warnings: list[str]
    pdf: bytes
    reads: dict[str, str]


@dataclass(frozen=True)
class PartRefused:
    """A part cannot be typeset exactly (or WeasyPrint failed on it): the book is typeset whole."""

    reason: str


Message = TypeVar("Message")


def _expect(message: object, kind: type[Message]) -> Message:
    """A part's ``message`` of ``kind``; typeset the book whole after a refusal; raise a bug in publish as it is."""
    if isinstance(message, Failed):
        raise message.error
    if isinstance(message, Finished):  # the part's last message: PartDone or PartRefused
        message = message.value
    if isinstance(message, PartRefused):
        raise _PartError(message.reason)
    if not isinstance(message, kind):
        raise _PartError(f"a part's process sent {type(message).__name__}")
    return message


@dataclass
class _Part:
    """A part through one build: its pages once known (from its process, or kept from the last build),
    where it starts once the parts before it are paginated, and its PDF once drawn."""

    number: int
    last: bool
    job: _Job
    key: str | None = None
    kept: TypesetPart | None = None
    pages: int | None = None
    anchors: list[list[str]] | None = None
    placement: Placement | None = None
    worker: Worker | None = None
    done: TypesetPart | None = None

    @property
    def kept_pages(self) -> int:
        """The pages it adds to the book: all but the empty piece that ends every part but the last."""
        assert self.pages is not None
        return self.pages - (0 if self.last else 1)


@dataclass
class _Front:
    """The title page, the copyright page and the contents, typeset once every part has paginated."""

    html: Callable[[PageOf], str]
    styles: list[str]
    base: Path
    allowed: list[Path]
    bleed: float | None


class _Typesetting:
    """The parts of one book through at most ``processes`` processes, then the front matter, then the join.

    Parts are given to processes in book order, so a part that waits to learn where it starts waits
    only on parts before it, which are kept or already at work: no part waits for a free process.
    """

    def __init__(
        self, parts: list[_Part], front: _Front, processes: int, typesetters: Pool | None, kept: TypesetCache | None
    ):
        self.parts = parts
        self.front = front
        self.processes = processes
        self.typesetters = typesetters
        self.cache = kept
        self.roots = typesetting_roots(front.base, front.allowed)
        self.workers: list[Worker] = []  # every worker this book used, stopped at the end
        self.idle: list[Worker] = []
        self.front_worker: Worker | None = None  # typesetting the front matter
        self.waiting: list[int] = []  # parts to typeset, by number
        self.front_pdf: TypesetPart | None = None
        self.front_key: str | None = None
        self.front_started = False
        self.progress_shown = False
        self.started = time.perf_counter()

    def run(self) -> tuple[bytes, list[str]] | None:
        """The joined PDF and every warning, or None when the book must be typeset whole."""
        result = None
        try:
            result = self._run()
        except _PartError as error:
            log.info("typesetting the book whole: %s", error)
        except (AssertionError, OSError, WorkerLostError) as error:
            log.info("typesetting the book whole: no worker processes (%s)", error)
        finally:
            for worker in self.workers:
                # Finished workers are exiting; one still at work after a failure is ended at once.
                worker.stop(wait=1.0 if result is not None else 0.0)
        return result

    def _run(self) -> tuple[bytes, list[str]]:
        for part in self.parts:
            if self.cache is not None:
                part.key = self.cache.key("part", part.job)
                part.kept = self.cache.get(part.key, self.roots)
            if part.kept is None:
                self.waiting.append(part.number)
            else:
                part.pages, part.anchors = part.kept.pages, part.kept.anchors
        if self.cache is not None:
            log.info("%d of %d parts kept from the last build", self.cache.hits, len(self.parts))
        self._place()
        self._assign()
        import pikepdf  # noqa: F401  (loaded while the parts paginate, for the joining)

        while True:
            self._start_front()
            if not self._busy() and self.waiting:
                self._assign()
                if not self._busy():
                    raise _PartError("no process to typeset a part")
            workers = self._busy()
            if not workers:
                break
            index, message = self._receive(workers)
            self._handle(workers[index], message)
        assert self.front_pdf is not None
        report_progress("joining %d parts", len(self.parts))
        done = [part.done for part in self.parts]
        assert all(done)
        pdfs = [part.pdf for part in done if part is not None]
        joined = join_parts(self.front_pdf.pdf, pdfs, [part.kept_pages for part in self.parts])
        log.debug("joined (%.1f s)", time.perf_counter() - self.started)
        warnings = [*self.front_pdf.warnings, *(w for part in done if part is not None for w in part.warnings)]
        return joined, list(dict.fromkeys(warnings))

    def _receive(self, workers: list[Worker]) -> tuple[int, object]:
        try:
            return receive_any(workers)
        except WorkerLostError:
            raise _PartError("a part's process ended without its pages") from None

    def _place(self) -> None:
        """Tell each part where it starts once every part before it has counted its pages (folio 1 is a
        right-hand page: a part starting an odd number of pages later starts on a left one)."""
        start = 0
        for part in self.parts:
            if part.placement is None:
                part.placement = Placement(start, start % 2 == 1)
                if part.worker is not None:
                    part.worker.send(part.placement)
                elif part.kept is not None:
                    if (part.kept.offset, part.kept.flip) == (start, part.placement.flip):
                        part.done = part.kept
                    else:  # its pages are known, but they fall on other folios or sides now
                        self.waiting.append(part.number)
                        self.waiting.sort()
            if part.pages is None:
                return
            start += part.kept_pages
        log.debug("parts start on body pages %s", [part.placement.offset + 1 for part in self.parts if part.placement])

    def _busy(self) -> list[Worker]:
        """The workers at work: on a part, or on the front matter."""
        at_work = [part.worker for part in self.parts if part.worker is not None]
        return [*at_work, self.front_worker] if self.front_worker is not None else at_work

    def _worker(self, start: bool = True) -> Worker | None:
        """An idle worker, one started ahead, or (with ``start``) a new one while fewer than ``processes`` are at work."""
        if self.idle:
            return self.idle.pop()
        worker = self.typesetters.take() if self.typesetters is not None else None
        if worker is None and start and len(self._busy()) < self.processes:
            worker = Worker.start(preload=TYPESETTING, purpose="typesetting a part")
        if worker is not None:
            self.workers.append(worker)
        return worker

    def _assign(self) -> None:
        """Give the waiting parts, first first, to processes (at most ``processes`` at once)."""
        while self.waiting and sum(part.worker is not None for part in self.parts) < self.processes:
            worker = self._worker()
            if worker is None:
                return
            part = self.parts[self.waiting.pop(0)]
            # The first part typeset shows WeasyPrint's progress (one status line).
            worker.send(Task(typeset_part, (part.job,), talks=True, progress=not self.progress_shown))
            self.progress_shown = True
            part.worker = worker
            if part.placement is not None:
                worker.send(part.placement)

    def _handle(self, worker: Worker, message: object) -> None:
        part = next((part for part in self.parts if part.worker is worker), None)
        if part is None:  # the front matter
            pdf, warnings, reads = result_of(message)
            self.front_worker = None
            self._front_done(pdf, warnings, reads)
        elif isinstance(message, Paginated):
            if part.pages is not None and (part.pages, part.anchors) != (message.pages, message.anchors):
                raise _PartError(f"part {part.number + 1} paginated unlike the last build")
            part.pages, part.anchors = message.pages, message.anchors
            log.debug("part %d paginated: %d pages (%.1f s)", part.number + 1, part.pages, self._elapsed())
            self._place()
            self._assign()
            return
        else:
            done = _expect(message, PartDone)
            assert part.pages is not None and part.anchors is not None and part.placement is not None
            placement = part.placement
            part.done = TypesetPart(
                part.pages, part.anchors, placement.offset, placement.flip, done.warnings, done.reads, done.pdf
            )
            if self.cache is not None:
                self.cache.put(part.key, part.done)
            part.worker = None
            log.debug("part %d drawn (%.1f s)", part.number + 1, self._elapsed())
        self.idle.append(worker)
        self._assign()

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _start_front(self) -> None:
        """Once every part has paginated: the front matter, kept from the last build, or typeset in a worker
        (while the parts draw their pages) or, with none to spare, here."""
        if self.front_started or any(part.pages is None for part in self.parts):
            return
        self.front_started = True
        pages = sum(part.kept_pages for part in self.parts)
        report_progress("%d pages laid out in %d parts; drawing them, typesetting the contents", pages, len(self.parts))
        # The folio of every anchor's page, for the contents (target-counter(): the first page it is on).
        folios: dict[str, int] = {}
        for part in self.parts:
            assert part.anchors is not None and part.placement is not None
            for page, names in enumerate(part.anchors):
                for name in names:
                    folios.setdefault(name, part.placement.offset + page + 1)

        def page_of(target: str) -> int:
            folio = folios.get(target)
            if folio is None:
                raise _PartError(f"no page for the contents entry #{target}")
            return folio

        front = self.front
        arguments = (front.html(page_of), front.styles, front.base, front.allowed, front.bleed)
        if self.cache is not None:
            self.front_key = self.cache.key("front", arguments)
            self.front_pdf = self.cache.get(self.front_key, self.roots)
            if self.front_pdf is not None:
                return
        worker = self._worker(start=False)
        if worker is None:
            self._front_done(*typeset_front(*arguments))
            return
        worker.send(Task(typeset_front, arguments))
        self.front_worker = worker

    def _front_done(self, pdf: bytes, warnings: list[str], reads: dict[str, str]) -> None:
        self.front_pdf = TypesetPart(0, [], 0, False, warnings, reads, pdf)
        if self.cache is not None:
            self.cache.put(self.front_key, self.front_pdf)
        log.debug("front matter typeset (%.1f s)", self._elapsed())


# --- In a part's process ------------------------------------------------------------


def typeset_part(connection: Connection, job: _Job) -> PartDone | PartRefused:
    """Typeset one part (in its own process, a ``Task`` that talks): pause after pagination for the first
    folio and side, then finish; the PDF is the task's result. A bug in publish is the task's ``Failed``.
    """

    def paginated(pages: int, anchors: list[list[str]]) -> tuple[int, bool]:
        connection.send(Paginated(pages, anchors))
        placement: Placement = connection.recv()
        return placement.offset, placement.flip

    reads: dict[str, str] = {}
    try:
        amend = _prefix_structure_ids(job.id_prefix) if job.id_prefix else None
        with pagination_hook(paginated):
            pdf, warnings = typeset(job.html, job.styles, job.base, job.allowed, job.bleed, amend=amend, reads=reads)
    except (PaginationError, PublishError) as error:
        # The parent typesets the book whole: exactly, or with the error one render reports.
        return PartRefused(f"{type(error).__name__}: {error}")
    return PartDone(warnings, pdf, reads)


def typeset_front(
    html: str, styles: list[str], base: Path, allowed: list[Path], bleed: float | None
) -> tuple[bytes, list[str], dict[str, str]]:
    """The front matter typeset, with WeasyPrint's warnings and the files it read."""
    reads: dict[str, str] = {}
    pdf, warnings = typeset(html, styles, base, allowed, bleed, reads=reads)
    return pdf, warnings, reads


def _prefix_structure_ids(prefix: str) -> Any:
    """A finisher step: WeasyPrint names table header cells by object number, which repeats from part to part."""

    def amend(document: Any, pdf: Any) -> None:
        import pydyf

        for item in pdf.objects:
            if not isinstance(item, dict) or item.get("Type") != "/StructElem":
                continue
            if "ID" in item:
                item["ID"] = pydyf.String(prefix + item["ID"].string)
            attributes = item.get("A")
            if isinstance(attributes, dict) and "Headers" in attributes:
                attributes["Headers"] = pydyf.Array([pydyf.String(prefix + h.string) for h in attributes["Headers"]])

    return amend


# --- Joining ----------------------------------------------------------------------------


def join_parts(front: bytes, parts: list[bytes], keep: list[int]) -> bytes:
    """Join the front matter (its last page dropped) and the parts (the first ``keep[i]`` pages of each)."""
    import pikepdf

    out = pikepdf.open(io.BytesIO(front))
    sources = [out, *(pikepdf.open(io.BytesIO(data)) for data in parts)]
    kept = [len(out.pages) - 1, *keep]
    _first_text_for_glyphs(sources)
    body_start = kept[0]
    # Each source's structure, outline and destinations, read before its pages move.
    struct_root = out.Root.StructTreeRoot
    document = struct_root.K[0]
    dropped = [{page.objgen for page in list(src.pages)[count:]} for src, count in zip(sources, kept, strict=True)]
    del out.pages[kept[0] :]

    page_entries: list[Any] = []  # the ParentTree's page arrays, in page order
    annotation_owners: list[tuple[Any, Any]] = []  # (annotation, structure element), in page order
    kids: list[Any] = []
    outline_items: list[Any] = []
    outline_count = 0
    destinations: list[tuple[str, Any]] = []
    for number, (src, count) in enumerate(zip(sources, kept, strict=True)):
        src_root = src.Root.StructTreeRoot
        src_document = src_root.K[0]
        numbers = src_root.ParentTree.Nums
        entries = {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}
        pages = list(src.pages)
        page_keys = [int(page.obj.get("/StructParents", -1)) for page in pages[:count]]
        for page in pages[:count]:
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation_owners.append((annotation, entries[int(annotation.StructParent)]))
        src_kids = [kid for kid in src_document.K if kid.get("/Pg") is None or kid.Pg.objgen not in dropped[number]]
        for kid in src_kids:
            kid.P = pikepdf.Name.Null if number else document
        catalog: Any = src.Root  # a pikepdf Dictionary: .get of a missing key gives the default
        names: Any = catalog.get("/Names", {}).get("/Dests", {}).get("/Names", [])
        src_destinations = [
            (str(names[i]), names[i + 1])
            for i in range(0, len(names), 2)
            if names[i + 1][0].objgen not in dropped[number]
        ]
        items = []
        if "/Outlines" in src.Root:
            outline_count += int(src.Root.Outlines.get("/Count", 0))
            item = src.Root.Outlines.get("/First")
            while item is not None:
                items.append(item)
                item = item.get("/Next")
        if number:
            out.pages.extend(pages[:count])
            src_kids = [out.copy_foreign(kid) for kid in src_kids]
            src_destinations = [(name, _copy(out, src, destination)) for name, destination in src_destinations]
            for item in items:
                _drop_key(item, "/Parent")
            items = [out.copy_foreign(item) for item in items]
            page_entries += [_copy(out, src, entries[key]) if key >= 0 else None for key in page_keys]
            annotation_owners[:] = [
                (annotation, owner)
                if annotation.is_owned_by(out)
                else (out.copy_foreign(annotation), out.copy_foreign(owner))
                for annotation, owner in annotation_owners
            ]
        else:
            page_entries += [entries[key] if key >= 0 else None for key in page_keys]
        for kid in src_kids:
            kid.P = document
        kids += src_kids
        destinations += src_destinations
        outline_items += items

    # Pages first, then annotations in page order: the numbering one render gives.
    nums = pikepdf.Array()
    for index, (page, entry) in enumerate(zip(out.pages, page_entries, strict=True)):
        if entry is None:
            continue
        page.obj.StructParents = index
        nums.append(index)
        nums.append(entry)
    for index, (annotation, owner) in enumerate(annotation_owners, start=len(out.pages)):
        annotation.StructParent = index
        nums.append(index)
        nums.append(owner)
    struct_root.ParentTree = out.make_indirect(pikepdf.Dictionary(Nums=nums))
    document.K = pikepdf.Array(kids)

    # Links between parts become the internal links one render makes.
    for page in out.pages:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(PART_LINK):
                name = unquote(uri.removeprefix(PART_LINK))
                del annotation["/A"]
                annotation.Dest = pikepdf.String(name)
                annotation.Contents = pikepdf.String(name)

    if destinations:
        pairs = pikepdf.Array()
        for name, destination in sorted(destinations, key=lambda pair: pair[0]):
            pairs.append(pikepdf.String(name))
            pairs.append(destination)
        out.Root.Names = pikepdf.Dictionary(Dests=pikepdf.Dictionary(Names=pairs))
    if outline_items:
        outlines = out.make_indirect(pikepdf.Dictionary(Count=outline_count))
        for previous, item in zip([None, *outline_items], outline_items, strict=False):
            item.Parent = outlines
            if previous is None:
                _drop_key(item, "/Prev")
            else:
                item.Prev = previous
                previous.Next = item
        _drop_key(outline_items[-1], "/Next")
        outlines.First = outline_items[0]
        outlines.Last = outline_items[-1]
        out.Root.Outlines = outlines
    # Roman numbers for the front matter, arabic from the first piece (as one render labels them).
    out.Root.PageLabels = pikepdf.Dictionary(
        Nums=pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.r), body_start, pikepdf.Dictionary(S=pikepdf.Name.D)])
    )
    buffer = io.BytesIO()
    # Object streams, as WeasyPrint writes them: the joined file is no larger than it must be.
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


_TO_UNICODE_CHARS = re.compile(rb"beginbfchar(.*?)endbfchar", re.DOTALL)
_TO_UNICODE_ENTRY = re.compile(rb"<([0-9a-fA-F]+)> <([0-9a-fA-F]+)>")


def _first_text_for_glyphs(sources: list[Any]) -> None:
    """Give each glyph the text of its first use in the whole book, as one render's ToUnicode maps do.

    WeasyPrint maps a glyph to the characters it was first drawn for (the hyphen glyph stands
    for "-" and for U+2010, a hyphenation point); each part saw its own first use.
    """
    first: dict[str, dict[bytes, bytes]] = {}
    fonts: list[tuple[Any, dict[bytes, bytes]]] = []
    for src in sources:
        seen: set[tuple[int, int]] = set()
        for page in src.pages:
            resources = page.obj.get("/Resources")
            font_dict = resources.get("/Font") if resources is not None else None
            for font in (font_dict or {}).values():
                if font.objgen in seen or "/ToUnicode" not in font:
                    continue
                seen.add(font.objgen)
                known = first.setdefault(str(font.get("/BaseFont", "")).partition("+")[2], {})
                for block in _TO_UNICODE_CHARS.findall(font.ToUnicode.read_bytes()):
                    for glyph, text in _TO_UNICODE_ENTRY.findall(block):
                        known.setdefault(glyph.lower(), text)
                fonts.append((font, known))
    for font, known in fonts:
        data = font.ToUnicode.read_bytes()

        def first_use(block: re.Match[bytes], known: dict[bytes, bytes] = known) -> bytes:
            return _TO_UNICODE_ENTRY.sub(
                lambda m: b"<%s> <%s>" % (m.group(1), known[m.group(1).lower()]), block.group(0)
            )

        changed = _TO_UNICODE_CHARS.sub(first_use, data)
        if changed != data:
            font.ToUnicode.write(changed)


def _drop_key(dictionary: Any, key: str) -> None:
    if key in dictionary:
        del dictionary[key]


def _copy(out: Any, src: Any, item: Any) -> Any:
    """``item`` of ``src`` copied into ``out`` (pikepdf copies indirect objects only)."""
    return out.copy_foreign(item if item.is_indirect else src.make_indirect(item))
