"""PDF from the report's own HTML (WeasyPrint), so the two can never drift apart."""

from __future__ import annotations

import logging
from pathlib import Path


def html_to_pdf(html: str, base_dir: str | Path) -> bytes:
    """Render ``html`` to PDF bytes; relative figure paths resolve against ``base_dir``.

    The HTML's ``@page`` and ``@media print`` rules set A4 pages, margins and page numbers.
    """
    from weasyprint import HTML

    # WeasyPrint logs every unsupported CSS property at WARNING; the report's screen-only rules
    # (e.g. overflow-x on table wrappers) are expected, so keep the command's stderr clean.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    data: bytes = HTML(string=html, base_url=str(Path(base_dir).resolve()) + "/").write_pdf()
    return data
