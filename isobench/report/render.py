"""The report's page: the template context (what each table and plot shows) and its rendering.

Nothing is computed here. Each number shown is a field of an export row (`ExportRow`: one `human` row per
instance, one `llm` row per attempt) or of `correlate`'s output (`Correlation`: its `providers[name]`,
`between_providers`, `design_metrics`); this module only picks, orders and formats them into the view
models below (what the template gets). Without a
correlation the page shows what the rows alone give (the speedup scatter and the instance table) and
says to run `isobench correlate` for the per-provider aggregates.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NotRequired, TypedDict

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from isobench import __version__
from isobench.export.schema import ExportRow
from isobench.jsontypes import number, obj
from isobench.records import Correlation, ProviderMetrics
from isobench.report import audit, evidence, plots, words
from isobench.report.pages import AttemptSummary, Common, Site
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.config import BenchConfig
    from isobench.state import State

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


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


def _missing(x: object) -> bool:
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


def is_interval(ci: object) -> bool:
    """A [low, high] pair with both ends known."""
    return isinstance(ci, list | tuple) and len(ci) == 2 and not any(_missing(v) for v in ci)


def fmt_words(x: object) -> str:
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
# The context: view models (what the template reads), picked from the rows and the correlation


class ProviderHead(TypedDict):
    provider: str
    model: str | None
    colour: str
    known: bool
    """`correlate` has this provider's figures (the fields below; without them the page says so)."""


class ProviderView(ProviderHead, total=False):
    """A provider's row of the front page's tables: `correlate`'s figures (`ProviderMetrics`)."""

    attempts: int
    instances: int
    headline_instances: int
    k: int
    valid_patches: int
    correct: int
    faster_than_base: int
    opt_successes: int
    opt1_strict: float | None
    opt1_strict_ci: list[float] | None
    opt1_gso: float | None
    opt1_gso_ci: list[float] | None
    optk_strict: float | None
    optk_gso: float | None
    speedup_gmean: float | None
    speedup_gmean_ci: list[float] | None
    speedup_median: float | None
    speedup_median_ci: list[float] | None
    rho_gmean: float | None
    rho_gmean_ci: list[float] | None
    rho_median: float | None
    rho_median_ci: list[float] | None
    total_cost_usd: float
    cost_per_instance: float | None
    cost_per_success: float | None
    mean_wall_s: float | None
    mean_iterations: float | None
    failure_reasons: list[tuple[str, int]]
    """(reason, attempts), by reason."""
    spearman_vs_human: dict[str, object]
    """rho, p and n."""
    solved: list[str]


class RowCommon(TypedDict):
    instance_id: str | None
    status: str | None
    error: str | None
    correct: bool | None
    speedup: float | None
    speedup_ci: list[float] | None
    heldout_speedup: float | None
    heldout_speedup_ci: list[float] | None
    asv_speedup: float | None
    asv_speedup_ci: list[float] | None
    asv_advantage: float | None
    asv_advantage_ci: list[float] | None


class HumanRowView(RowCommon):
    """An instance's human row in the instance table."""

    kind: Literal["human"]
    valid: bool | None
    invalid_reason: str | None
    noisy: bool | None
    noisy_reason: str | None
    head: str
    href: NotRequired[str]
    """Its instance page (with the audit pages)."""


class LlmRowView(RowCommon):
    """An attempt's row in the instance table."""

    kind: Literal["llm"]
    provider: str | None
    colour: str
    attempt: int | None
    patch_empty: bool | None
    build: str | None
    rho: float | None
    rho_ci: list[float] | None
    opt_strict: bool | None
    opt_gso: bool | None
    failure_reason: str | None
    cost_usd: float | None
    iterations: int | None
    time_seconds: int | None
    tokens_in: int | None
    tokens_out: int | None
    href: NotRequired[str | None]
    """With the audit pages: its attempt page, its outcome and flags (`_link_rows`)."""
    outcome: NotRequired[str | None]
    flags: NotRequired[list[str]]


RowView = HumanRowView | LlmRowView


class DesignMetric(TypedDict):
    key: str
    value: object
    money: bool
    target: object


class Card(TypedDict):
    label: str
    value: str


class Plot(TypedDict):
    name: str
    alt: str
    wide: bool
    caption: str
    src: str


class Words(TypedDict):
    """The definitions, statuses, labels and thresholds the page lists (`words`)."""

    definitions: list[tuple[str, str]]
    flag_definitions: list[tuple[str, str]]
    statuses: list[words.Status]
    match_labels: list[str]
    thresholds: list[words.Threshold]
    timing_rule: str
    valid_instance: str


class Context(Common, Words):
    """Everything the front page shows (`report.html.j2`'s context)."""

    threshold: float
    environment: dict[str, object] | None
    """The first scored instance's machine (`Environment`'s fields)."""
    timing_modes: list[str]
    cards: list[Card]
    plots: list[Plot]
    has_correlation: bool
    correlation_generated_at: str | None
    providers: list[ProviderView]
    instances: list[RowView]
    has_heldout: bool
    has_asv: bool
    between_providers: list[dict[str, object]]
    design_metrics: list[DesignMetric]
    site: NotRequired[Site | None]
    """What the audit pages add (with the state), else None."""


def _provider(r: ExportRow) -> str | None:
    return r.llm_metadata.provider if r.llm_metadata is not None else None


def _providers(rows: Sequence[ExportRow], correlation: Correlation | None) -> list[str]:
    """Provider names: in the rows' order, then any only `correlate` knows."""
    names = [p for r in rows if r.record_type == "llm" and (p := _provider(r)) is not None]
    names += list(correlation.providers if correlation is not None else [])
    return list(dict.fromkeys(names))


def _provider_view(name: str, model: str | None, colour: str, m: ProviderMetrics | None) -> ProviderView:
    head: ProviderView = {"provider": name, "model": model, "colour": colour, "known": m is not None}
    if m is None:
        return head
    return {
        **head,
        "attempts": m.attempts,
        "instances": m.instances,
        "headline_instances": m.headline_instances,
        "k": m.k,
        "valid_patches": m.valid_patches,
        "correct": m.correct,
        "faster_than_base": m.faster_than_base,
        "opt_successes": m.opt_successes,
        "opt1_strict": m.opt1_strict,
        "opt1_strict_ci": m.opt1_strict_ci,
        "opt1_gso": m.opt1_gso,
        "opt1_gso_ci": m.opt1_gso_ci,
        "optk_strict": m.optk_strict,
        "optk_gso": m.optk_gso,
        "speedup_gmean": m.speedup_gmean,
        "speedup_gmean_ci": m.speedup_gmean_ci,
        "speedup_median": m.speedup_median,
        "speedup_median_ci": m.speedup_median_ci,
        "rho_gmean": m.rho_gmean,
        "rho_gmean_ci": m.rho_gmean_ci,
        "rho_median": m.rho_median,
        "rho_median_ci": m.rho_median_ci,
        "total_cost_usd": m.total_cost_usd,
        "cost_per_instance": m.cost_per_instance,
        "cost_per_success": m.cost_per_success,
        "mean_wall_s": m.mean_wall_s,
        "mean_iterations": m.mean_iterations,
        "failure_reasons": sorted(m.failure_reasons.items()),
        "spearman_vs_human": {k: m.spearman_vs_human.get(k) for k in ("rho", "p", "n")},
        "solved": list(m.solved),
    }


def _row_view(r: ExportRow, colours: dict[str, str]) -> RowView:
    if r.record_type == "human":
        return {
            "kind": "human",
            "instance_id": r.instance_id,
            "status": r.status,
            "error": r.error,
            "correct": r.correct,
            "speedup": r.speedup,
            "speedup_ci": r.speedup_ci,
            "heldout_speedup": r.heldout_speedup,
            "heldout_speedup_ci": r.heldout_speedup_ci,
            "asv_speedup": r.asv_speedup,
            "asv_speedup_ci": r.asv_speedup_ci,
            "asv_advantage": r.asv_advantage,
            "asv_advantage_ci": r.asv_advantage_ci,
            "valid": r.valid_instance,
            "invalid_reason": r.invalid_reason,
            "noisy": r.noisy,
            "noisy_reason": r.noisy_reason,
            "head": (r.head_commit or "")[:10],
        }
    m = r.llm_metadata
    tok = r.tokens
    # The scorer's outcome columns; rows from before they existed show the match labels instead.
    return {
        "kind": "llm",
        "instance_id": r.instance_id,
        "status": r.status,
        "error": r.error,
        "correct": r.correct,
        "speedup": r.speedup,
        "speedup_ci": r.speedup_ci,
        "heldout_speedup": r.heldout_speedup,
        "heldout_speedup_ci": r.heldout_speedup_ci,
        "asv_speedup": r.asv_speedup,
        "asv_speedup_ci": r.asv_speedup_ci,
        "asv_advantage": r.asv_advantage,
        "asv_advantage_ci": r.asv_advantage_ci,
        "provider": _provider(r),
        "colour": colours.get(_provider(r) or "", "#888888"),
        "attempt": r.attempt,
        "patch_empty": r.patch_empty,
        "build": r.build,
        "rho": r.rho,
        "rho_ci": r.rho_ci,
        "opt_strict": r.matches_human if r.opt_strict is None else r.opt_strict,
        "opt_gso": r.matches_human_gso if r.opt_gso is None else r.opt_gso,
        "failure_reason": r.failure_reason,
        "cost_usd": m.cost_usd if m is not None else None,
        "iterations": m.iterations if m is not None else None,
        "time_seconds": m.time_seconds if m is not None else None,
        "tokens_in": tok.prompt if tok is not None else None,
        "tokens_out": tok.completion if tok is not None else None,
    }


def _design_metrics(correlation: Correlation | None) -> list[DesignMetric]:
    """correlate's `design_metrics` (the original design's success metrics) with their targets, as (name, value,
    target) rows."""
    sm: Mapping[str, object] = correlation.design_metrics if correlation is not None else {}
    targets = obj(sm.get("targets"))
    out: list[DesignMetric] = []
    for key, value in sm.items():
        if key == "targets":
            continue
        target = targets.get(key) or next((t for k, t in targets.items() if key.startswith(k)), None)
        out.append({"key": key, "value": value, "money": "cost" in key, "target": target})
    return out


def build_context(
    rows: Sequence[ExportRow],
    correlation: Correlation | None,
    *,
    threshold: float,
    figures: dict[str, bytes],
    colours: dict[str, str],
) -> Context:
    """Everything the template shows (see the module docstring: picked from rows and correlation)."""
    human = [r for r in rows if r.record_type == "human"]
    llm = [r for r in rows if r.record_type == "llm"]
    entries = correlation.providers if correlation is not None else {}
    models: dict[str | None, str | None] = {}
    for r in llm:
        models.setdefault(_provider(r), r.llm_metadata.model if r.llm_metadata is not None else None)
    providers = [_provider_view(p, models.get(p), colours[p], entries.get(p)) for p in colours]
    design = _design_metrics(correlation)
    cards = [
        ("instances", fmt_count(len(human))),
        ("valid instances", fmt_count(sum(1 for r in human if r.valid_instance))),
        ("providers", fmt_count(len(providers))),
        ("LLM attempts", fmt_count(len(llm))),
    ]
    by_key = {s["key"]: s["value"] for s in design}
    if "llm_patches_passing_validation" in by_key:
        cards.append(("patches passing validation", fmt_pct(number(by_key["llm_patches_passing_validation"]))))
    if "cost_per_commit" in by_key:
        cards.append(("LLM cost per commit", fmt_money(number(by_key["cost_per_commit"]))))
    pairs: list[dict[str, object]] = [
        {k: p.get(k) for k in ("a", "b", "spearman", "p", "n")}
        for p in (correlation.between_providers if correlation is not None else [])
    ]
    w = _words(threshold)
    return Context(
        css=stylesheet(),
        version=__version__,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        threshold=threshold,
        environment=next((r.environment.model_dump() for r in human if r.environment), None),
        timing_modes=sorted({r.timing_mode for r in human if r.timing_mode}),
        cards=[{"label": k, "value": v} for k, v in cards],
        plots=[
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
        has_correlation=correlation is not None,
        correlation_generated_at=correlation.generated_at if correlation is not None else None,
        providers=providers,
        instances=[_row_view(r, colours) for r in rows],
        # the held-out and asv columns, where some instance has a held-out workload or an asv suite
        has_heldout=any(r.heldout_speedup is not None for r in rows),
        has_asv=any(r.asv_speedup is not None for r in rows),
        between_providers=pairs,
        design_metrics=design,
        definitions=w["definitions"],
        flag_definitions=w["flag_definitions"],
        statuses=w["statuses"],
        match_labels=w["match_labels"],
        thresholds=w["thresholds"],
        timing_rule=w["timing_rule"],
        valid_instance=w["valid_instance"],
    )


def _words(threshold: float) -> Words:
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


def render(context: Context) -> str:
    return environment().get_template(TEMPLATE).render(context)


# --------------------------------------------------------------------------------------------------


class Written(TypedDict):
    """What `write_report` wrote."""

    html: str
    """index.html's path."""
    plots: list[str]
    """The PNGs' paths."""
    pages: int
    """Attempt pages written (0 without the state)."""


def write_report(
    rows: Sequence[ExportRow],
    correlation: Correlation | None,
    out: Path,
    *,
    cfg: BenchConfig | None = None,
    state: State | None = None,
    secrets: dict[str, str] | None = None,
) -> Written:
    """Write `out/index.html` (CSS inlined, PNGs as data URIs) and `out/*.png`; with the `state`, the audit
    pages beside it (`audit`: one per attempt and per instance, the search index, the script), after
    refusing (`SecretLeakError`, nothing written) when a file they show holds one of `secrets`' values.

    Returns {"html": path of index.html, "plots": paths of the PNGs, "pages": pages written}.
    """
    return _write(list(rows), correlation, out, cfg=cfg, state=state, secrets=secrets)


def _write(
    rows: list[ExportRow],
    correlation: Correlation | None,
    out: Path,
    *,
    cfg: BenchConfig | None,
    state: State | None,
    secrets: dict[str, str] | None,
) -> Written:
    if cfg is not None:
        threshold = cfg.score.match_threshold
    else:
        from isobench.config import ScoreConfig

        default: float = ScoreConfig.model_fields["match_threshold"].default
        threshold = (correlation.match_threshold if correlation is not None else None) or default
    if state is not None:
        from isobench.report import pages

        pages.refuse_secrets(state, rows, secrets)
    out.mkdir(parents=True, exist_ok=True)
    names = _providers(rows, correlation)
    colours = plots.provider_colours(names)
    figures = {"speedup_scatter": plots.plot_speedup_scatter(rows, colours, threshold)}
    if correlation is not None:  # the per-provider figures draw correlate's entries, each with its name
        entries = correlation.providers
        stats = [(p, entries[p]) for p in names if p in entries]
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

        common: Common = {"css": context["css"], "version": context["version"], "generated_at": context["generated_at"]}
        site = pages.write_site(environment(), common, state, rows, out)
        _link_rows(context, site)
    context["site"] = site
    atomic_write_text(out / "index.html", render(context))
    (out / "index.html").chmod(0o644)  # mkstemp's 0600 would keep a shared report from others
    return {"html": str(out / "index.html"), "plots": paths, "pages": len(site["attempts"]) if site else 0}


def _link_rows(context: Context, site: Site) -> None:
    """Each instance-table row links to its page: an attempt's to its attempt page, the human's to the
    instance page."""
    href: dict[tuple[str | None, str | None, int | None], AttemptSummary]
    href = {(a["iid"], a["provider"], a["n"]): a for a in site["attempts"]}
    for r in context["instances"]:
        if r["kind"] == "llm":
            a = href.get((r["instance_id"], r["provider"], r["attempt"]))
            r["href"] = a["href"] if a else None
            r["outcome"] = a["outcome"] if a else None
            r["flags"] = a["flags"] if a else []
        elif r["instance_id"] is not None:
            r["href"] = audit.instance_href(r["instance_id"])
