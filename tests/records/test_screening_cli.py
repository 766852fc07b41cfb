"""The screening, conflicts and prisma commands on a small project folder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from evsynth.cli import cli
from evsynth.records.model import Link, Record, RecordSet, Source

TOPICS = ["epidural adhesiolysis lumbar", "knee replacement", "asthma inhaler children"]


def _project(tmp_path: Path) -> Path:
    records = [
        Record(
            f"pm-{i}",
            source="pubmed",
            title=f"Study {i} of {TOPICS[i % 3]}",
            abstract=f"We studied {TOPICS[i % 3]} in patients.",
        )
        for i in range(6)
    ]
    records.append(Record("cs-0", source="refs", title="Adhesiolysis cohort", abstract="Lumbar."))
    sources = (
        Source("pubmed", "PubMed", "pubmed.nbib", "nbib", "2026-01-01T00:00:00Z", 6),
        Source("refs", "Citation searching", "refs.ris", "ris", "2026-01-01T00:00:00Z", 1),
    )
    links = (Link("L1", "duplicate", "pm-0", "pm-3", 0.99, "auto", "active", "2026-01-01"),)
    RecordSet(tuple(records), sources, links).save(tmp_path)
    (tmp_path / "review.yaml").write_text(
        "title: test\nscreening:\n  exclusion_reasons: [wrong population, wrong design]\n"
        "  highlight: [adhesiolysis]\n",
        encoding="utf-8",
    )
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_dual_screening_conflict_resolution_and_prisma(tmp_path: Path) -> None:
    p = str(_project(tmp_path))
    votes = {
        "pm-0": ("include", "include"),
        "pm-1": ("exclude", "exclude"),
        "pm-2": ("include", "exclude"),
        "pm-4": ("exclude", "exclude"),
        "pm-5": ("exclude", "exclude"),
        "cs-0": ("include", "include"),
    }
    for rid, (a, b) in votes.items():
        for reviewer, decision in (("ann", a), ("bob", b)):
            code, out = _run(
                "screen", "decide", p, rid, "--reviewer", reviewer, "--decision", decision
            )
            assert code == 0, out
    code, out = _run("conflicts", p, "--format", "json")
    assert code == 0
    assert [c["record_id"] for c in json.loads(out)["conflicts"]] == ["pm-2"]
    code, out = _run(
        "conflicts", p, "--resolve", "pm-2", "--decision", "include", "--resolver", "carol"
    )
    assert code == 0, out
    code, out = _run("screen", "kappa", p, "--format", "json")
    assert code == 0
    assert json.loads(out)["n"] == 6
    for rid in ("pm-0", "pm-2", "cs-0"):
        for reviewer in ("ann", "bob"):
            args = ["screen", "decide", p, rid, "--stage", "full_text", "--reviewer", reviewer]
            if rid == "pm-2":
                args += ["--decision", "exclude", "--reason", "wrong design"]
            else:
                args += ["--decision", "include"]
            code, out = _run(*args)
            assert code == 0, out
    svg = tmp_path / "flow.svg"
    code, out = _run(
        "prisma", p, "--format", "json", "--out", str(svg), "--out", str(tmp_path / "flow.png")
    )
    assert code == 0, out
    counts = json.loads(out)
    assert counts["identified"] == {"PubMed": 6}
    assert counts["duplicates_removed"] == 1
    assert counts["records_screened"] == 5  # pm-3 was removed as a duplicate of pm-0
    assert counts["records_excluded"] == 3
    assert counts["reports_excluded"] == {"wrong design": 1}
    assert counts["other_methods"]["reports_included"] == 1
    assert (counts["reports_included"], counts["studies_included"]) == (2, 2)
    assert "Records screened (n = 5)" in svg.read_text(encoding="utf-8").replace("&#160;", " ")


def test_rank_next_and_bad_input(tmp_path: Path) -> None:
    p = str(_project(tmp_path))
    for rid, decision in (("pm-0", "include"), ("pm-1", "exclude")):
        assert _run("screen", "decide", p, rid, "--reviewer", "ann", "--decision", decision)[0] == 0
    code, out = _run("screen", "rank", p, "--reviewer", "ann", "--format", "json")
    assert code == 0
    order = json.loads(out)["order"]
    # pm-3 is a duplicate (not screened); the adhesiolysis records rank above the others.
    assert sorted(order) == ["cs-0", "pm-2", "pm-4", "pm-5"]
    assert order[0] == "cs-0"
    code, out = _run("screen", "next", p, "--reviewer", "ann", "--format", "json")
    assert json.loads(out)["id"] == order[0]
    code, out = _run(
        "screen",
        "decide",
        p,
        "pm-2",
        "--stage",
        "full_text",
        "--reviewer",
        "ann",
        "--decision",
        "include",
    )
    assert code == 2
    assert "has not passed title/abstract screening" in out
    code, out = _run(
        "screen",
        "decide",
        p,
        "pm-4",
        "--reviewer",
        "ann",
        "--decision",
        "exclude",
        "--reason",
        "too old",
    )
    assert code == 2
    assert "unknown exclusion reason 'too old'" in out


def test_simulate_json_fields(tmp_path: Path) -> None:
    lines = ["id,title,abstract,label_included"]
    for i in range(40):
        relevant = i % 8 == 0
        topic = "epidural adhesiolysis for lumbar radiculopathy" if relevant else f"topic {i} diet"
        lines.append(f"r{i},{topic},{topic} trial,{int(relevant)}")
    path = tmp_path / "labelled.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot = tmp_path / "recall.png"
    code, out = _run(
        "screen", "simulate", str(path), "--seed", "3", "--format", "json", "--plot", str(plot)
    )
    assert code == 0, out
    data = json.loads(out)
    assert {"records", "relevant", "wss95", "rrf10", "screened_to_last", "order"} <= data.keys()
    assert (data["records"], data["relevant"]) == (40, 5)
    assert sorted(data["order"]) == sorted(f"r{i}" for i in range(40))
    # The relevant records share their words, so the model finds all five first.
    assert data["screened_to_last"] <= 6
    assert plot.read_bytes()[:4] == b"\x89PNG"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,abstract,label_included\nr1,a,b,1\nr2,c,d,maybe\n", encoding="utf-8")
    code, out = _run("screen", "simulate", str(bad))
    assert code == 2
    assert "bad.csv, row 3, column 'label_included'" in out
