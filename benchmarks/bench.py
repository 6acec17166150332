"""Time `publish` against pandoc and against WeasyPrint alone; print one table.

    python benchmarks/bench.py [--quick] [--runs N] [--import-only]

Each figure is a whole process (start-up included): median and min–max of several runs,
and the peak resident memory of the process tree's largest process. Ratios compare with
pandoc and with the floor (WeasyPrint alone rendering publish's own HTML and CSS in one
process), measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))

from generate import generate, generate_export, generate_rich, pandoc_source  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "import"

# Runs one command and reports its wall time and peak memory (ru_maxrss of the waited child).
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": elapsed, "cpu": usage.ru_utime + usage.ru_stime, "kib": usage.ru_maxrss, "code": code}))
"""

# The floor: WeasyPrint alone, in one process, on the HTML and CSS that publish gives it.
_FLOOR = """
import sys
from pathlib import Path
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
folder = Path(sys.argv[1])
fonts = FontConfiguration()
sheets = [CSS(filename=str(p), font_config=fonts) for p in sorted(folder.glob("*.css"))]
HTML(filename=str(folder / "book.html"), base_url=sys.argv[2]).write_pdf(
    sys.argv[3], stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")
"""


@dataclass(frozen=True)
class Timing:
    seconds: list[float]
    peak_mib: float
    # Processor time of the whole process tree, per run: less disturbed by a busy machine (none for a save
    # timed in a resident process).
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    def cell(self) -> str:
        return f"{self.median:.2f} s ({min(self.seconds):.2f}–{max(self.seconds):.2f})"


def measure(command: list[str], runs: int, env: dict[str, str], before: Callable[[], None] | None = None) -> Timing:
    """``runs`` runs of ``command``, each after ``before`` (an edit, say) if given."""
    seconds, peaks, cpu = [], [], []
    for _ in range(runs):
        if before is not None:
            before()
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, env=env, check=True
        )
        result = json.loads(out.stdout)
        if result["code"] != 0:
            raise SystemExit(f"failed ({result['code']}): {' '.join(command)}")
        seconds.append(result["seconds"])
        peaks.append(result["kib"] / 1024)
        cpu.append(result["cpu"])
    return Timing(seconds, max(peaks), cpu)


def dump_pdf_inputs(manuscript: Path, folder: Path) -> None:
    """Write the HTML and CSS that `publish pdf` hands to WeasyPrint, for the floor measurement."""
    from publish.build import prepare
    from publish.pdf.paper import PdfOptions
    from publish.pdf.write import pdf_inputs

    html, stylesheets = pdf_inputs(prepare(manuscript), PdfOptions())
    (folder / "book.html").write_text(html, encoding="utf-8")
    for index, css in enumerate(stylesheets):
        (folder / f"{index:02d}.css").write_text(css, encoding="utf-8")


# Handouts of every piece one after another in one process: the baseline for --all-handouts.
_HANDOUTS_IN_TURN = """
import sys
from pathlib import Path
from publish.build import prepare
from publish.pdf.handouts import write_all_handouts
if __name__ == "__main__":
    write_all_handouts(prepare(Path(sys.argv[1])), Path(sys.argv[2]), workers=1)
"""


def ratio(value: Timing, other: Timing, name: str) -> str:
    return f"{value.median / other.median:.2f}× {name} (processor time {value.cpu_median / other.cpu_median:.2f}×)"


def import_rows(publish: str, work: Path, runs: int, env: dict[str, str]) -> list[tuple[str, str, Timing, str]]:
    """`publish import`: the corpus's saved pages in one process, and an export of 100 posts."""
    pages = sorted([*(CORPUS / "pages").glob("*/source.html"), *(CORPUS / "platforms").glob("*/source.html")])
    export = generate_export(work / "export-100.xml", 100)

    def into(folder: str) -> list[str]:
        return ["-m", str(work / folder), "--author", "A. Author"]

    def fresh(command: list[str], folder: str) -> Timing:
        # Each run imports into an empty folder (the manuscript is removed before the next run).
        timings = []
        for _ in range(runs):
            shutil.rmtree(work / folder, ignore_errors=True)
            timings.append(measure(command, 1, env))
        return Timing([t.seconds[0] for t in timings], max(t.peak_mib for t in timings), [t.cpu[0] for t in timings])

    one = fresh([publish, "-q", "import", str(pages[0]), *into("one")], "one")
    many = fresh([publish, "-q", "import", *map(str, pages), *into("pages")], "pages")
    posts = fresh([publish, "-q", "import", str(export), *into("export")], "export")
    per_page = (many.median - one.median) / (len(pages) - 1)
    return [
        ("import", "publish import, one saved page", one, "start-up included"),
        ("import", f"publish import, {len(pages)} saved pages (corpus)", many,
         f"{many.median / len(pages):.3f} s per page; {per_page:.3f} s per page after the first"),
        ("import", "publish import, export of 100 posts (~600 words each)", posts, "the time per 100 posts"),
    ]  # fmt: skip


# Save-to-view: a sentence appended to the first piece, and the time until the page shows it.
_SHOWS_SENTENCE = """(sentence) => {
  const frame = document.getElementById('page');
  return !!(frame && frame.contentDocument && frame.contentDocument.body
            && frame.contentDocument.body.textContent.includes(sentence));
}"""
_PRINT_UPDATED = """(before) => {
  const pages = document.getElementById('pages');
  const first = pages.querySelector('img');
  return pages.dataset.version !== before && first !== null && first.complete && first.naturalWidth > 0;
}"""


def _first_piece(manuscript: Path) -> Path:
    from publish.build import prepare

    return prepare(manuscript).pieces[0].piece.path


def _save(piece: Path, number: int) -> tuple[str, float]:
    """Append a new sentence to ``piece``; return it and the time of the save."""
    sentence = f"Benchmark sentence number {number} was just saved."
    with piece.open("a", encoding="utf-8") as file:
        file.write(f"\n{sentence}\n")
    return sentence, time.perf_counter()


def preview_rows(
    publish: str, books: dict[str, Path], work: Path, runs: int, env: dict[str, str], show: bool = False
) -> list[tuple[str, str, Timing, str]]:
    """`publish preview` in Chromium: save to e-reader view, save to print view; `publish watch`: save to files
    written; beside a cold `publish build`. Each figure is one resident process timed over ``runs`` saves.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS
    from preview_helpers import Running

    rows: list[tuple[str, str, Timing, str]] = []
    if not CHROMIUM.exists():
        print("publish preview and watch not timed: Debian's chromium is missing (bash tests/install-validators.sh)")
        return rows
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, source in books.items():
            if name.startswith(("large", "rich")):
                continue
            folder = work / f"preview-{len(rows)}"
            manuscript = folder / "book"
            shutil.copytree(source, manuscript)
            piece = _first_piece(manuscript)
            cold = measure([publish, "-q", "build", "--force", "-m", str(manuscript), "-o", str(folder / "cold")],
                           runs, env)  # fmt: skip
            reader, printed = [], []
            running = Running(folder, "preview", "--no-open", "-m", str(manuscript))
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(600_000)  # a loaded machine: a deadline, not a pace
            try:
                page.goto(running.address())
                page.wait_for_function(_SHOWS_SENTENCE, arg="")
                for number in range(runs):
                    sentence, saved = _save(piece, number)
                    page.wait_for_function(_SHOWS_SENTENCE, arg=sentence, polling="raf")
                    reader.append(time.perf_counter() - saved)
                page.click("#tab-print")
                page.wait_for_function(_PRINT_UPDATED, arg="")
                for number in range(runs):
                    before = page.eval_on_selector("#pages", "pages => pages.dataset.version")
                    _, saved = _save(piece, 100 + number)
                    page.wait_for_function(_PRINT_UPDATED, arg=before, polling="raf")
                    printed.append(time.perf_counter() - saved)
                running.interrupt()
            finally:
                page.close()
                running.stop()
            watched = {}
            for what in ("epub", "build"):
                running = Running(folder, "watch", what, "-m", str(manuscript), "-o", str(folder / f"watch-{what}"))
                seconds = []
                try:
                    running.wait_for(r" Wrote ", timeout=600)
                    for number in range(runs):
                        _, saved = _save(piece, 200 + number)
                        running.wait_for(r" Wrote ", timeout=600)
                        seconds.append(time.perf_counter() - saved)
                    running.interrupt()
                finally:
                    running.stop()
                watched[what] = Timing(seconds, 0.0)
            book_rows = [
                (name, "publish build --force (cold)", cold, ""),
                (name, "preview: save → e-reader view shows it", Timing(reader, 0.0), "Chromium, one resident process"),
                (name, "preview: save → print view shows it", Timing(printed, 0.0), "typeset in the resident process"),
                (name, "watch epub: save → EPUB written", watched["epub"], ""),
                (name, "watch: save → EPUB and PDF written", watched["build"], ""),
            ]
            if show:
                print_rows(book_rows)  # as each book is done: the medium book takes minutes on a loaded machine
            rows += book_rows
        browser.close()


def _append_sentence(path: Path, counter: list[int]) -> None:
    counter[0] += 1
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{text}\n\nA sentence added for run {counter[0]}.\n", encoding="utf-8")


def incremental_rows(publish: str, manuscript: Path, out: Path, runs: int, env: dict[str, str]) -> dict[str, Timing]:
    """Rebuilds after editing one piece, the cache of conversions warm (a copy of the manuscript is edited)."""
    copy = out / "edited"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(manuscript, copy)
    pieces = sorted(copy.glob("piece-*.md"))
    counter = [0]
    m = ["-m", str(copy)]
    # `publish build` makes the cache in its folder; `publish epub` into that folder uses it.
    build = [publish, "-q", "build", *m, "-o", str(out / "incremental-build")]
    subprocess.run(build, env=env, check=True, capture_output=True)
    epub = [publish, "-q", "epub", *m, "-o", str(out / "incremental-build" / "epub-only.epub")]
    middle, last = pieces[len(pieces) // 2], pieces[-1]
    return {
        "publish epub after a one-piece edit": measure(epub, runs, env, lambda: _append_sentence(middle, counter)),
        "publish build --force": measure(
            [*build, "--force"], runs, env, partial(shutil.rmtree, out / "incremental-build" / ".publish-cache", True)
        ),
        "publish build after editing the last piece": measure(
            build, runs, env, lambda: _append_sentence(last, counter)
        ),
    }


SCALING_HEADER = """| --jobs N | each part alone: processor time | longest part | serial work (read, front matter, join) | projected wall on N cores | measured wall | projected vs pandoc | peak memory per part process |
| --- | --- | --- | --- | --- | --- | --- | --- |"""


def scaling_rows(manuscript: Path, work: Path, measured: Timing, pandoc: Timing) -> list[str]:
    """The scaling table (benchmarks/scaling.py): each part typeset alone, one after another; the projection."""
    out = subprocess.run(
        [sys.executable, str(HERE / "scaling.py"), str(manuscript), str(work), "2", "4", "8"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = []
    for line in out.stdout.splitlines():
        result = json.loads(line)
        parts = ", ".join(f"{part['seconds']:.1f}" for part in result["parts"])
        wall = measured.cell() if result["jobs"] == 2 else "(2 cores here)"
        rows.append(
            f"| {result['jobs']} | {parts} s | {result['longest']:.1f} s | {result['serial']:.1f} s "
            f"({result['reading']:.1f} + {result['front']:.1f} + {result['join']:.1f}) | {result['projected']:.1f} s | "
            f"{wall} | {result['projected'] / pandoc.median:.2f}× (processor time {result['projected'] / pandoc.cpu_median:.2f}×) "
            f"| {result['peak_mib']:.0f} MB |"
        )
    return rows


def print_rows(rows: list[tuple[str, str, Timing, str]]) -> None:
    print("\n| book | command | time: median (min–max) | processor time | peak memory | compared (same run) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, command, timing, compared in rows:
        print(
            f"| {name} | {command} | {timing.cell()} | {f'{timing.cpu_median:.2f} s' if timing.cpu else '–'} "
            f"| {f'{timing.peak_mib:.0f} MB' if timing.peak_mib else '–'} | {compared} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="demo and medium book only, and the rich book's EPUB and PDF"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3; the large book uses 2)")
    parser.add_argument("--large-runs", type=int, default=2, help="runs per figure for the large book (default 2)")
    parser.add_argument("--no-scaling", action="store_true", help="leave out the scaling table (--jobs 2, 4, 8)")
    parser.add_argument("--no-floor", action="store_true", help="leave out the floor (WeasyPrint alone)")
    parser.add_argument("--no-handouts", action="store_true", help="leave out the handouts' figures")
    parser.add_argument("--no-import", action="store_true", help="leave out `publish import`")
    parser.add_argument("--import-only", action="store_true", help="only `publish import` (pages and an export)")
    parser.add_argument("--preview-only", action="store_true", help="only `publish preview` and `publish watch`")
    args = parser.parse_args()

    # An installed wheel carries its bytecode; an editable checkout (or PYTHONDONTWRITEBYTECODE)
    # would otherwise recompile publish's own modules in every timed run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "publish")], check=True)
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "SOURCE_DATE_EPOCH": "1700000000"}
    publish = str(BIN / "publish")
    work = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    if args.import_only:
        print_rows(import_rows(publish, work, args.runs, env))
        return
    if args.preview_only:
        previewed = {
            "demo": ROOT / "manuscript",
            "medium (30 pieces, ~60k words)": generate(work / "medium", 30, 60_000),
        }
        preview_rows(publish, previewed, work, args.runs, env, show=True)
        return

    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    books = {"demo": ROOT / "manuscript"}
    books["medium (30 pieces, ~60k words)"] = generate(work / "medium", 30, 60_000)
    books["rich (30 pieces, ~60k words, images/tables/footnotes/links)"] = generate_rich(work / "rich", 30, 60_000)
    if not args.quick:
        books["large (150 pieces, ~300k words)"] = generate(work / "large", 150, 300_000)

    rows: list[tuple[str, str, Timing, str]] = []
    scaling: list[str] = []
    for name, manuscript in books.items():
        runs = args.large_runs if name.startswith("large") else args.runs
        # Quick: the rich book's EPUB and PDF against pandoc's, without the rows the medium book has already.
        brief = args.quick and name.startswith("rich")
        out = work / "out"
        out.mkdir(exist_ok=True)
        source = pandoc_source(manuscript, work / "pandoc.md")
        floor_inputs = work / "floor"
        shutil.rmtree(floor_inputs, ignore_errors=True)
        floor_inputs.mkdir()
        dump_pdf_inputs(manuscript, floor_inputs)
        m = ["-m", str(manuscript)]
        # Each build from nothing: without the conversions an earlier run kept (see publish.cache).
        clean = partial(shutil.rmtree, out / ".publish-cache", ignore_errors=True)

        t = {
            "publish epub": measure([publish, "-q", "epub", *m, "-o", str(out / "p.epub")], runs, env, clean),
            "pandoc → EPUB": measure([pandoc, str(source), "--toc", "-o", str(out / "pandoc.epub")], runs, env),
            "publish pdf": measure([publish, "-q", "pdf", *m, "-o", str(out / "p.pdf")], runs, env, clean),
        }
        if not name.startswith("demo") and not brief:
            t["publish pdf --jobs 1"] = measure(
                [publish, "-q", "pdf", *m, "--jobs", "1", "-o", str(out / "p1.pdf")], runs, env, clean
            )
        t["pandoc → PDF (WeasyPrint)"] = measure(
            [pandoc, str(source), "--toc", "--pdf-engine=weasyprint", "-o", str(out / "pandoc.pdf")], runs, env
        )
        if not args.no_floor and not brief:
            t["floor: WeasyPrint alone"] = measure(
                [sys.executable, "-c", _FLOOR, str(floor_inputs), str(manuscript) + "/", str(out / "floor.pdf")],
                runs,
                env,
            )
        if name.startswith("medium") and not args.no_handouts:
            t["publish pdf --all-handouts"] = measure(
                [publish, "-q", "pdf", *m, "--all-handouts", "-o", str(out / "handouts")], runs, env
            )
            t["handouts one after another"] = measure(
                [sys.executable, "-c", _HANDOUTS_IN_TURN, str(manuscript), str(out / "handouts-1")], runs, env
            )
        if not brief:
            build = [publish, "-q", "build", *m, "-o", str(out / "build")]
            subprocess.run(build, env=env, check=True, capture_output=True)
            t["publish build, nothing changed"] = measure(build, runs, env)
        if not name.startswith("demo") and not brief:
            t.update(incremental_rows(publish, manuscript, out, runs, env))

        compare = {
            "publish epub": [ratio(t["publish epub"], t["pandoc → EPUB"], "pandoc")],
            "publish pdf": [
                ratio(t["publish pdf"], t["pandoc → PDF (WeasyPrint)"], "pandoc"),
                *(
                    [ratio(t["publish pdf"], t["floor: WeasyPrint alone"], "floor")]
                    if "floor: WeasyPrint alone" in t
                    else []
                ),
            ],
            "publish pdf --jobs 1": [
                ratio(t.get("publish pdf --jobs 1", t["publish pdf"]), t["pandoc → PDF (WeasyPrint)"], "pandoc"),
                *(
                    [ratio(t.get("publish pdf --jobs 1", t["publish pdf"]), t["floor: WeasyPrint alone"], "floor")]
                    if "floor: WeasyPrint alone" in t
                    else []
                ),
            ],
            "publish pdf --all-handouts": [
                ratio(
                    t.get("publish pdf --all-handouts", t["publish pdf"]),
                    t.get("handouts one after another", t["publish pdf"]),
                    "one after another",
                )
            ],
        }
        if "publish pdf --jobs 1" in t:
            compare["publish pdf"].append(
                f"memory {t['publish pdf'].peak_mib / t['publish pdf --jobs 1'].peak_mib:.2f}× one process"
            )
        if "publish epub after a one-piece edit" in t:
            compare["publish epub after a one-piece edit"] = [
                ratio(t["publish epub after a one-piece edit"], t["publish epub"], "a clean build")
            ]
            compare["publish build after editing the last piece"] = [
                ratio(t["publish build after editing the last piece"], t["publish build --force"], "a clean build")
            ]
        book_rows = [(name, command, timing, ", ".join(compare.get(command, []))) for command, timing in t.items()]
        print_rows(book_rows)  # as each book is done: a long run shows its figures as it goes
        rows.extend(book_rows)
        if name.startswith("large") and not args.no_scaling:
            scaling = scaling_rows(manuscript, work / "scaling", t["publish pdf"], t["pandoc → PDF (WeasyPrint)"])
            print(f"\n{SCALING_HEADER}\n" + "\n".join(scaling), flush=True)
    if not args.no_import:
        rows.extend(import_rows(publish, work, args.runs, env))
    rows.extend(preview_rows(publish, books, work, args.runs, env))

    print("\nThe whole table:")
    print_rows(rows)
    if scaling:
        print(f"\n{SCALING_HEADER}")
        print("\n".join(scaling))
    print(
        f"\n{os.cpu_count()} cores; pandoc {pypandoc.get_pandoc_version()}; runs per figure: {args.runs} "
        f"(large book: {args.large_runs}); peak memory: the largest single process; files in {work}"
    )


if __name__ == "__main__":
    main()
