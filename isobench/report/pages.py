"""Writing the audit pages (`audit` gathers what they show): one per attempt, one per instance, the
search index and the script; and what the front page adds from them (the provider x instance matrix,
the attempts table with its filters).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isobench.errors import UserError
from isobench.report import audit, evidence, words
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.state import State

SCRIPT = "report.js"
FOLD_CHARS = 1500
"""Texts longer than this are folded on the page (a button shows all of them)."""


def _write_page(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, html)
    path.chmod(0o644)  # mkstemp's 0600 would keep a shared report from others


def _rel_root(href: str) -> str:
    return "../" * href.count("/")


def refuse_secrets(state: State, rows: list[dict[str, Any]], secrets: dict[str, str] | None) -> None:
    """Before any page is written: refuse when a file the pages show holds a credential's value."""
    if not secrets:
        return
    from isobench.export.secrets import SecretLeakError, scan_files_for_secrets

    files = []
    for r in rows:
        if r["record_type"] == "llm":
            files += audit.source_files(state, r["instance_id"], r["llm_metadata"]["provider"], int(r["attempt"]))
    hits = scan_files_for_secrets(files, secrets)
    if hits:
        where = ", ".join(sorted({f"{p.relative_to(state.root)} (${name})" for p, name in hits}))
        raise SecretLeakError(f"export refused: credential values found in {where}, which the report would show")


def _attempt_page(
    env: Any,
    common: dict[str, Any],
    state: State,
    row: dict[str, Any],
    inst: Any,
    score: Any,
    samples: dict[str, Any],
    out: Path,
) -> dict[str, Any]:
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


def _filters(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The filter menus: providers, outcomes and flags that occur."""
    return [
        {"key": "provider", "label": "provider", "options": sorted({a["provider"] for a in attempts})},
        {"key": "outcome", "label": "outcome", "options": sorted({a["outcome"] for a in attempts})},
        {"key": "flag", "label": "flag", "options": sorted({f for a in attempts for f in a["flags"]})},
    ]


def write_site(env: Any, common: dict[str, Any], state: State, rows: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    """Every attempt and instance page, the search index and the script. Returns what the front page adds:
    {attempts (one summary each), matrix, filters, pages (count)}."""
    by_iid: dict[str, list[dict[str, Any]]] = {}
    humans = {r["instance_id"]: r for r in rows if r["record_type"] == "human"}
    for r in rows:
        if r["record_type"] == "llm":
            by_iid.setdefault(r["instance_id"], []).append(r)
    attempts: list[dict[str, Any]] = []
    for iid, human in humans.items():
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
        [a.pop("search") for a in attempts],
    )
    (out / "assets").mkdir(parents=True, exist_ok=True)
    script = resources.files("isobench.report").joinpath("templates", SCRIPT).read_text(encoding="utf-8")
    _write_page(out / "assets" / SCRIPT, script)
    limits = [f"{audit.SEARCH_LABELS[k]} {n:,}" for k, n in audit.SEARCH_TEXT_LIMITS.items()]
    return {
        "attempts": attempts,
        "matrix": matrix(list(humans), attempts),
        "filters": _filters(attempts),
        "search_limits": limits,
    }


def matrix(iids: list[str], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    """Provider x instance: per cell the attempts (outcome, link), providers in first-seen order."""
    providers = list(dict.fromkeys(a["provider"] for a in attempts))
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in attempts:
        cells.setdefault((a["iid"], a["provider"]), []).append(a)
    return {
        "providers": providers,
        "rows": [
            {"iid": iid, "href": audit.instance_href(iid), "cells": [cells.get((iid, p), []) for p in providers]}
            for iid in iids
        ],
    }
