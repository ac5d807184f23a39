"""The report's figures (matplotlib, Agg, no pyplot), as PNG bytes.

The speedup scatter reads the export's rows; the per-provider figures read `correlate`'s per-provider
entries (`correlation["providers"][name]`, each given here with its `provider` name). Nothing is
computed here but where to draw.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

# Colour-blind-safe (Okabe-Ito) provider colours, in provider order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


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


def provider_colours(providers: list[str]) -> dict[str, str]:
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
    n = max(s.get("headline_instances") or 0 for s in shown)
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
    """Cost per instance against opt@1 (strict) per provider: what success costs."""
    fig = _figure(6.4, 4.6)
    ax = fig.add_subplot()
    shown = [s for s in stats if s.get("opt1_strict") is not None and s.get("cost_per_instance") is not None]
    if not shown:
        _empty(ax, "no attempts on valid instances yet")
        return _png(fig)
    costs = [s["cost_per_instance"] for s in shown]
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
            [s["cost_per_instance"]],
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
        spot = (round(s["cost_per_instance"] / span, 2), round(y / 4))
        ax.annotate(
            s["provider"],
            (s["cost_per_instance"], y),
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
            "every instance cost $0\n(scripted or free providers)",
            transform=ax.transAxes,
            ha="right",
            va="center",
            color="#777777",
            fontsize=9,
        )
    ax.set_xlim(-0.08 * span, span * 1.35)
    ax.set_ylim(-8, 112)
    ax.set_xlabel("mean LLM cost per instance, all its attempts (USD)")
    ax.set_ylabel("opt@1 strict (%)")
    ax.set_title("Cost against success, per provider", fontsize=11)
    _style(ax)
    return _png(fig)
