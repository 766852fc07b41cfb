"""PRISMA 2020 flow counts, built from the recorded work or given for a review done elsewhere.

Every count is derived from the project's files, so each one can be traced to records:

- identification: ``records/records.jsonl`` with ``records/sources.csv`` (records per database or
  register; sources such as citation searching, websites or organisations form the "other
  methods" column);
- duplicates removed: active ``duplicate`` links in ``records/links.csv`` (in each group of linked
  records one is kept: a database record before an other-methods one, then the first imported;
  a person's ``distinct`` verdict keeps two records out of one group);
- other removals: ``screening/removals.csv`` (``record_id kind reason``, kind ``automation`` for
  records marked ineligible by automation tools or ``other``);
- screening: the settled title/abstract outcome of each record (both reviewers agree, or a
  resolution); records not yet settled are "awaiting screening";
- retrieval: ``screening/fulltext.csv``; assessment: the settled full-text outcome, exclusions
  counted by their reason;
- studies included: included reports grouped by active ``same_study`` links.

The counts always add up, column by column (see :meth:`FlowColumn.identities`). Records still in
progress appear as "awaiting" counts instead of being dropped, so the identities hold at every
moment of a review, not only at its end.

References
----------
.. [1] Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated guideline
   for reporting systematic reviews. BMJ 2021;372:n71.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from evsynth.errors import InputError
from evsynth.records.screening._io import read_protocol, read_table, string_list

# Source names that PRISMA 2020 puts in the "other methods" column.
_OTHER_METHODS = re.compile(
    r"citation|reference list|snowball|hand ?search|manual|website|web site|organi[sz]ation|"
    r"expert|contact|grey|gray|google scholar|other method",
    re.IGNORECASE,
)
_REMOVAL_KINDS = ("automation", "other")
NO_REASON = "reason not recorded"


@dataclass(frozen=True)
class FlowColumn:
    """The counts of one column of the PRISMA 2020 flow diagram.

    ``identified`` maps each database, register or other source to its number of records;
    ``reports_excluded`` maps each exclusion reason to its number of reports. The
    ``*_awaiting_*`` counts are records still in progress (zero in a finished review).
    """

    identified: Mapping[str, int] = field(default_factory=dict)
    duplicates_removed: int = 0
    automation_removed: int = 0
    other_removed: int = 0
    records_awaiting_screening: int = 0
    records_screened: int = 0
    records_excluded: int = 0
    reports_sought: int = 0
    reports_not_retrieved: int = 0
    reports_awaiting_assessment: int = 0
    reports_assessed: int = 0
    reports_excluded: Mapping[str, int] = field(default_factory=dict)
    reports_included: int = 0

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())

    @property
    def reports_excluded_total(self) -> int:
        return sum(self.reports_excluded.values())

    def identities(self) -> tuple[tuple[str, int, int], ...]:
        """Each PRISMA identity as (statement, left side, right side); equal when consistent."""
        return (
            (
                "identified - duplicates - automation - other removals "
                "= screened + awaiting screening",
                self.identified_total
                - self.duplicates_removed
                - self.automation_removed
                - self.other_removed,
                self.records_screened + self.records_awaiting_screening,
            ),
            (
                "screened - excluded = reports sought",
                self.records_screened - self.records_excluded,
                self.reports_sought,
            ),
            (
                "sought - not retrieved - awaiting assessment = assessed",
                self.reports_sought - self.reports_not_retrieved - self.reports_awaiting_assessment,
                self.reports_assessed,
            ),
            (
                "assessed - excluded = included",
                self.reports_assessed - self.reports_excluded_total,
                self.reports_included,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
        out["identified_total"] = self.identified_total
        out["reports_excluded_total"] = self.reports_excluded_total
        return out


@dataclass(frozen=True)
class PrismaCounts:
    """The counts of a PRISMA 2020 flow diagram (new review; databases, registers, other methods).

    ``databases`` is the main column (databases and registers), ``other_methods`` the optional
    column (websites, organisations, citation searching ...). ``reports_included`` is the total
    of both columns ("Reports of included studies"); ``studies_included`` counts the studies those
    reports belong to.
    """

    databases: FlowColumn = field(default_factory=FlowColumn)
    other_methods: FlowColumn | None = None
    studies_included: int = 0
    reports_included: int = 0
    mapping: tuple[str, ...] = ()  # how counts given by hand were read from the source

    # The main column's counts under PRISMA's names, for callers that need only that column.
    @property
    def identified(self) -> Mapping[str, int]:
        return self.databases.identified

    @property
    def duplicates_removed(self) -> int:
        return self.databases.duplicates_removed

    @property
    def records_screened(self) -> int:
        return self.databases.records_screened

    @property
    def records_excluded(self) -> int:
        return self.databases.records_excluded

    @property
    def reports_sought(self) -> int:
        return self.databases.reports_sought

    @property
    def reports_not_retrieved(self) -> int:
        return self.databases.reports_not_retrieved

    @property
    def reports_assessed(self) -> int:
        return self.databases.reports_assessed

    @property
    def reports_excluded(self) -> Mapping[str, int]:
        return self.databases.reports_excluded

    def identities(self) -> tuple[tuple[str, int, int], ...]:
        """Every identity of both columns and of the included box."""
        checks = [(f"databases: {s}", a, b) for s, a, b in self.databases.identities()]
        other_included = 0
        if self.other_methods is not None:
            checks += [(f"other methods: {s}", a, b) for s, a, b in self.other_methods.identities()]
            other_included = self.other_methods.reports_included
        checks.append(
            (
                "reports included = included via databases + via other methods",
                self.databases.reports_included + other_included,
                self.reports_included,
            )
        )
        checks.append(
            (
                "studies included <= reports included",
                min(self.studies_included, self.reports_included),
                self.studies_included,
            )
        )
        checks.append(
            (
                "at least one study when there are included reports",
                min(self.studies_included, 1),
                min(self.reports_included, 1),
            )
        )
        return tuple(checks)

    def check(self, *, file: str | Path | None = None) -> None:
        """Raise :class:`InputError` naming the first identity that does not hold."""
        for statement, left, right in self.identities():
            if left != right:
                raise InputError(
                    f"PRISMA counts do not add up: {statement} ({left} != {right})", file=file
                )

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``evsynth prisma``: the main column's counts at the top level."""
        main = self.databases.to_dict()
        main.pop("reports_included")
        main["reports_included_databases"] = self.databases.reports_included
        return {
            **main,
            "other_methods": None if self.other_methods is None else self.other_methods.to_dict(),
            "studies_included": self.studies_included,
            "reports_included": self.reports_included,
            **({"mapping": list(self.mapping)} if self.mapping else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | Path | None = None) -> PrismaCounts:
        """Counts given directly (``prisma:`` in ``review.yaml`` for a review done elsewhere).

        Keys are those of :meth:`to_dict`. ``identified`` and ``reports_excluded`` may be one
        number or a mapping (per source / per reason). Counts left out are derived from the
        PRISMA identities where they follow from the others (for example ``reports_sought``
        from ``records_screened - records_excluded``); the result is checked, and counts that
        do not add up raise :class:`InputError` naming the identity.
        """
        if not isinstance(data, Mapping):
            raise InputError("'prisma' must be a mapping of counts", file=file)
        other = data.get("other_methods")
        given_other = data.get("identified_other_methods")
        if given_other and other is None:
            raise InputError(
                "'prisma.identified_other_methods' needs the rest of that column: give "
                "'prisma.other_methods' with its counts (identified, reports_sought, ...)",
                file=file,
            )
        other_column = None
        if other is not None:
            if not isinstance(other, Mapping):
                raise InputError("'prisma.other_methods' must be a mapping", file=file)
            other_column = _column_from_dict(other, "prisma.other_methods", file)
        other_included = other_column.reports_included if other_column is not None else 0
        main_data = dict(data)
        total = main_data.get("reports_included")
        if "reports_included_databases" in main_data:
            main_data["reports_included"] = main_data["reports_included_databases"]
        elif total is not None:
            main_data["reports_included"] = _count(total, "prisma.reports_included", file) - (
                other_included
            )
        databases = _column_from_dict(main_data, "prisma", file)
        reports = databases.reports_included + other_included
        studies = data.get("studies_included", reports)
        mapping = data.get("mapping") or ()
        mapping = (mapping,) if isinstance(mapping, str) else tuple(str(m) for m in mapping)
        counts = cls(
            databases,
            other_column,
            _count(studies, "prisma.studies_included", file),
            reports,
            mapping,
        )
        counts.check(file=file)
        return counts

    def summary(self) -> str:
        lines = ["PRISMA 2020 flow"]
        for name, column in (
            ("Databases and registers", self.databases),
            ("Other methods", self.other_methods),
        ):
            if column is None:
                continue
            lines.append(
                f"  {name}: identified {column.identified_total} "
                + "("
                + ", ".join(f"{k} {v}" for k, v in column.identified.items())
                + ")"
            )
            lines.append(
                f"    duplicates removed {column.duplicates_removed}, automation "
                f"{column.automation_removed}, other removals {column.other_removed}"
            )
            lines.append(
                f"    screened {column.records_screened} (awaiting "
                f"{column.records_awaiting_screening}), excluded {column.records_excluded}"
            )
            lines.append(
                f"    reports sought {column.reports_sought}, not retrieved "
                f"{column.reports_not_retrieved}, awaiting {column.reports_awaiting_assessment}, "
                f"assessed {column.reports_assessed}"
            )
            for reason, n in column.reports_excluded.items():
                lines.append(f"    excluded: {reason} {n}")
        lines.append(
            f"  Included: {self.studies_included} studies, {self.reports_included} reports"
        )
        return "\n".join(lines)


def _count(value: Any, name: str, file: str | Path | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"'{name}' must be a whole number >= 0, got {value!r}", file=file)
    return value


def _mapping(value: Any, name: str, file: str | Path | None, default_key: str) -> dict[str, int]:
    if isinstance(value, Mapping):
        return {str(k): _count(v, f"{name}.{k}", file) for k, v in value.items()}
    return {default_key: _count(value, name, file)}


def _column_from_dict(data: Mapping[str, Any], prefix: str, file: str | Path | None) -> FlowColumn:
    known = {f.name for f in fields(FlowColumn)} | {
        "identified_total",
        "reports_excluded_total",
        "other_methods",
        "studies_included",
        "reports_included_databases",
        "identified_other_methods",
        "mapping",
    }
    for key in data:
        if key not in known:
            raise InputError(
                f"unknown PRISMA count '{prefix}.{key}'; expected one of "
                + ", ".join(sorted(f.name for f in fields(FlowColumn))),
                file=file,
            )
    v: dict[str, Any] = {}
    if "identified" in data:
        v["identified"] = _mapping(data["identified"], f"{prefix}.identified", file, "records")
    if "reports_excluded" in data:
        v["reports_excluded"] = _mapping(
            data["reports_excluded"], f"{prefix}.reports_excluded", file, NO_REASON
        )
    for f in fields(FlowColumn):
        if f.name not in ("identified", "reports_excluded") and f.name in data:
            v[f.name] = _count(data[f.name], f"{prefix}.{f.name}", file)
    ints = (
        "duplicates_removed",
        "automation_removed",
        "other_removed",
        "records_awaiting_screening",
        "reports_not_retrieved",
        "reports_awaiting_assessment",
    )
    for name in ints:
        v.setdefault(name, 0)
    # Fill what the identities determine, walking down the flow and then back up. The PRISMA
    # template's other-methods column has no screening box: there, when neither records excluded
    # nor reports sought is given, no record was excluded on title and abstract.
    for attempt in range(3):
        template_other = attempt == 2 and prefix.endswith("other_methods")
        if template_other and "records_excluded" not in v and "reports_sought" not in v:
            v["records_excluded"] = 0
        if "identified" in v and "records_screened" not in v:
            v["records_screened"] = (
                sum(v["identified"].values())
                - v["duplicates_removed"]
                - v["automation_removed"]
                - v["other_removed"]
                - v["records_awaiting_screening"]
            )
        if "records_screened" in v and "identified" not in v:
            v["identified"] = {
                "records": v["records_screened"]
                + v["duplicates_removed"]
                + v["automation_removed"]
                + v["other_removed"]
                + v["records_awaiting_screening"]
            }
        if "reports_sought" not in v and {"records_screened", "records_excluded"} <= v.keys():
            v["reports_sought"] = v["records_screened"] - v["records_excluded"]
        if "records_excluded" not in v and {"records_screened", "reports_sought"} <= v.keys():
            v["records_excluded"] = v["records_screened"] - v["reports_sought"]
        if "reports_assessed" not in v and "reports_sought" in v:
            v["reports_assessed"] = (
                v["reports_sought"] - v["reports_not_retrieved"] - v["reports_awaiting_assessment"]
            )
        if "reports_sought" not in v and "reports_assessed" in v:
            v["reports_sought"] = (
                v["reports_assessed"]
                + v["reports_not_retrieved"]
                + v["reports_awaiting_assessment"]
            )
        excluded = v.get("reports_excluded")
        if "reports_included" not in v and "reports_assessed" in v and excluded is not None:
            v["reports_included"] = v["reports_assessed"] - sum(excluded.values())
        if excluded is None and {"reports_assessed", "reports_included"} <= v.keys():
            v["reports_excluded"] = {NO_REASON: v["reports_assessed"] - v["reports_included"]}
        if "reports_assessed" not in v and {"reports_included"} <= v.keys() and excluded:
            v["reports_assessed"] = v["reports_included"] + sum(excluded.values())
    for key, value in v.items():
        negative = any(n < 0 for n in value.values()) if isinstance(value, Mapping) else value < 0
        if negative:
            raise InputError(
                f"'{prefix}.{key}' works out negative from the other counts", file=file
            )
    missing = [f.name for f in fields(FlowColumn) if f.name not in v]
    if missing:
        raise InputError(
            f"PRISMA counts incomplete: cannot derive {', '.join(missing)} in '{prefix}'",
            file=file,
        )
    return FlowColumn(**v)


def _is_other_method(label: str, listed: set[str]) -> bool:
    return label in listed or bool(_OTHER_METHODS.search(label))


class _Groups:
    """Union-find over record IDs (groups of linked records)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def prisma_counts(project: str | Path) -> PrismaCounts:
    """PRISMA 2020 counts of a review project folder.

    Built from the recorded work when the project has records; for a review done elsewhere
    (no ``records/records.jsonl``) from ``prisma:`` in ``review.yaml``.
    """
    from evsynth.records.model import RecordSet
    from evsynth.records.screening.decisions import ScreeningLog

    folder = Path(project)
    protocol = read_protocol(folder)
    record_set = RecordSet.load(folder)
    if not record_set.records:
        given = protocol.get("prisma")
        if given is None:
            raise InputError(
                "no records (records/records.jsonl) and no 'prisma:' counts in review.yaml",
                file=folder,
            )
        return PrismaCounts.from_dict(given, file=folder / "review.yaml")
    log = ScreeningLog.load(folder)
    removals = read_removals(folder / "screening" / "removals.csv")
    listed = other_methods_listed(protocol, file=folder / "review.yaml")
    return counts_from_work(record_set, log, removals, other_methods=listed)


def other_methods_listed(protocol: Mapping[str, Any], *, file: Path) -> frozenset[str]:
    """The source or database names that ``screening.other_methods`` of a protocol lists."""
    settings = protocol.get("screening") or {}
    return frozenset(
        string_list(
            settings.get("other_methods") if isinstance(settings, Mapping) else None,
            name="screening.other_methods",
            file=file,
        )
    )


def read_removals(path: Path, text: str | None = None) -> dict[str, str]:
    """``screening/removals.csv`` as ``{record_id: kind}`` (empty when there is no file).

    ``text`` is the file's content when it is not on disk (the web application keeps it in its
    database); ``path`` still names the file in messages.
    """
    out: dict[str, str] = {}
    for line, row in read_table(path, ("record_id", "kind"), text=text):
        if row["kind"] not in _REMOVAL_KINDS:
            raise InputError(
                f"invalid kind {row['kind']!r}; expected automation or other",
                file=path,
                row=line,
                column="kind",
            )
        out[row["record_id"]] = row["kind"]
    return out


def _columns(
    record_set: Any, other_methods: set[str] | frozenset[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each record's column (``databases`` or ``other``) and its source label."""
    labels = {s.source: (s.database or s.source) for s in record_set.sources}
    column_of: dict[str, str] = {}
    label_of: dict[str, str] = {}
    for r in record_set.records:
        label = labels.get(r.source, r.source) or "unknown source"
        label_of[r.id] = label
        is_other = _is_other_method(label, set(other_methods)) or r.source in other_methods
        column_of[r.id] = "other" if is_other else "databases"
    return column_of, label_of


def _groups(record_set: Any, column_of: Mapping[str, str]) -> tuple[set[str], _Groups]:
    """The records kept after deduplication, and the groups of reports of one study.

    In each group of duplicates one record is kept: a database record before an other-methods
    one, then the first in import order.
    """
    position = {r.id: i for i, r in enumerate(record_set.records)}
    duplicates = _Groups()
    studies = _Groups()
    from evsynth.records.dedup.links import duplicate_groups

    for link in record_set.active_links():
        if link.record_a not in position or link.record_b not in position:
            continue
        if link.kind not in ("duplicate", "same_study"):
            continue  # a person's "distinct" verdict joins nothing
        studies.union(link.record_a, link.record_b)
    # the same groups as records_to_screen (a "distinct" verdict holds against chaining)
    for group in duplicate_groups(record_set):
        for rid in group[1:]:
            duplicates.union(group[0], rid)
    members: dict[str, list[str]] = {}
    for r in record_set.records:
        members.setdefault(duplicates.find(r.id), []).append(r.id)
    kept = {
        min(group, key=lambda rid: (column_of[rid] != "databases", position[rid]))
        for group in members.values()
    }
    return kept, studies


def records_to_screen(project: str | Path) -> list[Any]:
    """The records of a project that enter title/abstract screening, in import order.

    Duplicates (active ``duplicate`` links) and records in ``screening/removals.csv`` are left
    out, exactly as :func:`prisma_counts` counts them.
    """
    from evsynth.records.model import RecordSet

    folder = Path(project)
    return screening_records(
        RecordSet.load(folder),
        other_methods=other_methods_listed(read_protocol(folder), file=folder / "review.yaml"),
        removals=read_removals(folder / "screening" / "removals.csv"),
    )


def kept_records(record_set: Any, other_methods: Collection[str] = frozenset()) -> set[str]:
    """The IDs of the records kept after deduplication: one of each duplicate group.

    The kept record is a database's (or register's) before one found by other methods, then
    the first imported. Every front end screens these, and PRISMA counts the others as
    duplicates removed; one rule for both keeps the counts and the decisions on the same records.
    """
    column_of, _ = _columns(record_set, frozenset(other_methods))
    kept, _ = _groups(record_set, column_of)
    return kept


def screening_records(
    record_set: Any,
    *,
    other_methods: Collection[str] = frozenset(),
    removals: Collection[str] = frozenset(),
) -> list[Any]:
    """The records that enter title/abstract screening, in import order: the kept record of
    each duplicate group (:func:`kept_records`), less those removed before screening.

    A kept record exported without an abstract (a CSV export made without that column, an
    early record) shows the abstract and keywords of the first record of its group that has
    them, named in ``extra["abstract_from"]``: the screeners and the ranking read what the
    group knows. The records in the project files are not changed.
    """
    from dataclasses import replace

    from evsynth.records.dedup.links import abstract_donors, duplicate_groups

    kept = kept_records(record_set, other_methods)
    by_id = {r.id: r for r in record_set.records}
    donors = abstract_donors(
        duplicate_groups(record_set), {r.id: r.abstract for r in record_set.records}
    )
    out = []
    for r in record_set.records:
        if r.id not in kept or r.id in removals:
            continue
        donor = by_id[donors[r.id]] if r.id in donors else None
        if donor is not None:
            r = replace(
                r,
                abstract=donor.abstract,
                keywords=r.keywords or donor.keywords,
                extra={**r.extra, "abstract_from": donor.id},
            )
        out.append(r)
    return out


def counts_from_work(
    record_set: Any,
    log: Any,
    removals: Mapping[str, str] | None = None,
    *,
    other_methods: set[str] | frozenset[str] = frozenset(),
) -> PrismaCounts:
    """PRISMA counts from a :class:`~evsynth.records.model.RecordSet` and a screening log.

    ``removals`` maps record IDs removed before screening to ``automation`` or ``other``;
    ``other_methods`` lists source or database names of the other-methods column (besides the
    names recognised by keyword: citation searching, websites, organisations ...).
    """
    removals = removals or {}
    records = list(record_set.records)
    column_of, label_of = _columns(record_set, other_methods)
    kept, studies = _groups(record_set, column_of)

    tallies = {name: Counter[str]() for name in ("databases", "other")}
    identified = {name: Counter[str]() for name in ("databases", "other")}
    excluded_reasons = {name: Counter[str]() for name in ("databases", "other")}
    included: list[str] = []
    for r in records:
        col = column_of[r.id]
        tally = tallies[col]
        identified[col][label_of[r.id]] += 1
        if r.id not in kept:
            tally["duplicates_removed"] += 1
            continue
        if r.id in removals:
            tally[f"{removals[r.id]}_removed"] += 1
            continue
        screening = log.outcome(r.id, "title_abstract").outcome
        if screening not in ("include", "exclude"):
            tally["records_awaiting_screening"] += 1
            continue
        tally["records_screened"] += 1
        if screening == "exclude":
            tally["records_excluded"] += 1
            continue
        tally["reports_sought"] += 1
        assessment = log.outcome(r.id, "full_text")
        retrieval = log.retrieval(r.id)
        if assessment.outcome == "include":
            tally["reports_assessed"] += 1
            tally["reports_included"] += 1
            included.append(r.id)
        elif assessment.outcome == "exclude":
            tally["reports_assessed"] += 1
            excluded_reasons[col][assessment.reason or NO_REASON] += 1
        elif retrieval is not None and retrieval.retrieved is False:
            tally["reports_not_retrieved"] += 1
        else:
            tally["reports_awaiting_assessment"] += 1

    def column(name: str) -> FlowColumn:
        t = tallies[name]
        return FlowColumn(
            identified=dict(identified[name]),
            reports_excluded=dict(sorted(excluded_reasons[name].items(), key=lambda kv: -kv[1])),
            **{
                f.name: t[f.name]
                for f in fields(FlowColumn)
                if f.name not in ("identified", "reports_excluded")
            },
        )

    has_other = any(c == "other" for c in column_of.values())
    databases = column("databases")
    other = column("other") if has_other else None
    reports = databases.reports_included + (other.reports_included if other else 0)
    studies_included = len({studies.find(rid) for rid in included})
    return PrismaCounts(databases, other, studies_included, reports)
