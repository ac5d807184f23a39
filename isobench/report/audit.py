"""The report's audit pages: one per attempt and one per instance, beside `index.html`.

    report/index.html                                  the front page (render.py), with the matrix
    report/instances/<iid>.html                        every provider's attempts on one instance
    report/attempts/<provider>/<iid>/<n>.html          one attempt: verdict, evidence, patches, trajectory
    report/attempts/<provider>/<iid>/<n>/steps-<k>.js  its trajectory, STEPS_PER_CHUNK steps per file
    report/search.js                                   the search index (loaded when a search starts)
    report/assets/report.js                            the pages' script (filters, search, lazy steps)

Every page is static: CSS inlined, one local script, no request beyond the folder, so it opens from
file:// or any static host. The trajectory is data (JS files that call `isobenchSteps(k, [...])`, loaded
by a <script> element, which file:// allows where fetch does not) rendered by the page in chunks as it
scrolls: a 10,000-event attempt opens as fast as a short one. Long texts are folded, never cut.

What is shown is read from the state: the attempt's record (`result.json`), its events, prompt and
patches, the instance's record and score.json, the timing samples; nothing is recomputed but the
per-round ratios drawn from the samples.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isobench.errors import UserError
from isobench.report import evidence, patches, plots, trajectory, words
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.records import Instance, InstanceScore
    from isobench.state import State

STEPS_PER_CHUNK = 200
"""Steps per trajectory data file: the page renders one chunk at a time as it scrolls."""

SEARCH_TEXT_LIMITS = {"tool": 200, "msg": 4000, "cmd": 4000, "args": 2000, "obs": 1000}
"""Characters of each part of a step the search index holds (the page itself shows everything)."""
SEARCH_LABELS = {"tool": "tool name", "msg": "message", "cmd": "command", "args": "arguments", "obs": "observation"}

VARIANT_COLOURS = {"base": "#555555", "base_aa": "#999999", "human": "#1a7f37"}
ATTEMPT_COLOUR = "#cf222e"


def seg(name: str) -> str:
    """A provider or instance id as one safe path segment (kept as it is when it already is one)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def attempt_href(iid: str, provider: str, n: int) -> str:
    """An attempt page's path, relative to the report folder (its stable deep link)."""
    return f"attempts/{seg(provider)}/{seg(iid)}/{n}.html"


def instance_href(iid: str) -> str:
    return f"instances/{seg(iid)}.html"


def outcome_key(row: dict[str, Any]) -> str:
    """One word for an attempt's outcome, from its export row: `opt_strict` or its failure reason."""
    if row.get("opt_strict"):
        return "opt_strict"
    return str(row.get("failure_reason") or row.get("status") or "not_scored")


def outcome_class(key: str) -> str:
    return "ok" if key == "opt_strict" else "na" if key in ("not_scored", "not_faster", "below_human") else "bad"


# --------------------------------------------------------------------------------------------------
# Reading one attempt


def source_files(state: State, iid: str, provider: str, n: int) -> list[Path]:
    """The state files an attempt page shows (for the secret scan before anything is written)."""
    d = state.attempt_dir(iid, provider, n)
    return [d / f for f in ("events.jsonl", "prompt.md", "model_patch.diff", "test_edits.diff", "result.json")]


def _prompt(state: State, iid: str, provider: str, n: int) -> str | None:
    for p in (state.attempt_dir(iid, provider, n) / "prompt.md", state.prepared_dir(iid, provider) / "prompt.md"):
        if p.is_file():
            return p.read_text(encoding="utf-8", errors="replace")
    return None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def review(state: State, iid: str, provider: str, n: int) -> dict[str, Any] | None:
    """The model review's record of an attempt, where `State.review_record` exists and has one."""
    get = getattr(state, "review_record", None)
    if not callable(get):
        return None
    try:
        rec = get(iid, provider, n)
    except (KeyError, ValueError, OSError, UserError):
        return None
    if rec is None:
        return None
    data = rec.model_dump() if hasattr(rec, "model_dump") else rec if isinstance(rec, dict) else {"record": str(rec)}
    raw_votes = data.get("votes")
    votes: list[Any] = raw_votes if isinstance(raw_votes, list) else []
    return {
        "verdict": data.get("verdict"),
        "votes": [v.model_dump() if hasattr(v, "model_dump") else v for v in votes],
        "fields": {k: v for k, v in data.items() if k not in ("verdict", "votes", "schema_version")},
    }


def _verdict(row: dict[str, Any], vs: Any) -> list[dict[str, Any]]:
    """The outcome's fields with the outcome module's definitions."""
    o = getattr(vs, "outcome", None)
    defs = words.outcome_definitions()
    fields = [
        ("valid patch", "valid_patch"),
        ("correct", "correct"),
        ("faster", "faster"),
        ("opt, strict", "opt_strict"),
        ("opt, GSO-compatible", "opt_gso"),
        ("beats human", "beats_human"),
        ("effective speedup", "effective_speedup"),
        ("effective rho", "effective_rho"),
        ("match label", "match_label"),
        ("failure reason", "failure_reason"),
    ]
    raw = getattr(o, "raw", None)  # the outcome before the integrity rules, where they changed it
    out = []
    for label, key in fields:
        value = getattr(o, key, None) if o is not None else row.get(key)
        entry = {"label": label, "key": key, "value": value, "definition": defs.get(label, "")}
        if raw is not None:
            entry["raw"] = getattr(raw, key, None)
        out.append(entry)
    return out


def timing_view(state: State, score: InstanceScore | None, name: str | None, samples: dict[str, Any]) -> dict[str, Any]:
    """The samples per variant (seconds per round) and, for `name`, its ratio plot against base."""
    if score is None or not samples:
        return {"svg": "", "ratio_svg": "", "table": [], "variants": []}
    shown = [v for v in ("base", "base_aa", "human") if v in samples] + ([name] if name and name in samples else [])
    if name is None:
        shown += [v for v in samples if v not in shown]
    others = [v for v in shown if v not in VARIANT_COLOURS]
    colours = {**VARIANT_COLOURS, **plots.provider_colours(others), **({name: ATTEMPT_COLOUR} if name else {})}
    series = {v: [(r, s["value_s"]) for r, s in sorted(samples[v].items()) if s.get("ok")] for v in shown}
    svg = evidence.samples_svg(series, colours, "seconds per round")
    rsvg = ""
    if name:
        row = score.variants.get(name)
        rsvg = evidence.ratio_svg(
            evidence.ratios(samples, "base", name),
            getattr(row, "speedup_ci", None),
            score.decision_margin,
            "speedup per round (base / this attempt)",
            ATTEMPT_COLOUR,
        )
    rounds = sorted({r for v in shown for r in samples[v]})
    table = [{"round": r, "cells": [samples[v].get(r) for v in shown]} for r in rounds]
    return {"svg": svg, "ratio_svg": rsvg, "table": table, "variants": shown}


def _estimate(x: Any) -> dict[str, Any] | None:
    if x is None:
        return None
    d = x.model_dump() if hasattr(x, "model_dump") else dict(x)
    return {
        k: d.get(k)
        for k in (
            "speedup",
            "speedup_ci",
            "classification",
            "p_faster",
            "rho",
            "rho_ci",
            "error",
            "advantage",
            "advantage_ci",
        )
        if k in d
    }


def attempt_view(
    state: State, row: dict[str, Any], inst: Instance, score: InstanceScore | None, samples: dict[str, Any]
) -> dict[str, Any]:
    """Everything an attempt page shows (see the module docstring)."""
    iid, provider, n = row["instance_id"], row["llm_metadata"]["provider"], int(row["attempt"])
    rec = state.attempt_result(iid, provider, n)
    d = state.attempt_dir(iid, provider, n)
    name = f"{provider}#{n}"
    vs = score.variants.get(name) if score else None
    agent_patch = _read(d / (rec.model_patch if rec and rec.model_patch else "model_patch.diff"))
    test_edits = _read(d / (rec.test_edits if rec and rec.test_edits else "test_edits.diff"))
    asv_rows = []
    if score is not None and score.asv is not None:
        for b in score.asv.benchmarks:
            asv_rows.append(
                {
                    "name": b.name,
                    "status": b.status,
                    "reason": b.reason,
                    "agent": _estimate(b.estimates.get(name)),
                    "human": _estimate(b.estimates.get("human")),
                }
            )
    return {
        "iid": iid,
        "provider": provider,
        "n": n,
        "name": name,
        "row": row,
        "record": rec.model_dump() if rec else None,
        "status_group": next((s["group"] for s in words.statuses() if s["name"] == row.get("status")), ""),
        "outcome": outcome_key(row),
        "verdict": _verdict(row, vs),
        "flags": evidence.flags(vs, score, samples, name) if vs is not None else [],
        "timing": timing_view(state, score, name, samples),
        "estimate": _estimate(vs) if vs is not None and vs.speedup is not None else None,
        "heldout": _estimate(vs.heldout) if vs is not None and vs.heldout else None,
        "human_heldout": _estimate(score.variants["human"].heldout)
        if score and "human" in score.variants and score.variants["human"].heldout
        else None,
        "asv": _estimate(vs.asv) if vs is not None and vs.asv else None,
        "asv_rows": asv_rows,
        "tests": [t.model_dump() for t in vs.tests] if vs is not None else [],
        "files": patches.compare(agent_patch, inst.patch),
        "agent_patch_empty": not agent_patch.strip(),
        "test_edits": test_edits,
        "human_test_patch": inst.test_patch,
        "prompt": _prompt(state, iid, provider, n),
        "review": review(state, iid, provider, n),
        "events_path": d / (rec.events_log if rec else "events.jsonl"),
    }


# --------------------------------------------------------------------------------------------------
# Writing


def write_steps(view: dict[str, Any], page: Path) -> tuple[list[dict[str, Any]], int]:
    """The trajectory's data files beside the page; returns (its steps, the number of chunk files)."""
    steps = trajectory.steps(trajectory.read_events(view["events_path"]))
    folder = page.with_suffix("")
    folder.mkdir(parents=True, exist_ok=True)
    chunks = max(1, -(-len(steps) // STEPS_PER_CHUNK))
    for k in range(chunks):
        part = steps[k * STEPS_PER_CHUNK : (k + 1) * STEPS_PER_CHUNK]
        data = json.dumps(part, ensure_ascii=False, separators=(",", ":"))
        atomic_write_text(folder / f"steps-{k}.js", f"isobenchSteps({k},{data});\n")
    return steps, chunks


def search_entries(steps: list[dict[str, Any]]) -> list[list[Any]]:
    """[step number, text] per step, each part cut to SEARCH_TEXT_LIMITS."""
    out = []
    for s in steps:
        text = "\n".join(str(s.get(k))[:limit] for k, limit in SEARCH_TEXT_LIMITS.items() if s.get(k))
        out.append([s["i"], text])
    return out


def step_totals(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over the trajectory: steps, tool calls, errors, edits, commands, wall time, metrics seen."""
    return {
        "steps": len(steps),
        "tools": sum(1 for s in steps if s["kind"] == "tool"),
        "errors": sum(1 for s in steps if s.get("err")),
        "edits": sum(1 for s in steps if s.get("diff")),
        "commands": sum(1 for s in steps if s.get("cmd")),
        "wall_s": round(sum(s.get("dt") or 0 for s in steps), 1),
        "has_metrics": any("cum_cost" in s for s in steps),
    }


def write_search_index(out: Path, attempts: list[list[str]], entries: list[list[Any]]) -> None:
    """`search.js`: the attempts (href, label) and every step's searchable text, as one JS assignment."""
    data = json.dumps({"attempts": attempts, "steps": entries}, ensure_ascii=False, separators=(",", ":"))
    atomic_write_text(out / "search.js", f"window.ISOBENCH_SEARCH={data};\n")
