"""A review end to end in headless Chromium, as three people.

lena (lead) creates the review, writes the protocol, builds the team, imports a search export
and removes duplicates; rob and rita screen independently with the keyboard (i, e, m, n), which
leaves one conflict; lena resolves it; both screen the full texts; lena adds the studies, extracts
outcome data, appraises them, and reads the analysis, the grade, the PRISMA flow, builds the
documents and downloads them and the project folder. Screenshots go to test-results/web/.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from websupport import PASSWORD, make_user

from helpers import CHROMIUM, ROOT, chromium_available, require

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHOTS = ROOT / "test-results" / "web"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROTOCOL = """\
title: Adhesiolysis for lumbar radicular pain
question:
  population: adults with chronic lumbar radicular pain
  intervention: percutaneous epidural adhesiolysis
outcomes:
  - id: pain
    name: Pain (NRS 0-10)
    domain: pain
appraisal:
  instruments: [cochrane-back-2015]
  quality_instrument: {rct: cochrane-back-2015}
analyses:
  - id: pain6
    title: Pain at 6 months, change from baseline
    outcome: pain
    timepoint_months: 6
    measure: GEN
    data: precomputed
    models: [FE, REML]
screening:
  exclusion_reasons: [wrong population, wrong intervention, wrong design]
"""


def _login(browser: Any, base: str, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/reviews/"), page.url
    return page


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _key(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def _current_record(page: Any) -> str:
    return str(page.get_attribute("article[data-record]", "data-record"))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_review_end_to_end(live_server: Any) -> None:
    require(chromium_available(), f"Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop; the ORM calls below are plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    for name in ("lena", "rob", "rita"):
        make_user(name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        lena = _login(browser, base, "lena")

        # The lead creates the review, writes the protocol and builds the team.
        lena.fill("input[name=title]", "Adhesiolysis for lumbar radicular pain")
        with lena.expect_navigation():
            lena.click("text=Create review")
        review = lena.url.rstrip("/")
        lena.goto(f"{review}/protocol/")
        lena.fill("textarea[name=protocol_yaml]", PROTOCOL)
        with lena.expect_navigation():
            lena.click("text=Save protocol")
        assert lena.is_visible("text=Protocol saved.")
        lena.goto(f"{review}/team/")
        for name in ("rob", "rita"):
            lena.fill("input[name=username]", name)
            lena.select_option("select[name=role]", "reviewer")
            with lena.expect_navigation():
                lena.click("form.card button[type=submit]")
        assert lena.locator("table tbody tr").count() == 3

        # Import a search export: the job row reports its result.
        lena.goto(f"{review}/import/")
        lena.set_input_files("input[name=export]", str(FIXTURES / "search.ris"))
        with lena.expect_navigation():
            lena.click("form.card button[type=submit]")
        assert "done" in lena.inner_text("[data-testid=job]")
        assert lena.is_visible("text=4 records in this review")
        _shot(lena, "01-import")

        # Deduplication links the two Gerdesmeyer records (none deleted).
        lena.goto(f"{review}/duplicates/")
        with lena.expect_navigation():
            lena.click("[data-testid=run-dedup]")
        assert "done" in lena.inner_text("[data-testid=job]")
        assert lena.locator("button[value=undo]").count() == 1
        _shot(lena, "02-duplicates")

        # rob screens with the keyboard: include, include, exclude.
        rob = _login(browser, base, "rob")
        rob.goto(f"{review}/screen/title_abstract/")
        assert rob.locator("mark").count() > 0  # the protocol's words are highlighted
        _shot(rob, "03-rob-screening")
        seen = []
        for key in ("i", "i", "e"):
            seen.append(_current_record(rob))
            _key(rob, key)
        assert rob.is_visible("[data-testid=done]")
        first, second, third = seen

        # rita: blind to rob's decisions until she has made hers.
        rita = _login(browser, base, "rita")
        rita.goto(f"{review}/screen/title_abstract/")
        assert _current_record(rita) == first
        assert rita.locator("[data-testid=others]").count() == 0
        assert "rob" not in rita.inner_text("main")
        _shot(rita, "04-rita-blind")
        _key(rita, "n")  # next without deciding
        assert _current_record(rita) == second
        _key(rita, "e")  # rob included this one: a conflict
        assert _current_record(rita) == third
        _key(rita, "e")
        assert _current_record(rita) == first  # the skipped record comes back
        _key(rita, "i")
        assert rita.is_visible("[data-testid=done]")
        rita.goto(f"{review}/screen/title_abstract/?record={second}")
        assert "rob: include" in rita.inner_text("[data-testid=others]")
        _shot(rita, "05-rita-unblinded")

        # The lead, a third person, resolves the conflict.
        lena.goto(f"{review}/conflicts/")
        assert lena.locator("[data-testid=conflict]").count() == 1
        _shot(lena, "06-conflict")
        with lena.expect_navigation():
            lena.click("text=Resolve: include")
        assert lena.is_visible("[data-testid=no-conflicts]")

        # Full text: both reviewers include the two records that passed.
        for page in (rob, rita):
            page.goto(f"{review}/screen/full_text/")
            _key(page, "i")
            _key(page, "i")
            assert page.is_visible("[data-testid=done]")
        lena.goto(f"{review}/fulltext/")
        assert lena.locator("[data-testid=ft-row]").count() == 2
        _shot(lena, "07-fulltext")

        # Studies, extraction per arm and time point, appraisal from the instrument's items.
        studies = {"s1": ("Gerdesmeyer 2013", "2.4", "0.184"), "s2": ("Choi 2017", "2.64", "0.084")}
        for study_id, (label, yi, sei) in studies.items():
            lena.goto(f"{review}/studies/")
            lena.fill("input[name=study_id]", study_id)
            lena.fill("input[name=label]", label)
            lena.fill("input[name=design]", "rct")
            with lena.expect_navigation():
                lena.click("text=Add study")
            assert lena.is_visible(f"text=Study {study_id} added.")
            lena.goto(f"{review}/studies/{study_id}/")
            for field, value in (("outcome", "pain"), ("timepoint_months", "6"), ("yi", yi)):
                lena.fill(f"input[name={field}]", value)
            lena.fill("input[name=sei]", sei)
            with lena.expect_navigation():
                lena.click("text=Save outcome data")
            assert lena.locator("[data-testid=outcome-row]").count() == 1
            _shot(lena, f"08-extraction-{study_id}")
            lena.goto(f"{review}/studies/{study_id}/appraise/cochrane-back-2015/")
            selects = lena.locator("select[name^=item-]")
            assert selects.count() == 13  # the 13 items of the 2015 criteria
            for i in range(13):
                selects.nth(i).select_option("yes")
            with lena.expect_navigation():
                lena.click("text=Save appraisal")
            assert "13" in lena.inner_text("[data-testid=appraisal-result]")
        _shot(lena, "09-appraisal")

        # The analysis, its forest plot, the grade and the PRISMA flow, from the current data.
        lena.goto(f"{review}/analysis/")
        assert lena.locator("[data-testid=analysis]").count() == 1
        forest = lena.locator("[data-testid=forest]")
        assert forest.evaluate("img => img.naturalWidth") > 300
        # Inverse-variance fixed effect of (2.4, 0.184) and (2.64, 0.084): 2.599.
        assert "2.599" in lena.inner_text("[data-testid=analysis]")
        _shot(lena, "10-analysis")
        lena.goto(f"{review}/grade/")
        assert "Level I" in lena.inner_text("[data-testid=grade]")
        _shot(lena, "11-grade")
        lena.goto(f"{review}/prisma/")
        assert lena.is_visible("[data-testid=prisma-counts]")
        _shot(lena, "12-prisma")

        # Documents, then downloads: the report and the whole project folder.
        lena.goto(f"{review}/documents/")
        with lena.expect_navigation():
            lena.click("[data-testid=build-documents]")
        assert "done" in lena.inner_text("[data-testid=job]")
        _shot(lena, "13-documents")
        with lena.expect_download() as download:
            lena.click("[data-testid=document] >> text=report.html")
        assert "Adhesiolysis" in Path(download.value.path()).read_text()
        lena.goto(f"{review}/")
        with lena.expect_download() as download:
            lena.click("[data-testid=export]")
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        names = set(archive.namelist())
        assert {"review.yaml", "records/records.jsonl", "screening/decisions.csv"} <= names
        decisions = archive.read("screening/decisions.csv").decode().splitlines()
        assert len(decisions) == 1 + 6 + 4  # header, title/abstract, full text
        _shot(lena, "14-overview")
        browser.close()
