"""The command line's shared contract: help lists every command, bad input exits 2."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from evsynth.cli import COMMANDS, cli
from evsynth.errors import InputError


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_input_error_message_names_file_row_and_column() -> None:
    err = InputError("negative standard deviation -1.0", file="data.csv", row=3, column="sd1i")
    assert str(err) == "data.csv, row 3, column 'sd1i': negative standard deviation -1.0"
    assert str(InputError("empty file", file="x.csv")) == "x.csv: empty file"


def test_input_error_becomes_exit_status_2(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def boom() -> None:
        raise InputError("bad value", file="f.csv", row=2, column="yi")

    import evsynth.cli as cli_module

    monkeypatch.setitem(cli_module.COMMANDS, "boom", ("x:y", "test"))
    monkeypatch.setattr(cli_module.LazyGroup, "get_command", lambda self, ctx, name: boom)
    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code == 2
    assert "f.csv, row 2, column 'yi': bad value" in result.output
