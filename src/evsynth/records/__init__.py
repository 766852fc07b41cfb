"""The records layer: search exports in, duplicates linked, screening, PRISMA 2020 counts.

- :mod:`evsynth.records.model`: ``Record``, ``Source``, ``Link``, ``RecordSet`` and the project's
  ``records/`` files (``records.jsonl``, ``sources.csv``, ``links.csv``).
- :mod:`evsynth.records.importers`: ``import_file(path, source=None) -> ImportResult`` for RIS,
  MEDLINE, PubMed XML, EndNote XML, BibTeX, Web of Science plain text, CSV and Excel.
- :mod:`evsynth.records.dedup`: ``find_duplicates(records) -> DedupResult``; reversible links in
  :mod:`evsynth.records.dedup.links`.
- :mod:`evsynth.records.screening` and :mod:`evsynth.records.prisma`: dual screening and the
  PRISMA 2020 flow.

User guide: ``docs/records.md``. Nothing is imported here, so ``import evsynth.records`` is cheap.
"""
