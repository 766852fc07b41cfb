"""Fuzzing the importers: random bytes and mutated real exports raise InputError or import.

Whatever a database, a reference manager or a damaged disk produces, the importer either reads
it (reporting problems with lines) or refuses it with an InputError naming the file; it never
crashes with another exception and never loses count of the records it returned.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evsynth.errors import InputError
from evsynth.records.importers import import_file

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = sorted(p for p in FIXTURES.iterdir() if p.is_file())


def _import_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        try:
            result = import_file(path)
        except InputError as exc:
            assert exc.file == str(path)
            return
        assert len(result.records) == result.entries
        assert len({r.id for r in result.records}) == len(result.records)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".ris", ".txt", ".xml", ".bib", ".csv", ".xlsx", ""]),
)
def test_random_bytes_never_crash(data: bytes, suffix: str) -> None:
    _import_bytes(data, suffix)


@st.composite
def mutated_export(draw: st.DrawFn) -> tuple[bytes, str]:
    source = draw(st.sampled_from(SOURCES))
    data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        action = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        pos = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "cut":
            del data[pos:]
        elif action == "flip" and data:
            data[pos] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [
                        b"\n",
                        b"\r\n",
                        b'"',
                        b"{",
                        b"}",
                        b"<",
                        b"&",
                        b"ER  - \n",
                        b"TY  - JOUR\n",
                        b"\xff\xfe",
                        b",",
                        b"@article{",
                        b"<record>",
                        b"\t",
                    ]
                )
            )
        elif data:
            del data[pos : pos + draw(st.integers(min_value=1, max_value=40))]
    return bytes(data), source.suffix


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_export())
def test_mutated_exports_never_crash(case: tuple[bytes, str]) -> None:
    _import_bytes(*case)
