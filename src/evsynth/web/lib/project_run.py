"""Running the command line's project functions on a review held in the database.

The review is written out as its project folder (a temporary directory) and handed to
``evsynth.evidence.project.load_project`` and ``evsynth.review.build_run``, the functions behind
``evsynth review``; so the pages show exactly what the command line computes from the same data,
always from the current rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evsynth.web.lib.project_io import export_files
from evsynth.web.reviews.models import Review


def write_folder(files: Mapping[str, bytes], root: Path) -> None:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


@contextmanager
def project_folder(
    review: Review, override: Mapping[str, bytes] | None = None, *, viewer: str | None = None
) -> Iterator[Path]:
    """The review as a project folder on disk, removed afterwards.

    Without ``viewer`` it holds every decision: the folder never leaves the server, and what the
    pages show from it are counts and pooled results, not who decided what. With ``viewer`` the
    decisions that person may not see yet are withheld, as in the project export.
    """
    files, _ = export_files(review, viewer)
    files.update(override or {})
    with tempfile.TemporaryDirectory(prefix="evsynth-project-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        write_folder(files, root)
        yield root


def load(review: Review, override: Mapping[str, bytes] | None = None) -> Any:
    """The validated ReviewProject (raises InputError naming the file, line and column)."""
    from evsynth.evidence.project import load_project

    with project_folder(review, override) as root:
        return load_project(root)


def build(review: Review) -> Any:
    """The ReviewRun of the current data: analyses, grade, PRISMA counts, findings."""
    from evsynth.evidence.project import load_project
    from evsynth.review.run import build_run

    with project_folder(review) as root:
        return build_run(load_project(root))


def instruments(review: Review) -> dict[str, Any]:
    """The shipped appraisal instruments plus the project's own (``instruments/*.yaml``)."""
    from evsynth.evidence.instruments import load_instruments

    own = {p: c for p, c in export_files(review, None)[0].items() if p.startswith("instruments/")}
    if not own:
        return load_instruments()
    with tempfile.TemporaryDirectory(prefix="evsynth-instruments-") as tmp:
        write_folder(own, Path(tmp))
        return load_instruments(Path(tmp) / "instruments")
