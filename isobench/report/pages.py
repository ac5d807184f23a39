"""Writing the audit pages (`audit` gathers what they show): one per attempt, one per instance, the
search index and the script; and what the front page adds from them (the provider x instance matrix,
the attempts table with its filters).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from jinja2 import Environment
from markupsafe import Markup

from isobench.errors import UserError
from isobench.export.schema import ExportRow
from isobench.report import audit, evidence, words
from isobench.report.evidence import Samples
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.records import Instance, InstanceScore
    from isobench.state import State

SCRIPT = "report.js"
FOLD_CHARS = 1500
"""Texts longer than this are folded on the page (a button shows all of them)."""


def _write_page(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, html)
    path.chmod(0o644)  # mkstemp's 0600 would keep a shared report from others


class Common(TypedDict):
    """What every page shows: the inlined stylesheet, isobench's version, when the report was made."""

    css: Markup
    version: str
    generated_at: str


class AttemptSummary(TypedDict):
    """An attempt as the front page's matrix and table and its instance's page list it."""

    iid: str
    provider: str
    n: int
    href: str
    row: ExportRow
    outcome: str
    flags: list[str]
    files_both: int
    files_agent_only: int
    files_human_only: int
    search: NotRequired[list[tuple[int, str]]]
    """Its steps' searchable text, until `write_site` moves it into the search index."""


class Filter(TypedDict):
    key: str
    label: str
    options: list[str]


class MatrixRow(TypedDict):
    iid: str
    href: str
    cells: list[list[AttemptSummary]]
    """Per provider (in `Matrix.providers` order), its attempts on this instance."""


class Matrix(TypedDict):
    providers: list[str]
    rows: list[MatrixRow]


class Site(TypedDict):
    """What the audit pages add to the front page (`write_site`)."""

    attempts: list[AttemptSummary]
    matrix: Matrix
    filters: list[Filter]
    search_limits: list[str]


def _rel_root(href: str) -> str:
    return "../" * href.count("/")


def refuse_secrets(state: State, rows: Sequence[ExportRow], secrets: dict[str, str] | None) -> None:
    """Before any page is written: refuse when a file the pages show holds a credential's value."""
    if not secrets:
        return
    from isobench.export.secrets import SecretLeakError, scan_files_for_secrets

    files = []
    for r in rows:
        if r.record_type == "llm":
            files += audit.source_files(state, *audit.attempt_of(r))
    hits = scan_files_for_secrets(files, secrets)
    if hits:
        where = ", ".join(sorted({f"{p.relative_to(state.root)} (${name})" for p, name in hits}))
        raise SecretLeakError(f"export refused: credential values found in {where}, which the report would show")


def _attempt_page(
    env: Environment,
    common: Common,
    state: State,
    row: ExportRow,
    inst: Instance,
    score: InstanceScore | None,
    samples: Samples,
    out: Path,
) -> AttemptSummary:
    view = audit.attempt_view(state, row, inst, score, samples)
    href = audit.attempt_href(view["iid"], view["provider"], view["n"])
    page = out / href
    steps, chunks = audit.write_steps(view, page)
    html = env.get_template("attempt.html.j2").render(
        **common,
        root=_rel_root(href),
        a=view,
        score=score,
        instance_href=audit.instance_href(view["iid"]),
        steps_base=page.with_suffix("").name + "/",
        chunks=chunks,
        per=audit.STEPS_PER_CHUNK,
        fold=FOLD_CHARS,
        totals=audit.step_totals(steps),
        timing_rule=words.timing_rule(),
    )
    _write_page(page, html)
    vs = score.variants.get(view["name"]) if score else None
    whos = [f["who"] for f in view["files"]]
    return {
        "iid": view["iid"],
        "provider": view["provider"],
        "n": view["n"],
        "href": href,
        "row": row,
        "outcome": view["outcome"],
        "flags": evidence.flag_names(vs) if vs is not None else [],
        "files_both": whos.count("both"),
        "files_agent_only": whos.count("agent only"),
        "files_human_only": whos.count("human only"),
        "search": audit.search_entries(steps),
    }


def _filters(attempts: list[AttemptSummary]) -> list[Filter]:
    """The filter menus: providers, outcomes and flags that occur."""
    return [
        {"key": "provider", "label": "provider", "options": sorted({a["provider"] for a in attempts})},
        {"key": "outcome", "label": "outcome", "options": sorted({a["outcome"] for a in attempts})},
        {"key": "flag", "label": "flag", "options": sorted({f for a in attempts for f in a["flags"]})},
    ]


def write_site(env: Environment, common: Common, state: State, rows: Sequence[ExportRow], out: Path) -> Site:
    """Every attempt and instance page, the search index and the script. Returns what the front page adds:
    {attempts (one summary each), matrix, filters, search_limits}."""
    by_iid: dict[str | None, list[ExportRow]] = {}
    humans = {r.instance_id: r for r in rows if r.record_type == "human"}
    for r in rows:
        if r.record_type == "llm":
            by_iid.setdefault(r.instance_id, []).append(r)
    attempts: list[AttemptSummary] = []
    for iid, human in humans.items():
        if iid is None:
            continue  # a human row names its instance (`export.rows`)
        try:
            inst = state.instance(iid)
        except UserError:
            continue
        score = state.score_record(iid)
        run_id = score.measurement.run_id if score and score.measurement else None
        samples = evidence.read_samples(state.score_dir(iid) / "samples.jsonl", run_id) if score else {}
        mine = [_attempt_page(env, common, state, r, inst, score, samples, out) for r in by_iid.get(iid, [])]
        attempts += mine
        href = audit.instance_href(iid)
        timing = audit.timing_view(state, score, None, samples)
        html = env.get_template("instance.html.j2").render(
            **common,
            root=_rel_root(href),
            i={"iid": iid, "inst": inst, "human": human, "attempts": mine, "timing": timing},
            score=score,
            filters=_filters(mine),
        )
        _write_page(out / href, html)
    audit.write_search_index(
        out,
        [[a["href"], f"{a['iid']} · {a['provider']} #{a['n']}"] for a in attempts],
        [a.pop("search", []) for a in attempts],
    )
    (out / "assets").mkdir(parents=True, exist_ok=True)
    script = resources.files("isobench.report").joinpath("templates", SCRIPT).read_text(encoding="utf-8")
    _write_page(out / "assets" / SCRIPT, script)
    limits = [f"{audit.SEARCH_LABELS[k]} {n:,}" for k, n in audit.SEARCH_TEXT_LIMITS.items()]
    return {
        "attempts": attempts,
        "matrix": matrix([iid for iid in humans if iid is not None], attempts),
        "filters": _filters(attempts),
        "search_limits": limits,
    }


def matrix(iids: list[str], attempts: list[AttemptSummary]) -> Matrix:
    """Provider x instance: per cell the attempts (outcome, link), providers in first-seen order."""
    providers = list(dict.fromkeys(a["provider"] for a in attempts))
    cells: dict[tuple[str, str], list[AttemptSummary]] = {}
    for a in attempts:
        cells.setdefault((a["iid"], a["provider"]), []).append(a)
    return {
        "providers": providers,
        "rows": [
            {"iid": iid, "href": audit.instance_href(iid), "cells": [cells.get((iid, p), []) for p in providers]}
            for iid in iids
        ],
    }
