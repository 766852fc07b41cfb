"""One run of a review project: analyses, grading, relevance, methods check, and the documents.

``build_run(project)`` computes a :class:`ReviewRun`; ``build_outputs(run, out_dir)`` writes
results.json, the figures and the three documents into a folder atomically.
"""
