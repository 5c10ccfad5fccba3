"""Seeded fuzzing of user microdata: every bad file is exit 2 naming the file, the line and the column.

Mutations of a valid CSV (each kind a few dozen times, positions drawn from one seeded
generator) go through :func:`read_microdata` with the waves the chapters ask for, which is what
the runner's preflight calls before any kernel starts; the valid variants go through the
preflight itself, and a handful of bad files through the real command line, which must exit 2
and leave the output folder as it was. Lines are counted as the file counts them (one
per newline), blank lines included.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.data.microdata import read_microdata
from helpers.errors import InputDataError
from helpers.pipeline.runner import preflight

SEED = 22
PER_KIND = 24
WAVES = [2016, 2017, 2018, 2019]
LOOKALIKES = ["\uff11", "\u0661", "\u06f1", "\u0967", "\U0001d7cf", "\uff10"]   # full-width, Arabic-Indic, ...


@pytest.fixture(scope="module")
def base_lines(tmp_path_factory):
    from helpers.data import synthetic
    from helpers.data.writing import write_microdata

    frame = synthetic.generate("widening", 5, n_respondents=160)
    frame.attrs = {}   # plain user data: no provenance
    path = write_microdata(frame, tmp_path_factory.mktemp("base") / "base.csv")
    return path.read_text(encoding="utf-8").splitlines()


def _coded_columns(header):
    from helpers.data.codebook import load_codebook

    cb = load_codebook()
    return [i for i, c in enumerate(header) if cb.question(c).options and c not in ("region",)
            and not isinstance(cb.question(c).options[0].code, str)]


def _with_blank_lines(rng, lines, row):
    """Insert 0-2 blank lines somewhere above ``row`` (after the header); return lines and the row's new index."""
    lines = list(lines)
    for _ in range(int(rng.integers(0, 3))):
        at = int(rng.integers(1, row + 1))
        lines.insert(at, "")
        row += 1
    return lines, row


def _pick(rng, lines, header, columns=None):
    row = int(rng.integers(1, len(lines)))
    fields = lines[row].split(",")
    col = int(rng.choice(columns)) if columns is not None else int(rng.integers(0, len(header)))
    return row, fields, col


def _cr_only(rng, lines, header):
    row, fields, col = _pick(rng, lines, header)
    if rng.random() < 0.25:
        return "\r".join(lines) + "\r", 1, header[-1]
    cut = int(rng.integers(0, len(fields) - 1))   # a bare CR inside a row (at the end it would make a CRLF)
    broken = ",".join(fields[:cut]) + ("," if cut else "") + "\r" + ",".join(fields[cut:])
    text = "\n".join(lines[:row] + [broken] + lines[row + 1:])
    return text, row + 1, header[cut]


def _replaced_row(rng, lines, row, fields):
    """The file with 0-2 blank lines inserted above ``row`` and that row replaced; the row's line number."""
    lines, row = _with_blank_lines(rng, lines, row)
    lines[row] = ",".join(fields)
    return "\n".join(lines) + "\n", row + 1


def _short_row(rng, lines, header):
    row, fields, _ = _pick(rng, lines, header)
    keep = int(rng.integers(1, len(header)))
    text, line = _replaced_row(rng, lines, row, fields[:keep])
    return text, line, header[keep]


def _long_row(rng, lines, header):
    row, fields, _ = _pick(rng, lines, header)
    text, line = _replaced_row(rng, lines, row, fields + ["1"] * int(rng.integers(1, 3)))
    return text, line, None


def _quote_fault(kind):
    def mutate_quotes(rng, lines, header):
        row, fields, col = _pick(rng, lines, header, columns=[0, 2, 3])
        value = fields[col]
        if kind == "stray_quote":
            at = int(rng.integers(1, len(value)))
            fields[col] = value[:at] + '"' + value[at:]
        elif kind == "open_quote":
            fields[col] = '"' + value
        else:
            fields[col] = '"' + value + '"x'
        text, line = _replaced_row(rng, lines, row, fields)
        return text, line, header[col]
    return mutate_quotes


def _lookalike(rng, lines, header):
    coded = _coded_columns(header)
    for _ in range(200):
        row, fields, col = _pick(rng, lines, header, columns=coded)
        if fields[col].isdigit():
            break
    fields[col] = fields[col].replace(fields[col][0], str(rng.choice(LOOKALIKES)), 1)
    text, line = _replaced_row(rng, lines, row, fields)
    return text, line, header[col]


def _analysis_item(rng, header) -> int:
    from helpers.data.codebook import load_codebook

    items = [c for tag in ("advanced", "mainstream") for c in load_codebook().items_tagged(tag)]
    return header.index(str(rng.choice(items)))


def _emptied(lines, col: int, waves) -> str:
    """The file with column ``col`` emptied in every row of ``waves``."""
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        if int(fields[1]) in waves:
            fields[col] = ""
        out.append(",".join(fields))
    return "\n".join(out) + "\n"


def _item_empty(rng, lines, header):
    """An analysis item nobody answered in any wave (one empty in a single wave is valid: below)."""
    col = _analysis_item(rng, header)
    return _emptied(lines, col, WAVES), 1, header[col]


def _item_absent(rng, lines, header):
    col = _analysis_item(rng, header)
    out = [",".join(f for i, f in enumerate(line.split(",")) if i != col) for line in lines]
    return "\n".join(out) + "\n", 1, header[col]


MUTATIONS = {
    "cr_only": _cr_only, "short_row": _short_row, "long_row": _long_row,
    "stray_quote": _quote_fault("stray_quote"), "open_quote": _quote_fault("open_quote"),
    "after_quote": _quote_fault("after_quote"), "lookalike": _lookalike, "item_empty": _item_empty,
    "item_absent": _item_absent,
}


def mutate(kind: str, rng, lines):
    """A mutated file's text, with the line and column its error must name."""
    return MUTATIONS[kind](rng, lines, lines[0].split(","))


KINDS = list(MUTATIONS)


def _expect_rejected(path: Path, line: int, column: str | None) -> str:
    """The reader the runner's preflight calls for a MicrodataFile, with the waves it passes."""
    with pytest.raises(InputDataError) as caught:
        read_microdata(path, waves=WAVES)
    message = str(caught.value)
    assert message.startswith(f"{path.name}:"), message
    assert f"line {line}" in message, f"expected line {line}:\n{message}"
    if column is not None:
        assert f"column '{column}'" in message, f"expected column {column!r}:\n{message}"
    return message


@pytest.mark.parametrize("kind", KINDS)
def test_every_mutation_is_named_by_file_line_and_column(kind, base_lines, tmp_path):
    rng = np.random.default_rng([SEED, KINDS.index(kind)])
    count = PER_KIND if kind not in ("lookalike", "item_empty", "item_absent") else PER_KIND // 3
    for i in range(count):
        text, line, column = mutate(kind, rng, base_lines)
        path = tmp_path / f"{kind}-{i}.csv"
        path.write_bytes(text.encode("utf-8"))
        _expect_rejected(path, line, column)


def test_valid_variants_still_pass(base_lines, tmp_path):
    """What a careful user's export may look like: CRLF, a BOM, blank lines, reordered columns."""
    import pandas as pd

    text = "\n".join(base_lines) + "\n"
    variants = {"crlf.csv": text.replace("\n", "\r\n").encode(), "bom.csv": b"\xef\xbb\xbf" + text.encode(),
                "blank.csv": ("\n".join(base_lines[:5] + [""] + base_lines[5:]) + "\n\n").encode()}
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    variants["reordered.csv"] = frame[list(reversed(frame.columns))].to_csv(index=False).encode()
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        preflight({str(tmp_path / name): "MicrodataFile"}, {str(tmp_path / name): WAVES})


def test_an_item_empty_in_one_wave_passes_and_is_reported(base_lines, tmp_path):
    """A question dropped from one year's questionnaire: read as missing answers, and recorded."""
    rng = np.random.default_rng([SEED, 98])
    header = base_lines[0].split(",")
    for i in range(3):
        col, wave = _analysis_item(rng, header), int(rng.choice(WAVES))
        path = tmp_path / f"dropped-{i}.csv"
        path.write_text(_emptied(base_lines, col, [wave]))
        checks = preflight({str(path): "MicrodataFile"}, {str(path): WAVES})
        assert checks == {str(path): {"unanswered_in_wave": {header[col]: [wave]}}}


def test_sav_value_labels_on_a_string_column_are_read(base_lines, tmp_path):
    import pandas as pd
    import pyreadstat

    frame = pd.read_csv(pd.io.common.StringIO("\n".join(base_lines)), dtype={"respondent_id": str, "country": str,
                                                                             "region": str})
    path = tmp_path / "labelled.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={
        "region": {"europe": "Europe", "north_america": "North America", "other": "Other"}})
    preflight({str(path): "MicrodataFile"}, {str(path): WAVES})


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_the_command_line_exits_2_and_leaves_outputs_alone(base_lines, tmp_path):
    """Two through ``python -m helpers run 05``: exit 2, file/line/column on stderr, outputs unchanged."""
    outputs = tmp_path / "outputs"
    (outputs / "tables").mkdir(parents=True)
    (outputs / "tables" / "kept.csv").write_text("a\n1\n")
    before = _tree_digest(outputs)
    rng = np.random.default_rng([SEED, 99])
    for kind in ("cr_only", "open_quote"):
        text, line, column = mutate(kind, rng, base_lines)
        path = tmp_path / f"cli {kind}.csv"   # a path with a space, as users have
        path.write_bytes(text.encode("utf-8"))
        done = subprocess.run([sys.executable, "-m", "helpers", "run", "05", "-p", "microdata", str(path),
                               "--output-dir", str(outputs)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, done.stderr
        assert f"{path.name}: line {line}" in done.stderr and f"column '{column}'" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert _tree_digest(outputs) == before
