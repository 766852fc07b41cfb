"""Reading user tables: the effect-size tables given to ``evsynth meta`` and the web app.

``read_effect_table(path)`` reads a CSV (UTF-8, with or without BOM) or an Excel ``.xlsx`` file
whose columns follow metafor's argument names and returns the effect sizes with the table.
"""

from __future__ import annotations

from evsynth.dataio.effects import infer_measure, parse_effect_table, read_effect_table

__all__ = ["infer_measure", "parse_effect_table", "read_effect_table"]
