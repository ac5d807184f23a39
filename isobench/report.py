"""The HTML report of an export: plots (matplotlib, Agg) and tables, in one self-contained file.

`index.html` embeds its PNGs as base64 data URIs and uses no external resource (no CDN, no web font,
no script), so it can be mailed or archived as one file; the PNGs are also written next to it.
Everything shown is computed from the export's rows; per-provider aggregates come from `correlate`'s
output when it exists (it has the better estimates: bootstrap CIs, opt@k), else they are computed
here simply (Wilson intervals over attempts).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.state import atomic_write_text

# Colour-blind-safe (Okabe-Ito) provider colours, in provider order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HUMAN_COLOUR = "#444444"
Z95 = 1.959963984540054


# --------------------------------------------------------------------------------------------------
# Aggregates


def wilson(c: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion c/n (sane at 0/n and n/n, unlike the normal one)."""
    if n == 0:
        return (math.nan, math.nan)
    p = c / n
    denom = 1 + Z95**2 / n
    center = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def _gmean(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else None


def is_opt(row: dict[str, Any], strict: bool = True) -> bool:
    """An attempt is an opt success when correct and matching the human (strict or GSO label)."""
    return bool(row.get("correct")) and bool(row.get("matches_human" if strict else "matches_human_gso"))


def outcome(row: dict[str, Any]) -> str:
    """Why an attempt is not an opt success (the first reason that applies), or "opt"."""
    if row["status"] != "success":
        return str(row["status"])
    if row.get("patch_empty"):
        return "empty_patch"
    if row.get("build") not in (None, "ok"):
        return str(row["build"])
    if row.get("correct") is None:
        return "not_scored"
    if not row["correct"]:
        return "incorrect"
    if row.get("speedup") is None:
        return "not_timed"
    return "opt" if row.get("matches_human") else "slower_than_human"


def provider_stats(rows: list[dict[str, Any]], correlation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per provider: counts, opt@1 (strict, GSO) with 95% CIs, speedup, cost, time, failure reasons.

    opt@1 without `correlate`: over valid instances, the mean over instances of (opt successes /
    attempts), with a Wilson interval over all their attempts.
    """
    corr_p = (correlation or {}).get("providers") or {}
    llm = [r for r in rows if r["record_type"] == "llm"]
    out = []
    for name in dict.fromkeys(r["llm_metadata"]["provider"] for r in llm):
        mine = [r for r in llm if r["llm_metadata"]["provider"] == name]
        valid = [r for r in mine if r.get("valid_instance")]
        per_inst: dict[str, list[dict[str, Any]]] = {}
        for r in valid:
            per_inst.setdefault(r["instance_id"], []).append(r)
        st: dict[str, Any] = {
            "provider": name,
            "model": mine[0]["llm_metadata"]["model"],
            "attempts": len(mine),
            "finished": sum(1 for r in mine if r["status"] == "success"),
            "valid_patches": sum(1 for r in mine if (r.get("patch") or "").strip()),
            "correct": sum(1 for r in mine if r.get("correct")),
            "faster_than_base": sum(1 for r in mine if r.get("correct") and r.get("classification") == "faster"),
            "valid_instances": len(per_inst),
            "valid_attempts": len(valid),
            "total_cost_usd": sum(r["llm_metadata"]["cost_usd"] or 0.0 for r in mine),
            "mean_wall_s": (sum(r["llm_metadata"]["time_seconds"] or 0 for r in mine) / len(mine)),
            "mean_iterations": (sum(r["llm_metadata"]["iterations"] or 0 for r in mine) / len(mine)),
            "failure_reasons": dict(Counter(o for o in map(outcome, mine) if o != "opt")),
            "solved": sorted({r["instance_id"] for r in valid if is_opt(r)}),
            "speedup_gmean": _gmean([r["effective_speedup"] for r in valid if r.get("effective_speedup")]),
            "source": "computed",
        }
        for key, strict in (("opt1_strict", True), ("opt1_gso", False)):
            if per_inst:
                per = [sum(is_opt(r, strict) for r in rs) / len(rs) for rs in per_inst.values()]
                st[key] = sum(per) / len(per)
                st[f"{key}_ci"] = list(wilson(sum(is_opt(r, strict) for r in valid), len(valid)))
            else:
                st[key], st[f"{key}_ci"] = None, None
        st["opt_successes"] = sum(is_opt(r) for r in valid)
        st["cost_per_attempt"] = st["total_cost_usd"] / len(mine)
        st["cost_per_success"] = st["total_cost_usd"] / st["opt_successes"] if st["opt_successes"] else None
        c = corr_p.get(name)
        if isinstance(c, dict):  # correlate's numbers are the better estimates where it has them
            for key in (
                "opt1_strict",
                "opt1_gso",
                "opt1_strict_ci",
                "opt1_gso_ci",
                "speedup_gmean",
                "speedup_gmean_ci",
                "rho_gmean",
                "cost_per_success",
                "optk_strict",
                "optk_gso",
                "k",
                "spearman_vs_human",
                "failure_reasons",
            ):
                if c.get(key) is not None:
                    st[key] = c[key]
            st["source"] = "correlate"
        out.append(st)
    return out


# --------------------------------------------------------------------------------------------------
# Plots


def _figure(w: float, h: float) -> Any:
    # Figure without pyplot: no global backend state, thread-safe, always the Agg canvas for PNG.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    fig.patch.set_facecolor("white")
    return fig


def _style(ax: Any) -> None:
    ax.grid(True, which="major", color="#dddddd", linewidth=0.8)
    ax.grid(True, which="minor", color="#eeeeee", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777", fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _colours(providers: list[str]) -> dict[str, str]:
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(providers)}


def plot_speedup_scatter(rows: list[dict[str, Any]], colours: dict[str, str], threshold: float) -> bytes:
    """Agent speedup against human speedup, per attempt, log-log, with y = x (as fast as the human)."""
    fig = _figure(8.6, 5.6)
    ax = fig.add_subplot()
    pts = [r for r in rows if r["record_type"] == "llm" and r.get("speedup") and r.get("human_performance")]
    if not pts:
        _empty(ax, "no measured attempts yet (run `isobench score`)")
        return _png(fig)
    vals = [r["speedup"] for r in pts] + [r["human_performance"] for r in pts] + [1.0]
    for r in pts:
        vals += [v for v in (r.get("speedup_ci") or []) if v and v > 0]
    lo, hi = min(vals) / 1.8, max(vals) * 1.8
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.plot([lo, hi], [lo, hi], color="#555555", lw=1.2, zorder=1, label="y = x (as fast as the human)")
    ax.plot(
        [lo, hi],
        [threshold * lo, threshold * hi],
        color="#999999",
        lw=1,
        ls="--",
        zorder=1,
        label=f"y = {threshold:g}x (match threshold)",
    )
    ax.axhline(1.0, color="#bbbbbb", lw=0.8, ls=":", zorder=1)
    ax.axvline(1.0, color="#bbbbbb", lw=0.8, ls=":", zorder=1)
    human_ci = {r["instance_id"]: r.get("speedup_ci") for r in rows if r["record_type"] == "human"}
    seen_incorrect = False
    for p, colour in colours.items():
        mine = [r for r in pts if r["llm_metadata"]["provider"] == p]
        for correct in (True, False):
            sel = [r for r in mine if bool(r.get("correct")) == correct]
            if not sel:
                continue
            x = [r["human_performance"] for r in sel]
            y = [r["speedup"] for r in sel]

            def err(vals: list[float], cis: list[Any]) -> list[list[float]]:
                lows = [max(v - ci[0], 0.0) if ci else 0.0 for v, ci in zip(vals, cis, strict=True)]
                highs = [max(ci[1] - v, 0.0) if ci else 0.0 for v, ci in zip(vals, cis, strict=True)]
                return [lows, highs]

            ax.errorbar(
                x,
                y,
                xerr=err(x, [human_ci.get(r["instance_id"]) for r in sel]),
                yerr=err(y, [r.get("speedup_ci") for r in sel]),
                fmt="none",
                ecolor=colour,
                alpha=0.45,
                lw=1,
                zorder=2,
            )
            if correct:
                ax.scatter(x, y, s=64, color=colour, edgecolor="white", linewidth=0.8, zorder=3, label=p)
            else:
                seen_incorrect = True
                ax.scatter(
                    x,
                    y,
                    s=70,
                    color=colour,
                    marker="X",
                    linewidth=0.5,
                    edgecolor="black",
                    zorder=3,
                    label=f"{p} (incorrect)",
                )
    ax.set_xlabel("human speedup over base (log)")
    ax.set_ylabel("agent speedup over base (log)")
    note = "\nX = incorrect: fails the tests or changes nothing (its speed does not count)"
    note = note if seen_incorrect else ""
    ax.set_title("Agent vs human speedup, per attempt" + note, fontsize=11)
    _style(ax)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5, frameon=False, borderaxespad=0)
    return _png(fig)


def plot_opt_rate(stats: list[dict[str, Any]], colours: dict[str, str]) -> bytes:
    """opt@1 (strict and GSO) per provider, with 95% CIs."""
    import numpy as np

    fig = _figure(6.4, 4.6)
    ax = fig.add_subplot()
    shown = [s for s in stats if s.get("opt1_strict") is not None or s.get("opt1_gso") is not None]
    if not shown:
        _empty(ax, "no attempts on valid instances yet")
        return _png(fig)
    x = np.arange(len(shown))
    width = 0.38
    for off, key, label, hatch in (
        (-width / 2, "opt1_strict", "opt@1 strict", None),
        (width / 2, "opt1_gso", "opt@1 GSO", "//"),
    ):
        vals = [(s.get(key) or 0.0) * 100 for s in shown]
        cis = [s.get(f"{key}_ci") for s in shown]
        lows = [ci[0] * 100 if ci and ci[0] is not None else v for v, ci in zip(vals, cis, strict=True)]
        highs = [ci[1] * 100 if ci and ci[1] is not None else v for v, ci in zip(vals, cis, strict=True)]
        yerr = [
            [max(v - lo, 0) for v, lo in zip(vals, lows, strict=True)],
            [max(hi - v, 0) for v, hi in zip(vals, highs, strict=True)],
        ]
        bars = ax.bar(
            x + off,
            vals,
            width,
            color=[colours[s["provider"]] for s in shown],
            hatch=hatch,
            edgecolor="white" if hatch is None else "#333333",
            linewidth=0.6,
            alpha=1.0 if hatch is None else 0.55,
            label=label,
            yerr=yerr,
            capsize=4,
            error_kw={"elinewidth": 1, "ecolor": "#333333"},
        )
        for b, v in zip(bars, vals, strict=True):
            ax.annotate(
                f"{v:.0f}%",
                (b.get_x() + b.get_width() / 2, v),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color="#222222",
            )
    ax.set_xticks(x, [s["provider"] for s in shown])
    ax.set_ylim(0, 112)
    ax.set_ylabel("attempts that are correct and match the human (%)")
    n = max(s["valid_instances"] for s in shown)
    ax.set_title(f"opt@1 per provider ({n} valid instance{'s' if n != 1 else ''}; bars: 95% CI)", fontsize=11)
    _style(ax)
    ax.grid(False, axis="x")
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor="#888888", label="strict (CI lower end >= threshold)"),
            Patch(
                facecolor="#888888",
                alpha=0.55,
                hatch="//",
                edgecolor="#333333",
                label="GSO (point estimate >= threshold)",
            ),
        ],
        loc="upper right",
        fontsize=8,
    )
    return _png(fig)


def plot_cost_success(stats: list[dict[str, Any]], colours: dict[str, str]) -> bytes:
    """Cost per attempt against opt@1 (strict) per provider: what success costs."""
    fig = _figure(6.4, 4.6)
    ax = fig.add_subplot()
    shown = [s for s in stats if s.get("opt1_strict") is not None]
    if not shown:
        _empty(ax, "no attempts on valid instances yet")
        return _png(fig)
    costs = [s["cost_per_attempt"] for s in shown]
    span = max(costs) if max(costs) > 0 else 1.0
    stacked: Counter[tuple[float, float]] = Counter()  # providers on the same spot get their labels stacked
    for s in shown:
        y = s["opt1_strict"] * 100
        ci = s.get("opt1_strict_ci") or [None, None]
        yerr = [
            [max(y - ci[0] * 100, 0) if ci[0] is not None else 0],
            [max(ci[1] * 100 - y, 0) if ci[1] is not None else 0],
        ]
        ax.errorbar(
            [s["cost_per_attempt"]],
            [y],
            yerr=yerr,
            fmt="o",
            ms=10,
            color=colours[s["provider"]],
            mec="white",
            mew=1,
            capsize=4,
            elinewidth=1,
            zorder=3,
        )
        spot = (round(s["cost_per_attempt"] / span, 2), round(y / 4))
        ax.annotate(
            s["provider"],
            (s["cost_per_attempt"], y),
            xytext=(10, 4 + 13 * stacked[spot]),
            textcoords="offset points",
            fontsize=9,
            color=colours[s["provider"]],
            fontweight="bold",
        )
        stacked[spot] += 1
    if max(costs) == 0:
        ax.text(
            0.98,
            0.5,
            "every attempt cost $0\n(scripted or free providers)",
            transform=ax.transAxes,
            ha="right",
            va="center",
            color="#777777",
            fontsize=9,
        )
    ax.set_xlim(-0.08 * span, span * 1.35)
    ax.set_ylim(-8, 112)
    ax.set_xlabel("mean LLM cost per attempt (USD)")
    ax.set_ylabel("opt@1 strict (%)")
    ax.set_title("Cost against success, per provider", fontsize=11)
    _style(ax)
    return _png(fig)


# --------------------------------------------------------------------------------------------------
# HTML

CSS = """
:root { --fg:#1f2328; --muted:#636c76; --line:#d0d7de; --bg:#f6f8fa;
        --ok:#1a7f37; --bad:#cf222e; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, "Liberation Sans", sans-serif;
       color:var(--fg); background:#fff; }
main { max-width:1240px; margin:0 auto; padding:28px 24px 48px; }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:19px; margin:34px 0 10px; padding-bottom:6px; border-bottom:1px solid var(--line); }
.sub { color:var(--muted); margin:0 0 18px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(160px, 1fr)); gap:12px;
         margin:18px 0 6px; }
.card { background:var(--bg); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
.card .v { font-size:24px; font-weight:600; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.plots { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
figure { margin:0; border:1px solid var(--line); border-radius:8px; padding:8px; background:#fff; }
figure.wide { grid-column:1 / -1; text-align:center; }
figure img { max-width:100%; height:auto; display:block; margin:0 auto; }
figcaption { color:var(--muted); font-size:12.5px; padding:6px 6px 2px; text-align:left; }
.tablewrap { overflow-x:auto; border:1px solid var(--line); border-radius:8px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:6px 9px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top;
         white-space:nowrap; }
th { background:var(--bg); font-weight:600; vertical-align:bottom; }
td.wrap { white-space:normal; font-size:12px; color:var(--muted); min-width:110px; }
td.prov { white-space:normal; overflow-wrap:anywhere; min-width:140px; max-width:210px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.human td { background:#fbfbfc; font-weight:600; border-top:2px solid var(--line); }
tr:last-child td { border-bottom:none; }
.ci { color:var(--muted); font-weight:400; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
.ok { background:#dafbe1; color:var(--ok); } .bad { background:#ffebe9; color:var(--bad); }
.warn { background:#fff8c5; color:var(--warn); } .na { background:#eaeef2; color:var(--muted); }
.dot { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:6px; }
dl.defs { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; color:var(--fg); }
dl.defs dt { font-weight:600; } dl.defs dd { margin:0; color:var(--muted); }
footer { margin-top:36px; color:var(--muted); font-size:12px; }
code { font-family:ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
       font-size:12px; }
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    a = abs(x)
    return f"{x:.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}" if a >= 0.1 else f"{x:.3g}"


def _with_ci(x: float | None, ci: list[float] | None, suffix: str = "×", br: bool = False) -> str:
    if x is None:
        return '<span class="ci">–</span>'
    s = f"{_fmt(x)}{suffix}"
    if ci and None not in ci:
        s += f'{"<br>" if br else " "}<span class="ci">[{_fmt(ci[0])}, {_fmt(ci[1])}]</span>'
    return s


def _pct(x: float | None, ci: list[float] | None, br: bool = False) -> str:
    if x is None:
        return '<span class="ci">–</span>'
    s = f"{x * 100:.0f}%"
    if ci and None not in ci:
        s += f'{"<br>" if br else " "}<span class="ci">[{ci[0] * 100:.0f}, {ci[1] * 100:.0f}]</span>'
    return s


def _badge(value: bool | None, yes: str = "yes", no: str = "no") -> str:
    if value is None:
        return '<span class="badge na">–</span>'
    return f'<span class="badge ok">{yes}</span>' if value else f'<span class="badge bad">{no}</span>'


def _status_badge(status: str | None) -> str:
    cls = {"success": "ok", "scored": "ok", None: "na", "not_scored": "na"}.get(status, "bad")
    return f'<span class="badge {cls}">{_e(status or "–")}</span>'


def _money(x: float | None) -> str:
    return "–" if x is None else f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.4f}"


def _provider_table(stats: list[dict[str, Any]], colours: dict[str, str]) -> str:
    head = (
        "<tr><th>provider<br>model</th><th class=num>attempts</th><th class=num>agent<br>finished</th>"
        "<th class=num>non-empty<br>patches</th><th class=num>correct</th>"
        "<th class=num>faster<br>than base</th>"
        "<th class=num>opt@1 strict<br>[95% CI]</th><th class=num>opt@1 GSO<br>[95% CI]</th>"
        "<th class=num>speedup gmean<br>[95% CI]</th><th class=num>cost: total<br>/ per success</th>"
        "<th class=num>mean wall<br>/ iterations</th><th>not solved:<br>why</th></tr>"
    )
    body = []
    for s in stats:
        fails = "<br>".join(f"{_e(k).replace('_', ' ')}: {v}" for k, v in sorted(s["failure_reasons"].items())) or "–"
        body.append(
            f'<tr><td class=prov><span class="dot" style="background:{colours[s["provider"]]}"></span>'
            f'<b>{_e(s["provider"])}</b><br><code class="ci">{_e(s["model"])}</code></td>'
            f"<td class=num>{s['attempts']}</td>"
            f"<td class=num>{s['finished']}</td><td class=num>{s['valid_patches']}</td>"
            f"<td class=num>{s['correct']}</td><td class=num>{s['faster_than_base']}</td>"
            f"<td class=num>{_pct(s.get('opt1_strict'), s.get('opt1_strict_ci'), br=True)}</td>"
            f"<td class=num>{_pct(s.get('opt1_gso'), s.get('opt1_gso_ci'), br=True)}</td>"
            f"<td class=num>{_with_ci(s.get('speedup_gmean'), s.get('speedup_gmean_ci'), br=True)}</td>"
            f"<td class=num>{_money(s['total_cost_usd'])}<br>"
            f"<span class=ci>{_money(s.get('cost_per_success'))}</span></td>"
            f"<td class=num>{s['mean_wall_s']:.0f} s<br><span class=ci>{s['mean_iterations']:.1f}</span></td>"
            f"<td class=wrap>{fails}</td></tr>"
        )
    if not body:
        body.append(
            '<tr><td colspan=12 class="ci">no LLM attempts recorded yet (run <code>isobench run</code>)</td></tr>'
        )
    return f'<div class="tablewrap"><table>{head}{"".join(body)}</table></div>'


def _instance_table(rows: list[dict[str, Any]], colours: dict[str, str]) -> str:
    head = (
        "<tr><th>instance<br>/ attempt</th><th>status</th><th>correct</th>"
        "<th class=num>speedup<br>[95% CI]</th><th class=num>rho<br>[95% CI]</th><th>match<br>strict</th>"
        "<th>match<br>GSO</th><th class=num>cost</th>"
        "<th class=num>iters</th><th class=num>wall</th><th class=num>tokens<br>in / out</th></tr>"
    )
    body = []
    for r in rows:
        if r["record_type"] == "human":
            valid = r.get("valid_instance")
            vb = (
                '<span class="badge ok">valid</span>'
                if valid
                else '<span class="badge na">not scored</span>'
                if valid is None
                else f'<span class="badge warn" title="{_e(r.get("invalid_reason"))}">invalid</span>'
            )
            body.append(
                f'<tr class="human"><td>{_e(r["instance_id"])} {vb}<br><span class="ci">human '
                f"<code>{_e((r.get('head_commit') or '')[:10])}</code></span></td>"
                f"<td>{_status_badge(r['status'])}</td><td>{_badge(r.get('correct'))}</td>"
                f"<td class=num>{_with_ci(r.get('speedup'), r.get('speedup_ci'))}</td>"
                "<td class=num>1 (reference)</td><td></td><td></td><td></td><td></td><td></td><td></td></tr>"
            )
            continue
        m = r["llm_metadata"]
        tok = r.get("tokens") or {}
        title = f' title="{_e(r["error"])}"' if r.get("error") else ""
        correct = '<span class="badge warn">empty patch</span>' if r.get("patch_empty") else _badge(r.get("correct"))
        body.append(
            f'<tr><td><span class="dot" style="background:{colours.get(m["provider"], "#888")}"></span>'
            f"{_e(m['provider'])} #{r['attempt']}</td><td{title}>{_status_badge(r['status'])}</td>"
            f"<td>{correct}</td><td class=num>{_with_ci(r.get('speedup'), r.get('speedup_ci'))}</td>"
            f"<td class=num>{_with_ci(r.get('rho'), r.get('rho_ci'), '')}</td>"
            f"<td>{_badge(r.get('matches_human'))}</td><td>{_badge(r.get('matches_human_gso'))}</td>"
            f"<td class=num>{_money(m.get('cost_usd'))}</td><td class=num>{_e(m.get('iterations'))}</td>"
            f"<td class=num>{_e(m.get('time_seconds'))} s</td>"
            f"<td class=num>{tok.get('prompt') or 0:,} / {tok.get('completion') or 0:,}</td></tr>"
        )
    return f'<div class="tablewrap"><table>{head}{"".join(body)}</table></div>'


def _correlation_section(correlation: dict[str, Any] | None) -> str:
    pairs = (correlation or {}).get("between_providers") or []
    if not pairs:
        return ""
    body = "".join(
        f"<tr><td>{_e(p.get('a'))}</td><td>{_e(p.get('b'))}</td><td class=num>{_fmt(p.get('spearman'))}</td>"
        f"<td class=num>{_fmt(p.get('p'))}</td><td class=num>{_e(p.get('n'))}</td></tr>"
        for p in pairs
    )
    return (
        "<h2>Agreement between providers</h2><p class=sub>Spearman rank correlation of per-instance "
        "speedups (from <code>isobench correlate</code>).</p><div class=tablewrap><table><tr><th>a</th>"
        "<th>b</th><th class=num>Spearman</th><th class=num>p</th><th class=num>n</th></tr>"
        f"{body}</table></div>"
    )


def write_report(
    rows: list[dict[str, Any]], correlation: dict[str, Any] | None, out: Path, cfg: Any = None
) -> dict[str, Any]:
    """Write `out/index.html` and `out/*.png`; returns their paths."""
    threshold = getattr(getattr(cfg, "score", None), "match_threshold", 0.95)
    out.mkdir(parents=True, exist_ok=True)
    stats = provider_stats(rows, correlation)
    colours = _colours([s["provider"] for s in stats])
    plots = {
        "speedup_scatter": (
            plot_speedup_scatter(rows, colours, threshold),
            "Each point is one attempt on one instance; error bars are 95% CIs. On the solid "
            "line the agent is as fast as the human; above it, faster.",
        ),
        "opt_rate": (
            plot_opt_rate(stats, colours),
            "Share of attempts on valid instances that are correct and match the human's "
            "speedup. Strict: the lower end of rho's CI reaches the threshold; GSO: rho's point "
            "estimate does.",
        ),
        "cost_success": (
            plot_cost_success(stats, colours),
            "Mean LLM cost of an attempt against opt@1 strict, with its 95% CI.",
        ),
    }
    paths = []
    figs = []
    for name, (png, caption) in plots.items():
        (out / f"{name}.png").write_bytes(png)
        paths.append(str(out / f"{name}.png"))
        cls = ' class="wide"' if name == "speedup_scatter" else ""
        figs.append(
            f'<figure{cls}><img id="plot-{name}" alt="{_e(name.replace("_", " "))}" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )

    human = [r for r in rows if r["record_type"] == "human"]
    llm = [r for r in rows if r["record_type"] == "llm"]
    env = next((r["environment"] for r in human if r.get("environment")), None)
    modes = sorted({r["timing_mode"] for r in human if r.get("timing_mode")})
    cards = [
        ("instances", len(human)),
        ("valid instances", sum(1 for r in human if r.get("valid_instance"))),
        ("providers", len(stats)),
        ("LLM attempts", len(llm)),
        ("correct patches", sum(1 for r in llm if r.get("correct"))),
        ("total LLM cost", _money(sum(s["total_cost_usd"] for s in stats))),
    ]
    cards_html = "".join(
        f'<div class="card"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in cards
    )
    env_html = (
        f"Measured on {_e(env.get('cpu'))} ({_e(env.get('cores'))} cores), "
        f"{_e(env.get('platform'))}, Python {_e(env.get('python'))}, "
        f"sandbox {_e(env.get('sandbox'))}, OpenHands "
        f"{_e(env.get('openhands_version'))}; timing: {_e(', '.join(modes))}."
        if env
        else "No instance has been scored yet: run <code>isobench score</code>."
    )
    source = (
        "Per-provider aggregates from <code>isobench correlate</code>."
        if correlation
        else "Per-provider aggregates computed at export (run <code>isobench correlate</code> for bootstrap "
        "CIs and opt@k)."
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>isobench report</title>
<style>{CSS}</style></head>
<body><main>
<h1>isobench report</h1>
<p class="sub">LLM coding agents against the human commits that optimized the same code. {env_html}</p>
<div class="cards">{cards_html}</div>
<h2>Plots</h2>
<div class="plots">{"".join(figs)}</div>
<h2>Providers</h2>
<p class="sub">{source} Only valid instances (the human speedup is significant) count in opt@1 and the
speedup geometric mean; an incorrect patch counts as speedup 1.</p>
{_provider_table(stats, colours)}
{_correlation_section(correlation)}
<h2>Instances</h2>
<p class="sub">Each instance's human commit (bold), then every attempt. speedup = base time / variant time;
rho = agent speedup / human speedup. Hover a failed status for its reason.</p>
{_instance_table(rows, colours)}
<h2>Definitions</h2>
<dl class="defs">
<dt>correct</dt><dd>builds and passes every test command that passes on the human commit</dd>
<dt>speedup</dt><dd>base time / variant time, paired per interleaved timing round, with a 95%
bootstrap CI</dd>
<dt>rho</dt><dd>agent speedup / human speedup: 1 means as fast as the human</dd>
<dt>match strict</dt><dd>correct, and the lower end of rho's 95% CI is at least {threshold:g}</dd>
<dt>match GSO</dt><dd>correct, and rho is at least {threshold:g} (GSO's opt@1 criterion)</dd>
<dt>opt@1</dt><dd>mean over valid instances of the share of attempts that are correct and match</dd>
</dl>
<footer>Generated by isobench {_e(__version__)} on {_e(now)}. Self-contained: no external resources.</footer>
</main></body></html>
"""
    atomic_write_text(out / "index.html", doc)
    (out / "index.html").chmod(0o644)  # mkstemp's 0600 would keep a shared report from others
    return {"html": str(out / "index.html"), "plots": paths, "providers": stats}
