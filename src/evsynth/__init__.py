"""evsynth: evidence synthesis from search exports to a reproducible report."""

from __future__ import annotations

__version__ = "0.1.0"
