"""Every setting the web application reads from the environment is documented in deploy.md."""

from __future__ import annotations

import re

from helpers import ROOT


def test_every_environment_variable_is_documented() -> None:
    sources = [*(ROOT / "src" / "evsynth" / "web").rglob("*.py"), ROOT / "src/evsynth/cli/web.py"]
    read = set()
    for path in sources:
        read |= set(re.findall(r"\"(EVSYNTH_[A-Z_]+)\"", path.read_text()))
    documented = set(re.findall(r"`(EVSYNTH_[A-Z_]+)`", (ROOT / "docs" / "deploy.md").read_text()))
    assert read, "no settings found: the pattern is wrong"
    assert read - documented == set()
