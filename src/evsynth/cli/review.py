"""``evsynth review check|run|render PROJECT`` and ``evsynth demo --out DIR``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

DEMO_PROJECT = "adhesiolysis-disc-herniation"
STEPS = (
    "results.json",
    "figures",
    "report.html",
    "report.pdf",
    "report.docx",
    "policy brief",
    "plain-language summary",
)


def example_path(name: str) -> Path:
    """Folder of a bundled example project."""
    return Path(str(resources.files("evsynth").joinpath("data", "examples", name)))


def _build(project_dir: Path, out: Path, formats: tuple[str, ...], quiet: bool) -> Path:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from evsynth.evidence.project import load_project
    from evsynth.review.build import write_outputs
    from evsynth.review.run import build_run

    console = Console(stderr=True)
    steps = [s for s in STEPS if not s.startswith("report.") or s.split(".")[1] in formats]
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("analysing", total=len(steps) + 1)
        project = load_project(project_dir)
        run = build_run(project)
        bar.advance(task)

        def step(name: str) -> None:
            bar.update(task, description=name)
            if name != "results.json":
                bar.advance(task)

        result = write_outputs(run, out, formats=formats, progress=step)
        bar.advance(task)
    return result.report


def _formats(value: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    bad = [p for p in parts if p not in ("html", "pdf", "docx")]
    if bad or not parts:
        raise click.BadParameter(
            f"invalid format {', '.join(bad) or value!r}; expected a comma-separated list of "
            "html, pdf, docx"
        )
    return parts


@click.group()
def review() -> None:
    """Validate, analyse and render a review project folder."""


@review.command("check")
@click.argument("project", type=click.Path(path_type=Path))
def check(project: Path) -> None:
    """Validate PROJECT (review.yaml and its tables); report what it holds."""
    from evsynth.evidence.project import load_project
    from evsynth.review.analyses import gather

    loaded = load_project(project)
    for spec in loaded.protocol.analyses:
        gather(loaded, spec)  # every analysis must find its data
    p = loaded.protocol
    click.echo(
        f"{project}: valid. {len(loaded.studies)} studies, {len(loaded.outcomes)} outcome "
        f"rows, {len(loaded.appraisals)} appraisal answers, {len(p.analyses)} analyses."
    )


@review.command("run")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--format",
    "fmt",
    default="html,pdf,docx",
    show_default=True,
    help="Report formats (comma-separated: html, pdf, docx).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run_cmd(project: Path, out: Path, fmt: str, quiet: bool) -> None:
    """Analyse PROJECT and write results.json, figures and the three documents to OUT."""
    report = _build(project, out, _formats(fmt), quiet)
    click.echo(f"Report: {report}")


@review.command("render")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--format", "fmt", default="html", show_default=True, help="Report formats (html, pdf, docx)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def render(project: Path, out: Path, fmt: str, quiet: bool) -> None:
    """Render PROJECT's documents in the chosen formats (HTML only by default: fastest)."""
    report = _build(project, out, _formats(fmt), quiet)
    click.echo(f"Report: {report}")


@click.command()
@click.option(
    "--out",
    "out",
    default=Path("out/demo"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Output folder.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo(out: Path, quiet: bool) -> None:
    """Build the bundled seed review (percutaneous adhesiolysis, Korean J Pain 2021) into OUT."""
    report = _build(example_path(DEMO_PROJECT), out, ("html", "pdf", "docx"), quiet)
    click.echo(f"Report: {report.resolve()}")
