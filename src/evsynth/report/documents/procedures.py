"""The procedure catalog (``data/procedures.yaml``): descriptions, codes and plain words.

The policy brief and the plain-language summary describe the procedure a review is about; the
catalog holds what the review's data do not: billing codes with their descriptors, a
description in the payer's words, the patient wording and complication rates with their source.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def catalog() -> list[dict[str, Any]]:
    """All catalog entries."""
    text = resources.files("evsynth.report.documents").joinpath("data/procedures.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["procedures"]
    return entries


def match_procedure(*texts: str) -> dict[str, Any] | None:
    """The catalog entry whose match phrases occur in ``texts`` (the protocol's words), if any."""
    haystack = " ".join(texts).lower()
    for entry in catalog():
        if any(phrase.lower() in haystack for phrase in entry.get("match", ())):
            return entry
    return None
