"""The ``evsynth`` command line.

Subcommands live in their own modules and are imported only when invoked, so that
``evsynth meta`` does not pay for Django or scikit-learn at start-up. Every command shares one
error contract: :class:`evsynth.errors.InputError` becomes one message on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from evsynth import __version__
from evsynth.errors import InputError

# name -> "module:attribute"; the module is imported only when the command runs or --help lists it.
COMMANDS: dict[str, tuple[str, str]] = {
    "meta": ("evsynth.cli.meta:meta", "Pool effect sizes from a CSV file (metafor's rma)."),
    "grade": ("evsynth.cli.grade:grade", "Grade a body of evidence from a table of studies."),
    "import": ("evsynth.cli.records:import_cmd", "Import search exports into a record set."),
    "dedup": ("evsynth.cli.records:dedup", "Find duplicate records (links, never deletes)."),
    "export": ("evsynth.cli.records:export_cmd", "Export a project's records as RIS or CSV."),
    "screen": ("evsynth.cli.screening:screen", "Screen records; priority ranking and simulation."),
    "conflicts": ("evsynth.cli.screening:conflicts", "List and resolve screening conflicts."),
    "prisma": ("evsynth.cli.screening:prisma", "PRISMA 2020 flow counts and diagram."),
    "review": ("evsynth.cli.review:review", "Validate, analyse and render a review project."),
    "demo": ("evsynth.cli.review:demo", "Build the bundled seed review into a folder."),
    "gosh": ("evsynth.cli.resample:gosh", "GOSH: fit every subset of studies."),
    "permutation-test": (
        "evsynth.cli.resample:permutation_test",
        "Permutation test for the pooled effect or moderators.",
    ),
    "bootstrap": ("evsynth.cli.resample:bootstrap", "Bootstrap confidence intervals."),
    "serve": ("evsynth.cli.web:serve", "Run the team web application."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return _unavailable(cmd_name, entry[1])
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Use the short help recorded above so that --help imports nothing heavy.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)


def _unavailable(name: str, help_text: str) -> click.Command:
    @click.command(name=name, help=help_text + " (not available in this build)")
    def stub() -> None:
        click.echo(f"Error: the '{name}' command is not available in this build.", err=True)
        sys.exit(2)

    return stub


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evsynth")
def cli() -> None:
    """evsynth: evidence synthesis from search exports to a reproducible report."""


def main() -> None:
    # One OpenBLAS thread unless the user chose otherwise: starting a thread per core costs about
    # 0.1 s of every short command, and evsynth's matrices are too small to gain from threads
    # (parallel work goes through worker processes instead). Must happen before numpy loads.
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli(prog_name="evsynth")
