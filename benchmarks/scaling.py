"""How `publish pdf --jobs N` would scale past this machine's cores: measured part by part, projected.

    python benchmarks/scaling.py MANUSCRIPT WORK_FOLDER N [N ...]

For each N the book is cut into parts as `--jobs N` cuts it (at least N, and one per 40,000 words), and
each part is typeset alone, in a process of its own, one after another (so that two cores shared with
others do not distort it): its processor time and its process's peak memory are recorded. The serial work is measured in this
process: reading and rendering the manuscript, the front matter with the contents, the join. The
projection for N cores is the longest part plus the serial work (the front matter is typeset while
the parts draw their pages, so this is on the safe side). Prints one JSON object per N.

Uses publish.parallel's own cutting and part documents (names private to it: this file follows them).
"""

from __future__ import annotations

import heapq
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

# One part, typeset in a process of its own: its processor time and the process's peak memory.
_PART = """
import json, resource, sys, time
from pathlib import Path
from publish.pdf.finishing import typeset
job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
start = time.process_time()
pdf, _ = typeset(job["html"], job["styles"], Path(job["base"]), [Path(p) for p in job["allowed"]], job["bleed"])
seconds = time.process_time() - start
Path(sys.argv[2]).write_bytes(pdf)
# VmHWM: this process's own peak (ru_maxrss would carry over the parent's from before the exec).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "mib": peak / 1024}))
"""


_typeset: dict[tuple[range, ...], tuple[list[dict[str, float]], list[bytes]]] = {}


def measure(manuscript: Path, work: Path, jobs: int) -> dict[str, object]:
    """The parts' processor times and peak memory, the serial work, and the projection, for ``jobs`` parts."""
    from publish.build import prepare
    from publish.pdf import parts as parallel
    from publish.pdf.css import book_styles, css_string
    from publish.pdf.html import book_sections
    from publish.pdf.paper import DEFAULT_OPTIONS

    work.mkdir(parents=True, exist_ok=True)
    started = time.process_time()
    rendered = prepare(manuscript)
    sections = book_sections(rendered, DEFAULT_OPTIONS, parallel.PART_LINK)
    styles = book_styles(DEFAULT_OPTIONS, rendered.book.meta)
    title = " ".join(rendered.book.meta.title.split())
    body_styles = [*styles, f"html {{ string-set: book-title {css_string(title)}; }}"]
    reading = time.process_time() - started

    ranges = parallel.part_ranges(rendered, sections, jobs)
    # Another N that cuts the book the same way (every N up to the book's words / 40,000) reuses the parts.
    parts, pdfs = _typeset.setdefault(tuple(ranges), ([], []))
    for number, pieces in enumerate(ranges if not parts else []):
        last = number == len(ranges) - 1
        body = "".join(sections.pieces[index] for index in pieces)
        body += sections.further if last else parallel._PART_END
        html = f"{sections.start}<main>{body}</main>{sections.end}"
        job = work / f"part-{jobs}-{number}.json"
        job.write_text(json.dumps({"html": html, "styles": body_styles, "base": str(rendered.book.root),
                                   "allowed": [], "bleed": None}), encoding="utf-8")  # fmt: skip
        output = work / f"part-{jobs}-{number}.pdf"
        result = subprocess.run([sys.executable, "-c", _PART, str(job), str(output)],
                                capture_output=True, text=True, check=True)  # fmt: skip
        parts.append(json.loads(result.stdout.splitlines()[-1]))
        pdfs.append(output.read_bytes())

    # The front matter with the contents' numbers written in (any numbers: the same work).
    started = time.process_time()
    html = parallel.front_matter_html(rendered, sections, DEFAULT_OPTIONS.toc_depth, lambda target: 1)
    front, _, _ = parallel.typeset_front(html, [*styles, parallel._LITERAL_TOC], rendered.book.root, [], None)
    front_seconds = time.process_time() - started
    import pikepdf

    started = time.process_time()
    keep = []
    for number, pdf in enumerate(pdfs):
        with pikepdf.open(io.BytesIO(pdf)) as document:
            keep.append(len(document.pages) - (0 if number == len(pdfs) - 1 else 1))
    parallel.join_parts(front, pdfs, keep)
    join_seconds = time.process_time() - started

    serial = reading + front_seconds + join_seconds
    longest = max(part["seconds"] for part in parts)
    # The parts go to the N processes in book order, each to the first process free.
    free = [0.0] * jobs
    for part in parts:
        heapq.heappush(free, heapq.heappop(free) + part["seconds"])
    return {
        "jobs": jobs,
        "parts": parts,
        "reading": reading,
        "front": front_seconds,
        "join": join_seconds,
        "serial": serial,
        "longest": longest,
        "projected": max(free) + serial,
        "peak_mib": max(part["mib"] for part in parts),
        "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    manuscript, work = Path(sys.argv[1]), Path(sys.argv[2])
    for jobs in map(int, sys.argv[3:]):
        print(json.dumps(measure(manuscript, work, jobs)), flush=True)


if __name__ == "__main__":
    main()
