"""Shared fixtures: throwaway chapter notebooks and a driver that runs them through the runner."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from helpers.pipeline.execution import share_cores, skip_slow_optional_imports

# Test workers run side by side, one per core: each numpy (and each kernel a test starts) gets one
# BLAS thread, not one per core, as the runner does for chapters side by side (set before numpy
# loads; a value already set is kept).
share_cores(os.cpu_count() or 1)
# As in the runner's processes: nbformat's jsonschema would compile rfc3987-syntax's grammar at
# import (about 1.3 s in every test process) to check a string format notebooks never use.
skip_slow_optional_imports()

import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

KERNEL_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}

DEFAULT_PARAMETERS = 'alpha: float = 0.05  # significance level\noutput_dir: str = ""  # where outputs go'


def write_notebook(
    path: Path, *cells: str, parameters: str | None = DEFAULT_PARAMETERS, markdown: str = "# A chapter"
) -> Path:
    """A small chapter notebook: a markdown cell, an optional parameters cell, then code cells."""
    nb_cells = [new_markdown_cell(markdown)]
    if parameters is not None:
        nb_cells.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb_cells += [new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(new_notebook(cells=nb_cells, metadata=KERNEL_METADATA), str(path))
    return path


#: A cell that leaves a claim file behind, as real chapters do through helpers.report.
WRITES_CLAIMS = """
from pathlib import Path
folder = Path(output_dir) / "claims"
folder.mkdir(parents=True, exist_ok=True)
(folder / f"{CHAPTER}.csv").write_text(f"claim_id,alpha\\n{CHAPTER},{alpha}\\n")
"""


def _module_rank(module_items) -> int:
    """0: a slow or report module that needs no default report; 1: one that waits for the default report;
    2: the unit tier."""
    if any("default_report" in getattr(item, "fixturenames", ()) for item in module_items):
        return 1
    heavy = any(item.get_closest_marker("slow") or item.get_closest_marker("report") for item in module_items)
    return 0 if heavy else 2


def pytest_collection_modifyitems(config, items):
    """The long modules first, the unit tier last, so the two workers finish together.

    The Makefile passes ``--no-loadscope-reorder``: xdist then hands out whole modules in this order
    (by default it sorts them by their number of tests, which left the 87-second hand-run module to
    start last, with the other worker idle for a minute). Modules that wait for the default report
    come after those that do not, so its background build is done when they start. Within a rank,
    and within a module, the collection order is kept."""
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ranked = sorted(modules.values(), key=_module_rank)  # stable: collection order within a rank
    items[:] = [item for module_items in ranked for item in module_items]


@pytest.fixture
def chapters_dir(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    return folder


def chapter_specs(folder: Path, slugs: list[str], register: str | None = None):
    from helpers.chapters import EVERY_CHAPTER_WITH_CLAIMS, ChapterSpec

    specs = [ChapterSpec(s, s, path=str(folder / f"{s}.ipynb")) for s in slugs]
    if register:
        specs.append(ChapterSpec(register, register, depends_on=EVERY_CHAPTER_WITH_CLAIMS, writes_claims=False,
                                 path=str(folder / f"{register}.ipynb")))
    return tuple(specs)


DRIVER = """
import sys
from helpers.chapters import ChapterSpec
from helpers.pipeline.cli import main

SPECS = {specs!r}

if __name__ == "__main__":
    chapters = tuple(ChapterSpec(**fields) for fields in SPECS)
    sys.exit(main(sys.argv[1:], chapters=chapters))
"""


def run_driver(tmp_path: Path, specs, *args: str, timeout: float = 600, wait: bool = True):
    """Run the real command line (``python -m helpers run ...``) on throwaway chapters, in a subprocess."""
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(specs=[dataclasses.asdict(s) for s in specs]))
    command = [sys.executable, str(driver), *args]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def run_chapter_on_microdata(tmp_path: Path, chapters_dir: Path, microdata: Path, *, waves: str | None = None):
    """The runner (``run --no-export``) on one throwaway chapter that declares ``microdata`` (and
    ``waves``, when given, as the list it asks for); returns (process, output folder)."""
    parameters = ("from helpers.data import MicrodataFile\n\n"
                  'microdata: MicrodataFile = "synthetic"  # respondent-level data\n'
                  + (f"waves: list = {waves}  # survey waves\n" if waves else "")
                  + 'output_dir: str = ""  # where outputs go')
    write_notebook(chapters_dir / "00-a.ipynb", "print(microdata)", parameters=parameters)
    out = tmp_path / "out"
    result = run_driver(tmp_path, chapter_specs(chapters_dir, ["00-a"]), "run", "--output-dir", str(out),
                        "--no-export", "-p", "microdata", str(microdata))
    return result, out


def _shared_folder(tmp_path_factory, name: str) -> Path:
    """A folder every xdist worker of this session sees (the workers' common temporary root)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / name
    folder.mkdir(exist_ok=True)
    return folder


#: Builds the default report into argv[1]; writes its log, then ``built`` or ``failed`` beside it.
_BUILD = """
import subprocess, sys
from pathlib import Path
folder = Path(sys.argv[1])
result = subprocess.run([sys.executable, "-m", "helpers", "run", "--output-dir", str(folder / "outputs")],
                        capture_output=True, text=True, timeout=3600)
(folder / "build.log").write_text(result.stdout + result.stderr)
(folder / ("built" if result.returncode == 0 else "failed")).write_text(str(result.returncode))
"""


def _start_default_report(tmp_path_factory) -> Path:
    """Start the default report's build in the background, once per session (the first worker to
    ask starts it; the others find it started); returns its folder."""
    folder = _shared_folder(tmp_path_factory, "default-report")
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "started").exists():
            subprocess.Popen([sys.executable, "-c", _BUILD, str(folder)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            (folder / "started").write_text("")
    return folder


@pytest.fixture(scope="session", autouse=True)
def _default_report_in_the_background(request, tmp_path_factory):
    """When any collected test needs the default report, its build starts with the session and
    overlaps the unit tests, instead of starting at the first test that needs it while the other
    worker waits for it."""
    if any("default_report" in getattr(item, "fixturenames", ()) for item in request.session.items):
        _start_default_report(tmp_path_factory)


@pytest.fixture(scope="session")
def default_report(tmp_path_factory) -> Path:
    """The default report (what ``make report`` builds), built once per test session and shared by
    every xdist worker (started in the background when the session starts; every test that needs it
    waits for it).

    Read-only: a test that changes outputs works on a copy (``copy_of_default_report``).
    """
    folder = _start_default_report(tmp_path_factory)
    deadline = time.monotonic() + 3600
    while not (folder / "built").exists() and not (folder / "failed").exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the default report did not finish building within an hour: {folder}")
        time.sleep(0.5)
    if (folder / "failed").exists():
        pytest.fail("the default report failed to build:\n" + (folder / "build.log").read_text()[-3000:])
    return folder / "outputs"


@pytest.fixture
def copy_of_default_report(default_report, tmp_path) -> Path:
    """A private copy of the default report's output folder, for a test to change."""
    copy = tmp_path / "outputs"
    shutil.copytree(default_report, copy, symlinks=True)
    return copy


def assert_identical_reports(first: Path, second: Path) -> None:
    """Two builds of the report agree byte for byte: the register, every table, figure and claims
    file, and the run record but for its times, its host and each run's own output folder."""
    assert (first / "claims.csv").read_bytes() == (second / "claims.csv").read_bytes()
    for folder in ("tables", "figures", "claims"):
        files = sorted(p.relative_to(first) for p in (first / folder).rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in (second / folder).rglob("*") if p.is_file())
        for relative in files:
            assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    volatile = {"started", "finished", "host", "duration"}

    def stable(value, root: Path):
        if isinstance(value, dict):
            return {k: stable(v, root) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [stable(v, root) for v in value]
        return value.replace(str(root), "<out>") if isinstance(value, str) else value

    records = [stable(json.loads((run / "run.json").read_text()), run) for run in (first, second)]
    assert records[0] == records[1]
    assert records[0]["chapters"]["05-offender-groups"]["parameters"]["output_dir"] == "<out>"
