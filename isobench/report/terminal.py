"""The tables `score` and `correlate` print on a terminal (the CLI only prints them)."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from isobench.records import AsvEstimate, InstanceScore


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


def score_table(r: InstanceScore) -> tuple[Table, list[str]]:
    """One instance's variants (build, correctness, speedup and rho with CIs, label; the held-out workload's
    and the asv suite's speedups when the instance has them), and the notes below it."""
    table = Table(title=f"{r.instance_id} ({r.status}, {'valid' if r.valid else 'INVALID'})")
    cols = ["variant", "build", "correct", "speedup vs base [95% CI]", "", "rho [95% CI]", "match"]
    cols += ["held-out [95% CI]"] if r.heldout is not None else []
    cols += ["asv geomean [95% CI] (advantage)"] if r.asv is not None else []
    for col in cols:
        table.add_column(col)
    for name, v in r.variants.items():
        o = v.outcome  # an agent's attempt: what it is credited with
        credited = o.correct if o else v.correct
        correct = "empty" if v.kind == "agent" and v.patch_empty else ("yes" if credited else "NO")
        cells = [
            name,
            v.build,
            correct,
            _ci(v.speedup, v.speedup_ci),
            v.classification or (v.workload_error or "-")[:40],
            _ci(v.rho, v.rho_ci),
            (o.match_label if o else v.match_label) or "-",
        ]
        if r.heldout is not None:
            cells.append(_ci(v.heldout.speedup, v.heldout.speedup_ci) if v.heldout else "-")
        if r.asv is not None:
            adv = f" ({_advantage(v.asv)})" if v.asv and v.asv.advantage is not None else ""
            cells.append(_ci(v.asv.speedup, v.asv.speedup_ci) + adv if v.asv else "-")
        table.add_row(*cells)
    if r.aa:
        aa = ["A/A (base vs a copy)", "", "", _ci(r.aa.speedup, r.aa.speedup_ci), r.aa.classification or "", "", ""]
        table.add_row(*aa, *[""] * (len(cols) - len(aa)))
    notes = [f"invalid: {r.invalid_reason}"] if not r.valid else []
    notes += [f"noisy: {r.noisy_reason}"] if r.noisy else []
    if r.decision_margin is not None:
        notes.append(
            f"decision margin +-{r.decision_margin:.1%} (min_gain, or the A/A noise floor "
            f"{r.noise_floor or 0:.1%} if larger)"
        )
    notes += [f"timed as whole processes: {r.timing_fallback[-200:]}"] if r.timing_fallback else []
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
    return table, notes


def correlate_table(res: dict[str, Any]) -> Table:
    """Per provider: attempts, correct, opt@1/opt@k, speedup and rho gmeans with CIs, cost, failures."""
    t = Table(
        title=f"agents against humans ({sum(e['valid'] for e in res['instances'])} valid instance(s) of "
        f"{len(res['instances'])})"
    )
    for col in (
        "provider",
        "attempts",
        "correct",
        "opt@1 strict [95% CI]",
        "opt@1 GSO",
        "opt@k strict",
        "speedup gmean [CI]",
        "rho gmean [CI]",
        "cost",
        "$/success",
        "Spearman vs human",
        "failures",
    ):
        t.add_column(col)
    for name, p in res["providers"].items():
        sp: dict[str, Any] = p["spearman_vs_human"]
        t.add_row(
            name,
            str(p["attempts"]),
            str(p["correct"]),
            pct(p["opt1_strict"], p["opt1_strict_ci"]),
            pct(p["opt1_gso"]),
            pct(p["optk_strict"]) + f" (k={p['k']})",
            times(p["speedup_gmean"], p["speedup_gmean_ci"]),
            times(p["rho_gmean"], p["rho_gmean_ci"]),
            f"${p['total_cost_usd']:.2f}",
            "-" if p["cost_per_success"] is None else f"${p['cost_per_success']:.2f}",
            "-" if sp["rho"] is None else f"{sp['rho']:.2f} (n={sp['n']})",
            ", ".join(f"{k} {v}" for k, v in p["failure_reasons"].items()) or "-",
        )
    return t


def _advantage(e: AsvEstimate) -> str:
    """FormulaCode's advantage with its CI, e.g. `+0.52 [+0.31, +0.70]`."""
    ci = e.advantage_ci
    if ci is None or not all(math.isfinite(x) for x in ci):
        return f"{e.advantage:+.2f}"
    return f"{e.advantage:+.2f} [{ci[0]:+.2f}, {ci[1]:+.2f}]"
