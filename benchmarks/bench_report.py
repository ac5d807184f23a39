"""The report's size and speed in a real headless Chromium: a synthetic state of N attempts (one of them
10,000 events long), and optionally a real export (the demo's).

    .venv/bin/python benchmarks/bench_report.py [--attempts 1000] [--export reports/export] [--json FILE]

Synthetic: `tests/test_report_state.make_state` writes real records, events in the SDK's shape (21 tool
calls per attempt, one attempt of 4,999: 10,000 events), patches, prompts and samples; `write_report`
writes the report from them. Measured: the time to write it, its size, and in Chromium (driven over the
DevTools protocol, `isobench/report/browser.py`, from file://): the front page's load time and its longest
frame while scrolling to its end, a search over every trajectory (typing to the first results listed),
the 10,000-event attempt's time to its first steps, its longest frame while scrolling, and a deep link to
its last step. `--export DIR`: the same measurements on an export's report/ folder (its first attempt).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from isobench.report import write_report  # noqa: E402
from isobench.report.browser import Chromium, find_chromium  # noqa: E402


def size(folder: Path) -> dict[str, Any]:
    files = [f for f in folder.rglob("*") if f.is_file()]
    return {"files": len(files), "mb": round(sum(f.stat().st_size for f in files) / 1e6, 1)}


def browse(report: Path, attempt: Path, query: str, last_step: int | None) -> dict[str, Any]:
    """The front page, a search, and one attempt page, timed in Chromium."""
    path = find_chromium()
    if path is None:
        raise SystemExit("chromium is not installed: run `scripts/setup --dev`")
    out: dict[str, Any] = {}
    with Chromium(path) as b:
        out["index_open_s"] = round(b.open((report / "index.html").as_uri()), 3)
        out["index_scroll_max_frame_ms"] = round(b.frame_gaps(3.0)["max_ms"])
        b.open((report / "index.html").as_uri())
        t0 = time.perf_counter()
        b.type("#search", query)
        b.wait_for("document.querySelectorAll('#search-results li').length", timeout=120)
        out["search_s"] = round(time.perf_counter() - t0, 3)
        out["search_hits"] = b.eval("document.querySelector('#search-results p').textContent")
        t0 = time.perf_counter()
        b.open(attempt.as_uri())
        b.wait_for("document.querySelectorAll('#trajectory .step').length > 0", timeout=120)
        out["attempt_first_steps_s"] = round(time.perf_counter() - t0, 3)
        out["attempt_steps"] = int(b.eval("document.getElementById('trajectory').dataset.steps"))
        gaps = b.frame_gaps(3.0)
        out["attempt_scroll_max_frame_ms"] = round(gaps["max_ms"])
        out["attempt_steps_after_3s_scroll"] = b.eval("document.querySelectorAll('#trajectory .step').length")
        if last_step:
            t0 = time.perf_counter()
            b.send("Page.navigate", url=attempt.as_uri() + f"#step-{last_step}")
            b.wait_for(f"(document.querySelector('.step.target') || {{}}).id === 'step-{last_step}'", timeout=300)
            out["deep_link_last_step_s"] = round(time.perf_counter() - t0, 3)
    return out


def synthetic(attempts: int, root: Path) -> dict[str, Any]:
    from tests.test_report_state import make_state

    per = 5  # attempts per (instance, provider); two providers
    instances = max(1, attempts // (2 * per))
    t0 = time.perf_counter()
    big = ("tinyrepo-0000000000", "beta", 1)
    state, rows = make_state(root, instances=instances, attempts=per, pairs=21, big=big, big_pairs=4999)
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = write_report(rows, None, root / "report", state=state)
    wrote = time.perf_counter() - t0
    report = root / "report"
    page = report / "attempts" / "beta" / "tinyrepo-0000000000" / "1.html"
    steps = int(page.read_text().split('data-steps="')[1].split('"')[0])
    return {
        "attempts": res["pages"],
        "instances": instances,
        "state_made_s": round(made, 1),
        "write_report_s": round(wrote, 1),
        "report": size(report),
        "search_index_mb": round((report / "search.js").stat().st_size / 1e6, 1),
        **browse(report, page, "--beta-3 --step 17", steps),
    }


def real(export: Path) -> dict[str, Any]:
    report = export / "report"
    pages = sorted((report / "attempts").rglob("*.html"))
    if not pages:
        raise SystemExit(f"{report}: no attempt pages (export it with this isobench)")
    return {"attempts": len(pages), "report": size(report), **browse(report, pages[0], "git", None)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attempts", type=int, default=1000)
    ap.add_argument("--export", type=Path, help="an export folder (isobench export --out) to measure too")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict[str, Any] = {}
    if args.export:
        results["export"] = real(args.export.absolute())
        print(json.dumps({"export": results["export"]}, indent=1), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        results["synthetic"] = synthetic(args.attempts, Path(tmp))
    print(json.dumps({"synthetic": results["synthetic"]}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
