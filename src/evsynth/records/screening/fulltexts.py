"""Full-text reports (PDF files) kept with a project: ``fulltext/<record ID>.pdf``.

A report attached to a record is the full text that reviewers screen at the second stage;
attaching one means the report was retrieved (PRISMA's "reports sought" and "not retrieved"
come from ``screening/fulltext.csv``, which the attaching front end updates). The files live in
the project folder, so they travel with its export and import like every other file.
"""

from __future__ import annotations

import re
from pathlib import Path

from evsynth.errors import InputError

FULLTEXT_DIR = "fulltext"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def fulltext_name(record_id: str) -> str:
    """The project-relative path of a record's report: ``fulltext/<record ID>.pdf``, with any
    character other than letters, digits, ``.``, ``-`` and ``_`` written as ``_`` (an ID from
    an export may hold a slash)."""
    safe = _UNSAFE.sub("_", record_id).lstrip(".") or "_"
    return f"{FULLTEXT_DIR}/{safe}.pdf"


def fulltext_path(project: str | Path, record_id: str) -> Path | None:
    """The report file of a record in a project folder, if one is attached."""
    path = Path(project) / fulltext_name(record_id)
    return path if path.is_file() else None


def check_pdf(data: bytes, *, file: str) -> None:
    """Refuse anything that is not a PDF (its header must come in the first 1,024 bytes)."""
    if b"%PDF-" not in data[:1024]:
        raise InputError("not a PDF file (no %PDF- header); attach the report as a PDF", file=file)
