"""Start-up of short commands: heavy libraries are imported only by the code that uses them.

``evsynth gosh`` on 16 studies is a fraction of a second of work; importing scipy.special
(about 0.15 s) or pandas (about 0.16 s) where nothing needs them would double it. These tests
pin which modules stay light, and that the pandas-free path reads the same effect sizes and the
same table as ``read_effect_table``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evsynth.dataio.effects import effect_sizes_from_table, read_effect_table, table_frame
from evsynth.dataio.tables import read_table
from evsynth.errors import InputError

BCG = """study,ai,bi,ci,di,ablat,alloc,year
Aronson 1948,4,119,11,128,44,random,1948
Ferguson & Simes 1949,6,300,29,274,55,alternate,
Rosenthal et al 1960,3,228,11,209,42,random,1960
"""


def _loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    probe = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_distribution_and_resampling_modules_import_without_scipy_or_pandas() -> None:
    loaded = _loaded_after(
        "import evsynth.stats._dist, evsynth.stats.escalc, evsynth.stats.conversions, "
        "evsynth.stats._design, evsynth.stats.resampling.kernels, "
        "evsynth.stats.resampling.chunks, evsynth.dataio.effects"
    )
    assert "scipy" not in loaded
    assert "pandas" not in loaded
    assert "concurrent" not in loaded  # multiprocessing only for --workers > 1


def test_effect_sizes_from_a_file_without_pandas(tmp_path: Path) -> None:
    path = tmp_path / "bcg.csv"
    path.write_text(BCG, encoding="utf-8")
    loaded = _loaded_after(
        "from evsynth.dataio.effects import effect_sizes_from_table\n"
        "from evsynth.dataio.tables import read_table\n"
        f"es = effect_sizes_from_table(read_table({str(path)!r}), 'RR')\n"
        "assert es.k == 3"
    )
    assert "pandas" not in loaded
    assert "scipy" not in loaded


def test_the_light_path_gives_what_read_effect_table_gives(tmp_path: Path) -> None:
    from pandas.testing import assert_frame_equal

    path = tmp_path / "bcg.csv"
    path.write_text(BCG, encoding="utf-8")
    es, frame = read_effect_table(path, "RR")
    table = read_table(path)
    light = effect_sizes_from_table(table, "RR")
    assert light.measure == es.measure == "RR"
    assert light.slab == es.slab
    np.testing.assert_array_equal(light.yi, es.yi)
    np.testing.assert_array_equal(light.vi, es.vi)
    again = table_frame(table, light.measure)
    assert_frame_equal(again, frame)
    assert again.attrs == frame.attrs
    # the moderators as typed: numbers, text, and a blank number read as NaN
    assert again["ablat"].tolist() == [44.0, 55.0, 42.0]
    assert again["alloc"].tolist() == ["random", "alternate", "random"]
    assert np.isnan(again["year"].iloc[1])
    assert again.index.tolist() == [2, 3, 4]  # the lines a person sees in an editor


def test_the_light_path_reports_the_same_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BCG.replace("3,228", "-3,228"), encoding="utf-8")
    with pytest.raises(InputError) as full:
        read_effect_table(path, "RR")
    with pytest.raises(InputError) as light:
        effect_sizes_from_table(read_table(path), "RR")
    assert str(light.value) == str(full.value)
    assert str(light.value) == f"{path}, row 4, column 'ai': negative count"
