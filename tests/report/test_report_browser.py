"""The report as a reader sees it in Chromium: every figure loads and is legible, nothing runs
off the page and no text spills out of its table cell, at desktop and phone widths. Full-page
screenshots are kept in the test's temporary folder for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from evsynth.cli import cli
from helpers import CHROMIUM, chromium_available, require

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]

# Elements whose right edge passes the page width, outside a horizontally scrolling wrapper.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    let p = el.parentElement, scrolled = false;
    while (p) {
      if (getComputedStyle(p).overflowX === 'auto' && p.scrollWidth > p.clientWidth - 1
          && p.getBoundingClientRect().right <= width + 1) { scrolled = true; break; }
      p = p.parentElement;
    }
    if (!scrolled) out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right));
  }
  // Text running out of its table cell into the next one (unreadable, though inside the page).
  const spills = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.scrollWidth > cell.clientWidth + 1) spills.push(cell.textContent.trim().slice(0, 40));
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, offenders: out.slice(0, 10),
          spills: spills.slice(0, 10)};
}
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "demo"
    result = CliRunner().invoke(
        cli,
        ["review", "render", str(Path(__file__).resolve().parents[2] / "src" / "evsynth" / "data"
                                 / "examples" / "adhesiolysis-disc-herniation"),
         "--out", str(out), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("page_name", ["report.html", "policy-brief.html",
                                       "plain-language-summary.html"])  # fmt: skip
@pytest.mark.parametrize(
    ("width", "media"),
    # desktop, phone, and print: the A4 text width (210 - 2 x 14 mm) at 96 px per inch
    [(1280, "screen"), (390, "screen"), (688, "print")],
)
def test_nothing_overflows_the_page(built: Path, page_name: str, width: int, media: str) -> None:
    require(chromium_available(), "Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.emulate_media(media=media)  # type: ignore[arg-type]
            page.goto((built / page_name).as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(built / f"{page_name}.{media}.{width}.png"), full_page=True)
            result = page.evaluate(OVERFLOW_JS)
        finally:
            browser.close()
    assert result["scrollWidth"] <= result["width"], result
    assert result["offenders"] == [], result
    assert result["spills"] == [], result


def test_figures_load_and_are_legible(built: Path) -> None:
    require(chromium_available(), "Chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((built / "report.html").as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate(
                "() => [...document.images].map(i => ({src: i.getAttribute('src'), "
                "natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))"
            )
        finally:
            browser.close()
    forests = [i for i in images if "forest-" in i["src"]]
    assert len(forests) == 4
    for img in images:
        assert img["natural"] > 0, img  # loaded
    for img in forests:
        # The forest plots carry 8-9 pt text at their natural size; shown at 600 px or more on a
        # desktop page that text stays at or above the size of the report's table text.
        assert img["shown"] >= 600, img
