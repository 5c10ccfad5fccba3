"""The first stage of a run: resolve and validate everything before anything is written.

:func:`resolve` turns the command line's options into a :class:`RunContext`: the chapters this
run is about (the chosen ones, those whose outputs were changed by hand, and the chapters that
depend on either), every chapter's declared and resolved parameters, and the output folder,
checked to be writable. Every later stage reads the context; none goes back to the options.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from helpers.chapters import CHAPTERS, ChapterSpec, dependencies, resolve_chapters, with_dependents
from helpers.errors import ParameterError
from helpers.parameters import ParameterSpec, notebook_parameters, resolve_parameters
from helpers.paths import OutputLayout
from helpers.pipeline import cache
from helpers.pipeline.parameters import input_files, load_parameter_file

DEFAULT_CELL_TIMEOUT = 900.0  # seconds; the slowest cell (latent classes with a bootstrap) takes well under a minute



class ExitCode(IntEnum):
    OK = 0
    CELL_ERROR = 1
    BAD_INPUT = 2
    TIMEOUT = 3
    DEAD_KERNEL = 4
    BUSY = 5
    INTERRUPTED = 130


@dataclass
class RunOptions:
    selectors: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    parameter_file: str | None = None
    output_dir: str | None = None
    jobs: int = os.cpu_count() or 1
    force: bool = False
    dry_run: bool = False
    export: bool = True
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
    chapters: tuple[ChapterSpec, ...] = CHAPTERS


@dataclass
class RunContext:
    """One run, resolved: its chapters and their parameters, where its outputs go."""

    options: RunOptions
    layout: OutputLayout                          # the output folder the user asked for
    chapters: list[ChapterSpec]                   # this run's chapters, in report order
    not_chosen: dict[str, list[str]]              # chapters taken along because their outputs changed
    declared: dict[str, dict[str, ParameterSpec]]
    resolved: dict[str, dict[str, Any]]
    previous: dict[str, dict]                     # each chapter's record in the last run.json
    command: list[str]
    started_at: str
    clock: float = field(default_factory=time.perf_counter)

    @cached_property
    def shared(self) -> cache.SharedInputs:
        """The inputs every chapter shares (helpers modules, data, packages), hashed once per run."""
        return cache.SharedInputs(self.previous)

    def elapsed(self) -> float:
        return time.perf_counter() - self.clock

    def dependencies(self, spec: ChapterSpec) -> list[ChapterSpec]:
        return dependencies(spec, self.options.chapters)

    def input_files(self, slug: str | None = None) -> dict[str, str]:
        """The input files (path -> declared type) one chapter's parameters name, or every chapter's."""
        slugs = [slug] if slug else list(self.declared)
        return input_files({s: self.declared[s] for s in slugs}, {s: self.resolved[s] for s in slugs})

    def inputs_by_chapter(self) -> dict[str, list[str]]:
        """Per chapter of this run, the input files its parameters name (for the disclosure checks)."""
        return {slug: list(self.input_files(slug)) for slug in self.declared}

    def requested_waves(self) -> dict[str, list[int]]:
        """For each input file, the waves the chapters reading it ask for (their ``waves`` parameter)."""
        waves: dict[str, set[int]] = {}
        for chapter in self.declared:
            wanted: list[int] = self.resolved[chapter].get("waves") or []
            for path in self.input_files(chapter) if wanted else ():
                waves.setdefault(path, set()).update(int(w) for w in wanted)
        return {path: sorted(w) for path, w in waves.items()}

    def recorded_parameters(self, spec: ChapterSpec) -> dict[str, Any]:
        """Parameters as the chapter saw them, with the output folder the user asked for."""
        return {**self.resolved[spec.slug], "output_dir": str(self.layout.root.resolve())}

    def refresh_previous(self) -> None:
        """Read the last run's records again (once the lock is held, no other run can change them)."""
        self.previous = previous_records(self.layout)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def previous_run(layout: OutputLayout) -> dict:
    """The last run's whole ``run.json`` (empty when there is none)."""
    if not layout.run_record.exists():
        return {}
    return json.loads(layout.run_record.read_text())


def previous_records(layout: OutputLayout) -> dict[str, dict]:
    """Each chapter's record in the last run's ``run.json``."""
    return previous_run(layout).get("chapters", {})


def declared_parameters(chapters: list[ChapterSpec], previous: dict) -> dict[str, dict[str, ParameterSpec]]:
    """Each chapter's declared parameters; reused from the last run when its code cells are unchanged."""
    declared = {}
    for spec in chapters:
        before = previous.get(spec.slug, {})
        same_code = before.get("components", {}).get("code") == cache.code_hash(spec.notebook)
        if before.get("declared") is not None and same_code:
            declared[spec.slug] = {d["name"]: ParameterSpec(**d) for d in before["declared"]}
        else:
            declared[spec.slug] = notebook_parameters(spec.notebook)
    return declared


def tampered(everything, selected: list[ChapterSpec], layout: OutputLayout, previous: dict) -> dict[str, list[str]]:
    """Chapters not chosen whose outputs are no longer what the runner built (a chapter depending on
    them would read their claims, the index link their pages): each with the reasons."""
    chosen = {c.slug for c in selected}
    found = {}
    for spec in everything:
        before = previous.get(spec.slug)
        if spec.slug in chosen or spec.gathers_claims or not before or before.get("status") != "ok":
            continue
        changes = cache.output_changes(layout, spec.slug, before.get("outputs") or {})
        if changes:
            found[spec.slug] = changes
    return found


def resolve(options: RunOptions, command: list[str]) -> RunContext:
    """Stage 1: the chapters, their parameters and the output folder, all checked (nothing is written)."""
    from helpers.pipeline.run_record import now

    started_at = now()
    selected = resolve_chapters(options.selectors, options.chapters)
    given = load_parameter_file(options.parameter_file) if options.parameter_file else {}
    given.update(options.parameters)
    layout = OutputLayout(options.output_dir)
    previous = previous_records(layout)
    not_chosen = tampered(options.chapters, selected, layout, previous)
    chapters = with_dependents([c for c in options.chapters if c in selected or c.slug in not_chosen],
                               options.chapters)
    declared = declared_parameters(chapters, previous)
    unknown = [name for name in given if not any(name in specs for specs in declared.values())]
    everywhere = declared_parameters(list(options.chapters), previous) if unknown else declared
    resolved = resolve_parameters(declared, given, everywhere=everywhere)
    for spec in chapters:  # the runner tells every chapter where to write: one that cannot be told writes elsewhere
        if "output_dir" not in declared[spec.slug]:
            raise ParameterError(f"chapter {spec.slug}: its parameters cell must declare "
                                 "'output_dir: str = \"\"  # where outputs go' (the runner sets it)")
    if options.cell_timeout is not None and options.cell_timeout <= 0:
        raise ParameterError(f"--cell-timeout must be positive, got {options.cell_timeout}")
    return RunContext(options, layout, chapters, not_chosen, declared, resolved, previous, command, started_at)


def preflight(files: dict[str, str], waves: dict[str, list[int]] | None = None) -> dict[str, dict]:
    """Validate every input file before any kernel starts, so bad input never reaches outputs/.

    ``files`` maps each path to its declared type (:func:`helpers.pipeline.parameters.input_files`);
    ``waves``: per file, the waves its chapters need (each must have respondents). Returns what
    validation changed or found in each file (spaces trimmed around values; analysis items
    answered by nobody in a wave that asked them), for run.json.
    """
    from helpers.data.codebook import load_codebook
    from helpers.data.microdata import read_microdata
    from helpers.data.published import load_figures, load_waves
    from helpers.data.series import load_series

    load_codebook()
    load_figures()
    load_waves()
    load_series()
    readers = {"MicrodataFile": read_microdata}
    checks: dict[str, dict] = {}
    for path, type_name in files.items():
        frame = readers[type_name](path, waves=(waves or {}).get(path))
        for key, note in INPUT_NOTES.items():
            found = dict(getattr(frame, "attrs", {}).get(key) or {})
            if found:
                checks.setdefault(path, {})[key] = found
                say(f"note: {Path(path).name}: {note(found)}; recorded in run.json")
    return checks


def _trimmed_note(trimmed: dict[str, int]) -> str:
    cells = ", ".join(f"{column}: {n}" for column, n in trimmed.items())
    return f"spaces around {sum(trimmed.values())} value(s) trimmed ({cells})"


def _unanswered_note(unanswered: dict[str, list[int]]) -> str:
    items = "; ".join(f"{item} in {', '.join(map(str, waves))}" for item, waves in unanswered.items())
    return (f"nobody answered {items}, though the codebook counts the question as asked there; the analyses read "
            "those answers as missing")


#: What validation records in a frame's attrs, and how the runner says it (each also goes to run.json).
INPUT_NOTES: dict[str, Callable[[dict], str]] = {"whitespace_trimmed": _trimmed_note,
                                                "unanswered_in_wave": _unanswered_note}
