"""Every option of ``evsynth meta`` is documented in docs/meta-cli.md (one source of truth)."""

from __future__ import annotations

import click

from evsynth.cli.meta import meta
from helpers import ROOT


def test_every_option_is_documented() -> None:
    doc = (ROOT / "docs" / "meta-cli.md").read_text(encoding="utf-8")
    options = [p for p in meta.params if isinstance(p, click.Option)]
    assert len(options) >= 9
    missing = [p.opts[0] for p in options if p.opts[0] not in doc]
    assert missing == []
