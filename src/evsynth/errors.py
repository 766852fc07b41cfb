"""The one error type for bad user input, shared by every front end.

Every layer raises :class:`InputError` for input a person can fix (a missing column, a negative
standard deviation, an unreadable file). The command line turns it into one line on stderr and
exit status 2; the web application turns it into a form error. Programming errors stay ordinary
exceptions.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input, located as precisely as it can be: file, row (1-based data row) and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(str(self))

    def located(
        self,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> InputError:
        """Return a copy with the missing parts of the location filled in."""
        return InputError(
            self.message,
            file=self.file if self.file is not None else file,
            row=self.row if self.row is not None else row,
            column=self.column if self.column is not None else column,
        )

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message
