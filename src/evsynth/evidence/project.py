"""A review project folder: load it with validation, save it back without loss.

Layout (see docs/project-format.md)::

    review.yaml          the protocol (evsynth.evidence.protocol.Protocol)
    studies.csv          one row per included study
    outcomes.csv         one row per study, arm, outcome and time point
    appraisals.csv       one row per study, instrument, rater and item
    instruments/*.yaml   optional: the team's own appraisal instruments
    records/, screening/ the records layer's files (tolerated here, read by evsynth.records)

Errors name the file, the line as an editor shows it (CSV header = line 1) and the column or
YAML field.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from evsynth.errors import InputError
from evsynth.evidence.protocol import Protocol
from evsynth.evidence.study import (
    APPRAISAL_COLUMNS,
    OUTCOME_COLUMNS,
    STUDY_COLUMNS,
    AppraisalAnswer,
    Arm,
    OutcomeValue,
    Study,
)
from evsynth.evidence.yamlsource import error_message, read_yaml, validate_yaml
from evsynth.fileio import write_text_atomic

R = TypeVar("R", bound=BaseModel)

PROTOCOL_FILE = "review.yaml"
STUDIES_FILE = "studies.csv"
OUTCOMES_FILE = "outcomes.csv"
APPRAISALS_FILE = "appraisals.csv"


@dataclass(frozen=True)
class ReviewProject:
    """A loaded review project: the protocol and its three tables, cross-checked.

    ``protocol_text`` is the protocol file as written (comments included), so that saving an
    unchanged protocol writes the person's own file back byte for byte.
    """

    protocol: Protocol
    studies: tuple[Study, ...]
    outcomes: tuple[OutcomeValue, ...] = ()
    appraisals: tuple[AppraisalAnswer, ...] = ()
    path: Path | None = None
    protocol_text: str | None = field(default=None, compare=False, repr=False)
    # Line numbers in the files as loaded (parallel to the tuples), for error messages.
    study_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)
    outcome_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)
    appraisal_lines: tuple[int, ...] = field(default=(), compare=False, repr=False)

    def where(self, table: str, index: int) -> tuple[Path | None, int | None]:
        """File and line of row ``index`` of ``table`` (studies, outcomes or appraisals)."""
        lines = {
            "studies": self.study_lines,
            "outcomes": self.outcome_lines,
            "appraisals": self.appraisal_lines,
        }[table]
        file = self.path / f"{table}.csv" if self.path is not None else Path(f"{table}.csv")
        return file, (lines[index] if index < len(lines) else index + 2)

    def study(self, study_id: str) -> Study:
        """The study with this id (KeyError when absent)."""
        for s in self.studies:
            if s.study_id == study_id:
                return s
        raise KeyError(study_id)

    def outcome_values(
        self, outcome: str | None = None, timepoint_months: float | None = None
    ) -> tuple[OutcomeValue, ...]:
        """Outcome rows, optionally for one outcome and one time point, in file order."""
        return tuple(
            v
            for v in self.outcomes
            if (outcome is None or v.outcome == outcome)
            and (timepoint_months is None or v.timepoint_months == timepoint_months)
        )

    @property
    def instruments_dir(self) -> Path | None:
        """The project's own instrument definitions, if the folder exists."""
        if self.path is None:
            return None
        d = self.path / "instruments"
        return d if d.is_dir() else None


# ---------------------------------------------------------------------------------------- load


def load_project(path: str | Path) -> ReviewProject:
    """Load and validate the review project in folder ``path``.

    Raises
    ------
    InputError
        For a missing file, invalid YAML/CSV, a value out of range, or a reference that does not
        resolve (an outcome row naming an unknown study, arm or outcome); the message names the
        file, line and column.
    """
    root = Path(path)
    if not root.is_dir():
        raise InputError("not a review project folder (no such directory)", file=root)
    protocol_path = root / PROTOCOL_FILE
    data, node = read_yaml(protocol_path)
    if not isinstance(data, dict):
        raise InputError(
            "the protocol must be a YAML mapping (title:, question:, ...)",
            file=protocol_path,
            row=1,
        )
    protocol = validate_yaml(Protocol, data, node, protocol_path)
    studies = _read_table(root / STUDIES_FILE, Study, STUDY_COLUMNS, _parse_study_cell)
    outcomes = _read_table(root / OUTCOMES_FILE, OutcomeValue, OUTCOME_COLUMNS, None, optional=True)
    appraisals = _read_table(
        root / APPRAISALS_FILE, AppraisalAnswer, APPRAISAL_COLUMNS, None, optional=True
    )
    project = ReviewProject(
        protocol=protocol,
        studies=tuple(r for r, _ in studies),
        outcomes=tuple(r for r, _ in outcomes),
        appraisals=tuple(r for r, _ in appraisals),
        path=root,
        protocol_text=protocol_path.read_text(encoding="utf-8"),
        study_lines=tuple(line for _, line in studies),
        outcome_lines=tuple(line for _, line in outcomes),
        appraisal_lines=tuple(line for _, line in appraisals),
    )
    _cross_check(project, root, studies, outcomes, appraisals)
    # Appraisal answers are checked against their instruments now, so a wrong answer is reported
    # when the project loads, at its line, not later when a report is built.
    from evsynth.evidence.appraisal import appraise_project

    appraise_project(project)
    return project


def _parse_study_cell(column: str, text: str) -> Any:
    if column == "arms":
        return Arm.parse_list(text)
    if column == "followup_months":
        return tuple(float(p) for p in text.split(";") if p.strip())
    if column == "reported_relevance":
        return Study.parse_relevance(text)
    return text


def _read_table(
    path: Path,
    model: type[R],
    columns: Sequence[str],
    parse: Callable[[str, str], Any] | None,
    *,
    optional: bool = False,
) -> list[tuple[R, int]]:
    """Rows of a CSV file as validated models, each with its line number."""
    if not path.exists():
        if optional:
            return []
        raise InputError("file not found", file=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=path) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if not header:
        raise InputError("empty file (expected a header line)", file=path, row=1)
    required = [c for c in columns if c in _required_fields(model)]
    for c in required:
        if c not in header:
            raise InputError(f"missing column {c!r}", file=path, row=1, column=c)
    if len(set(header)) != len(header):
        raise InputError("duplicate column names in the header", file=path, row=1)
    rows: list[tuple[R, int]] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            raise InputError("more cells than header columns", file=path, row=line)
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for column, cell in record.items():
            assert column is not None
            cell = (cell or "").strip()
            if column not in columns:
                extra[column] = cell
                continue
            if cell == "":
                continue
            try:
                values[column] = parse(column, cell) if parse else cell
            except ValidationError as exc:
                msg = error_message(exc.errors()[0])
                raise InputError(msg, file=path, row=line, column=column) from exc
            except ValueError as exc:
                raise InputError(str(exc), file=path, row=line, column=column) from exc
        if not values and not any(extra.values()):
            continue  # a blank line
        if extra:
            values["extra"] = extra
        try:
            rows.append((model.model_validate(values), line))
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = first["loc"]
            column = str(loc[0]) if loc and str(loc[0]) in columns else None
            msg = error_message(first)
            raise InputError(msg, file=path, row=line, column=column) from exc
    return rows


def _required_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, f in model.model_fields.items() if f.is_required()}


def _cross_check(
    project: ReviewProject,
    root: Path,
    studies: list[tuple[Study, int]],
    outcomes: list[tuple[OutcomeValue, int]],
    appraisals: list[tuple[AppraisalAnswer, int]],
) -> None:
    by_id: dict[str, Study] = {}
    for s, line in studies:
        if s.study_id in by_id:
            raise InputError(
                f"duplicate study_id {s.study_id!r}",
                file=root / STUDIES_FILE,
                row=line,
                column="study_id",
            )
        by_id[s.study_id] = s
    outcome_ids = {o.id for o in project.protocol.outcomes}
    seen: set[tuple[str, str, str, float]] = set()
    for v, line in outcomes:
        file = root / OUTCOMES_FILE
        study = by_id.get(v.study_id)
        if study is None:
            raise InputError(
                f"unknown study {v.study_id!r} (not in studies.csv)",
                file=file,
                row=line,
                column="study_id",
            )
        if v.arm not in study.arm_names():
            raise InputError(
                f"unknown arm {v.arm!r} of {v.study_id}; arms: {', '.join(study.arm_names())}",
                file=file,
                row=line,
                column="arm",
            )
        if v.outcome not in outcome_ids:
            known = ", ".join(sorted(outcome_ids))
            raise InputError(
                f"unknown outcome {v.outcome!r}; review.yaml outcomes: {known}",
                file=file,
                row=line,
                column="outcome",
            )
        key = (v.study_id, v.arm, v.outcome, v.timepoint_months)
        if key in seen:
            raise InputError(
                "duplicate row for this study, arm, outcome and time point", file=file, row=line
            )
        seen.add(key)
    for a, line in appraisals:
        if a.study_id not in by_id:
            raise InputError(
                f"unknown study {a.study_id!r} (not in studies.csv)",
                file=root / APPRAISALS_FILE,
                row=line,
                column="study_id",
            )
    for spec in project.protocol.analyses:
        for sid in spec.studies:
            if sid not in by_id:
                raise InputError(
                    f"analysis {spec.id!r} names unknown study {sid!r}",
                    file=root / PROTOCOL_FILE,
                    column=f"analyses.{spec.id}.studies",
                )


# ---------------------------------------------------------------------------------------- save


def save_project(project: ReviewProject, path: str | Path) -> None:
    """Write ``project`` as a project folder at ``path`` (the files :func:`load_project` reads).

    Each file is written atomically. An unchanged protocol is written back as its original text
    (comments kept); a changed one is dumped as YAML. The project's own instrument files are
    copied along.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(root / PROTOCOL_FILE, protocol_yaml(project))
    write_text_atomic(root / STUDIES_FILE, _table_text(project.studies, STUDY_COLUMNS))
    write_text_atomic(root / OUTCOMES_FILE, _table_text(project.outcomes, OUTCOME_COLUMNS))
    write_text_atomic(root / APPRAISALS_FILE, _table_text(project.appraisals, APPRAISAL_COLUMNS))
    # The team's own instruments travel with the project (records/ and screening/ belong to the
    # records layer, which writes them itself).
    source = project.instruments_dir
    if source is not None and source.resolve() != (root / "instruments").resolve():
        for f in sorted(source.glob("*.yaml")):
            write_text_atomic(root / "instruments" / f.name, f.read_text(encoding="utf-8"))


def protocol_yaml(project: ReviewProject) -> str:
    """The protocol as YAML text: the original file when it still parses to the same protocol."""
    import yaml

    if project.protocol_text is not None:
        try:
            if Protocol.model_validate(yaml.safe_load(project.protocol_text)) == project.protocol:
                return project.protocol_text
        except (yaml.YAMLError, ValidationError):
            pass
    data = project.protocol.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dict):
        return Study.format_relevance(value)
    if isinstance(value, tuple):
        if value and isinstance(value[0], Arm):
            return Arm.format_list(value)
        return "; ".join(_format_cell(v) for v in value)
    return str(value)


def _table_text(rows: Iterable[BaseModel], columns: Sequence[str]) -> str:
    rows = list(rows)
    extra_columns: list[str] = []
    for r in rows:
        for k in getattr(r, "extra", {}):
            if k not in extra_columns:
                extra_columns.append(k)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*columns, *extra_columns])
    for r in rows:
        extra: dict[str, str] = getattr(r, "extra", {})
        writer.writerow(
            [_format_cell(getattr(r, c)) for c in columns]
            + [extra.get(c, "") for c in extra_columns]
        )
    return out.getvalue()


# ------------------------------------------------------------------------------------ examples

EXAMPLES = ("adhesiolysis-disc-herniation", "gerdesmeyer-two-arm")


def example_path(name: str) -> Path:
    """The folder of a bundled example project (``adhesiolysis-disc-herniation`` is the seed)."""
    if name not in EXAMPLES:
        raise InputError(f"unknown example {name!r}; bundled examples: {', '.join(EXAMPLES)}")
    return Path(__file__).resolve().parent.parent / "data" / "examples" / name


def load_example(name: str = "adhesiolysis-disc-herniation") -> ReviewProject:
    """Load a bundled example project."""
    return load_project(example_path(name))
