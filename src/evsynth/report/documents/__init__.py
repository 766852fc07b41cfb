"""The documents rendered from one analysis run: the scientific report (HTML, PDF, DOCX), the
coverage-policy brief and the plain-language summary. Nothing here computes statistics; every
number comes from :class:`evsynth.review.run.ReviewRun`."""
