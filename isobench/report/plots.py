"""The report's figures (matplotlib, Agg, no pyplot), as PNG bytes.

The speedup scatter reads the export's rows (`ExportRow`); the per-provider figures read `correlate`'s
per-provider entries (`Correlation.providers`, each given here with its provider's name). Nothing is
computed here but where to draw.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from isobench.export.schema import ExportRow
    from isobench.records import ProviderMetrics

# Colour-blind-safe (Okabe-Ito) provider colours, in provider order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _figure(w: float, h: float) -> Figure:
    # Figure without pyplot: no global backend state, thread-safe, always the Agg canvas for PNG.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    fig.patch.set_facecolor("white")
    return fig


def _style(ax: Axes) -> None:
    ax.grid(True, which="major", color="#dddddd", linewidth=0.8)
    ax.grid(True, which="minor", color="#eeeeee", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777777", fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def provider_colours(providers: list[str]) -> dict[str, str]:
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(providers)}


class _Point:
    """One measured attempt of the scatter: the human's speedup (x) and the agent's (y), with their CIs."""

    def __init__(self, row: ExportRow, x: float, y: float, x_ci: list[float] | None) -> None:
        self.provider = row.llm_metadata.provider if row.llm_metadata is not None else None
        self.correct = bool(row.correct)
        self.x, self.y, self.x_ci, self.y_ci = x, y, x_ci, row.speedup_ci


def _points(rows: Sequence[ExportRow]) -> list[_Point]:
    """The llm rows with both speedups measured, each with its instance's human CI."""
    human_ci = {r.instance_id: r.speedup_ci for r in rows if r.record_type == "human"}
    return [
        _Point(r, r.human_performance, r.speedup, human_ci.get(r.instance_id))
        for r in rows
        if r.record_type == "llm" and r.speedup and r.human_performance
    ]


def plot_speedup_scatter(rows: Sequence[ExportRow], colours: dict[str, str], threshold: float) -> bytes:
    """Agent speedup against human speedup, per attempt, log-log, with y = x (as fast as the human)."""
    fig = _figure(8.6, 5.6)
    ax = fig.add_subplot()
    pts = _points(rows)
    if not pts:
        _empty(ax, "no measured attempts yet (run `isobench score`)")
        return _png(fig)
    vals = [p.y for p in pts] + [p.x for p in pts] + [1.0]
    for p in pts:
        vals += [v for v in (p.y_ci or []) if v and v > 0]
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
    seen_incorrect = False
    for name, colour in colours.items():
        mine = [p for p in pts if p.provider == name]
        for correct in (True, False):
            sel = [p for p in mine if p.correct == correct]
            if not sel:
                continue
            x = [p.x for p in sel]
            y = [p.y for p in sel]

            def err(vals: list[float], cis: list[list[float] | None]) -> list[list[float]]:
                lows = [max(v - ci[0], 0.0) if ci else 0.0 for v, ci in zip(vals, cis, strict=True)]
                highs = [max(ci[1] - v, 0.0) if ci else 0.0 for v, ci in zip(vals, cis, strict=True)]
                return [lows, highs]

            ax.errorbar(
                x,
                y,
                xerr=err(x, [p.x_ci for p in sel]),
                yerr=err(y, [p.y_ci for p in sel]),
                fmt="none",
                ecolor=colour,
                alpha=0.45,
                lw=1,
                zorder=2,
            )
            if correct:
                ax.scatter(x, y, s=64, color=colour, edgecolor="white", linewidth=0.8, zorder=3, label=name)
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
                    label=f"{name} (incorrect)",
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


def plot_opt_rate(stats: Sequence[tuple[str, ProviderMetrics]], colours: dict[str, str]) -> bytes:
    """opt@1 (strict and GSO) per provider (name, correlate's entry), with 95% CIs."""
    import numpy as np

    fig = _figure(6.4, 4.6)
    ax = fig.add_subplot()
    shown = [(p, s) for p, s in stats if s.opt1_strict is not None or s.opt1_gso is not None]
    if not shown:
        _empty(ax, "no attempts on valid instances yet")
        return _png(fig)
    x = np.arange(len(shown))
    width = 0.38
    for off, label, hatch, figures in (
        (-width / 2, "opt@1 strict", None, [(s.opt1_strict, s.opt1_strict_ci) for _, s in shown]),
        (width / 2, "opt@1 GSO", "//", [(s.opt1_gso, s.opt1_gso_ci) for _, s in shown]),
    ):
        vals = [(v or 0.0) * 100 for v, _ in figures]
        cis = [ci for _, ci in figures]
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
            color=[colours[p] for p, _ in shown],
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
    ax.set_xticks(x, [p for p, _ in shown])
    ax.set_ylim(0, 112)
    ax.set_ylabel("attempts that are correct and match the human (%)")
    n = max(s.headline_instances or 0 for _, s in shown)
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


def plot_cost_success(stats: Sequence[tuple[str, ProviderMetrics]], colours: dict[str, str]) -> bytes:
    """Cost per instance against opt@1 (strict) per provider (name, correlate's entry): what success costs."""
    fig = _figure(6.4, 4.6)
    ax = fig.add_subplot()
    shown = [
        (p, s.cost_per_instance, s.opt1_strict, s.opt1_strict_ci)
        for p, s in stats
        if s.opt1_strict is not None and s.cost_per_instance is not None
    ]
    if not shown:
        _empty(ax, "no attempts on valid instances yet")
        return _png(fig)
    costs = [cost for _, cost, _, _ in shown]
    span = max(costs) if max(costs) > 0 else 1.0
    stacked: Counter[tuple[float, float]] = Counter()  # providers on the same spot get their labels stacked
    for name, cost, opt, opt_ci in shown:
        y = opt * 100
        ci: list[float | None] = list(opt_ci) if opt_ci else [None, None]
        yerr = [
            [max(y - ci[0] * 100, 0) if ci[0] is not None else 0],
            [max(ci[1] * 100 - y, 0) if ci[1] is not None else 0],
        ]
        ax.errorbar(
            [cost],
            [y],
            yerr=yerr,
            fmt="o",
            ms=10,
            color=colours[name],
            mec="white",
            mew=1,
            capsize=4,
            elinewidth=1,
            zorder=3,
        )
        spot = (round(cost / span, 2), round(y / 4))
        ax.annotate(
            name,
            (cost, y),
            xytext=(10, 4 + 13 * stacked[spot]),
            textcoords="offset points",
            fontsize=9,
            color=colours[name],
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
