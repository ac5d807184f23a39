"""The HTML report on its own: what it shows comes from the rows and `correlate`'s output, never recomputed.

`tests/test_export.py` renders the report of a whole export in a headless browser; these call
`write_report` directly with hand-made rows (`ExportRow`) and correlation (`Correlation`), so each number on
the page has one known source.
"""

from __future__ import annotations

import html as html_lib
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from isobench.export.schema import ExportRow
from isobench.records import Correlation, ProviderMetrics
from isobench.report import write_report

IID = "tinyrepo-aaaaaaaaaa"


def human_row(**over: Any) -> ExportRow:
    row = {
        "record_type": "human",
        "instance_id": IID,
        "head_commit": "a" * 40,
        "status": "scored",
        "correct": True,
        "speedup": 4.0,
        "speedup_ci": [3.5, 4.5],
        "human_performance": 4.0,
        "valid_instance": True,
        "invalid_reason": None,
        "timing_mode": "in_process_callable",
        "environment": {"cpu": "TestCPU", "cores": 2, "platform": "Linux", "python": "3.12", "sandbox": "bwrap"},
        "llm_metadata": None,
        "attempt": None,
    }
    return ExportRow.model_validate({**row, **over})


def llm_row(provider: str, attempt: int, **over: Any) -> ExportRow:
    row = {
        "record_type": "llm",
        "instance_id": IID,
        "head_commit": "a" * 40,
        "status": "success",
        "error": None,
        "patch_empty": False,
        "build": "ok",
        "correct": True,
        "speedup": 4.2,
        "speedup_ci": [4.0, 4.4],
        "human_performance": 4.0,
        "rho": 1.05,
        "rho_ci": [1.0, 1.1],
        "matches_human": True,
        "matches_human_gso": True,
        "attempt": attempt,
        "llm_metadata": {
            "provider": provider,
            "model": f"{provider}/model-x",
            "iterations": 7,
            "cost_usd": 0.5,
            "time_seconds": 30,
        },
        "tokens": {"prompt": 12345, "completion": 678},
    }
    return ExportRow.model_validate({**row, **over})


def correlation(**providers: dict[str, Any]) -> Correlation:
    return Correlation(
        generated_at="2024-05-01T12:00:00+00:00",
        match_threshold=0.9,
        instances=[],
        providers={name: ProviderMetrics.model_validate(entry) for name, entry in providers.items()},
        between_providers=[{"a": "alpha", "b": "beta", "spearman": 0.65, "p": 0.04, "n": 9}],
        design_metrics={
            "commits_with_llm_attempt": 1.0,
            "llm_patches_passing_validation": 0.375,
            "cost_per_commit": 3.21,
            "targets": {"commits_with_llm_attempt": ">0.95", "cost_per_commit": "<5 USD"},
        },
    )


ALPHA = {
    "attempts": 2,
    "instances": 1,
    "headline_instances": 1,
    "k": 2,
    "valid_patches": 2,
    "correct": 2,
    "faster_than_base": 2,
    "opt_successes": 2,
    # Deliberately not what the rows would give (both attempts succeed): the page must show these.
    "opt1_strict": 0.4242,
    "opt1_strict_ci": [0.125, 0.875],
    "opt1_gso": 0.5,
    "opt1_gso_ci": [0.25, 0.75],
    "optk_strict": 0.6,
    "optk_gso": 0.7,
    "speedup_gmean": 3.33,
    "speedup_gmean_ci": [3.01, 3.65],
    "speedup_median": 3.4,
    "speedup_median_ci": None,
    "rho_gmean": 0.77,
    "rho_gmean_ci": [0.7, 0.84],
    "rho_median": 0.8,
    "rho_median_ci": [0.71, 0.89],
    "total_cost_usd": 17.5,
    "cost_per_instance": 17.5,
    "cost_per_success": 12.34,
    "mean_wall_s": 41.0,
    "mean_iterations": 7.0,
    "failure_reasons": {"below_human": 3, "timeout": 1},
    "spearman_vs_human": {"rho": 0.5, "p": 0.2, "n": 5},
    "solved": [IID],
}


def text(html: str) -> str:
    """The page's visible text, tags removed, whitespace collapsed (to look for what a reader sees)."""
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_numbers_come_from_correlation_and_rows(tmp_path: Path) -> None:
    rows = [human_row(), llm_row("alpha", 1), llm_row("alpha", 2)]
    res = write_report(rows, correlation(alpha=ALPHA), tmp_path / "report")
    assert set(res) == {"html", "plots", "pages"} and res["pages"] == 0  # no state given: no audit pages
    assert [Path(p).name for p in res["plots"]] == ["speedup_scatter.png", "opt_rate.png", "cost_success.png"]
    for p in res["plots"]:
        assert Path(p).read_bytes().startswith(b"\x89PNG")
    index = Path(res["html"])
    assert index == tmp_path / "report" / "index.html" and index.stat().st_mode & 0o777 == 0o644
    html = index.read_text()
    page = text(html)
    # correlate's per-provider numbers, as they are (not the rows' 100%)
    assert "42% [12, 88]" in page and "50% [25, 75]" in page and "60% 70%" in page
    assert "3.33× [3.01, 3.65]" in page and "0.77 [0.70, 0.84]" in page
    assert "$17.50" in page and "$12.34" in page and "41 s" in page
    assert "below human: 3" in page and "timeout: 1" in page
    assert "alpha beta 0.65 0.04 9" in page  # between providers
    assert "38%" in page and "$3.21" in page and "<5 USD" in page  # seed metrics
    # rows' own fields
    assert "4.20× [4.00, 4.40]" in page and "12,345 / 678" in page and "alpha/model-x" in page
    assert "TestCPU" in page and "in_process_callable" in page
    # the match threshold of correlate's output, without a config (the thresholds table)
    assert "match_threshold 0.9 " in page


def test_self_contained_page_with_inlined_css_and_embedded_plots(tmp_path: Path) -> None:
    res = write_report([human_row(), llm_row("alpha", 1)], correlation(alpha=ALPHA), tmp_path)
    html = Path(res["html"]).read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html and "<link" not in html
    css = resources.files("isobench.report").joinpath("templates", "report.css").read_text()
    assert css.strip() in html  # inlined as is (not escaped: quotes in font names stay quotes)
    for name in ("speedup_scatter", "opt_rate", "cost_success"):
        assert re.search(rf'<img id="plot-{name}" alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)


def test_without_correlation_only_what_the_rows_give(tmp_path: Path) -> None:
    res = write_report([human_row(), llm_row("alpha", 1)], None, tmp_path)
    assert [Path(p).name for p in res["plots"]] == ["speedup_scatter.png"]
    assert not (tmp_path / "opt_rate.png").exists()
    html = Path(res["html"]).read_text()
    assert "run <code>isobench correlate</code> for per-provider aggregates" in html
    assert 'id="plot-speedup_scatter"' in html and 'id="plot-opt_rate"' not in html
    assert "opt@1 strict<br>[95% CI]" not in html and "Seed metrics" not in html
    assert "alpha #1" in text(html)  # the instance table still lists every attempt


def test_outcome_columns_are_read_with_the_match_labels_as_fallback(tmp_path: Path) -> None:
    rows = [
        human_row(),
        # the scorer's outcome: not an opt (not faster), whatever the match labels say
        llm_row("alpha", 1, opt_strict=False, opt_gso=False, failure_reason="not_faster"),
        # rows from before the outcome columns: the match labels are shown
        llm_row("alpha", 2, matches_human=True, matches_human_gso=False),
    ]
    html = Path(write_report(rows, None, tmp_path)["html"]).read_text()
    attempts = re.findall(r"<tr><td><span class=\"dot\".*?</tr>", html, flags=re.S)
    assert len(attempts) == 2
    badges = [re.findall(r'class="badge (\w+)">(\w+)<', a) for a in attempts]
    assert badges[0][-2:] == [("bad", "no"), ("bad", "no")] and "not faster" in attempts[0]
    assert badges[1][-2:] == [("ok", "yes"), ("bad", "no")]


def test_held_out_and_asv_figures_get_their_columns_only_where_an_instance_has_them(tmp_path: Path) -> None:
    plain = Path(write_report([human_row(), llm_row("alpha", 1)], None, tmp_path / "plain")["html"]).read_text()
    assert "held-out speedup" not in text(plain) and "asv geomean" not in text(plain)
    rows = [
        human_row(heldout_speedup=3.1, heldout_speedup_ci=[2.9, 3.3], asv_speedup=2.5, asv_speedup_ci=[2.2, 2.8]),
        llm_row(
            "alpha",
            1,
            heldout_speedup=1.02,
            heldout_speedup_ci=[0.97, 1.07],
            asv_speedup=3.0,
            asv_speedup_ci=[2.7, 3.3],
            asv_advantage=0.5,
            asv_advantage_ci=[0.1, 0.9],
        ),
    ]
    page = text(Path(write_report(rows, None, tmp_path / "full")["html"]).read_text())
    assert "held-out speedup [95% CI]" in page and "asv advantage [95% CI]" in page
    assert "3.10× [2.90, 3.30]" in page and "2.50× [2.20, 2.80]" in page  # the human's
    assert "1.02× [0.97, 1.07]" in page and "3.00× [2.70, 3.30]" in page and "0.50 [0.10, 0.90]" in page


def test_everything_from_the_data_is_escaped(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script>'
    rows = [
        human_row(invalid_reason=evil, valid_instance=False),
        llm_row(evil, 1, status="agent_error", error=evil, failure_reason=evil),
    ]
    corr = correlation(**{evil: {**ALPHA, "failure_reasons": {evil: 1}, "solved": [evil]}})
    corr.between_providers = [{"a": evil, "b": "beta", "spearman": None, "p": None, "n": 0}]
    html = Path(write_report(rows, corr, tmp_path)["html"]).read_text()
    assert "<script" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("field", "empty"),
    [("opt1_strict", None), ("cost_per_instance", None), ("failure_reasons", {}), ("spearman_vs_human", {})],
)
def test_null_or_empty_correlation_fields_show_a_dash(tmp_path: Path, field: str, empty: object) -> None:
    html = Path(
        write_report([human_row(), llm_row("alpha", 1)], correlation(alpha={**ALPHA, field: empty}), tmp_path)["html"]
    )
    assert "alpha" in html.read_text() and "–" in html.read_text()
    # a provider correlate does not know yet (e.g. run after it) is listed, said to be missing
    res = write_report([human_row(), llm_row("beta", 1)], correlation(alpha=ALPHA), tmp_path)
    assert "not in <code>isobench correlate</code>" in Path(res["html"]).read_text()
