"""Resampling at scale: GOSH, permutation tests, bootstrap, leave-one-out and cumulative analysis.

All of them refit one meta-analytic model many times; :mod:`.kernels` fits whole batches of
those models at once with the same estimators and iterations as :func:`evsynth.stats.models.rma`.
"""
