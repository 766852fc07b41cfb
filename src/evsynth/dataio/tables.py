"""A user's table as text cells with the line number a person sees in an editor.

CSV: the header is line 1, the first data row line 2 (quoted cells spanning lines count as the
lines they span). Excel: the sheet's own row numbers. Blank rows are skipped, never renumbered.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evsynth.errors import InputError

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Table:
    """Header names and data rows (cells as given: str, or numbers from Excel) with line numbers."""

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    lines: tuple[int, ...]
    #: every cell is a str (CSV); Excel cells may be numbers or None
    text_cells: bool = True


def _blank_text(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _blank(cells: list[Any] | tuple[Any, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as CSV UTF-8",
            file=file,
            row=line,
        ) from None


def _delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses semicolons or tabs (spreadsheet exports in locales
    with a decimal comma use semicolons)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _header(cells: list[Any] | tuple[Any, ...], file: str, line: int) -> tuple[str, ...]:
    names = tuple("" if c is None else str(c).strip() for c in cells)
    while names and not names[-1]:
        names = names[:-1]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            raise InputError(f"column {i + 1} has no name in the header", file=file, row=line)
        key = name.lower()
        if key in seen:
            raise InputError("the column name appears twice", file=file, row=line, column=name)
        seen[key] = i
    return names


def parse_csv(data: bytes, file: str) -> Table:
    """Parse CSV bytes into a :class:`Table`."""
    if not data.strip():
        raise InputError("the file is empty", file=file)
    text = _decode(data, file)
    if not text.strip():
        raise InputError("the file is empty", file=file)
    first = text.lstrip("\r\n").splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    header: tuple[str, ...] | None = None
    header_line = 1
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    start = 1  # the line on which the record being read begins
    try:
        for record in reader:
            line = start
            start = reader.line_num + 1
            if _blank_text(record):
                continue
            if header is None:
                header, header_line = _header(record, file, line), line
                continue
            if len(record) > len(header) and not _blank_text(record[len(header) :]):
                raise InputError(
                    f"the row has {len(record)} cells but the header names {len(header)} columns",
                    file=file,
                    row=line,
                )
            cells = tuple(record[: len(header)]) + ("",) * (len(header) - len(record))
            rows.append(cells)
            lines.append(line)
    except csv.Error as exc:
        raise InputError(f"the file is not valid CSV ({exc})", file=file, row=start) from None
    if header is None:
        raise InputError("the file is empty", file=file)
    if not rows:
        raise InputError("the file has a header but no data rows", file=file, row=header_line + 1)
    return Table(file=file, header=header, rows=tuple(rows), lines=tuple(lines))


def parse_excel(data: bytes, file: str) -> Table:
    """Parse the first worksheet of an .xlsx workbook into a :class:`Table` (sheet row numbers)."""
    import openpyxl  # imported here: only Excel users pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-xlsx file
        raise InputError(f"the file is not a readable .xlsx workbook ({exc})", file=file) from None
    try:
        sheet = book.worksheets[0]
        header: tuple[str, ...] | None = None
        header_line = 1
        rows: list[tuple[Any, ...]] = []
        lines: list[int] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(record)
            if _blank(cells):
                continue
            if header is None:
                header, header_line = _header(cells, file, number), number
                continue
            if len(cells) > len(header) and not _blank(cells[len(header) :]):
                raise InputError(
                    "the row has cells beyond the last named column", file=file, row=number
                )
            cells = cells[: len(header)] + [None] * (len(header) - len(cells))
            rows.append(tuple(cells))
            lines.append(number)
    finally:
        book.close()
    if header is None:
        raise InputError("the file is empty", file=file)
    if not rows:
        raise InputError("the file has a header but no data rows", file=file, row=header_line + 1)
    return Table(file=file, header=header, rows=tuple(rows), lines=tuple(lines), text_cells=False)


def read_table(path: str | Path) -> Table:
    """Read a CSV or .xlsx file into a :class:`Table`."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except IsADirectoryError:
        raise InputError("this is a folder, not a file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=file) from None
    return parse_bytes(data, file)


def parse_bytes(data: bytes, file: str) -> Table:
    """Parse file content; the name decides between Excel (.xlsx) and CSV."""
    if file.lower().endswith(EXCEL_SUFFIXES):
        return parse_excel(data, file)
    if data[:4] == b"PK\x03\x04":
        raise InputError("this looks like an Excel workbook; name it .xlsx", file=file)
    return parse_csv(data, file)
