from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "evsynth.web.analysis"
    label = "analysis"
