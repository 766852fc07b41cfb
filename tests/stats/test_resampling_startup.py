"""Start-up of the resampling commands: numpy's OpenBLAS gets one thread unless the user chose.

OpenBLAS starts a thread per core (and a buffer for each) when numpy is imported, about 0.1 s of
a 16-study GOSH; the commands parallelise with worker processes instead. The rows are the same
either way (the GOSH reference tests run in the test process, with the default threads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, sys
from evsynth.cli import main
sys.argv = ["evsynth", "gosh", sys.argv[1], "--method", "DL", "--out", sys.argv[2],
            "--no-progress", "--format", "json"]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
from threadpoolctl import threadpool_info
blas = [p["num_threads"] for p in threadpool_info() if p["internal_api"] == "openblas"]
print(json.dumps({"blas_threads": blas}))
"""


def _blas_threads(tmp_path: Path, env: dict[str, str]) -> tuple[list[int], str]:
    data = tmp_path / "five.csv"
    data.write_text(
        "study,yi,vi\nA,0.1,0.02\nB,0.5,0.03\nC,-0.2,0.05\nD,0.3,0.01\nE,0.9,0.2\n",
        encoding="utf-8",
    )
    out = tmp_path / "gosh.csv"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(data), str(out)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    last = done.stdout.strip().splitlines()[-1]
    return list(json.loads(last)["blas_threads"]), out.read_text(encoding="utf-8")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(extra)
    return env


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: OpenBLAS has one thread anyway")
def test_gosh_runs_with_one_blas_thread_unless_the_user_chose(tmp_path: Path) -> None:
    threads, rows = _blas_threads(tmp_path, _env())
    assert threads and set(threads) == {1}
    chosen, rows_chosen = _blas_threads(tmp_path, _env(OPENBLAS_NUM_THREADS="2"))
    assert set(chosen) == {2}
    # 2^5 - 1 subsets and a header; the same bytes with either number of threads
    assert len(rows.splitlines()) == 32
    assert rows == rows_chosen
