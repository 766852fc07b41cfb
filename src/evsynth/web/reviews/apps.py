from __future__ import annotations

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "evsynth.web.reviews"
    label = "reviews"
