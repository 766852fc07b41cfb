"""``evsynth import`` and ``evsynth dedup``: search exports into a project, duplicates found.

Both commands write nothing until all their input has been read, and write through atomic
replacement, so a bad file leaves the project as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from evsynth.errors import InputError
from evsynth.fileio import write_text_atomic


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a ``callback(done, total)``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--project",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Review project folder; records go to its records/ folder.",
)
@click.option("--source", default=None, help="Source name (the database); default: detected.")
@click.option(
    "--format",
    "fmt",
    default=None,
    type=click.Choice(
        [
            "ris",
            "medline",
            "pubmed_xml",
            "endnote_xml",
            "bibtex",
            "wos_plain",
            "cochrane",
            "csv",
            "excel",
        ]
    ),
    help="Force the export format instead of detecting it.",
)
def import_cmd(files: tuple[Path, ...], project: Path, source: str | None, fmt: str | None) -> None:
    """Import search exports (RIS, MEDLINE, PubMed XML, EndNote XML, BibTeX, WoS, CSV, Excel).

    Each file becomes one source in records/sources.csv; every record keeps the file and line
    it came from. Warnings (encoding fallbacks, truncated records, unknown fields) are printed
    with their lines; a file that cannot be read stops the import before anything is written.
    """
    from evsynth.records.importers import import_file
    from evsynth.records.model import RecordSet

    records = RecordSet.load(project)
    before = len(records)
    results = []
    with _progress("Reading exports") as update:
        for done, path in enumerate(files, start=1):
            results.append(import_file(path, source, format=fmt))
            update(done, len(files))
    for result in results:
        for earlier in records.sources:
            if (earlier.file, earlier.records) == (result.source.file, len(result.records)):
                # Importing a file twice doubles its records; deduplication would then merge
                # them, but the PRISMA count of records identified would be wrong. Say so.
                click.echo(
                    f"warning: {earlier.file} ({earlier.records} records) was already imported "
                    f"at {earlier.imported_at}; its records are added again",
                    err=True,
                )
        records = records.with_import(result.records, result.source)
        click.echo(result.summary(), err=True)
    records.save(project)
    click.echo(
        f"{len(records) - before} records imported into {project / 'records'} "
        f"({len(records)} in total)",
        err=True,
    )


def _load(records_arg: Path) -> Any:
    from evsynth.records.importers import import_file
    from evsynth.records.model import RecordSet

    if records_arg.is_dir():
        if not (records_arg / "records" / "records.jsonl").exists():
            raise InputError("project folder has no records/records.jsonl", file=records_arg)
        return RecordSet.load(records_arg)
    result = import_file(records_arg, keep_ids=True)
    for line in result.summary().splitlines()[1:]:  # the warnings, each kind once
        click.echo(line.strip(), err=True)
    return RecordSet(result.records, (result.source,), ())


@click.command("dedup")
@click.argument("records_arg", metavar="RECORDS", type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", default="text", type=click.Choice(["json", "text"]), show_default=True
)
@click.option(
    "--project",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Store the automatic merges and same-study links in this project's records/links.csv.",
)
@click.option(
    "--output",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of standard output.",
)
@click.option(
    "--merge",
    nargs=2,
    default=None,
    metavar="ID_A ID_B",
    help="A person's decision: these two records are duplicates (needs --project and --by).",
)
@click.option(
    "--same-study",
    nargs=2,
    default=None,
    metavar="ID_A ID_B",
    help="A person's decision: two reports of one study, both kept (needs --project, --by).",
)
@click.option(
    "--distinct",
    nargs=2,
    default=None,
    metavar="ID_A ID_B",
    help="A person's decision: two different records, never to be merged or asked about again "
    "(needs --project, --by).",
)
@click.option("--undo", default=None, metavar="LINK_ID", help="Undo a link (needs --by).")
@click.option(
    "--explain",
    nargs=2,
    default=None,
    metavar="ID_A ID_B",
    help="Show how two records compare, field by field, and what was decided.",
)
@click.option("--by", "by", default=None, help="Who makes the --merge/--same-study/--undo.")
@click.option(
    "--merge-notices",
    default="none",
    show_default=True,
    metavar="KINDS",
    help="Notices merged into their article, comma-separated: reply, erratum, or none "
    "(others are linked as reports of the same study).",
)
def dedup(
    records_arg: Path,
    fmt: str,
    project: Path | None,
    output: Path | None,
    merge: tuple[str, str] | None,
    same_study: tuple[str, str] | None,
    distinct: tuple[str, str] | None,
    undo: str | None,
    explain: tuple[str, str] | None,
    by: str | None,
    merge_notices: str,
) -> None:
    """Find duplicate records: link them, never delete them.

    RECORDS is an export file (any format `evsynth import` reads, e.g. a CSV with an ID column)
    or a project folder. High-confidence duplicates are merged automatically; uncertain pairs are
    listed for a person; reports of one study (abstract and article, erratum, part 1 and 2) are
    grouped as same-study links, not duplicates. With --project the links are stored and the
    report shows the groups in force (a person's merges and undos included); --merge,
    --same-study, --distinct and --undo record a person's decision on an uncertain pair or a
    link.
    """
    from evsynth.records.dedup import find_duplicates
    from evsynth.records.dedup.links import (
        apply_link,
        duplicate_groups,
        store_result,
        undo_link,
    )
    from evsynth.records.model import RecordSet

    notices = {k.strip() for k in merge_notices.split(",") if k.strip()} - {"none"}
    if notices - {"reply", "erratum"}:
        bad = ", ".join(sorted(notices - {"reply", "erratum"}))
        raise click.BadParameter(
            f"{bad!r}; expected reply, erratum or none", param_hint="'--merge-notices'"
        )
    if project is not None:
        if records_arg.resolve() != project.resolve():
            raise InputError(
                "with --project, RECORDS must be that project folder", file=records_arg
            )
        records = RecordSet.load(project)
        if not records.records:
            raise InputError("project has no records; run `evsynth import` first", file=project)
    else:
        records = _load(records_arg)
    if explain:
        from evsynth.records.dedup import explain_pair

        known = records.by_id()
        for rid in explain:
            if rid not in known:
                raise InputError(f"no record with ID {rid!r}", file=records_arg)
        pair = explain_pair(known[explain[0]], known[explain[1]])
        click.echo(pair.explain())
        return
    if merge or same_study or distinct or undo:
        if project is None or not by:
            raise InputError(
                "--merge, --same-study, --distinct and --undo need --project DIR and --by NAME"
            )
        if merge:
            records = apply_link(records, *merge, kind="duplicate", decided_by=by)
        if same_study:
            records = apply_link(records, *same_study, kind="same_study", decided_by=by)
        if distinct:
            records = apply_link(records, *distinct, kind="distinct", decided_by=by)
        if undo:
            records = undo_link(records, undo, decided_by=by)
        records.save(project)
        click.echo(f"recorded in {project / 'records' / 'links.csv'}", err=True)
        return
    with _progress("Comparing candidate pairs") as update:
        result = find_duplicates(records.records, progress=update, merge_notices=notices)
    report = result.to_dict()
    uncertain = list(result.uncertain_pairs)
    if project is not None:
        stored = store_result(records, result)
        stored.save(project)
        # The project's view: groups of the links in force, pairs not yet decided by anyone.
        decided = {frozenset((k.record_a, k.record_b)) for k in stored.links}
        uncertain = [p for p in uncertain if frozenset((p.a, p.b)) not in decided]
        report["duplicate_groups"] = duplicate_groups(stored)
        report["duplicates_removed"] = sum(len(g) - 1 for g in report["duplicate_groups"])
        report["same_study_groups"] = [
            g for g in duplicate_groups(stored, "same_study") if len(g) > 1
        ]
        report["uncertain_pairs"] = [
            {
                "record_a": p.a,
                "record_b": p.b,
                "score": round(p.score, 4),
                "reasons": list(p.reasons),
            }
            for p in uncertain
        ]
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        lines = [result.summary(), "", "Duplicate groups (merged):"]
        lines += [f"  {' '.join(g)}" for g in report["duplicate_groups"]]
        lines += [
            "",
            "Uncertain pairs (for a person to decide with --merge, --same-study or --distinct):",
        ]
        lines += [f"  {p.explain()}" for p in uncertain]
        lines += ["", "Reports of one study (kept, linked as same_study):"]
        lines += [f"  {' '.join(g)}" for g in report["same_study_groups"]]
        text = "\n".join(lines) + "\n"
    if output is not None:
        write_text_atomic(output, text)
    else:
        click.echo(text, nl=False)


@click.command("export")
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--select",
    default="unique",
    show_default=True,
    type=click.Choice(["unique", "all", "included", "excluded", "conflict", "pending"]),
    help="unique: one record of each duplicate group; all: every imported record; or the "
    "records with this outcome at --stage.",
)
@click.option(
    "--stage",
    default="title_abstract",
    show_default=True,
    type=click.Choice(["title_abstract", "full_text"]),
    help="The stage whose outcome --select names.",
)
@click.option(
    "--format", "fmt", default="ris", show_default=True, type=click.Choice(["ris", "csv"])
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
def export_cmd(project: Path, select: str, stage: str, fmt: str, output: Path | None) -> None:
    """Export a project's records as RIS or CSV, with their screening outcomes.

    For a reference manager or a co-author: the deduplicated library, every imported record
    (each duplicate naming the record kept in its stead), or the records included, excluded,
    in conflict or pending at a stage. Each record carries its outcomes (RIS: an N1 note) and
    its evsynth ID (RIS: the ID tag).
    """
    from evsynth.records.export import export_text, select_records

    rows = select_records(project, select, stage)
    text = export_text(rows, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    write_text_atomic(output, text)
    noun = "record" if len(rows) == 1 else "records"
    click.echo(f"{len(rows)} {noun} written to {output} ({fmt})", err=True)
