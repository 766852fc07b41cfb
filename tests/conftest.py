"""Pytest configuration shared by every suite; helpers live in ``tests/helpers.py``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
