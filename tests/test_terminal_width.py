"""Every table isobench prints, at 80, 120 and 200 columns: no number or header cut, the essential columns
shown at 80, and a note naming what is left out and where it is.

The tables are built from real records: the committed schema-2 state (tests/data/state-v2: its score.json
and correlation.json, read through the same models the commands use), made longer where a real run is
(provider names, speedups with two digits, dollars), and records from tests/factories.py. Each is rendered
by rich exactly as the command prints it (`report.columns.show`) and read back as text.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from isobench.cli import app
from isobench.config import load_bench
from isobench.doctor import Result
from isobench.measure.protocol import RoundDone
from isobench.plan import Planned
from isobench.progress import RichReporter, RichScoreReporter
from isobench.records import Correlation, Estimate, InstanceScore
from isobench.report.columns import Fitted, Spec, show
from isobench.report.terminal import correlate_table, doctor_table, plan_table, score_table, status_table
from isobench.state import State, read_model
from isobench.status import summarize
from tests.factories import instance, row

V2 = Path(__file__).parent / "data" / "state-v2"
WIDTHS = (80, 120, 200)
CORRELATE_ESSENTIAL = ["provider", "attempts", "correct", "opt@1 strict", "speedup gmean", "rho gmean", "cost"]


def render(spec: Spec, width: int, wide: bool = False) -> tuple[str, Fitted]:
    out = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    fitted = show(out, spec, wide=wide)
    return out.export_text(), fitted


def assert_legible(spec: Spec, text: str, fitted: Fitted, width: int, wide: bool = False) -> None:
    """No line wider than the terminal (unless --wide), no `…`, every shown header's and cell's words whole."""
    lines = text.splitlines()
    if not wide:
        assert max(len(ln) for ln in lines) <= width, text
    assert "…" not in text, text
    tokens = set(" ".join(lines).split())
    shown = [i for i, c in enumerate(spec.columns) if (c.header or f"column {i + 1}") not in fitted.hidden]
    for i in shown:
        for piece in spec.columns[i].header.split():
            assert piece in tokens, (piece, text)
        if spec.columns[i].text:
            continue  # free text may fold a word longer than its column (never a number column)
        for r in spec.rows:
            cell = str(getattr(r[i], "plain", r[i]))
            for piece in cell.split():  # every number (and word) of a cell is a whole token of the text
                assert piece in tokens, (piece, text)
            if not fitted.fine:  # and a CI or a (k=3) stays on one line
                for group in re.findall(r"\[[^\]]*\]|\([^)]*\)", cell):
                    assert any(group in ln for ln in lines), (group, text)


def correlation(longer: bool) -> Correlation:
    """The fixture's correlation; `longer`: with a real run's provider names and two-digit values."""
    corr = read_model(V2 / "state" / "correlate" / "correlation.json", Correlation)
    assert corr is not None
    res = corr.model_dump()
    if longer:
        names = {"p1": "claude-sonnet-4-5", "p2": "gpt-5-codex", "p3": "qwen3-coder-480b"}
        res["providers"] = {names[k]: v for k, v in res["providers"].items()}
        p = res["providers"]["claude-sonnet-4-5"]
        p.update(speedup_gmean=12.34, speedup_gmean_ci=[10.12, 15.67], total_cost_usd=123.45)
        p.update(opt1_strict=0.667, opt1_strict_ci=[0.333, 1.0], cost_per_success=41.15)
    return Correlation.model_validate(res)


@pytest.mark.parametrize("longer", [False, True])
@pytest.mark.parametrize("width", WIDTHS)
def test_correlate_shows_its_essential_columns_whole_at_any_width(width: int, longer: bool) -> None:
    res = correlation(longer)
    spec = correlate_table(res)
    text, fitted = render(spec, width)
    assert_legible(spec, text, fitted, width)
    header = "\n".join(text.splitlines()[:5])
    for h in CORRELATE_ESSENTIAL:
        assert all(w in header for w in h.split()), (h, text)
    for name, p in res.providers.items():
        assert name in text and f"${p.total_cost_usd:.2f}" in text
    if fitted.hidden:
        note = text.splitlines()[-1]
        assert "--wide" in note and "--json" in note and "report" in note
        assert len(note) <= width
    if width == 80:
        assert "failures" in fitted.hidden  # the free-text column does not fit beside the rest
        assert fitted.fine == longer  # a CI is broken after its comma only when nothing else fits


def test_correlate_with_wide_shows_every_column_at_80() -> None:
    spec = correlate_table(correlation(longer=True))
    text, fitted = render(spec, 80, wide=True)
    assert fitted.hidden == [] and fitted.note is None
    assert_legible(spec, text, fitted, 80, wide=True)
    assert "install_failed 1" in text and "Spearman" in text


def scores() -> list[InstanceScore]:
    """The fixture's two instances, and the first again with an A/A twin, a held-out workload and a variant
    whose workload failed with a long error."""
    st = State(V2 / "state")
    a, b = st.score_record("t-a"), st.score_record("t-b")
    assert a is not None and b is not None
    error = (
        "warm-up: exit status 4: Traceback (most recent call last):\n"
        '  File "/home/someone/state/score/t-a/envs/v1/repo/bench.py", line 12, in main\n'
        "    check(rows)\n"
        "ValueError: 1234 rows expected, got 1200\n"
        "_timer.py: calling bench:main failed"
    )
    broken = row(speedup=None, speedup_ci=None, classification=None, workload_error=error)
    aa = Estimate(speedup=1.0012, speedup_ci=[0.9871, 1.0153], classification="no_difference", halfwidth_log=0.01)
    more = a.model_copy(update={"aa": aa, "variants": {**a.variants, "claude-sonnet-4-5#1": broken}})
    return [a, b, more]


@pytest.mark.parametrize("width", WIDTHS)
def test_score_tables_keep_numbers_whole_and_put_a_long_error_under_the_table(width: int) -> None:
    for record in scores():
        spec, notes = score_table(record)
        text, fitted = render(spec, width)
        assert_legible(spec, text, fitted, width)
        for h in ("variant", "build", "correct", "speedup vs base", "verdict", "rho"):
            assert all(w in text for w in h.split())
        for name in record.variants:
            assert name in text
        if "claude-sonnet-4-5#1" in record.variants:
            # the error under the table, in one line: what failed and the exception, not the frames
            assert "error (below)" in text
            error = next(n for n in notes if "claude-sonnet-4-5#1" in n)
            assert "warm-up: exit status 4" in error and "ValueError: 1234 rows expected, got 1200" in error
            assert "bench:main failed" in error and "line 12" not in error and "score.json" in error
            assert all(t in text.split() for t in ("1.00x", "[0.99,", "1.02]"))  # the A/A twin, whole
        if fitted.hidden:
            assert "--wide" in text.splitlines()[-1] and "--json" in text.splitlines()[-1]


@pytest.mark.parametrize("width", WIDTHS)
def test_status_plan_and_doctor_fit(width: int, tmp_path: Path) -> None:
    shutil.copytree(V2, tmp_path / "v2")
    cfg = load_bench(tmp_path / "v2" / "bench.yaml")
    summary = summarize(cfg, State(tmp_path / "v2" / "state"))
    long_files = [f"src/package/submodule/very_long_module_name_{i}.py" for i in range(3)]
    planned = [
        Planned(instance("pandas-dev__pandas-0123456789", target_files=long_files), "new"),
        Planned(instance("tinyrepo-bbbbbbbbbb", workload_callable="bench.workloads:dedupe_10000"), "unchanged"),
    ]
    checks = [
        Result("sandbox", "ok", "bwrap works (/usr/bin/bwrap)"),
        Result(
            "disk", "warn", "3.2 GiB free under /home/someone/projects/bench/state (10 GiB advised)", "free 6.8 GiB"
        ),
        Result("provider gpt-5-codex", "fail", "OPENAI_API_KEY is not set", "export OPENAI_API_KEY=... first"),
    ]
    for spec in (status_table(summary), plan_table(planned, tmp_path / "state"), doctor_table("bench.yaml", checks)):
        text, fitted = render(spec, width)
        assert_legible(spec, text, fitted, width)
        assert not set(fitted.hidden) & {c.header for c in spec.columns if c.essential}, text
        if fitted.hidden:  # plan at 80: its target files and workload, in the note
            assert "--wide" in text.splitlines()[-1] and "--json" in text.splitlines()[-1]
    assert {"3.2", "(10", "6.8"} <= set(text.split())  # the numbers of free text: wrapped around, never cut


def test_the_commands_fit_the_terminal_and_keep_the_wide_output_off_a_terminal(tmp_path: Path) -> None:
    shutil.copytree(V2, tmp_path / "v2")
    base = ["--config", str(tmp_path / "v2" / "bench.yaml"), "--state-dir", str(tmp_path / "v2" / "state")]
    runner = CliRunner()
    narrow = runner.invoke(app, [*base, "correlate", "--no-branches"], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.stdout.splitlines()
    assert max(len(ln) for ln in lines) <= 80 and "…" not in narrow.stdout
    assert re.search(r"^\d+ more columns.*: --wide, or --json, or the report", narrow.stdout, re.M)
    wide = runner.invoke(app, [*base, "correlate", "--no-branches", "--wide"], env={"COLUMNS": "80"})
    assert "failures" in wide.stdout and "below_human 1" in wide.stdout and "more column" not in wide.stdout
    # off a terminal, with no COLUMNS: as before, a wide table (220 columns), so every column of this one
    piped = runner.invoke(app, [*base, "correlate", "--no-branches"], env={"COLUMNS": ""})
    assert "below_human 1" in piped.stdout and "more column" not in piped.stdout
    status = runner.invoke(app, [*base, "status", "--wide"], env={"COLUMNS": "80"})
    assert status.exit_code == 0 and "correlate" in status.stdout


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("width", WIDTHS)
def test_the_live_progress_keeps_one_line_per_row(width: int) -> None:
    run = RichReporter(FakeTTY())
    run.console = Console(file=FakeTTY(), width=width, force_terminal=True, color_system=None, record=True)
    run.start({"claude-sonnet-4-5": 12, "p2": 3}, {"p2": 1})
    run.attempt_started("k1", "claude-sonnet-4-5", "pandas-dev__pandas-0123456789#1")
    run.attempt_progress("k1", 17, 1.234)
    run.attempt_phase("k1", "building environment")
    run.attempt_started("k2", "p2", "t-a#2")
    run.attempt_finished("k3", "p2", "t-b#1", "timeout", 0.5, 10.0)
    rows = run.providers.make_tasks_table(run.providers.tasks), run.attempts.make_tasks_table(run.attempts.tasks)
    run.stop()
    lines = [ln for t in rows for ln in _render(t, width)]
    assert len(lines) == 4 and all(len(ln) <= width for ln in lines), lines
    assert "2/3" in lines[1] and "0/12" in lines[0] and "$0.50" in lines[1] and "failed 1" in lines[1]
    assert "iter 17" in lines[2] and "$1.234" in lines[2]

    score = RichScoreReporter(FakeTTY())
    score.console = Console(file=FakeTTY(), width=width, force_terminal=True, color_system=None, record=True)
    score.start(["pandas-dev__pandas-0123456789", "t-b"])
    score.instance_started("pandas-dev__pandas-0123456789", ["base", "human", "p1#1"])
    score.variant_step("pandas-dev__pandas-0123456789", "human", "uv pip install -e . (34 packages, building wheels)")
    score.instance_started("t-b", ["base", "human"])
    score.timing_started("t-b", ["base", "human"], 120.0)
    score.timing_round("t-b", 12, RoundDone([], {}, {"human": 0.034}, 33.2, []))
    lines = _render(score.progress.make_tasks_table(score.progress.tasks), width)
    score.stop()
    assert len(lines) == 3 and all(len(ln) <= width for ln in lines), lines
    assert re.search(r"0/2 instances, ETA \d+m \d\ds", lines[0]) and "round 12, CI +-3.4%" in lines[2]


def _render(renderable: Any, width: int) -> list[str]:
    out = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    out.print(renderable)
    return out.export_text().rstrip("\n").splitlines()
