"""Importing search exports through the page, deduplication as a job, upload limits."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from evsynth.records.importers import import_file
from evsynth.web.reviews.models import AuditEvent, Job
from evsynth.web.screening.models import DuplicateCandidate, LinkRow, Record
from evsynth.web.screening.state import screenable

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _upload(client: Client, review: Any, data: bytes, name: str) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        reverse("records-import", args=[review.pk]), {"export": upload, "source": "PubMed"}
    )


def test_import_then_dedup(team: dict[str, Any], clients: dict[str, Client]) -> None:
    review, rob = team["review"], clients["rob"]
    response = _upload(rob, review, (FIXTURES / "search.ris").read_bytes(), "search.ris")
    assert response.status_code == 302
    job = Job.objects.get(kind="import")
    # The job row the page polls: done, with the importer's count (4 entries, none dropped).
    status = rob.get(reverse("job-status", args=[review.pk, job.pk])).json()
    assert status["status"] == "done" and status["result"]["records"] == 4
    assert status["result"]["format"] == "ris"
    records = list(Record.objects.filter(review=review))
    assert [r.data["source_line"] for r in records] == [1, 15, 23, 34]  # the TY lines of the file
    assert records[0].data["doi"] == "10.36076/ppj.2013/16/185"
    page = rob.get(response["Location"]).content.decode()
    assert 'data-testid="job"' in page and "search.ris" in page

    # A second import of the same file continues the numbering (the records layer's rule).
    _upload(rob, review, (FIXTURES / "search.ris").read_bytes(), "search.ris")
    assert Record.objects.filter(review=review).count() == 8

    rob.post(reverse("dedup", args=[review.pk]), {"action": "run"})
    job = Job.objects.get(kind="dedup")
    assert job.status == "done", job.message
    groups = job.result["duplicate_groups"]
    # The two Gerdesmeyer entries in each file and the repeated file: one group of four, and
    # the Choi and Moon entries each twice.
    assert sorted(len(g) for g in groups) == [2, 2, 4]
    kept = {r.record_id for r in screenable(review, "title_abstract")}
    assert len(kept) == 3
    # The records layer links every automatic pair of a group: 6 in the group of four, 1 + 1.
    assert LinkRow.objects.filter(review=review).count() == job.result["links_added"] == 8

    # Undo the link of a pair: its second record returns to screening, and links.csv keeps
    # the history (the row flips to undone and an undo row records who and when).
    pair = next(g for g in groups if len(g) == 2)
    link_id = next(
        row.row["link_id"]
        for row in LinkRow.objects.filter(review=review)
        if {row.row["record_a"], row.row["record_b"]} == set(pair)
    )
    rob.post(reverse("dedup", args=[review.pk]), {"action": "undo", "link_id": link_id})
    assert len(screenable(review, "title_abstract")) == 4
    statuses = [row.row["status"] for row in LinkRow.objects.filter(review=review)]
    assert statuses.count("undone") == 2 and len(statuses) == 9
    assert AuditEvent.objects.filter(action="records.undo_link", username="rob").count() == 1
    # Running deduplication again does not redo the merge a person undid.
    rob.post(reverse("dedup", args=[review.pk]), {"action": "run"})
    assert len(screenable(review, "title_abstract")) == 4


def test_uncertain_pair_decided_by_a_person(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    review, rob = team["review"], clients["rob"]
    _upload(rob, review, (FIXTURES / "search.ris").read_bytes(), "search.ris")
    ids = [r.record_id for r in Record.objects.filter(review=review)]
    same = DuplicateCandidate.objects.create(
        review=review, record_a=ids[1], record_b=ids[3], score=0.8
    )
    other = DuplicateCandidate.objects.create(
        review=review, record_a=ids[0], record_b=ids[1], score=0.7
    )
    page = rob.get(reverse("dedup", args=[review.pk])).content.decode()
    assert page.count('data-testid="pair"') == 2
    rob.post(reverse("dedup", args=[review.pk]), {"action": "same", "candidate": same.pk})
    rob.post(reverse("dedup", args=[review.pk]), {"action": "different", "candidate": other.pk})
    rows = [r.row for r in LinkRow.objects.filter(review=review)]
    assert [r["kind"] for r in rows] == ["duplicate", "distinct"]
    assert rows[0]["decided_by"] == "rob" and rows[0]["score"] == "0.8000"
    # The "different records" verdict is a link of its own, so it survives the export.
    assert {rows[1]["record_a"], rows[1]["record_b"]} == {ids[0], ids[1]}
    listed = rob.get(reverse("dedup", args=[review.pk])).content.decode()
    assert '<td data-testid="link-kind">Distinct</td>' in listed
    assert '<td data-testid="link-kind">Duplicate</td>' in listed
    assert ids[3] not in {r.record_id for r in screenable(review, "title_abstract")}
    assert 'data-testid="pair"' not in rob.get(reverse("dedup", args=[review.pk])).content.decode()


def test_unreadable_export_is_a_failed_job_with_the_reason(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    review = team["review"]
    _upload(clients["rob"], review, b"\x00\x01\x02 not an export", "junk.bin")
    job = Job.objects.get(kind="import")
    assert job.status == "failed" and "junk.bin" in job.message
    assert Record.objects.filter(review=review).count() == 0


def test_upload_size_is_limited(
    team: dict[str, Any], clients: dict[str, Client], settings: LazySettings
) -> None:
    settings.EVSYNTH_MAX_UPLOAD_BYTES = 100
    response = _upload(clients["rob"], team["review"], b"TY  - JOUR\n" * 50, "big.ris")
    assert response.status_code == 400
    assert "larger than 100 bytes" in response.content.decode()
    assert not Job.objects.exists()


def test_web_screens_the_records_prisma_counts(
    team: dict[str, Any], clients: dict[str, Client], tmp_path: Path
) -> None:
    """The web app screens exactly the records that `evsynth screen` and PRISMA keep.

    In a duplicate group the kept record is a database's before one found by other methods
    (citation searching), and a record listed in screening/removals.csv is removed before
    screening. Here the citation-searching export is imported first, so "first in import order"
    would keep the wrong record: the web would ask for decisions on a record PRISMA counts as a
    removed duplicate, and the record PRISMA keeps would stay "awaiting screening" forever.
    """
    from evsynth.records.prisma import records_to_screen
    from evsynth.web.lib.project_io import export_files
    from evsynth.web.reviews.models import ProjectFile

    review, rob = team["review"], clients["rob"]
    data = (FIXTURES / "search.ris").read_bytes()
    for source in ("Citation searching", "PubMed"):
        upload = io.BytesIO(data)
        upload.name = "search.ris"
        rob.post(reverse("records-import", args=[review.pk]), {"export": upload, "source": source})
    rob.post(reverse("dedup", args=[review.pk]), {"action": "run"})
    assert Job.objects.get(kind="dedup").status == "done"
    ProjectFile.objects.create(
        review=review,
        path="screening/removals.csv",
        content=b"record_id,kind,reason\npubmed-00002,automation,not a trial\n",
    )

    web = [r.record_id for r in screenable(review, "title_abstract")]
    files, _ = export_files(review, viewer=None)
    for path, content in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    layer = [r.id for r in records_to_screen(tmp_path)]
    assert web == layer
    assert all(rid.startswith("pubmed-") for rid in web)
    assert "pubmed-00002" not in web


def test_uncertain_pair_shows_both_citations_the_reasons_and_a_same_study_verdict(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    """A person deciding a pair sees what `evsynth dedup --explain` shows: each record's authors,
    journal, volume, issue, pages and identifiers, and the field-by-field reasons; and has the
    command line's three verdicts (same record, same study, different records)."""
    review, rob = team["review"], clients["rob"]
    _upload(rob, review, (FIXTURES / "search.ris").read_bytes(), "search.ris")
    ids = [r.record_id for r in Record.objects.filter(review=review)]
    pair = DuplicateCandidate.objects.create(
        review=review, record_a=ids[0], record_b=ids[2], score=0.9
    )
    page = rob.get(reverse("dedup", args=[review.pk])).content.decode()
    assert "Gerdesmeyer, Ludger; Wagenpfeil, Stefan" in page
    assert "Pain Physician 2013;16(3):185-196" in page
    assert "doi 10.36076/ppj.2013/16/185" in page
    assert 'data-testid="reasons"' in page and "same DOI" in page
    assert 'value="same_study"' in page
    rob.post(reverse("dedup", args=[review.pk]), {"action": "same_study", "candidate": pair.pk})
    (row,) = [r.row for r in LinkRow.objects.filter(review=review)]
    assert (row["kind"], row["decided_by"]) == ("same_study", "rob")
    # Both reports stay in screening.
    assert {ids[0], ids[2]} <= {r.record_id for r in screenable(review, "title_abstract")}


def test_records_download_as_ris_and_csv_with_outcomes(
    team: dict[str, Any], clients: dict[str, Client], tmp_path: Path
) -> None:
    """The page's download is the records layer's export (`evsynth export`) of the review."""
    review, rob, rita, otto = team["review"], clients["rob"], clients["rita"], clients["otto"]
    _upload(rob, review, (FIXTURES / "search.ris").read_bytes(), "search.ris")
    rob.post(reverse("dedup", args=[review.pk]), {"action": "run"})
    kept = [r.record_id for r in screenable(review, "title_abstract")]
    for client in (rob, rita):
        client.post(
            reverse("decide-json", args=[review.pk, "title_abstract"]),
            {"record_id": kept[0], "decision": "include"},
        )
    url = reverse("records-export", args=[review.pk])
    response = otto.get(url, {"select": "included", "format": "ris"})  # read-only may download
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode()
    path = tmp_path / "included.ris"
    path.write_text(text, encoding="utf-8")
    assert [r.extra["id"] for r in import_file(path).records] == [kept[0]]
    assert "N1  - evsynth: title/abstract include" in text
    table = b"".join(otto.get(url, {"select": "unique", "format": "csv"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(table.decode())))
    assert [r["id"] for r in rows] == kept
    bad = otto.get(url, {"select": "everything", "format": "csv"})
    assert bad.status_code == 400 and "Invalid selection" in bad.content.decode()
    page = otto.get(reverse("prisma", args=[review.pk])).content.decode()
    assert f"{url}?select=unique&amp;format=ris" in page


def test_import_page_shows_the_importers_warnings_with_their_lines(
    team: dict[str, Any], clients: dict[str, Client]
) -> None:
    """What `evsynth import` prints (a truncated record, an unknown tag) is on the page too."""
    review, rob = team["review"], clients["rob"]
    export = b"TY  - JOUR\nTI  - First\nZZ  - odd tag\nER  - \nTY  - JOUR\nTI  - Cut short\n"
    response = _upload(rob, review, export, "cut.ris")
    page = rob.get(response["Location"]).content.decode()
    assert 'data-testid="import-warnings"' in page
    assert "cut.ris, line 3: unknown RIS tag ZZ; kept in extra" in page
    assert "cut.ris, line 5: file ends inside this record (truncated?); record kept" in page
