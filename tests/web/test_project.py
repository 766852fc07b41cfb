"""The review as its project folder: import a zip, export it back unchanged, compute from it.

The seed review bundled with evsynth (Korean J Pain 2021;34(3):346-368) goes through the web
application: imported as a folder, its analyses are computed by the same functions as
``evsynth review`` and must match metafor (reference/metafor/review_seed_models.json), and the
exported folder must be the imported one byte for byte, also after screening work is added.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from websupport import SEED, make_user, seed_zip

from evsynth.web.reviews.models import Membership, Review, Role
from helpers import REFERENCE


def _import(client: Client, data: bytes, name: str = "seed.zip") -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("review-import"), {"project": upload})


def _files(response: Any) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def seeded(db: None) -> dict[str, Any]:
    lead = make_user("lena")
    client = Client()
    client.force_login(lead)
    response = _import(client, seed_zip())
    assert response.status_code == 302, response.content[:300]
    review = Review.objects.get()
    return {"review": review, "client": client, "lead": lead}


def test_import_makes_the_importer_lead(seeded: dict[str, Any]) -> None:
    review = seeded["review"]
    assert review.title.startswith("Percutaneous adhesiolysis")
    assert Membership.objects.get(review=review).role == Role.LEAD


def test_export_gives_the_imported_folder_back_byte_for_byte(seeded: dict[str, Any]) -> None:
    exported = _files(seeded["client"].get(reverse("export", args=[seeded["review"].pk])))
    original = {p.relative_to(SEED).as_posix(): p.read_bytes() for p in SEED.rglob("*.*")}
    assert exported == original


def test_round_trip_with_records_links_and_screening(seeded: dict[str, Any]) -> None:
    """Records, a duplicate link and its undo, decisions, a resolution and a retrieval survive."""
    from websupport import add_records

    from evsynth.web.screening import dedup, state
    from evsynth.web.screening.models import DuplicateCandidate

    review, client, lead = seeded["review"], seeded["client"], seeded["lead"]
    records = add_records(review, 3)
    rob, rita = make_user("rob"), make_user("rita")
    for user in (rob, rita):
        Membership.objects.create(review=review, user=user, role=Role.REVIEWER)
    state.decide(review, records[0], "title_abstract", rob, "include", note="RCT, fits")
    state.decide(review, records[0], "title_abstract", rita, "maybe")
    state.resolve(review, records[0], "title_abstract", lead, "include")
    state.record_retrieval(review, records[0], lead, sought=True, retrieved=True)
    candidate = DuplicateCandidate.objects.create(
        review=review, record_a=records[1].record_id, record_b=records[2].record_id, score=0.91
    )
    link = dedup.decide_pair(review, candidate, "rob", "same")
    assert link is not None
    dedup.undo(review, link.link_id, "rita")

    first = _files(client.get(reverse("export", args=[review.pk])))
    assert first["screening/decisions.csv"].decode().splitlines()[0] == (
        "record_id,stage,reviewer,decision,reason,note,decided_at"
    )
    assert len(first["screening/decisions.csv"].decode().splitlines()) == 3
    assert len(first["records/links.csv"].decode().splitlines()) == 3  # header, link, undo row
    # Import the export as a new review, export again: the same bytes.
    assert _import(client, _zip(first)).status_code == 302
    second_review = Review.objects.exclude(pk=review.pk).get()
    second = _files(client.get(reverse("export", args=[second_review.pk])))
    assert second == first
    # And the screening state read back is the same: the resolution stands.
    log = state.screening_log(second_review)
    assert log.outcome(records[0].record_id, "title_abstract").outcome == "include"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_bad_project_is_refused_with_file_row_and_column(seeded: dict[str, Any]) -> None:
    files = {p.relative_to(SEED).as_posix(): p.read_bytes() for p in SEED.rglob("*.*")}
    lines = files["outcomes.csv"].decode().splitlines()
    lines[2] = lines[2].replace("gerdesmeyer2013", "nosuchstudy", 1)
    files["outcomes.csv"] = ("\n".join(lines) + "\n").encode()
    response = _import(seeded["client"], _zip(files))
    assert response.status_code == 400
    text = response.content.decode()
    assert "outcomes.csv, row 3" in text and "nosuchstudy" in text
    assert Review.objects.count() == 1  # nothing half-imported


@pytest.mark.parametrize(
    ("name", "message"),
    [("../evil.txt", "unsafe path"), ("/etc/passwd", "unsafe path")],
)
def test_unsafe_zip_paths_are_refused(seeded: dict[str, Any], name: str, message: str) -> None:
    response = _import(seeded["client"], _zip({"review.yaml": b"title: x\n", name: b"x"}))
    assert response.status_code == 400 and message in response.content.decode()


def test_analyses_match_metafor(seeded: dict[str, Any]) -> None:
    """The web's analyses are the review layer's fits of the seed data, as metafor computes them."""
    reference = json.loads((REFERENCE / "metafor" / "review_seed_models.json").read_text())
    response = seeded["client"].get(reverse("analysis-json", args=[seeded["review"].pk]))
    assert response.status_code == 200, response.content
    analyses = {a["id"]: a for a in response.json()["analyses"]}
    assert set(analyses) == {"fig2a", "fig2b", "fig3a", "fig3b"}
    for fig, got in analyses.items():
        for model, ours in (("FE", got["fixed"]), ("REML", got["random"])):
            expected = reference[fig][model]
            for field in ("estimate", "se", "ci_lower", "ci_upper", "tau2", "I2", "Q"):
                # REML's tau2 comes from an iterative fit (metafor stops at 1e-5 changes);
                # 1e-6 relative (absolute near zero) is well inside that and far below the
                # three decimals the paper prints.
                assert ours[field] == pytest.approx(expected[field], rel=1e-6, abs=1e-6), (
                    fig,
                    model,
                    field,
                )


def test_analysis_grade_and_prisma_pages(seeded: dict[str, Any]) -> None:
    client, pk = seeded["client"], seeded["review"].pk
    page = client.get(reverse("analysis", args=[pk])).content.decode()
    assert page.count('data-testid="analysis"') == 4
    assert page.count('data-testid="forest"') == 4
    # Fig. 2A, fixed effect: 2.678 (2.582 to 2.773) in metafor, printed to three decimals.
    assert "2.678" in page and "2.582 to 2.773" in page
    grade = client.get(reverse("grade", args=[pk])).content.decode()
    assert "Level II" in grade  # the paper's conclusion: Level II evidence
    prisma = client.get(reverse("prisma", args=[pk])).content.decode()
    assert 'data-testid="prisma-counts"' in prisma
    assert ">115<" in prisma  # records identified, as the protocol gives them
