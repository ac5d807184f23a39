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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from pydantic import BaseModel

from isobench.errors import UserError
from isobench.export.schema import ExportRow
from isobench.records import ReviewVerdict, TestRun
from isobench.report import evidence, patches, plots, trajectory, words
from isobench.report.evidence import Flag, Sample, Samples
from isobench.report.patches import FileDiff
from isobench.report.trajectory import Step
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    from isobench.records import Attempt, Instance, InstanceScore, VariantScore
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


def outcome_key(row: ExportRow) -> str:
    """One word for an attempt's outcome, from its export row: `opt_strict` or its failure reason."""
    if row.opt_strict:
        return "opt_strict"
    return str(row.failure_reason or row.status or "not_scored")


def attempt_of(row: ExportRow) -> tuple[str, str, int]:
    """An llm row's attempt: (instance id, provider, attempt number)."""
    meta = row.llm_metadata
    if row.instance_id is None or meta is None or meta.provider is None or row.attempt is None:
        raise ValueError(f"an llm export row without its instance, provider or attempt: {row.instance_id}")
    return row.instance_id, meta.provider, row.attempt


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


class Review(TypedDict):
    """An attempt's model review as its page shows it: the verdict, each vote's fields, the record's others."""

    verdict: ReviewVerdict
    votes: list[dict[str, object]]
    fields: dict[str, object]


def review(state: State, iid: str, provider: str, n: int) -> Review | None:
    """The model review's record of an attempt (`State.review_record`), where it has one."""
    try:
        rec = state.review_record(iid, provider, n)
    except (KeyError, ValueError, OSError, UserError):
        return None
    if rec is None:
        return None
    data = rec.model_dump()
    return {
        "verdict": rec.verdict,
        "votes": [vote.model_dump() for vote in rec.votes],
        "fields": {k: v for k, v in data.items() if k not in ("verdict", "votes", "schema_version")},
    }


class VerdictLine(TypedDict):
    """One field of the outcome, with its definition (and its value before the integrity rules)."""

    label: str
    key: str
    value: object
    definition: str
    raw: NotRequired[object]


def _verdict(row: ExportRow, vs: VariantScore | None) -> list[VerdictLine]:
    """The outcome's fields with the outcome module's definitions."""
    o = vs.outcome if vs is not None else None
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
    raw = o.raw if o is not None else None  # the outcome before the integrity rules, where they changed it
    out: list[VerdictLine] = []
    for label, key in fields:
        value: object = getattr(o, key, None) if o is not None else getattr(row, key, None)
        entry: VerdictLine = {"label": label, "key": key, "value": value, "definition": defs.get(label, "")}
        if raw is not None:
            entry["raw"] = getattr(raw, key, None)
        out.append(entry)
    return out


class TimingRound(TypedDict):
    round: int
    cells: list[Sample | None]
    """Per variant shown, its sample of this round (None: it has none)."""


class Timing(TypedDict):
    """The samples of an instance's or an attempt's page: plots (inline SVG) and every round's table."""

    svg: str
    ratio_svg: str
    table: list[TimingRound]
    variants: list[str]


def timing_view(state: State, score: InstanceScore | None, name: str | None, samples: Samples) -> Timing:
    """The samples per variant (seconds per round) and, for `name`, its ratio plot against base."""
    if score is None or not samples:
        return {"svg": "", "ratio_svg": "", "table": [], "variants": []}
    shown = [v for v in ("base", "base_aa", "human") if v in samples] + ([name] if name and name in samples else [])
    if name is None:
        shown += [v for v in samples if v not in shown]
    others = [v for v in shown if v not in VARIANT_COLOURS]
    colours = {**VARIANT_COLOURS, **plots.provider_colours(others), **({name: ATTEMPT_COLOUR} if name else {})}
    series = {v: [(r, s["value_s"]) for r, s in sorted(samples[v].items()) if s["ok"]] for v in shown}
    svg = evidence.samples_svg(series, colours, "seconds per round")
    rsvg = ""
    if name:
        row = score.variants.get(name)
        rsvg = evidence.ratio_svg(
            evidence.ratios(samples, "base", name),
            row.speedup_ci if row is not None else None,
            score.decision_margin,
            "speedup per round (base / this attempt)",
            ATTEMPT_COLOUR,
        )
    rounds = sorted({r for v in shown for r in samples[v]})
    table: list[TimingRound] = [{"round": r, "cells": [samples[v].get(r) for v in shown]} for r in rounds]
    return {"svg": svg, "ratio_svg": rsvg, "table": table, "variants": shown}


def _estimate(x: BaseModel | None) -> dict[str, object] | None:
    """An estimate's figures (speedup, CI, decision, rho, error, advantage: those it has), for `est` on a page."""
    if x is None:
        return None
    d = x.model_dump()
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


class AsvRow(TypedDict):
    name: str
    status: str
    reason: str | None
    agent: dict[str, object] | None
    human: dict[str, object] | None


class AttemptView(TypedDict):
    """Everything an attempt page shows (`attempt.html.j2`'s `a`)."""

    iid: str
    provider: str
    n: int
    name: str
    """Its variant's name in score.json (`<provider>#<n>`)."""
    row: ExportRow
    record: Attempt | None
    status_group: str
    outcome: str
    verdict: list[VerdictLine]
    flags: list[Flag]
    timing: Timing
    estimate: dict[str, object] | None
    heldout: dict[str, object] | None
    human_heldout: dict[str, object] | None
    asv: dict[str, object] | None
    asv_rows: list[AsvRow]
    tests: list[TestRun]
    files: list[FileDiff]
    agent_patch_empty: bool
    test_edits: str
    human_test_patch: str
    prompt: str | None
    review: Review | None
    events_path: Path


def attempt_view(
    state: State, row: ExportRow, inst: Instance, score: InstanceScore | None, samples: Samples
) -> AttemptView:
    """Everything an attempt page shows (see the module docstring)."""
    iid, provider, n = attempt_of(row)
    rec = state.attempt_result(iid, provider, n)
    d = state.attempt_dir(iid, provider, n)
    name = f"{provider}#{n}"
    vs = score.variants.get(name) if score else None
    agent_patch = _read(d / (rec.model_patch if rec and rec.model_patch else "model_patch.diff"))
    test_edits = _read(d / (rec.test_edits if rec and rec.test_edits else "test_edits.diff"))
    asv_rows: list[AsvRow] = []
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
        "record": rec,
        "status_group": next((s["group"] for s in words.statuses() if s["name"] == row.status), ""),
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
        "tests": list(vs.tests) if vs is not None else [],
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


def write_steps(view: AttemptView, page: Path) -> tuple[list[Step], int]:
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


def search_entries(steps: list[Step]) -> list[tuple[int, str]]:
    """(step number, text) per step, each part cut to SEARCH_TEXT_LIMITS."""
    out = []
    for s in steps:
        fields: Mapping[str, object] = s
        text = "\n".join(str(fields.get(k))[:limit] for k, limit in SEARCH_TEXT_LIMITS.items() if fields.get(k))
        out.append((s["i"], text))
    return out


class StepTotals(TypedDict):
    """Counts over a trajectory (`step_totals`)."""

    steps: int
    tools: int
    errors: int
    edits: int
    commands: int
    wall_s: float
    has_metrics: bool


def step_totals(steps: list[Step]) -> StepTotals:
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


def write_search_index(out: Path, attempts: list[list[str]], entries: list[list[tuple[int, str]]]) -> None:
    """`search.js`: the attempts (href, label) and every step's searchable text, as one JS assignment."""
    data = json.dumps({"attempts": attempts, "steps": entries}, ensure_ascii=False, separators=(",", ":"))
    atomic_write_text(out / "search.js", f"window.ISOBENCH_SEARCH={data};\n")
