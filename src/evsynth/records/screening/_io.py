"""Reading and writing the screening tables and the parts of a project they depend on.

The tables are plain CSV with a header line, so that a person can read them and version control
can diff them. Rows are numbered as an editor shows them: the header is line 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from evsynth.errors import InputError
from evsynth.fileio import write_text_atomic


def read_table(
    path: Path, columns: Sequence[str], *, text: str | None = None
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file as ``(line, {column: value})``; a missing file is an empty table.

    ``columns`` are required in the header; extra columns are kept in the dictionaries. With
    ``text`` the table is read from that string (a file kept elsewhere, as in the web
    application's database) and ``path`` only names it in messages.
    """
    if text is None:
        if not path.exists():
            return []
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", file=path) from exc
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return []
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} in the header", file=path, row=1)
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    for values in reader:
        if not any(v.strip() for v in values):
            line = reader.line_num + 1
            continue
        if len(values) > len(header):
            raise InputError(
                f"{len(values)} fields but the header has {len(header)}", file=path, row=line
            )
        padded = [*values, *([""] * (len(header) - len(values)))]
        rows.append((line, {h: v.strip() for h, v in zip(header, padded, strict=True)}))
        line = reader.line_num + 1
    return rows


def write_table(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Write a whole CSV table atomically (the old file stays until the new one is complete)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([one_line_breaks(v) for v in row])
    write_text_atomic(path, buffer.getvalue())


def one_line_breaks(value: str) -> str:
    """Line breaks as ``\n`` only: a bare ``\r`` is not quoted by the csv writer (its line
    terminator here is ``\n``) and would split the row when read back."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def read_protocol(project_dir: Path) -> dict[str, Any]:
    """The project's ``review.yaml`` as a dictionary (empty when there is none)."""
    path = project_dir / "review.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {exc}".splitlines()[0], file=path, row=row) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping at the top level", file=path)
    return data


def screening_settings(project_dir: Path) -> dict[str, Any]:
    """The ``screening:`` section of ``review.yaml``."""
    section = read_protocol(project_dir).get("screening") or {}
    if not isinstance(section, dict):
        raise InputError("'screening' must be a mapping", file=project_dir / "review.yaml")
    return section


def string_list(value: Any, *, name: str, file: Path) -> tuple[str, ...]:
    """A YAML list of strings (or one string), checked."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise InputError(f"'{name}' must be a list of strings", file=file)
    return tuple(str(v).strip() for v in value if str(v).strip())


def read_records(project_dir: Path) -> list[dict[str, Any]]:
    """The bibliographic records of a project (``records/records.jsonl``), in file order."""
    path = project_dir / "records" / "records.jsonl"
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", file=path, row=line_no) from exc
            if not isinstance(record, dict) or not str(record.get("id") or "").strip():
                raise InputError("a record needs an 'id'", file=path, row=line_no, column="id")
            record_id = str(record["id"]).strip()
            if record_id in seen:
                raise InputError(f"duplicate id {record_id!r}", file=path, row=line_no)
            seen.add(record_id)
            record["id"] = record_id
            records.append(record)
    return records


def parse_bool(value: str, *, file: Path, row: int, column: str) -> bool | None:
    """yes/no, true/false, 1/0 (any case); empty means unknown (None)."""
    text = value.strip().lower()
    if text == "":
        return None
    if text in {"yes", "y", "true", "1"}:
        return True
    if text in {"no", "n", "false", "0"}:
        return False
    raise InputError(f"expected yes or no, got {value!r}", file=file, row=row, column=column)
