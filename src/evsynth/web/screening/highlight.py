"""Keyword highlighting for screening: terms from the protocol's question, marked in the text."""

from __future__ import annotations

import re

import yaml
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_STOP = "with and the for from into of in on or to a an by at as is are be than that this those"
STOPWORDS = frozenset(_STOP.split()) | {"these", "patients", "people", "adults", "children"}


def protocol_terms(protocol_yaml: str) -> list[str]:
    """Words of the PICO question (population, intervention, comparator, outcomes)."""
    try:
        data = yaml.safe_load(protocol_yaml or "") or {}
    except yaml.YAMLError:
        return []
    question = data.get("question") if isinstance(data, dict) else None
    if not isinstance(question, dict):
        return []
    words: dict[str, None] = {}
    for key in ("population", "intervention", "comparator", "outcomes"):
        for word in re.findall(r"[A-Za-z][A-Za-z\-]{3,}", str(question.get(key) or "")):
            if word.lower() not in STOPWORDS:
                words.setdefault(word.lower(), None)
    return list(words)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` HTML-escaped, with each term (and words starting with it) wrapped in <mark>."""
    escaped = str(escape(text))
    usable = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not usable:
        return mark_safe(escaped)
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(str(escape(t))) for t in usable) + r")\w*", re.IGNORECASE
    )
    # The text was escaped first and the pattern only wraps whole escaped matches in <mark>, so
    # nothing from the record can inject markup.
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))
