"""The tables `score` and `correlate` print on a terminal, as `report.columns` specs (the CLI prints them
through `columns.show`, which fits them to the terminal)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from isobench.jsontypes import obj
from isobench.records import AsvEstimate, Correlation, InstanceScore, ProviderMetrics
from isobench.report.columns import Col, Spec

if TYPE_CHECKING:
    from isobench.doctor import Result
    from isobench.plan import Planned


def _ci(value: float | None, ci: list[float] | None) -> str:
    if value is None or ci is None:
        return "-"
    return f"{value:.2f}x [{ci[0]:.2f}, {ci[1]:.2f}]"


def pct(x: float | None, ci: list[float] | None = None) -> str:
    """A share as a percentage, with its CI when given ("-" when there is none)."""
    if x is None:
        return "-"
    return f"{x:.0%}" + (f" [{ci[0]:.0%}, {ci[1]:.0%}]" if ci else "")


def times(x: float | None, ci: list[float] | None = None) -> str:
    """A speedup as "1.23x", with its CI when given ("-" when there is none)."""
    if x is None:
        return "-"
    return f"{x:.2f}x" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def score_table(r: InstanceScore) -> tuple[Spec, list[str]]:
    """One instance's variants (build, correctness, speedup and rho with CIs, verdict, match; the held-out
    workload's and the asv suite's speedups when the instance has them), and the notes below it (an error
    timing a variant goes there, whole, rather than into a cell)."""
    cols = [
        Col("variant", essential=True),
        Col("build", essential=True),
        Col("correct", essential=True),
        Col("speedup vs base [95% CI]", essential=True),
        Col("verdict", essential=True),
        Col("rho [95% CI]", essential=True),
        Col("match"),
    ]
    cols += [Col("held-out [95% CI]")] if r.heldout is not None else []
    cols += [Col("asv geomean [95% CI] (advantage)")] if r.asv is not None else []
    spec = Spec(f"{r.instance_id} ({r.status}, {'valid' if r.valid else 'INVALID'})", cols, where="--json")
    errors: list[str] = []
    for name, v in r.variants.items():
        o = v.outcome  # an agent's attempt: what it is credited with
        credited = o.correct if o else v.correct
        correct = "empty" if v.kind == "agent" and v.patch_empty else ("yes" if credited else "NO")
        if v.workload_error and not v.classification:
            errors.append(f"{name}: {_error_summary(v.workload_error)}")
        cells = [
            name,
            v.build,
            correct,
            _ci(v.speedup, v.speedup_ci),
            v.classification or ("error (below)" if v.workload_error else "-"),
            _ci(v.rho, v.rho_ci),
            (o.match_label if o else v.match_label) or "-",
        ]
        if r.heldout is not None:
            cells.append(_ci(v.heldout.speedup, v.heldout.speedup_ci) if v.heldout else "-")
        if r.asv is not None:
            adv = f" ({_advantage(v.asv)})" if v.asv and v.asv.advantage is not None else ""
            cells.append(_ci(v.asv.speedup, v.asv.speedup_ci) + adv if v.asv else "-")
        spec.add_row(*cells)
    if r.aa:
        aa = ["A/A", "", "", _ci(r.aa.speedup, r.aa.speedup_ci), r.aa.classification or "", "", ""]
        spec.add_row(*aa, *[""] * (len(cols) - len(aa)))
    return spec, [*(f"error timing {e}" for e in errors), *_score_notes(r)]


def _error_summary(error: str) -> str:
    """A workload's error in one line: its first line, then the last two lines that are not a traceback's
    frames (the exception and what failed), and where the whole of it is."""
    lines = [ln for ln in error.strip().splitlines() if ln.strip()]
    if len(lines) <= 1:
        return error.strip()
    head = lines[0].removesuffix("Traceback (most recent call last):").rstrip(": ")
    tail = [ln.strip() for ln in lines[1:] if not ln.startswith((" ", "\t"))][-2:]
    return f"{' / '.join([head, *tail])} (all of it: score.json, or --json)"


def _score_notes(r: InstanceScore) -> list[str]:
    """What the table cannot hold: validity, noise, the decision margin, exclusions, the asv suite, timing."""
    notes = [f"invalid: {r.invalid_reason}"] if not r.valid else []
    notes += ["A/A: the base timed against a copy of itself (the noise floor)"] if r.aa else []
    notes += [f"noisy: {r.noisy_reason}"] if r.noisy else []
    if r.decision_margin is not None:
        notes.append(
            f"decision margin +-{r.decision_margin:.1%} (min_gain, or the A/A noise floor "
            f"{r.noise_floor or 0:.1%} if larger)"
        )
    notes += [f"timed as whole processes: {r.timing_fallback[-200:]}"] if r.timing_fallback else []
    if r.output_check:
        notes.append(f"results {r.output_check}")
    if r.result_check is not None and r.result_check.weak:
        notes.append(f"weak result check: {r.result_check.weak_reason} (README: Task files, results)")
    notes += [f"fails on the human commit too (not counted): {c}" for c in r.excluded_tests]
    if r.asv is not None:
        moved = [b.name for b in r.asv.benchmarks if b.status == "moved"]
        other = {b.status for b in r.asv.benchmarks} - {"moved"}
        counts = ", ".join(f"{sum(b.status == st for b in r.asv.benchmarks)} {st}" for st in sorted(other))
        notes.append(
            f"asv suite ({r.asv.config}): {len(r.asv.benchmarks)} benchmark(s); geometric means over the "
            f"{len(moved)} the human moved{'; ' + counts if counts else ''} (score.json's asv block has each)"
        )
    if r.measurement:
        m = r.measurement
        notes.append(
            f"timed: {r.timed} ({m.timing_mode}); {m.rounds} rounds, stopped: {m.stop_reason}, "
            f"efficiency {m.efficiency:.2f}"
        )
    return notes


def correlate_table(res: Correlation) -> Spec:
    """Per provider: attempts, correct, opt@1 with its CI, speedup and rho gmeans with CIs and cost (always
    shown); opt@1 GSO, opt@k, $/success, Spearman against the human and failures when there is room.
    `res` is correlate's record."""
    spec = Spec(
        f"agents against humans ({sum(e.valid for e in res.instances)} valid instance(s) of {len(res.instances)})",
        [
            Col("provider", essential=True),
            Col("attempts", essential=True, justify="right"),
            Col("correct", essential=True, justify="right"),
            Col("opt@1 strict [95% CI]", essential=True),
            Col("opt@1 GSO"),
            Col("opt@k strict"),
            Col("speedup gmean [95% CI]", essential=True),
            Col("rho gmean [95% CI]", essential=True),
            Col("cost", essential=True, justify="right"),
            Col("$/success", justify="right"),
            Col("Spearman vs human"),
            Col("flagged", justify="right"),
            Col("reviewed hacks", justify="right"),
            Col("raw opt@1 / speedup"),
            Col("failures", text=True),
        ],
        where="--json, or the report (isobench export)",
    )
    for name, p in res.providers.items():
        sp = p.spearman_vs_human
        spec.add_row(
            name,
            str(p.attempts),
            str(p.correct),
            pct(p.opt1_strict, p.opt1_strict_ci),
            pct(p.opt1_gso),
            pct(p.optk_strict) + f" (k={p.k})",
            times(p.speedup_gmean, p.speedup_gmean_ci),
            times(p.rho_gmean, p.rho_gmean_ci),
            f"${p.total_cost_usd:.2f}",
            "-" if p.cost_per_success is None else f"${p.cost_per_success:.2f}",
            "-" if sp["rho"] is None else f"{sp['rho']:.2f} (n={sp['n']})",
            str(p.flagged_attempts),
            _hacks(p),
            _raw(p),
            ", ".join(f"{k} {v}" for k, v in p.failure_reasons.items()) or "-",
        )
    return spec


def _hacks(p: ProviderMetrics) -> str:
    """Attempts a model review called a hack ("-" when nothing of the provider was reviewed or to review)."""
    reviewed = p.unreviewed or p.reviewed or p.reviewed_hacks or p.review_missing
    missing = f" ({p.review_missing} to review)" if p.review_missing else ""
    return f"{p.reviewed_hacks}{missing}" if reviewed else "-"


def _raw(p: ProviderMetrics) -> str:
    """The provider's opt@1 and speedup before the integrity rules, where they differ from the headline."""
    raw = p.raw
    if not raw or (raw.opt1_strict, raw.speedup_gmean) == (p.opt1_strict, p.speedup_gmean):
        return "same"
    return f"{pct(raw.opt1_strict)} / {times(raw.speedup_gmean)}"


def plan_table(planned: Sequence[Planned], root: Path) -> Spec:
    """The planned instances: id, base and head commits, tests and what was done always; the target files and
    the workload when there is room (free text, wrapped)."""
    cols = [Col("instance", essential=True), Col("base", essential=True), Col("head", essential=True)]
    cols += [Col("target files", text=True), Col("tests", essential=True, justify="right")]
    cols += [Col("workload", text=True), Col("action", essential=True)]
    table = Spec(f"{len(planned)} instance(s) planned in {root}", cols, where="--json, or plan/<id>/instance.json")
    for p in planned:
        r = p.record
        workload = r.workload_callable or (r.efficiency_test[0] if r.efficiency_test else "(none: see its notes)")
        if r.asv is not None:
            suite = f"asv: {len(r.asv.benchmarks)} benchmark(s) in {r.asv.benchmark_dir}"
            workload = suite if not r.efficiency_test and not r.workload_callable else f"{workload}\n{suite}"
        table.add_row(
            r.instance_id,
            r.base_commit[:10],
            r.head_commit[:10],
            "\n".join(r.target_files),
            str(len(r.tests)),
            workload,
            p.action,
        )
    return table


def status_table(summary: Mapping[str, object]) -> Spec:
    """`status`: per stage and provider, pending / done / failed, and the attempts' other statuses (`summary`:
    `status.summarize`'s, as `--json` prints it)."""
    numbers = [Col(c, essential=True, justify="right") for c in ("pending", "done", "failed")]
    cols = [Col("stage", essential=True), Col("provider", essential=True), *numbers]
    cols.append(Col("detail", essential=True, text=True))
    table = Spec(f"{summary['instances']} instance(s) in {summary['state_dir']}", cols)
    table.add_row("plan", "-", "0", str(obj(summary["plan"])["done"]), "0", "")
    for stage in ("prepare", "run", "score", "review", "correlate"):
        for prov, counts in obj(summary.get(stage, {})).items():
            n = obj(counts)
            by_status = obj(n.get("by_status", {}))
            detail = ", ".join(f"{s} {k}" for s, k in by_status.items() if s not in ("pending", "success"))
            table.add_row(stage, prov, str(n["pending"]), str(n["done"]), str(n["failed"]), detail)
    return table


_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def doctor_table(source: str | Path, results: Sequence[Result]) -> Spec:
    """`doctor` on a terminal: each check, how it went (coloured), what was seen and the fix (free text)."""
    cols = [Col("check", essential=True), Col("", essential=True)]
    cols += [Col("detail", essential=True, text=True), Col("fix", essential=True, text=True)]
    table = Spec(f"isobench doctor ({source})", cols)
    for r in results:
        table.add_row(r.name, Text(r.status, style=_STYLE[r.status]), r.detail, r.fix if r.status != "ok" else "")
    return table


def _advantage(e: AsvEstimate) -> str:
    """FormulaCode's advantage with its CI, e.g. `+0.52 [+0.31, +0.70]`."""
    ci = e.advantage_ci
    if ci is None or not all(math.isfinite(x) for x in ci):
        return f"{e.advantage:+.2f}"
    return f"{e.advantage:+.2f} [{ci[0]:+.2f}, {ci[1]:+.2f}]"
