"""The report's page: the template context (what each table and plot shows) and its rendering.

Nothing is computed here. Each number shown is a field of an export row (one `human` row per instance,
one `llm` row per attempt) or of `correlate`'s output (`correlation["providers"][name]`,
`between_providers`, `design_metrics`); this module only picks, orders and formats them. Without a
correlation the page shows what the rows alone give (the speedup scatter and the instance table) and
says to run `isobench correlate` for the per-provider aggregates.
"""

from __future__ import annotations

import base64
import functools
import math
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from isobench import __version__
from isobench.report import audit, evidence, plots, words
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.config import BenchConfig
    from isobench.state import State

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"

PROVIDER_KEYS = (
    "attempts",
    "instances",
    "headline_instances",
    "k",
    "valid_patches",
    "correct",
    "faster_than_base",
    "opt_successes",
    "opt1_strict",
    "opt1_strict_ci",
    "opt1_gso",
    "opt1_gso_ci",
    "optk_strict",
    "optk_gso",
    "speedup_gmean",
    "speedup_gmean_ci",
    "speedup_median",
    "speedup_median_ci",
    "rho_gmean",
    "rho_gmean_ci",
    "rho_median",
    "rho_median_ci",
    "total_cost_usd",
    "cost_per_instance",
    "cost_per_success",
    "mean_wall_s",
    "mean_iterations",
    "failure_reasons",
    "spearman_vs_human",
    "solved",
)
"""`correlate`'s per-provider fields the page reads; a missing one shows as a dash."""

PLOTS = (
    (
        "speedup_scatter",
        True,
        "Each point is one attempt on one instance; error bars are 95% CIs. On the solid line the agent is "
        "as fast as the human; above it, faster.",
    ),
    (
        "opt_rate",
        False,
        "Per provider, over valid instances: the mean share of an instance's attempts that are opt successes. "
        "Strict: faster than base and the lower end of rho's CI reaches the threshold; GSO: the point "
        "estimates do. Bars: 95% bootstrap CI over instances.",
    ),
    (
        "cost_success",
        False,
        "Mean LLM cost of an instance (all its attempts) against opt@1 strict, with its 95% CI.",
    ),
)
"""(name, spans the full width, caption) of each figure, in page order; the last two need `correlate`."""


# --------------------------------------------------------------------------------------------------
# Formatting (filters: plain text, escaped by the template like everything else)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_num(x: float | None) -> str:
    """A number with about three significant digits; a dash when absent."""
    if _missing(x):
        return "–"
    assert x is not None
    a = abs(x)
    return f"{x:.0f}" if a >= 100 else f"{x:.1f}" if a >= 10 else f"{x:.2f}" if a >= 0.1 else f"{x:.3g}"


def fmt_pct(x: float | None, sign: bool = True) -> str:
    """A proportion as a whole percentage (`sign=False`: without the % sign, for CI bounds)."""
    if _missing(x):
        return "–"
    assert x is not None
    return f"{x * 100:.0f}{'%' if sign else ''}"


def fmt_money(x: float | None) -> str:
    if _missing(x):
        return "–"
    assert x is not None
    return f"${x:,.2f}" if x >= 0.01 or x == 0 else f"${x:.4f}"


def fmt_count(x: int | None) -> str:
    return "–" if x is None else f"{x:,}"


def is_interval(ci: Any) -> bool:
    """A [low, high] pair with both ends known."""
    return isinstance(ci, list | tuple) and len(ci) == 2 and not any(_missing(v) for v in ci)


def fmt_words(x: Any) -> str:
    """An identifier such as `empty_patch` as words."""
    return "–" if x is None else str(x).replace("_", " ")


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("isobench", "report/templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,  # a misspelt field fails the render instead of showing nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=fmt_num, pct=fmt_pct, money=fmt_money, count=fmt_count, words=fmt_words)
    env.filters["oclass"] = audit.outcome_class
    env.filters["flagnames"] = evidence.flag_names
    env.tests["interval"] = is_interval
    return env


@functools.cache
def stylesheet() -> Markup:
    """The package's report.css, to inline in a <style> element (raw text there: it must not be escaped)."""
    css = resources.files("isobench.report").joinpath("templates", STYLESHEET).read_text(encoding="utf-8")
    if "</" in css:
        raise ValueError(f"{STYLESHEET} must not contain '</': it is inlined into a <style> element")
    return Markup(css)


# --------------------------------------------------------------------------------------------------
# The context


def _providers(rows: list[dict[str, Any]], correlation: dict[str, Any] | None) -> list[str]:
    """Provider names: in the rows' order, then any only `correlate` knows."""
    names = [r["llm_metadata"]["provider"] for r in rows if r["record_type"] == "llm"]
    names += list(((correlation or {}).get("providers") or {}).keys())
    return list(dict.fromkeys(names))


def _provider_view(name: str, model: str | None, colour: str, entry: Any) -> dict[str, Any]:
    m = entry if isinstance(entry, dict) else {}
    view = {key: m.get(key) for key in PROVIDER_KEYS}
    reasons = view["failure_reasons"] if isinstance(view["failure_reasons"], dict) else {}
    view["failure_reasons"] = sorted(reasons.items())
    sp = view["spearman_vs_human"] if isinstance(view["spearman_vs_human"], dict) else {}
    view["spearman_vs_human"] = {k: sp.get(k) for k in ("rho", "p", "n")}
    view["solved"] = list(view["solved"] or [])
    return {"provider": name, "model": model, "colour": colour, "known": bool(m), **view}


def _row_view(r: dict[str, Any], colours: dict[str, str]) -> dict[str, Any]:
    common = {
        "instance_id": r["instance_id"],
        "status": r.get("status"),
        "error": r.get("error"),
        "correct": r.get("correct"),
        "speedup": r.get("speedup"),
        "speedup_ci": r.get("speedup_ci"),
        "heldout_speedup": r.get("heldout_speedup"),
        "heldout_speedup_ci": r.get("heldout_speedup_ci"),
        "asv_speedup": r.get("asv_speedup"),
        "asv_speedup_ci": r.get("asv_speedup_ci"),
        "asv_advantage": r.get("asv_advantage"),
        "asv_advantage_ci": r.get("asv_advantage_ci"),
    }
    if r["record_type"] == "human":
        return {
            "kind": "human",
            **common,
            "valid": r.get("valid_instance"),
            "invalid_reason": r.get("invalid_reason"),
            "noisy": r.get("noisy"),
            "noisy_reason": r.get("noisy_reason"),
            "head": (r.get("head_commit") or "")[:10],
        }
    m = r.get("llm_metadata") or {}
    tok = r.get("tokens") or {}
    # The scorer's outcome columns; rows from before they existed show the match labels instead.
    opt_strict = r.get("opt_strict")
    opt_gso = r.get("opt_gso")
    return {
        "kind": "llm",
        **common,
        "provider": m.get("provider"),
        "colour": colours.get(m.get("provider") or "", "#888888"),
        "attempt": r.get("attempt"),
        "patch_empty": r.get("patch_empty"),
        "build": r.get("build"),
        "rho": r.get("rho"),
        "rho_ci": r.get("rho_ci"),
        "opt_strict": r.get("matches_human") if opt_strict is None else opt_strict,
        "opt_gso": r.get("matches_human_gso") if opt_gso is None else opt_gso,
        "failure_reason": r.get("failure_reason"),
        "cost_usd": m.get("cost_usd"),
        "iterations": m.get("iterations"),
        "time_seconds": m.get("time_seconds"),
        "tokens_in": tok.get("prompt"),
        "tokens_out": tok.get("completion"),
    }


def _design_metrics(correlation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """correlate's `design_metrics` (the original design's success metrics) with their targets, as (name, value,
    target) rows."""
    sm = (correlation or {}).get("design_metrics") or {}
    targets = sm.get("targets") or {}
    out = []
    for key, value in sm.items():
        if key == "targets":
            continue
        target = targets.get(key) or next((t for k, t in targets.items() if key.startswith(k)), None)
        out.append({"key": key, "value": value, "money": "cost" in key, "target": target})
    return out


def build_context(
    rows: list[dict[str, Any]],
    correlation: dict[str, Any] | None,
    *,
    threshold: float,
    figures: dict[str, bytes],
    colours: dict[str, str],
) -> dict[str, Any]:
    """Everything the template shows (see the module docstring: picked from rows and correlation)."""
    human = [r for r in rows if r["record_type"] == "human"]
    llm = [r for r in rows if r["record_type"] == "llm"]
    corr = correlation or {}
    entries = corr.get("providers") or {}
    models: dict[str, str | None] = {}
    for r in llm:
        models.setdefault(r["llm_metadata"]["provider"], r["llm_metadata"].get("model"))
    providers = [_provider_view(p, models.get(p), colours[p], entries.get(p)) for p in colours]
    design = _design_metrics(correlation)
    cards = [
        ("instances", fmt_count(len(human))),
        ("valid instances", fmt_count(sum(1 for r in human if r.get("valid_instance")))),
        ("providers", fmt_count(len(providers))),
        ("LLM attempts", fmt_count(len(llm))),
    ]
    by_key = {s["key"]: s["value"] for s in design}
    if "llm_patches_passing_validation" in by_key:
        cards.append(("patches passing validation", fmt_pct(by_key["llm_patches_passing_validation"])))
    if "cost_per_commit" in by_key:
        cards.append(("LLM cost per commit", fmt_money(by_key["cost_per_commit"])))
    pairs = [{k: p.get(k) for k in ("a", "b", "spearman", "p", "n")} for p in corr.get("between_providers") or []]
    return {
        "css": stylesheet(),
        "version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "threshold": threshold,
        "environment": next((r["environment"] for r in human if r.get("environment")), None),
        "timing_modes": sorted({r["timing_mode"] for r in human if r.get("timing_mode")}),
        "cards": [{"label": k, "value": v} for k, v in cards],
        "plots": [
            {
                "name": name,
                "alt": name.replace("_", " "),
                "wide": wide,
                "caption": caption,
                "src": "data:image/png;base64," + base64.b64encode(figures[name]).decode(),
            }
            for name, wide, caption in PLOTS
            if name in figures
        ],
        "has_correlation": correlation is not None,
        "correlation_generated_at": corr.get("generated_at"),
        "providers": providers,
        "instances": [_row_view(r, colours) for r in rows],
        # the held-out and asv columns, where some instance has a held-out workload or an asv suite
        "has_heldout": any(r.get("heldout_speedup") is not None for r in rows),
        "has_asv": any(r.get("asv_speedup") is not None for r in rows),
        "between_providers": pairs,
        "design_metrics": design,
        **_words(threshold),
    }


def _words(threshold: float) -> dict[str, Any]:
    """The definitions, statuses, labels and thresholds the page lists, as the deciding code has them
    (`words`)."""
    from isobench.config import ScoreConfig

    sc = ScoreConfig(match_threshold=threshold)
    return {
        "definitions": list(words.outcome_definitions().items()),
        "flag_definitions": list(words.flag_definitions().items()),
        "statuses": words.statuses(),
        "match_labels": words.match_labels(),
        "thresholds": words.thresholds(sc),
        "timing_rule": words.timing_rule(),
        "valid_instance": words.valid_instance(),
    }


def render(context: dict[str, Any]) -> str:
    return environment().get_template(TEMPLATE).render(context)


# --------------------------------------------------------------------------------------------------


def write_report(
    rows: list[dict[str, Any]],
    correlation: dict[str, Any] | None,
    out: Path,
    *,
    cfg: BenchConfig | None = None,
    state: State | None = None,
    secrets: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write `out/index.html` (CSS inlined, PNGs as data URIs) and `out/*.png`; with the `state`, the audit
    pages beside it (`audit`: one per attempt and per instance, the search index, the script), after
    refusing (`SecretLeakError`, nothing written) when a file they show holds one of `secrets`' values.

    Returns {"html": path of index.html, "plots": paths of the PNGs, "pages": pages written}.
    """
    if cfg is not None:
        threshold = cfg.score.match_threshold
    else:
        from isobench.config import ScoreConfig

        threshold = (correlation or {}).get("match_threshold") or ScoreConfig.model_fields["match_threshold"].default
    if state is not None:
        from isobench.report import pages

        pages.refuse_secrets(state, rows, secrets)
    out.mkdir(parents=True, exist_ok=True)
    names = _providers(rows, correlation)
    colours = plots.provider_colours(names)
    figures = {"speedup_scatter": plots.plot_speedup_scatter(rows, colours, threshold)}
    if correlation is not None:  # the per-provider figures draw correlate's entries, each with its name added
        entries = correlation.get("providers") or {}
        stats = [{**entries[p], "provider": p} for p in names if isinstance(entries.get(p), dict)]
        figures["opt_rate"] = plots.plot_opt_rate(stats, colours)
        figures["cost_success"] = plots.plot_cost_success(stats, colours)
    paths = []
    for name, png in figures.items():
        (out / f"{name}.png").write_bytes(png)
        paths.append(str(out / f"{name}.png"))
    context = build_context(rows, correlation, threshold=threshold, figures=figures, colours=colours)
    site = None
    if state is not None:
        from isobench.report import pages

        common = {k: context[k] for k in ("css", "version", "generated_at")}
        site = pages.write_site(environment(), common, state, rows, out)
        _link_rows(context, site)
    context["site"] = site
    atomic_write_text(out / "index.html", render(context))
    (out / "index.html").chmod(0o644)  # mkstemp's 0600 would keep a shared report from others
    return {"html": str(out / "index.html"), "plots": paths, "pages": len(site["attempts"]) if site else 0}


def _link_rows(context: dict[str, Any], site: dict[str, Any]) -> None:
    """Each instance-table row links to its page: an attempt's to its attempt page, the human's to the
    instance page."""
    href = {(a["iid"], a["provider"], a["n"]): a for a in site["attempts"]}
    for r in context["instances"]:
        if r["kind"] == "llm":
            a = href.get((r["instance_id"], r["provider"], r["attempt"]))
            r["href"] = a["href"] if a else None
            r["outcome"] = a["outcome"] if a else None
            r["flags"] = a["flags"] if a else []
        else:
            r["href"] = audit.instance_href(r["instance_id"])
