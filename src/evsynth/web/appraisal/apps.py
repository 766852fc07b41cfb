from __future__ import annotations

from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "evsynth.web.appraisal"
    label = "appraisal"
