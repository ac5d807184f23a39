"""The report's audit pages in a real headless Chromium (what `scripts/setup --dev` installs), driven over
the DevTools protocol (`isobench.report.browser`): clicks, typing and scrolling as a reader does them, from
file://, with no network. Skipped, saying why, where Chromium is absent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from isobench.report import write_report
from isobench.report.browser import Chromium, find_chromium
from tests.test_report_state import EVIDENCE, OUTPUT_CHECK, make_state

OPEN_LIMIT_S = 10.0
"""A 10,000-event attempt must show its first steps within this (measured: well under a second on a quiet
2-core machine; the limit leaves room for a busy one)."""
FREEZE_LIMIT_MS = 1000.0
"""The longest pause between two frames while the page scrolls, rendering more steps as it goes."""

BIG = ("tinyrepo-0000000000", "beta", 2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    path = find_chromium()
    if path is None:
        pytest.skip("chromium is not installed: run `scripts/setup --dev` (it installs Debian's chromium)")
    with Chromium(path) as b:
        yield b


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-browser")
    # attempt beta #2 on the first instance: 2 + 2 x 4999 + 1 = 10,000 events
    state, rows = make_state(root, attempts=2, big=BIG, big_pairs=4999, long_obs=6000)
    write_report(rows, None, root / "report", state=state)
    return root / "report"


def test_from_the_front_page_to_a_trajectory_and_back(browser: Chromium, site: Path) -> None:
    browser.open((site / "index.html").as_uri())
    browser.click_and_wait('table.matrix a[href="attempts/beta/tinyrepo-0000000000/1.html"]')
    assert browser.eval("location.pathname").endswith("/attempts/beta/tinyrepo-0000000000/1.html")
    assert browser.wait_for("document.querySelectorAll('#trajectory .step').length") == 15
    first = browser.eval("document.getElementById('step-3').innerText")
    assert "python bench.py --beta-1 --step 0" in first and "thinking about step 0" in first
    # a long observation is folded, and one click shows all of it
    assert browser.eval("document.querySelector('#step-3 pre.obs').textContent.length") == 1500
    browser.click("#step-3 button.more")
    assert browser.eval("document.querySelector('#step-3 pre.obs').textContent.endsWith('THE-END.')")
    browser.click_and_wait("#nav-home")
    assert browser.eval("location.pathname").endswith("/report/index.html")
    browser.click_and_wait('a[href="instances/tinyrepo-0000000000.html"]')
    assert browser.eval("document.querySelectorAll('a.att').length") == 4  # alpha and beta, two attempts each


def test_a_search_finds_a_command_the_agent_ran(browser: Chromium, site: Path) -> None:
    browser.open((site / "index.html").as_uri())
    browser.type("#search", "--beta-1 --step 7")
    browser.wait_for("document.querySelectorAll('#search-results li').length")
    assert browser.eval("document.querySelectorAll('#search-results li').length") == 1
    browser.click_and_wait("#search-results li a")
    target = browser.wait_for("(document.querySelector('.step.target') || {}).id")
    assert target == "step-10"  # the prompts are steps 1 and 2; tool call 7 is step 10
    assert "python bench.py --beta-1 --step 7" in browser.eval("document.getElementById('step-10').innerText")


def test_a_flagged_attempt_shows_its_evidence_and_the_filters_find_it(browser: Chromium, site: Path) -> None:
    browser.open((site / "index.html").as_uri())
    browser.eval(
        "(() => { const s = document.querySelector('select[data-filter=flag]'); s.value = 'workload_output_differs';"
        " s.dispatchEvent(new Event('change')); })()"
    )
    shown = browser.eval(
        "[...document.querySelectorAll('tr[data-provider]')].filter(r => r.offsetParent !== null)"
        ".map(r => r.dataset.provider)"
    )
    assert shown == ["alpha", "alpha"]
    browser.click_and_wait('tr[data-provider="alpha"] a.att')
    browser.click("a.badge[href='#flag-workload_output_differs']")
    text = browser.eval("document.getElementById('flag-workload_output_differs').innerText")
    assert OUTPUT_CHECK in text
    if "EVIDENCE-MARK" in (site / "attempts" / "alpha" / "tinyrepo-0000000000" / "1.html").read_text():
        assert EVIDENCE in text
    assert browser.eval("document.querySelectorAll('#timing ~ .plots2 svg circle').length") > 0


def test_a_10000_event_attempt_opens_and_scrolls_without_freezing(browser: Chromium, site: Path) -> None:
    iid, provider, n = BIG
    page = site / "attempts" / provider / iid / f"{n}.html"
    t0 = time.perf_counter()
    browser.open(page.as_uri())
    browser.wait_for("document.querySelectorAll('#trajectory .step').length >= 200")
    opened = time.perf_counter() - t0
    assert browser.eval("document.getElementById('trajectory').dataset.steps") == "5002"
    assert opened < OPEN_LIMIT_S, f"the first steps took {opened:.2f} s"
    gaps = browser.frame_gaps(3.0)
    assert gaps["max_ms"] < FREEZE_LIMIT_MS, gaps
    browser.eval("window.scrollTo(0, document.body.scrollHeight)")  # at the end, the next steps come
    assert browser.wait_for("document.querySelectorAll('#trajectory .step').length > 200")
    assert "object" not in browser.eval("document.getElementById('traj-more').textContent")  # no load error
    # a deep link to the last step loads the chunks up to it
    browser.send("Page.navigate", url=page.as_uri() + "#step-5002")
    browser.wait_for("location.hash === '#step-5002' && document.readyState === 'complete'")
    assert browser.wait_for("(document.querySelector('.step.target') || {}).id", timeout=60) == "step-5002"
    print(f"10,000-event attempt: first steps in {opened:.2f} s; longest frame while scrolling {gaps['max_ms']:.0f} ms")
