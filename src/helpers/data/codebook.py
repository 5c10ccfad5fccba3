"""The survey codebook: every question id the chapters use, and the microdata schema.

``data/codebook.yaml`` holds two kinds of entries (``roles``):

* ``published``: ids used in ``data/published/figures.csv`` (its ``question_id`` column);
  ``published_options`` lists the option labels used there.
* ``microdata``: the columns of the harmonised respondent-level schema (one row per
  respondent) that a team holding the real survey export maps its data into. ``options``
  give the codes a file holds (labels are accepted too and mapped to codes), ``waves`` the
  waves in which the question counts as asked.

The questionnaires are unpublished: wordings are paraphrases and the real questions differ
between waves (see ``data/README.md``).

Usage::

    from helpers.data.codebook import load_codebook
    cb = load_codebook()
    cb.items_tagged("advanced")     # ['tech_encryption', 'tech_darknet', ...] in codebook order
    cb.microdata_columns()          # file column order
    cb.options("workload_change")   # {1: 'less demanding', 2: 'unchanged', 3: 'more demanding'}

Importing this module is light (PyYAML only); pandas is not needed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths
from helpers.errors import InputDataError

#: Question types the codebook knows.
TYPES = (
    "identifier",         # respondent id (string, unique)
    "wave",               # survey wave (int)
    "text",               # free text (e.g. country)
    "binary",             # 0/1
    "single_choice",      # one code from options
    "likert",             # ordered scale, one code
    "multi_select",       # one 0/1 column per option in microdata; shares in published figures
    "coded_open_answer",  # open answer coded by NetClean into categories (0/1 per category)
    "count",              # a number (or, for published ids, counts/ranges)
    "ratio",              # "one in N"-type estimates
    "ranking",            # ranks only
)
#: Types whose answers are codes from ``options``.
CHOICE_TYPES = ("binary", "single_choice", "likert", "multi_select", "coded_open_answer")
ROLES = ("published", "microdata")
PARTS = ("law_enforcement", "business", "other")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Option:
    code: int | str
    label: str


@dataclass(frozen=True)
class Question:
    """One codebook entry (see the module docstring for the meaning of the fields)."""

    id: str
    type: str
    wording: str
    roles: tuple[str, ...]
    waves: tuple[int, ...]
    part: str
    options: tuple[Option, ...] = ()
    published_options: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""
    notes: str = ""
    required: bool = False
    asked_if: tuple[tuple[str, int | str], ...] = ()

    @property
    def is_microdata(self) -> bool:
        return "microdata" in self.roles

    @property
    def is_published(self) -> bool:
        return "published" in self.roles

    @property
    def codes(self) -> tuple:
        return tuple(o.code for o in self.options)

    def label_map(self) -> dict[str, int | str]:
        """Lower-cased label (and, for string codes, lower-cased code) -> code."""
        mapping: dict[str, int | str] = {}
        for o in self.options:
            mapping[o.label.strip().lower()] = o.code
            if isinstance(o.code, str):
                mapping[o.code.lower()] = o.code
        return mapping

    def asked_in(self, wave: int) -> bool:
        return int(wave) in self.waves

    def describe_codes(self) -> str:
        """``0 = no, 1 = yes`` - for error messages."""
        return ", ".join(f"{o.code} = {o.label}" for o in self.options)


@dataclass
class Codebook:
    """A validated codebook. ``questions`` keeps the file's order."""

    questions: dict[str, Question]
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    # -- lookup -------------------------------------------------------------------------
    def question(self, qid: str) -> Question:
        try:
            return self.questions[qid]
        except KeyError:
            close = difflib.get_close_matches(str(qid), list(self.questions), n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputDataError(
                f"{self._name()}: unknown question id {qid!r}{hint} "
                f"({len(self.questions)} ids are defined; see data/codebook.yaml)"
            ) from None

    def __contains__(self, qid: object) -> bool:
        return qid in self.questions

    def options(self, qid: str) -> dict:
        """Ordered ``{code: label}`` of a question (empty for non-choice questions)."""
        return {o.code: o.label for o in self.question(qid).options}

    # -- microdata schema ----------------------------------------------------------------
    def microdata_columns(self) -> list[str]:
        """The harmonised microdata columns, in file order."""
        return [q.id for q in self.questions.values() if q.is_microdata]

    def required_columns(self) -> list[str]:
        return [q.id for q in self.questions.values() if q.is_microdata and q.required]

    def valid_waves(self) -> list[int]:
        """Waves a microdata file may contain (``meta.microdata_waves``)."""
        return [int(w) for w in self.meta.get("microdata_waves", [])]

    def regions(self) -> list[str]:
        return [str(r) for r in self.meta.get("regions", [])]

    def items_tagged(self, tag: str, *, role: str | None = "microdata") -> list[str]:
        """Ids carrying ``tag``, in codebook order; by default microdata columns only
        (``role=None`` for every entry, ``role="published"`` for figure ids)."""
        known = {t for q in self.questions.values() for t in q.tags}
        if tag not in known:
            raise InputDataError(
                f"{self._name()}: no question carries the tag {tag!r} (tags: {', '.join(sorted(known))})"
            )
        return [q.id for q in self.questions.values() if tag in q.tags and (role is None or role in q.roles)]

    def published_ids(self) -> list[str]:
        return [q.id for q in self.questions.values() if q.is_published]

    def _name(self) -> str:
        return self.path.name if self.path else "codebook"


# ---------------------------------------------------------------------------------------
# loading and validation
# ---------------------------------------------------------------------------------------
_CACHE: dict[tuple, Codebook] = {}


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and validate the codebook (default ``paths.CODEBOOK``). Cached per file version.

    Raises :class:`InputDataError` naming the file and the question id for an unknown type,
    a duplicate id, options missing for a choice type, and similar problems.
    """
    p = Path(path) if path is not None else paths.CODEBOOK
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputDataError(f"{p}: codebook not found") from None
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _parse(p)
    return _CACHE[key]


def _parse(p: Path) -> Codebook:
    import yaml

    name = p.name
    raw = p.read_bytes()
    if not raw.strip():
        raise InputDataError(f"{name}: the codebook is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputDataError(f"{name}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InputDataError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("questions"), list):
        raise InputDataError(f"{name}: expected a mapping with a 'questions' list")
    meta = doc.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputDataError(f"{name}: 'meta' must be a mapping")
    valid_waves = meta.get("microdata_waves") or []
    if not valid_waves or not all(isinstance(w, int) for w in valid_waves):
        raise InputDataError(f"{name}: meta.microdata_waves must list the valid waves as integers")

    questions: dict[str, Question] = {}
    for i, entry in enumerate(doc["questions"], start=1):
        q = _question(entry, i, name, valid_waves)
        if q.id in questions:
            raise InputDataError(
                f"{name}: question id {q.id!r} is defined twice (entries {list(questions).index(q.id) + 1} and {i})"
            )
        questions[q.id] = q

    # cross-entry checks
    for q in questions.values():
        for col, code in q.asked_if:
            other = questions.get(col)
            if other is None or not other.is_microdata:
                raise InputDataError(
                    f"{name}: question {q.id!r}: asked_if refers to {col!r}, which is not a microdata column"
                )
            if code not in other.codes:
                raise InputDataError(
                    f"{name}: question {q.id!r}: asked_if {col} = {code!r} is not one of its codes {other.codes}"
                )
    cols = [q for q in questions.values() if q.is_microdata]
    for needed, qtype in (("respondent_id", "identifier"), ("wave", "wave")):
        if needed not in questions or questions[needed].type != qtype or not questions[needed].required:
            raise InputDataError(f"{name}: the microdata schema needs a required {qtype} column {needed!r}")
    if not cols:
        raise InputDataError(f"{name}: no microdata columns defined")
    return Codebook(questions=questions, meta=meta, path=p)


def _question(entry, i: int, name: str, valid_waves: list[int]) -> Question:
    if not isinstance(entry, dict):
        raise InputDataError(f"{name}: question entry {i} is not a mapping")
    qid = entry.get("id")
    where = f"{name}: question {qid!r}" if qid else f"{name}: question entry {i}"
    if not isinstance(qid, str) or not _ID_RE.match(qid):
        raise InputDataError(f"{where}: id must be a lower-case identifier (letters, digits, underscores)")
    known_keys = {"id", "roles", "type", "wording", "options", "published_options", "waves", "part",
                  "tags", "source", "notes", "required", "asked_if"}
    unknown = sorted(set(entry) - known_keys)
    if unknown:
        raise InputDataError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known_keys))})")
    qtype = entry.get("type")
    if qtype not in TYPES:
        close = difflib.get_close_matches(str(qtype), TYPES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputDataError(f"{where}: unknown type {qtype!r}{hint} (expected one of {', '.join(TYPES)})")
    roles = entry.get("roles")
    if not isinstance(roles, list) or not roles or not set(roles) <= set(ROLES):
        raise InputDataError(f"{where}: roles must be a non-empty list drawn from {', '.join(ROLES)}")
    wording = entry.get("wording")
    if not isinstance(wording, str) or not wording.strip():
        raise InputDataError(f"{where}: wording (a paraphrase) is required")
    waves = entry.get("waves")
    if not isinstance(waves, list) or not waves or not all(isinstance(w, int) for w in waves):
        raise InputDataError(f"{where}: waves must be a non-empty list of integers (the waves the question was asked)")
    if "microdata" in roles and not set(waves) <= set(valid_waves):
        raise InputDataError(
            f"{where}: waves {sorted(set(waves) - set(valid_waves))} are not in meta.microdata_waves {valid_waves}"
        )
    part = entry.get("part")
    if part not in PARTS:
        raise InputDataError(f"{where}: part must be one of {', '.join(PARTS)}, not {part!r}")

    options = _options(entry.get("options"), where, qtype)
    published_options = entry.get("published_options") or []
    if not isinstance(published_options, list) or not all(isinstance(o, str) for o in published_options):
        raise InputDataError(f"{where}: published_options must be a list of strings")
    if qtype in CHOICE_TYPES and "microdata" in roles and not options:
        raise InputDataError(f"{where}: options (codes and labels) are missing for the choice type {qtype!r}")
    if "published" in roles and not published_options:
        if qtype in CHOICE_TYPES and not options:
            raise InputDataError(f"{where}: options are missing for the choice type {qtype!r}")
        published_options = [o.label for o in options]
    if "published" in roles and not published_options:
        raise InputDataError(f"{where}: published_options (the option labels used in figures.csv) are missing")
    if qtype == "binary" and "microdata" in roles and set(o.code for o in options) != {0, 1}:
        raise InputDataError(f"{where}: a binary microdata column must have the codes 0 and 1")

    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputDataError(f"{where}: tags must be a list of strings")
    required = entry.get("required", False)
    if not isinstance(required, bool):
        raise InputDataError(f"{where}: required must be true or false")
    asked_if = entry.get("asked_if") or {}
    if not isinstance(asked_if, dict):
        raise InputDataError(f"{where}: asked_if must be a mapping column: code")
    return Question(
        id=qid, type=qtype, wording=" ".join(wording.split()), roles=tuple(roles), waves=tuple(sorted(waves)),
        part=part, options=options, published_options=tuple(published_options), tags=tuple(tags),
        source=str(entry.get("source") or ""), notes=" ".join(str(entry.get("notes") or "").split()),
        required=required, asked_if=tuple(asked_if.items()),
    )


def _options(raw, where: str, qtype: str) -> tuple[Option, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputDataError(f"{where}: options must be a list of {{code, label}} mappings")
    out: list[Option] = []
    for o in raw:
        if not isinstance(o, dict) or set(o) != {"code", "label"}:
            raise InputDataError(f"{where}: each option needs exactly a code and a label, got {o!r}")
        code, label = o["code"], o["label"]
        bad_code = isinstance(code, bool) or not isinstance(code, (int, str))
        if bad_code or not isinstance(label, str) or not label.strip():
            raise InputDataError(
                f"{where}: option {o!r}: code must be an integer or a string and label a non-empty string"
            )
        out.append(Option(code=code, label=label))
    codes = [o.code for o in out]
    labels = [o.label.strip().lower() for o in out]
    if len(set(codes)) != len(codes):
        raise InputDataError(f"{where}: duplicate option codes in {codes}")
    if len(set(labels)) != len(labels):
        raise InputDataError(f"{where}: duplicate option labels in {[o.label for o in out]}")
    if len({type(c) for c in codes}) > 1:
        raise InputDataError(f"{where}: option codes mix integers and strings: {codes}")
    return tuple(out)
