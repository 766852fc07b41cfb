"""``evsynth grade``: the evidence level (ASIPP Levels I-V) of a table of studies or a project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from evsynth.evidence.grading import Question


@click.command(name="grade")
@click.argument("evidence", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True,
    help="Output format.",
)  # fmt: skip
@click.option(
    "--question",
    type=click.Choice(["effectiveness", "other"]),
    default="effectiveness",
    show_default=True,
    help="Which alternative of Table 1 applies: effectiveness of the intervention, or preventive "
    "measures, adverse consequences and effectiveness of other measures.",
)
def grade(evidence: Path, fmt: str, question: str) -> None:
    """Grade the body of evidence in EVIDENCE (Levels I-V, the qualitative modified approach).

    EVIDENCE is a CSV file with columns study, design (rct|nonrandomized) and quality
    (high|moderate|low), optionally result (positive|negative) and outcome; or a review project
    folder, graded from its studies, appraisals and outcomes.

    \b
    Example:
      evsynth grade evidence.csv --format json
    """
    from evsynth.evidence.body import grade_project_report, grade_table, read_evidence_table
    from evsynth.evidence.project import load_project

    q = cast(Question, question)
    if evidence.is_dir():
        report = grade_project_report(load_project(evidence), question=q)
    else:
        studies, has_outcome = read_evidence_table(evidence)
        report = grade_table(studies, by_outcome=has_outcome, question=q)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.summary())
