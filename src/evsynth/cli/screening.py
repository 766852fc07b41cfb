"""Command line for screening, conflicts and the PRISMA 2020 flow.

``evsynth screen`` (subcommands ``simulate``, ``run``/``next``, ``decide``, ``rank``, ``kappa``),
``evsynth conflicts`` and ``evsynth prisma``. Every command reads and writes the project folder's
files through :mod:`evsynth.records.screening` and :mod:`evsynth.records.prisma`; nothing here
holds logic the web application lacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from evsynth.errors import InputError

STAGE = click.Choice(["title_abstract", "full_text"])
FORMAT = click.Choice(["json", "text"])
PROJECT = click.Path(exists=True, file_okay=False, path_type=Path)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))


def _stage_records(project: Path, stage: str) -> list[dict[str, Any]]:
    from evsynth.records.prisma import records_to_screen
    from evsynth.records.screening import ScreeningLog

    records = [r.to_dict() for r in records_to_screen(project)]
    if stage == "full_text":
        from evsynth.records.screening.fulltexts import fulltext_path

        log = ScreeningLog.load(project)
        eligible = set(log.eligible_for_full_text(r["id"] for r in records))
        records = [r for r in records if r["id"] in eligible]
        for r in records:
            report = fulltext_path(project, r["id"])
            if report is not None:
                r["fulltext"] = str(report)
    return records


def _keywords(project: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``screening.highlight`` as the ranking's keywords before the model can be trained."""
    from evsynth.records.screening._io import screening_settings
    from evsynth.records.screening.terminal import Highlight

    words = Highlight.from_setting(screening_settings(project).get("highlight"))
    return words.neutral + words.include, words.exclude


@click.group()
def screen() -> None:
    """Screen records; priority ranking, agreement and simulation."""


@screen.command()
@click.argument("records", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", default=0, show_default=True, help="Chooses the two starting records.")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), help="Recall curve.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Records screened between retrainings (default: 1, growing to 1 % of those screened "
    "after the first 100).",
)
@click.option(
    "--classifier",
    type=click.Choice(["svm", "logistic", "nb"]),
    default="svm",
    show_default=True,
)
def simulate(
    records: Path,
    seed: int,
    fmt: str,
    plot: Path | None,
    batch_size: int | None,
    classifier: str,
) -> None:
    """Replay priority screening on labelled RECORDS (id, title, abstract, label_included)."""
    from rich.progress import Progress

    from evsynth.records.screening.priority import PrioritySettings
    from evsynth.records.screening.simulate import read_labelled
    from evsynth.records.screening.simulate import simulate as run

    settings = PrioritySettings(classifier=classifier, batch_size=batch_size)
    ids, texts, labels = read_labelled(records, settings)
    with Progress(transient=True, console=_stderr()) as progress:
        task = progress.add_task("Simulating", total=len(ids))
        result = run(
            ids,
            texts,
            labels,
            seed=seed,
            settings=settings,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    if plot is not None:
        from evsynth.report.figures import save_figure

        save_figure(result.plot_recall(), plot)
    if fmt == "json":
        _echo_json(result.to_dict())
    else:
        click.echo(result.summary())


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@screen.command()
@click.argument("project", type=PROJECT)
@click.argument("record_id")
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--reviewer", required=True)
@click.option(
    "--decision", type=click.Choice(["include", "exclude", "maybe"]), help="Omit with --undo."
)
@click.option("--reason", help="Exclusion reason (from review.yaml; required at full text).")
@click.option("--note")
@click.option("--undo", is_flag=True, help="Take back the reviewer's latest decision.")
def decide(
    project: Path,
    record_id: str,
    stage: str,
    reviewer: str,
    decision: str | None,
    reason: str | None,
    note: str | None,
    undo: bool,
) -> None:
    """Record REVIEWER's decision on RECORD_ID (appended to screening/decisions.csv)."""
    from evsynth.records.screening import ScreeningLog

    log = ScreeningLog.load(project)
    known = {r["id"] for r in _stage_records(project, "title_abstract")}
    if record_id not in known:
        raise InputError(f"no record {record_id!r} to screen in {project}")
    if undo:
        row = log.undo(record_id, stage, reviewer)
        click.echo(
            "nothing to undo"
            if row is None
            else f"undone: {record_id} now {row.decision or 'undecided'}"
        )
        return
    if decision is None:
        raise click.UsageError("give --decision (or --undo)")
    log.decide(record_id, stage, reviewer, decision, reason=reason, note=note)
    click.echo(f"{record_id}: {decision} by {reviewer} at {stage}")


@screen.command()
@click.argument("project", type=PROJECT)
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--reviewer", help="Rank what this reviewer has not screened yet.")
@click.option("--limit", type=click.IntRange(min=1), help="Show only the first N.")
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
def rank(project: Path, stage: str, reviewer: str | None, limit: int | None, fmt: str) -> None:
    """Records still to screen, most likely relevant first (active learning)."""
    from evsynth.records.screening import ScreeningLog
    from evsynth.records.screening.priority import rank as rank_records

    records = _stage_records(project, stage)
    prefer, avoid = _keywords(project)
    order = rank_records(
        records, ScreeningLog.load(project), stage, reviewer=reviewer, prefer=prefer, avoid=avoid
    )
    order = order[:limit] if limit else order
    if fmt == "json":
        _echo_json({"stage": stage, "order": list(order)})
        return
    titles = {r["id"]: r.get("title") or "" for r in records}
    for i, rid in enumerate(order, start=1):
        click.echo(f"{i:>5}  {rid}  {titles[rid][:90]}")


@screen.command(name="next")
@click.argument("project", type=PROJECT)
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--reviewer", required=True)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
def next_record(project: Path, stage: str, reviewer: str, fmt: str) -> None:
    """The next record REVIEWER should screen (the top of the priority ranking)."""
    from evsynth.records.screening import ScreeningLog
    from evsynth.records.screening.priority import rank as rank_records

    records = _stage_records(project, stage)
    prefer, avoid = _keywords(project)
    order = rank_records(
        records, ScreeningLog.load(project), stage, reviewer=reviewer, prefer=prefer, avoid=avoid
    )
    record = next((r for r in records if order and r["id"] == order[0]), None)
    if fmt == "json":
        _echo_json(
            None
            if record is None
            else {k: record.get(k) for k in ("id", "title", "abstract", "year", "journal")}
            | {"remaining": len(order)}
        )
    elif record is None:
        click.echo("No records left to screen at this stage.")
    else:
        click.echo(f"{record['id']} ({len(order)} left)\n{record.get('title') or ''}\n")
        click.echo(record.get("abstract") or "(no abstract)")


@screen.command()
@click.argument("project", type=PROJECT)
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--reviewer", required=True)
@click.option("--no-priority", is_flag=True, help="Show records in import order.")
def run(project: Path, stage: str, reviewer: str, no_priority: bool) -> None:
    """Screen in the terminal with single keys (i e m n u q)."""
    from evsynth.records.screening import ScreeningLog
    from evsynth.records.screening._io import screening_settings
    from evsynth.records.screening.terminal import Highlight, screen_in_terminal

    log = ScreeningLog.load(project)
    highlight = Highlight.from_setting(screening_settings(project).get("highlight"))
    screen_in_terminal(
        _stage_records(project, stage),
        log,
        stage=stage,
        reviewer=reviewer,
        highlight=highlight,
        prioritise=not no_priority,
    )


@screen.command()
@click.argument("project", type=PROJECT)
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
def kappa(project: Path, stage: str, fmt: str) -> None:
    """Cohen's kappa and percent agreement between the screeners at a stage."""
    from evsynth.records.screening import ScreeningLog
    from evsynth.records.screening.agreement import kappa as stage_kappa

    result = stage_kappa(ScreeningLog.load(project), stage)
    if fmt == "json":
        _echo_json(result.to_dict())
    else:
        click.echo(result.summary())


@click.command()
@click.argument("project", type=PROJECT)
@click.option("--stage", type=STAGE, default="title_abstract", show_default=True)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option("--resolve", "record_id", help="Resolve this record's conflict.")
@click.option("--decision", type=click.Choice(["include", "exclude"]))
@click.option("--resolver", help="The third person resolving the conflict.")
@click.option("--reason", help="Exclusion reason (required at full text).")
@click.option("--consensus", is_flag=True, help="The reviewers resolved it together.")
def conflicts(
    project: Path,
    stage: str,
    fmt: str,
    record_id: str | None,
    decision: str | None,
    resolver: str | None,
    reason: str | None,
    consensus: bool,
) -> None:
    """List screening conflicts at a stage, or resolve one with --resolve."""
    from evsynth.records.screening import ScreeningLog

    log = ScreeningLog.load(project)
    if record_id is not None:
        if decision is None or resolver is None:
            raise click.UsageError("--resolve needs --decision and --resolver")
        log.resolve(record_id, stage, resolver, decision, reason=reason, consensus=consensus)
        click.echo(f"{record_id}: resolved as {decision} by {resolver} at {stage}")
        return
    found = log.conflicts(stage)
    if fmt == "json":
        _echo_json({"stage": stage, "conflicts": [c.to_dict() for c in found]})
        return
    if not found:
        click.echo(f"No open conflicts at {stage}.")
    for c in found:
        votes = ", ".join(
            f"{d.reviewer}: {d.decision}" + (f" ({d.reason})" if d.reason else "")
            for d in c.decisions
        )
        click.echo(f"{c.record_id}  [{c.kind}]  {votes}")


@click.command()
@click.argument("project", type=PROJECT)
@click.option("--format", "fmt", type=FORMAT, default="text", show_default=True)
@click.option(
    "--out",
    "outs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the flow diagram (.svg, .png or .pdf); may be repeated.",
)
@click.option("--title", help="Title above the diagram.")
def prisma(project: Path, fmt: str, outs: tuple[Path, ...], title: str | None) -> None:
    """PRISMA 2020 flow counts of PROJECT and, with --out, its diagram."""
    from evsynth.records.prisma import prisma_counts

    counts = prisma_counts(project)
    for out in outs:
        if out.suffix.lower() not in (".svg", ".png", ".pdf"):
            raise InputError("the diagram is written as .svg, .png or .pdf", file=out)
    if outs:
        from evsynth.report.figures import save_figure
        from evsynth.report.figures.prisma import prisma_diagram

        fig = prisma_diagram(counts, title=title)
        for out in outs:
            save_figure(fig, out)
    if fmt == "json":
        _echo_json(counts.to_dict())
    else:
        click.echo(counts.summary())
