"""The README's two screenshots of the report, from an export (the demo's: `./scripts/demo`).

    .venv/bin/python benchmarks/report_screenshots.py [EXPORT_DIR] [--out docs/img]

Opens EXPORT_DIR/report/ (default reports/export/report/) in headless Chromium (`isobench/report/browser.py`)
and writes:
- `report-front.png`: the front page at its search box and provider x instance matrix, with a search for
  `git status` (a command the demo's agents run) listed;
- `report-attempt.png`: the first `saboteur` attempt's page (else the first attempt's) at its patch beside
  the human's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from isobench.report.browser import Chromium, find_chromium  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("export", type=Path, nargs="?", default=Path("reports/export"))
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    args = ap.parse_args()
    report = args.export.absolute() / "report"
    pages = sorted((report / "attempts").rglob("*.html"))
    if not pages:
        raise SystemExit(f"{report}: no attempt pages; run `isobench export` first")
    page = next((p for p in pages if "/saboteur/" in p.as_posix()), pages[0])
    path = find_chromium()
    if path is None:
        raise SystemExit("chromium is not installed: run `scripts/setup --dev`")
    args.out.mkdir(parents=True, exist_ok=True)
    with Chromium(path, width=1280, height=860) as b:
        b.open((report / "index.html").as_uri())
        b.type("#search", "git status")
        b.wait_for("document.querySelectorAll('#search-results li').length")
        b.eval("document.getElementById('search-h').scrollIntoView()")
        b.screenshot(args.out / "report-front.png")
        b.open(page.as_uri())
        b.wait_for("document.querySelectorAll('#trajectory .step').length")
        b.eval("document.getElementById('patch').scrollIntoView()")
        b.screenshot(args.out / "report-attempt.png")
    print(f"wrote {args.out / 'report-front.png'} and {args.out / 'report-attempt.png'} from {report}")


if __name__ == "__main__":
    main()
