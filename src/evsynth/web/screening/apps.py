from __future__ import annotations

from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "evsynth.web.screening"
    label = "screening"
