"""Write a run's outputs into a folder: all of them, or none.

Everything is built in a temporary folder beside the target and moved into place at the end, so
a failure half way leaves the target as it was. A target that exists must be empty or an earlier
evsynth build (it holds the marker file), so a mistyped ``--out`` never replaces a person's
folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evsynth.errors import InputError
from evsynth.fileio import write_bytes_atomic, write_text_atomic
from evsynth.review.model import ReviewRun

MARKER = ".evsynth-build"
FORMATS = ("html", "pdf", "docx")


@dataclass(frozen=True)
class BuildResult:
    """Where the outputs went."""

    out_dir: Path
    files: tuple[str, ...]

    @property
    def report(self) -> Path:
        return self.out_dir / "report.html"


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("the output path exists and is not a folder", file=out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise InputError(
            "the output folder is not empty and was not written by evsynth; "
            "choose a new or empty folder",
            file=out_dir,
        )


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _publishable(folder: Path) -> None:
    """Give the build the permissions of ordinary new files (temporary files are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)
    for p in folder.rglob("*"):
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def write_outputs(
    run: ReviewRun,
    out_dir: str | Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Write results.json, the figures and the three documents of ``run`` into ``out_dir``.

    Parameters
    ----------
    run : ReviewRun
        The computed run.
    out_dir : path
        Target folder (created; an earlier evsynth build there is replaced as a whole).
    formats : tuple of str
        Report formats besides results.json: any of "html", "pdf", "docx". The brief and the
        plain-language summary are always written (HTML, and Markdown for the brief).
    progress : callable, optional
        Called with the name of each step before it runs (for a progress bar).
    """
    from evsynth.report.documents.docx_report import report_docx
    from evsynth.report.documents.pdf import html_to_pdf
    from evsynth.report.documents.plain import render_plain_summary_html
    from evsynth.report.documents.policy import render_policy_html, render_policy_markdown
    from evsynth.report.documents.report_html import render_report_html
    from evsynth.review.figures import make_figures
    from evsynth.review.results import results_json

    target = Path(out_dir)
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    step = progress or (lambda name: None)
    try:
        step("results.json")
        write_text_atomic(tmp / "results.json", results_json(run))
        step("figures")
        figures = make_figures(run, tmp)
        step("report.html")
        html = render_report_html(run, figures)
        write_text_atomic(tmp / "report.html", html)
        if "pdf" in formats:
            step("report.pdf")
            write_bytes_atomic(tmp / "report.pdf", html_to_pdf(html, tmp))
        if "docx" in formats:
            step("report.docx")
            write_bytes_atomic(tmp / "report.docx", report_docx(run, figures, tmp))
        step("policy brief")
        write_text_atomic(tmp / "policy-brief.html", render_policy_html(run))
        write_text_atomic(tmp / "policy-brief.md", render_policy_markdown(run))
        step("plain-language summary")
        write_text_atomic(tmp / "plain-language-summary.html", render_plain_summary_html(run))
        if "html" not in formats:
            (tmp / "report.html").unlink()
        write_text_atomic(tmp / MARKER, f"evsynth {run.version}\n")
        files = tuple(sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()))
        _publishable(tmp)
        _move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(target, files)


def build_project(
    project_dir: str | Path,
    out_dir: str | Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    progress: Callable[[str], None] | None = None,
) -> BuildResult:
    """Load, run and write a review project in one call (what ``evsynth review run`` does).

    Raises
    ------
    InputError
        For a project that does not load or validate, or a target folder evsynth must not
        replace; nothing is written then.
    """
    from evsynth.evidence.project import load_project
    from evsynth.review.run import build_run

    _check_target(Path(out_dir))
    return write_outputs(
        build_run(load_project(project_dir)), out_dir, formats=formats, progress=progress
    )
