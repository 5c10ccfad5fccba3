"""make bench: how fast the report builds, against a naive loop and a one-process floor, and how
the microdata path scales.

What it measures (one run, on this machine; see bench/README.md for what each number means):

1. cold  - a full build of every chapter through our runner (``python -m helpers run``, default
   ``-j`` = cores) into an empty temporary output folder;
2. no-op - the same command again (it should say "Nothing to do");
3. touch - the rebuild after one code cell of 03-technology-trends got an extra comment line
   (only that chapter should re-run, plus the register if its claims changed);
4. naive - the loop a user would write: ``papermill`` then ``jupyter nbconvert --to html`` per
   chapter, sequentially, the command-line tools from .venv/bin;
5. floor - every chapter's code cells exec'd in ONE Python interpreter (bench/floor.py);
6. the ratios naive/ours (cold, no-op) and ours/floor (cold) against their goals;
7. import times of ``helpers``, ``helpers.pipeline.runner`` and ``helpers.pipeline.cli`` (fresh interpreter
   minus an empty one, median of 5);
8. scale - synthetic microdata of 1k .. 1M respondents through generate, write, read+validate,
   weights, latent classes, the gap test and a one-proportion test, one fresh process per size
   (bench/scale.py), with wall time per step and peak RSS.

How: src/helpers, data/ and the notebooks are first copied to a temporary folder, and every
measured process runs with that snapshot first on PYTHONPATH (kernels inherit it), so the
repository is never modified and edits others make while the bench runs cannot disturb it (a
helpers edit would make every chapter stale). Steps 1-3 drive the real command line
(``helpers.pipeline.cli.main``) on copies of the notebooks through a small driver script run as a
subprocess, as tests/conftest.py does. Every build writes into a fresh temporary parent
folder; the only files written under the repository are outputs/bench/bench.csv and
outputs/bench/bench.png.

    .venv/bin/python bench/run.py            # everything (~5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # no naive loop, no 1M size (~2 minutes)
    .venv/bin/python bench/run.py --keep     # keep the temporary folder to inspect the builds
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from helpers.chapters import CHAPTERS
from helpers.paths import DEFAULT_OUTPUT_DIR, PROJECT_ROOT, OutputLayout

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = DEFAULT_OUTPUT_DIR / "bench"
PYTHON = sys.executable
VENV_BIN = PROJECT_ROOT / ".venv" / "bin" if (PROJECT_ROOT / ".venv" / "bin").is_dir() else Path(PYTHON).parent

TOUCHED_CHAPTER = "03-technology-trends"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
IMPORT_REPEATS = 5
GIB = 1024 ** 3

GOAL_NAIVE_OVER_COLD = 3.0     # naive / ours, cold build: at least
GOAL_NAIVE_OVER_NOOP = 50.0    # naive / ours, no-op rebuild: at least
GOAL_NOOP_SECONDS = 0.3        # no-op rebuild, seconds: at most
GOAL_OURS_OVER_FLOOR = 2.0     # ours / floor, cold build: at most
GOAL_LINEAR_GROWTH = 1.5       # time per respondent, largest size / next size: at most
GOAL_PEAK_RSS_1M = 2 * GIB     # peak RSS at 1M respondents: at most

DRIVER = '''
import sys
from helpers.chapters import ChapterSpec
from helpers.pipeline.cli import main

SPECS = {specs!r}

if __name__ == "__main__":
    chapters = tuple(ChapterSpec(**fields) for fields in SPECS)
    sys.exit(main(sys.argv[1:], chapters=chapters))
'''


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------
@dataclass
class Row:
    section: str
    measure: str
    value: float | str
    unit: str = ""
    goal: str = ""
    status: str = "info"  # PASS, MISS, info, skipped, ERROR
    note: str = ""
    summary: bool = False  # shown in the final summary table


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: dict = field(default_factory=dict)  # what the plot and the breakdown need

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        return row

    def value(self, measure: str):
        for row in self.rows:
            if row.measure == measure and isinstance(row.value, (int, float)):
                return row.value
        return None


def check(value: float | None, goal: float, *, at_least: bool) -> str:
    if value is None:
        return "skipped"
    return "PASS" if (value >= goal if at_least else value <= goal) else "MISS"


def say(message: str) -> None:
    print(message, flush=True)


def timed(command: list[str], *, timeout: float = 900, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    return time.perf_counter() - started, done


def _cpu_seconds() -> tuple[float, float]:
    """(busy CPU-seconds of the whole machine, CPU-seconds of this process's finished children)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy / ticks, children.ru_utime + children.ru_stime


@contextmanager
def other_load(results: Results, measure: str):
    """Record how much CPU other processes used while a measure ran: on a shared 2-core machine
    this is the noise in every number (the bench's own processes, kernels included, are excluded)."""
    try:
        machine, ours = _cpu_seconds()
    except OSError:  # no /proc: not Linux
        yield
        return
    started = time.perf_counter()
    yield
    machine_after, ours_after = _cpu_seconds()
    seconds = time.perf_counter() - started
    other = max(0.0, (machine_after - machine) - (ours_after - ours))
    results.add("machine noise", f"other processes' CPU during {measure}", round(other, 1), "core-s",
                note=f"{100 * other / (seconds * (os.cpu_count() or 1)):.0f} % of the machine over {seconds:.0f} s")


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------
# the workspace: copied notebooks, the driver, fresh output folders
# ---------------------------------------------------------------------------------------
@dataclass
class Workspace:
    root: Path

    @property
    def project(self) -> Path:  # the snapshot every measure uses: src/helpers, data, notebooks
        return self.root / "project"

    @property
    def pristine(self) -> Path:  # the notebooks the naive loop and the floor read
        return self.project / "notebooks"

    @property
    def chapters_dir(self) -> Path:  # the copies the runner builds (03 gets touched)
        return self.root / "notebooks"

    @property
    def driver(self) -> Path:
        return self.root / "driver.py"

    @property
    def ours(self) -> Path:
        return self.root / "ours" / "outputs"

    @property
    def naive(self) -> Path:
        return self.root / "naive" / "outputs"

    @property
    def floor(self) -> Path:
        return self.root / "floor" / "outputs"

    def env(self) -> dict[str, str]:
        """The environment of every measured process: the snapshot's helpers come first on the path
        (kernels inherit it), so its PROJECT_ROOT, and so its data folder, is the snapshot."""
        path = [str(self.project / "src"), os.environ.get("PYTHONPATH", "")]
        return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}

    def run(self, command: list[str], timeout: float = 900) -> tuple[float, subprocess.CompletedProcess]:
        return timed(command, timeout=timeout, env=self.env())

    def run_ours(self, *args: str) -> tuple[float, subprocess.CompletedProcess]:
        return self.run([PYTHON, str(self.driver), "run", "--output-dir", str(self.ours), *args])


def prepare(root: Path) -> Workspace:
    """Snapshot the helpers source, the data and the notebooks, so that edits made by others while
    the bench runs (a helpers change would make every chapter stale) cannot disturb a measure."""
    ws = Workspace(root)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PROJECT_ROOT / "src" / "helpers", ws.project / "src" / "helpers", ignore=ignore)
    shutil.copytree(PROJECT_ROOT / "data", ws.project / "data", ignore=ignore)
    ws.chapters_dir.mkdir(parents=True)
    ws.pristine.mkdir(parents=True)
    specs = []
    for spec in CHAPTERS:
        shutil.copy2(spec.notebook, ws.pristine / f"{spec.slug}.ipynb")
        shutil.copy2(spec.notebook, ws.chapters_dir / f"{spec.slug}.ipynb")
        # every field (the scheduling hint too), only the notebook's path changed
        specs.append(dataclasses.asdict(dataclasses.replace(spec, path=str(ws.chapters_dir / f"{spec.slug}.ipynb"))))
    ws.driver.write_text(DRIVER.format(specs=specs))
    _, done = ws.run([PYTHON, "-c", "import helpers.paths as p; print(p.PROJECT_ROOT)"], timeout=60)
    if Path(done.stdout.strip()) != ws.project:
        raise RuntimeError(f"the snapshot is not the helpers measured processes import: {done.stdout}{done.stderr}")
    return ws


# ---------------------------------------------------------------------------------------
# 1-3: our runner
# ---------------------------------------------------------------------------------------
def measure_cold(ws: Workspace, results: Results) -> bool:
    say(f"[1] cold full build of {len(CHAPTERS)} chapters (default -j = {os.cpu_count()}) ...")
    seconds, done = ws.run_ours()
    if done.returncode != 0:
        results.add("ours", "cold build", "failed", "s", status="ERROR", note=tail(done.stderr, 5), summary=True)
        say(f"    FAILED (exit {done.returncode}):\n{tail(done.stderr)}")
        return False
    results.add("ours", "cold build", round(seconds, 2), "s", note=f"{len(CHAPTERS)} chapters, -j {os.cpu_count()}",
                summary=True)
    say(f"    {seconds:.1f} s")
    cold_breakdown(ws, seconds, done.stderr, results)
    return True


def cold_breakdown(ws: Workspace, wall: float, stderr: str, results: Results) -> None:
    """Where the cold build's time went: per chapter (run.json), per cell of the slowest chapter."""
    record = json.loads(OutputLayout(ws.ours).run_record.read_text())
    chapters = {}
    for slug, entry in record["chapters"].items():
        notebook = json.loads(OutputLayout(ws.ours).notebook(slug).read_text())
        cells = [(i, c) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]
        cell_seconds = [(i, c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0, c) for i, c in cells]
        in_cells = sum(s for _, s, _ in cell_seconds)
        chapters[slug] = {"duration": entry["duration"], "cells": in_cells, "cell_seconds": cell_seconds}
        results.add("cold chapters", f"{slug} duration", entry["duration"], "s",
                    note=f"in cells {in_cells:.2f} s, kernel+papermill overhead {entry['duration'] - in_cells:.2f} s")

    slowest = max(chapters, key=lambda s: chapters[s]["duration"])
    for index, seconds, cell in sorted(chapters[slowest]["cell_seconds"], key=lambda t: -t[1]):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        first = next((line for line in source.splitlines() if line.strip() and not line.startswith("#")), "")
        results.add("cold slowest chapter cells", f"{slowest} cell {index}", round(seconds, 2), "s", note=first[:90])

    # The runner's own timeline, from its progress lines (elapsed is counted from run() start).
    finished = {m["slug"]: (float(m["e"]) - float(m["d"]), float(m["e"])) for m in re.finditer(
        r"\] (?P<slug>[\w-]+): ok in (?P<d>[\d.]+) s \(elapsed (?P<e>[\d.]+) s\)", stderr)}
    done_in = re.search(r"Done in ([\d.]+) s", stderr)
    if not (finished and done_in):
        return
    results.details["timeline"] = {s: (start, end, chapters[s]["cells"]) for s, (start, end) in finished.items()
                                   if s in chapters}
    total = float(done_in.group(1))
    registers = {c.slug for c in CHAPTERS if c.gathers_claims}
    ordinary = {s: t for s, t in finished.items() if s not in registers}
    jobs = os.cpu_count() or 1
    first_start = min(start for start, _ in finished.values())
    ordinary_end = max(end for _, end in ordinary.values())
    busy = sum(chapters[s]["duration"] for s in ordinary)

    def add(measure: str, seconds: float, note: str = "") -> None:
        results.add("cold timeline", measure, round(seconds, 2), "s", note=note)

    add("process start-up and exit (wall - runner's 'Done in')", wall - total)
    add("runner start to first chapter started (validation, preflight, pool start)", first_start,
        "includes spawning the pool workers and their import of papermill")
    add("first chapter started to last non-register chapter finished", ordinary_end - first_start)
    add("idle core-seconds in that span (jobs x span - sum of chapter durations)",
        jobs * (ordinary_end - first_start) - busy, f"{jobs} jobs; the chapter order decides how much")
    for slug in registers & set(finished):
        start, end = finished[slug]
        add(f"register chapter {slug} (runs alone, after the others)", end - start,
            f"waited {start - ordinary_end:.2f} s after the last chapter")
    add("last chapter finished to done (HTML export, run.json, swap)", total - max(e for _, e in finished.values()))
    add("sum of chapter durations", sum(c["duration"] for c in chapters.values()),
        "kernel-seconds; with 2 chapters at once each one runs slower than alone")


def measure_noop(ws: Workspace, results: Results) -> None:
    say("[2] no-op rebuild ...")
    seconds, done = ws.run_ours()
    nothing = "Nothing to do" in done.stderr
    note = "printed 'Nothing to do'" if nothing else f"did NOT say 'Nothing to do': {tail(done.stderr, 3)}"
    status = check(seconds, GOAL_NOOP_SECONDS, at_least=False) if nothing and done.returncode == 0 else "ERROR"
    results.add("ours", "no-op rebuild", round(seconds, 3), "s", goal=f"<= {GOAL_NOOP_SECONDS:g} s", status=status,
                note=note, summary=True)
    say(f"    {seconds:.2f} s ({note})")


def touch_code_cell(notebook: Path) -> int:
    """Append a comment line to the last non-parameters code cell; returns that cell's index."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    index = max(i for i, c in enumerate(nb["cells"])
                if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", []))
    source = nb["cells"][index]["source"]
    source = source if isinstance(source, str) else "".join(source)
    nb["cells"][index]["source"] = source.rstrip("\n") + "\n# bench: a comment line, so the code cells changed\n"
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return index


def measure_touch(ws: Workspace, results: Results) -> None:
    cell = touch_code_cell(ws.chapters_dir / f"{TOUCHED_CHAPTER}.ipynb")
    say(f"[3] rebuild after a comment added to code cell {cell} of {TOUCHED_CHAPTER} ...")
    seconds, done = ws.run_ours()
    if done.returncode != 0:
        results.add("ours", f"rebuild after touching {TOUCHED_CHAPTER}", "failed", "s", status="ERROR",
                    note=tail(done.stderr, 5), summary=True)
        return
    chapters = json.loads(OutputLayout(ws.ours).run_record.read_text())["chapters"]
    reran = {s: r for s, r in chapters.items() if not r.get("reused")}
    register = next(c.slug for c in CHAPTERS if c.gathers_claims)
    expected = TOUCHED_CHAPTER in reran and set(reran) <= {TOUCHED_CHAPTER, register}
    if register in reran:
        expected = expected and any("claims" in reason for reason in reran[register].get("reasons", []))
    ran = ", ".join(f"{s} ({'; '.join(r.get('reasons', []))}, {r.get('duration', 0):.1f} s)" for s, r in reran.items())
    results.add("ours", f"rebuild after touching {TOUCHED_CHAPTER}", round(seconds, 2), "s",
                goal=f"only {TOUCHED_CHAPTER} (+ register if claims changed)",
                status="PASS" if expected else "MISS", note=f"re-ran: {ran}", summary=True)
    say(f"    {seconds:.1f} s; re-ran: {ran}")


# ---------------------------------------------------------------------------------------
# 4-5: the naive loop and the one-process floor
# ---------------------------------------------------------------------------------------
def measure_naive(ws: Workspace, results: Results) -> None:
    say("[4] naive loop: papermill + jupyter nbconvert per chapter, sequentially ...")
    ws.naive.mkdir(parents=True)
    papermill, jupyter = str(VENV_BIN / "papermill"), str(VENV_BIN / "jupyter")
    total, per_chapter = 0.0, {}
    for spec in CHAPTERS:
        executed = ws.naive / f"{spec.slug}.ipynb"
        pm_seconds, done = ws.run([papermill, str(ws.pristine / f"{spec.slug}.ipynb"), str(executed),
                                  "-p", "output_dir", str(ws.naive)])
        if done.returncode != 0:
            results.add("naive", "naive loop", "failed", "s", status="ERROR",
                        note=f"papermill failed on {spec.slug}: {tail(done.stderr, 3)}", summary=True)
            return
        nc_seconds, done = ws.run([jupyter, "nbconvert", "--to", "html", str(executed)])
        if done.returncode != 0:
            results.add("naive", "naive loop", "failed", "s", status="ERROR",
                        note=f"nbconvert failed on {spec.slug}: {tail(done.stderr, 3)}", summary=True)
            return
        per_chapter[spec.slug] = (pm_seconds, nc_seconds)
        total += pm_seconds + nc_seconds
        say(f"    {spec.slug}: papermill {pm_seconds:.1f} s, nbconvert {nc_seconds:.1f} s")
        results.add("naive chapters", f"{spec.slug} papermill + nbconvert", round(pm_seconds + nc_seconds, 2), "s",
                    note=f"papermill {pm_seconds:.2f} s, nbconvert {nc_seconds:.2f} s")
    nbconvert_total = sum(n for _, n in per_chapter.values())
    results.add("naive", "naive loop", round(total, 2), "s",
                note=f"papermill {total - nbconvert_total:.1f} s + nbconvert {nbconvert_total:.1f} s", summary=True)
    results.details["naive_chapters"] = per_chapter
    say(f"    {total:.1f} s")


def measure_floor(ws: Workspace, results: Results) -> None:
    say("[5] one-process floor: every chapter's code cells in one interpreter ...")
    result_path = ws.root / "floor.json"
    command = [PYTHON, str(BENCH_DIR / "floor.py"), str(ws.pristine), str(ws.floor), str(result_path),
               *(c.slug for c in CHAPTERS)]
    seconds, done = ws.run(command)
    if done.returncode != 0:
        results.add("floor", "one-process floor", "failed", "s", status="ERROR", note=tail(done.stderr, 5),
                    summary=True)
        say(f"    FAILED:\n{tail(done.stderr)}")
        return
    floor = json.loads(result_path.read_text())
    for slug, chapter_seconds in floor["chapters"].items():
        results.add("floor chapters", f"{slug} floor", chapter_seconds, "s")
    in_chapters = sum(floor["chapters"].values())
    results.add("floor", "one-process floor", round(seconds, 2), "s",
                note=f"{in_chapters:.1f} s in chapter code, {seconds - in_chapters:.1f} s interpreter and imports; "
                     f"{floor['skipped_magic_lines']} magic lines skipped", summary=True)
    results.details["floor_chapters"] = floor["chapters"]
    say(f"    {seconds:.1f} s")


def measure_ratios(results: Results) -> None:
    cold, noop = results.value("cold build"), results.value("no-op rebuild")
    naive, floor = results.value("naive loop"), results.value("one-process floor")
    for measure, top, bottom, goal, at_least in (
        ("naive / ours, cold", naive, cold, GOAL_NAIVE_OVER_COLD, True),
        ("naive / ours, no-op", naive, noop, GOAL_NAIVE_OVER_NOOP, True),
        ("ours / floor, cold", cold, floor, GOAL_OURS_OVER_FLOOR, False),
    ):
        ratio = round(top / bottom, 2) if top and bottom else None
        results.add("ratios", measure, ratio if ratio is not None else "n/a", "x",
                    goal=f"{'>=' if at_least else '<='} {goal:g}", status=check(ratio, goal, at_least=at_least),
                    summary=True)


# ---------------------------------------------------------------------------------------
# 7: import times
# ---------------------------------------------------------------------------------------
def measure_imports(ws: Workspace, results: Results) -> None:
    say(f"[7] import times (fresh interpreter minus an empty one, median of {IMPORT_REPEATS}) ...")
    statements = {"empty interpreter": "pass", "import helpers": "import helpers",
                  "import helpers.pipeline.runner": "import helpers.pipeline.runner",
                  "import helpers.pipeline.cli": "import helpers.pipeline.cli",
                  "import papermill, plain (what the naive loop's papermill CLI pays per chapter)": "import papermill",
                  "import papermill, rfc3987_syntax blocked (as the runner and its workers do)":
                      "import sys; sys.modules['rfc3987_syntax'] = None; import papermill"}
    samples: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(IMPORT_REPEATS):  # interleaved, so a busy moment hits every statement alike
        for name, statement in statements.items():
            seconds, done = ws.run([PYTHON, "-c", statement], timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"{statement!r} failed: {tail(done.stderr, 3)}")
            samples[name].append(seconds)
    baseline = statistics.median(samples.pop("empty interpreter"))
    results.add("imports", "empty interpreter start-up", round(baseline, 3), "s")
    for name, values in samples.items():
        extra = max(0.0, statistics.median(values) - baseline)  # below the noise of an interpreter start: 0
        results.add("imports", name, round(extra, 3), "s",
                    note=f"median of {IMPORT_REPEATS}, minus the empty interpreter",
                    summary=name.startswith("import helpers"))
        say(f"    {name}: {extra:.3f} s")


# ---------------------------------------------------------------------------------------
# 8: microdata scale
# ---------------------------------------------------------------------------------------
def measure_scale(ws: Workspace, results: Results, sizes: tuple[int, ...]) -> None:
    say(f"[8] microdata scale: {', '.join(f'{n:,}' for n in sizes)} respondents, a fresh process each ...")
    runs = {}
    for n in sizes:
        result_path = ws.root / f"scale-{n}.json"
        seconds, done = ws.run([PYTHON, str(BENCH_DIR / "scale.py"), str(n), str(ws.root / "scale"), str(result_path)])
        if done.returncode != 0:
            results.add("scale", f"n={n}", "failed", "s", status="ERROR", note=tail(done.stderr, 5), summary=True)
            say(f"    n={n:,} FAILED:\n{tail(done.stderr)}")
            return
        run = json.loads(result_path.read_text())
        runs[n] = run
        work = sum(s["seconds"] for name, s in run["steps"].items() if name != "import")
        for name, step in run["steps"].items():
            results.add("scale steps", f"n={n} {name}", step["seconds"], "s",
                        note=f"peak RSS so far {step['peak_rss_kib'] / 1024:.0f} MiB")
        results.add("scale", f"n={n} all steps but import", round(work, 2), "s",
                    note=f"{work / n * 1e6:.2f} us per respondent; process wall {seconds:.1f} s; "
                         f"CSV {run['csv_bytes'] / 1e6:.1f} MB")
        results.add("scale", f"n={n} peak RSS", round(run["peak_rss_kib"] / 1024, 1), "MiB")
        say(f"    n={n:>9,}: {work:.2f} s without import, peak {run['peak_rss_kib'] / 1024:.0f} MiB")
    results.details["scale"] = runs

    big, small = sorted(runs)[-1], sorted(runs)[-2]
    per = {n: {name: s["seconds"] / n for name, s in runs[n]["steps"].items() if name != "import"}
           for n in (big, small)}
    total_ratio = sum(per[big].values()) / sum(per[small].values())
    label = f"time per respondent, {big:,} / {small:,}"
    results.add("scale", f"{label} (all steps but import)", round(total_ratio, 2), "x",
                goal=f"<= {GOAL_LINEAR_GROWTH:g} (no worse than linear)",
                status=check(total_ratio, GOAL_LINEAR_GROWTH, at_least=False), summary=True)
    for name in per[big]:
        if runs[big]["steps"][name]["seconds"] < 0.05:  # too short to time meaningfully
            continue
        ratio = per[big][name] / per[small][name]
        results.add("scale", f"{label}: {name}", round(ratio, 2), "x", goal=f"<= {GOAL_LINEAR_GROWTH:g}",
                    status=check(ratio, GOAL_LINEAR_GROWTH, at_least=False))
    if big >= 1_000_000:
        peak = runs[big]["peak_rss_kib"] * 1024
        results.add("scale", f"peak RSS at {big:,}", round(peak / GIB, 2), "GiB", goal="<= 2 GiB",
                    status=check(peak, GOAL_PEAK_RSS_1M, at_least=False), summary=True)
    else:
        results.add("scale", "peak RSS at 1,000,000", "n/a", "GiB", goal="<= 2 GiB", status="skipped",
                    note="--quick skips the 1M size", summary=True)


# ---------------------------------------------------------------------------------------
# output: the summary table, bench.csv, bench.png
# ---------------------------------------------------------------------------------------
def context_rows(results: Results, started: datetime, load_before: tuple, quick: bool) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "notebooks"], capture_output=True, text=True,
                           cwd=PROJECT_ROOT)
    results.add("context", "date", started.strftime("%Y-%m-%d %H:%M UTC"))
    results.add("context", "git commit", commit.stdout.strip() or "unknown",
                note="uncommitted changes in src/ or notebooks/" if dirty.stdout.strip() else "")
    results.add("context", "cores", os.cpu_count() or 0)
    results.add("context", "load average before / after", f"{load_before[0]:.2f} / {os.getloadavg()[0]:.2f}",
                note="other work on the machine slows every measure")
    results.add("context", "python", sys.version.split()[0])
    results.add("context", "mode", "quick" if quick else "full")


def print_breakdown(results: Results) -> None:
    """Where a cold build's time goes: per chapter, the runner's timeline, the slowest chapter's cells."""
    for section, title, limit in (("cold chapters", "Cold build, per chapter (run.json duration)", None),
                                  ("cold timeline", "Cold build timeline", None),
                                  ("cold slowest chapter cells", "Slowest chapter, its slowest cells", 6),
                                  ("scale", "Microdata scale", None),
                                  ("machine noise", "Other processes on the machine while measuring", None)):
        rows = [r for r in results.rows if r.section == section and not r.summary][:limit]
        if not rows:
            continue
        say(f"\n{title}:")
        for r in rows:
            say(f"  {r.measure:<78} {r.value:>8} {r.unit:<3} {r.note}")


def print_summary(results: Results) -> None:
    rows = [r for r in results.rows if r.summary]
    width = max(len(r.measure) for r in rows)
    say("")
    say(f"{'measure'.ljust(width)}  {'value':>12}  {'goal':<56}  status")
    say(f"{'-' * width}  {'-' * 12}  {'-' * 56}  ------")
    for r in rows:
        value = f"{r.value:g} {r.unit}" if isinstance(r.value, (int, float)) else f"{r.value} {r.unit}"
        say(f"{r.measure.ljust(width)}  {value:>12}  {r.goal[:56]:<56}  {r.status}")
    notes = [r for r in rows if r.note]
    if notes:
        say("")
        for r in notes:
            say(f"  {r.measure}: {r.note}")


def write_csv(results: Results, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["section", "measure", "value", "unit", "goal", "status", "note"])
        for r in results.rows:
            writer.writerow([r.section, r.measure, r.value, r.unit, r.goal, r.status, r.note])


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    (builds, chapters), (scale, memory) = axes

    names = ["ours, cold", "ours, no-op", f"ours, touch {TOUCHED_CHAPTER[:2]}", "naive loop", "one-process floor"]
    measures = ["cold build", "no-op rebuild", f"rebuild after touching {TOUCHED_CHAPTER}", "naive loop",
                "one-process floor"]
    values = [results.value(m) for m in measures]
    shown = [(n, v) for n, v in zip(names, values, strict=True) if v]
    builds.barh([n for n, _ in shown][::-1], [v for _, v in shown][::-1], color="#4a78a8")
    for y, (_, v) in enumerate(shown[::-1]):
        builds.annotate(f"{v:.2f} s" if v < 10 else f"{v:.0f} s", (v, y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=9)
    builds.set_xscale("log")
    builds.set_xlabel("wall time, s (log scale)")
    builds.set_title("Whole-report builds", loc="left")

    timeline = results.details.get("timeline", {})
    if timeline:
        slugs = sorted(timeline, key=lambda s: timeline[s][0], reverse=True)
        for y, slug in enumerate(slugs):
            start, end, in_cells = timeline[slug]
            overhead = max(end - start - in_cells, 0)
            chapters.barh(y, overhead, left=start, color="#c9a227", label="kernel start, papermill" if y == 0 else None)
            chapters.barh(y, in_cells, left=start + overhead, color="#4a78a8", label="in cells" if y == 0 else None)
            chapters.annotate(f"{end - start:.1f} s", (end, y), xytext=(3, 0), textcoords="offset points",
                              va="center", fontsize=8)
        chapters.set_yticks(range(len(slugs)))
        chapters.set_yticklabels(slugs, fontsize=8)
        cold = results.value("cold build")
        if cold:
            chapters.axvline(cold, color="#b2182b", ls="--", lw=1, label="cold build wall time")
        chapters.legend(frameon=False, fontsize=8, loc="upper right")
        chapters.set_xlim(left=0)
        chapters.set_xlabel("seconds since the runner started")
        chapters.set_title(f"Cold build timeline ({os.cpu_count()} chapters at once, register last)", loc="left")

    runs = results.details.get("scale", {})
    if runs:
        sizes = sorted(runs)
        steps = [s for s in runs[sizes[0]]["steps"] if s != "import"]
        for step in steps:
            scale.plot(sizes, [max(runs[n]["steps"][step]["seconds"], 1e-4) for n in sizes], "o-", label=step, lw=1.4)
        totals = [sum(runs[n]["steps"][s]["seconds"] for s in steps) for n in sizes]
        scale.plot(sizes, totals, "ks-", lw=2, label="all steps but import")
        ref = totals[-2] if len(totals) > 1 else totals[-1]
        ref_n = sizes[-2] if len(sizes) > 1 else sizes[-1]
        scale.plot(sizes, [ref * n / ref_n for n in sizes], "k:", lw=1, label="linear through the total")
        scale.set_xscale("log")
        scale.set_yscale("log")
        scale.set_xlabel("respondents")
        scale.set_ylabel("seconds")
        scale.legend(frameon=False, fontsize=7, ncol=2)
        scale.set_title("Microdata path: wall time per step", loc="left")

        memory.plot(sizes, [runs[n]["peak_rss_kib"] / 1024 for n in sizes], "o-", color="#4a78a8")
        memory.axhline(GOAL_PEAK_RSS_1M / 1024 ** 2, color="#b2182b", ls="--", lw=1, label="2 GiB goal")
        memory.set_xscale("log")
        memory.set_xlabel("respondents")
        memory.set_ylabel("peak RSS, MiB")
        memory.legend(frameon=False, fontsize=8)
        memory.set_title("Microdata path: peak memory (one process per size)", loc="left")
    else:
        scale.set_visible(False)
        memory.set_visible(False)

    date = next((r.value for r in results.rows if r.measure == "date"), "")
    fig.suptitle(f"make bench, {date}, {os.cpu_count()} cores", x=0.01, ha="left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the naive loop and the 1M size (a smoke check)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with every build")
    args = parser.parse_args(argv)

    started, load_before = datetime.now(UTC), os.getloadavg()
    clock = time.perf_counter()
    results = Results()
    root = Path(tempfile.mkdtemp(prefix="helpers-bench-"))
    say(f"bench: temporary folder {root}; results go to {RESULTS_DIR}")
    try:
        ws = prepare(root)
        with other_load(results, "the cold build"):
            cold_ok = measure_cold(ws, results)
        if cold_ok:
            with other_load(results, "the no-op rebuild"):
                measure_noop(ws, results)
            with other_load(results, "the touch rebuild"):
                measure_touch(ws, results)
        if args.quick:
            results.add("naive", "naive loop", "skipped", "s", status="skipped", note="--quick", summary=True)
        else:
            with other_load(results, "the naive loop"):
                measure_naive(ws, results)
        with other_load(results, "the floor"):
            measure_floor(ws, results)
        measure_ratios(results)
        measure_imports(ws, results)
        with other_load(results, "the scale runs"):
            measure_scale(ws, results, QUICK_SIZES if args.quick else SIZES)
    finally:
        if args.keep:
            say(f"bench: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    context_rows(results, started, load_before, args.quick)
    results.add("context", "bench wall time", round(time.perf_counter() - clock, 1), "s")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    write_csv(results, RESULTS_DIR / "bench.csv")
    plot(results, RESULTS_DIR / "bench.png")
    print_breakdown(results)
    print_summary(results)
    say(f"\nWrote {RESULTS_DIR / 'bench.csv'} and {RESULTS_DIR / 'bench.png'} "
        f"({time.perf_counter() - clock:.0f} s in all).")
    return 1 if any(r.status == "ERROR" for r in results.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
