"""Run every benchmark (``benchmarks/bench_*.py``) and print their ratio tables.

Each benchmark times evsynth side by side with the reference tool (R's metafor, where there is
one) in the same run and writes ``benchmarks/results/<name>.json``. Timed assertions do not
belong in the test suite; they live here.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
