"""Where a project keeps each record's full-text report, and what counts as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from evsynth.errors import InputError
from evsynth.records.screening.fulltexts import check_pdf, fulltext_name, fulltext_path


def test_report_path_is_safe_for_any_record_id(tmp_path: Path) -> None:
    assert fulltext_name("pubmed-00001") == "fulltext/pubmed-00001.pdf"
    assert fulltext_name("WOS:000223334444221") == "fulltext/WOS_000223334444221.pdf"
    assert fulltext_name("../../etc/passwd") == "fulltext/_.._etc_passwd.pdf"
    assert fulltext_path(tmp_path, "pubmed-00001") is None
    (tmp_path / "fulltext").mkdir()
    (tmp_path / "fulltext" / "pubmed-00001.pdf").write_bytes(b"%PDF-1.7\n")
    assert fulltext_path(tmp_path, "pubmed-00001") == tmp_path / "fulltext" / "pubmed-00001.pdf"


def test_only_a_pdf_is_a_report() -> None:
    check_pdf(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", file="report.pdf")
    check_pdf(b"\xef\xbb\xbf\n%PDF-1.7\n", file="report.pdf")  # junk before the header is allowed
    with pytest.raises(InputError, match=r"report.docx: not a PDF file"):
        check_pdf(b"PK\x03\x04 a Word file", file="report.docx")
