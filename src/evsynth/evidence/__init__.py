"""The evidence layer: the review as a domain, between the numbers and the documents.

- :mod:`~evsynth.evidence.project`: the project folder (``load_project``, ``save_project``,
  ``load_example``); :mod:`~evsynth.evidence.protocol` (``review.yaml``) and
  :mod:`~evsynth.evidence.study` (rows of studies, outcomes and appraisals).
- :mod:`~evsynth.evidence.instruments`: appraisal instruments as YAML data;
  :mod:`~evsynth.evidence.appraisal`: scores, quality classes, Cohen's kappa.
- :mod:`~evsynth.evidence.grading`: the qualitative modified approach, Levels I-V;
  :mod:`~evsynth.evidence.body`: evidence tables and projects graded overall and per outcome.
- :mod:`~evsynth.evidence.certainty`: GRADE certainty and summary-of-findings rows.
- :mod:`~evsynth.evidence.relevance`: clinical relevance at the protocol's time points.

See docs/project-format.md and docs/appraisal-and-grading.md.
"""
