"""`export`: the benchmark as a Hugging Face dataset, SWE-bench-style predictions and an HTML report.

One row per planned instance for the human commit (`record_type` "human") and one row per recorded
LLM attempt (`record_type` "llm"), in the seed's `CanonicalRecord` shape (with its `LLMMetadata`
struct) plus the measured columns (speedup, correctness, rho, match labels, ...). The schema is one
explicit `datasets.Features`, so empty or all-null columns never change a column's type and the
on-disk, parquet and jsonl copies reload to the same rows.

Only reads the state directory (no lock): every record it reads was written atomically.
Nothing secret is exported: rows are checked before anything is written, and every written file
afterwards, for the values of the API-key and token variables in the environment.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.state import State, atomic_write_text, read_record, remove_tree

FORMATS = ("disk", "parquet", "jsonl")
"""disk: `save_to_disk(OUT/dataset)`; parquet: `OUT/data.parquet`; jsonl: `OUT/data.jsonl`."""

TOKEN_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
"""Where `--push-to-hub` finds the Hugging Face token (never written anywhere)."""

MIN_SECRET_LEN = 9
"""Shorter values are not scanned for: "true", "1" or a short id would match everywhere."""

JSONL_DOUBLE_PRECISION = 15
"""Decimal places of floats in data.jsonl (pandas' maximum; its default of 10 would round timings)."""


class SecretLeakError(UserError):
    """The value of an API-key / token variable was found in what export writes. Never shows the value."""


# --------------------------------------------------------------------------------------------------
# The schema: one list drives the `datasets.Features` and the dataset card, so every column is documented.


def _columns() -> list[tuple[str, Any, str]]:
    """(name, feature, description) of every column, in order."""
    import datasets as hf

    s, f, i, b = hf.Value("string"), hf.Value("float64"), hf.Value("int64"), hf.Value("bool")
    strings, floats = hf.List(s), hf.List(f)
    return [
        # --- the seed's CanonicalRecord ---------------------------------------------------------
        ("repo", s, "Repository name (the task's repo)."),
        ("instance_id", s, "Instance id (`<repo>-<head commit prefix>`), shared by its human and llm rows."),
        ("created_at", s, "When the human commit was made (ISO 8601)."),
        ("base_commit", s, "The commit every variant starts from (the human commit's parent by default)."),
        (
            "head_commit",
            s,
            "The human optimization commit. On llm rows too: the reference the attempt is "
            "measured against (the attempt's own work is `patch`).",
        ),
        (
            "patch",
            s,
            "Code patch against `base_commit`: the human's (human rows) or the agent's model patch "
            "with its test edits removed (llm rows; empty if it changed nothing).",
        ),
        ("test_patch", s, "The human commit's test/benchmark changes, applied to every variant for testing."),
        ("efficiency_test", strings, "Shell commands whose run is the timed workload."),
        (
            "duration_changes",
            hf.List({"base": floats, "human": floats, "llm": floats}),
            "Raw timing samples in seconds, one per timed round (score's samples.jsonl, successful timed rounds "
            "of the last measurement, in round order), as a one-element list of {variant: [seconds...]}: `base` "
            "and `human` on every row, `llm` (this attempt, variant `<provider>#<attempt>`) on llm rows, null "
            "where the variant was not timed. Empty when the instance was not scored.",
        ),
        ("human_performance", f, "The human commit's speedup over base (same on every row of an instance)."),
        ("patch_functions", strings, "Functions/classes `patch` touches (hunk headers and added defs)."),
        ("test_functions", strings, "Test functions the human's `test_patch` adds."),
        ("api", s, "The API the workload exercises, if the task names one."),
        ("gt_commit_message", s, "The human commit's message (ground truth; never shown to agents)."),
        ("setup_commands", strings, "Commands run in each variant's copy before install."),
        ("install_commands", strings, "Commands that install a variant into its own venv."),
        ("notes", s, "Free-form notes from the task file."),
        ("record_type", s, "`human` (the human commit) or `llm` (one agent attempt)."),
        (
            "llm_metadata",
            {
                "provider": s,
                "model": s,
                "iterations": i,
                "cost_usd": f,
                "time_seconds": i,
                "success": b,
                "human_reference_commit": s,
                "agent_branch": s,
            },
            "The seed's LLMMetadata; null on human rows.",
        ),
        # --- measured columns (every row) ----------------------------------------------------------
        ("attempt", i, "Attempt number of the (instance, provider) pair, from 1; null on human rows."),
        (
            "speedup",
            f,
            "Speedup over base: base time / variant time, paired per round (null if not "
            "measured). On llm rows it is measured even for an incorrect patch: check `correct`.",
        ),
        ("speedup_ci", floats, "95% CI of `speedup` as [low, high] (bootstrap over rounds)."),
        (
            "effective_speedup",
            f,
            "llm rows: `speedup` if the patch is correct and was timed, else 1.0 (an "
            "incorrect patch counts as no change in aggregates); null on human rows.",
        ),
        (
            "classification",
            s,
            "Whether the variant is significantly `faster`/`slower` than base, or "
            "`inconclusive` (95% test with the configured minimum gain).",
        ),
        (
            "correct",
            b,
            "The variant builds and passes every test command that passes on the human commit "
            "(null if not scored). False for an llm patch that changes nothing (`patch_empty`).",
        ),
        ("patch_empty", b, "`patch` changes nothing (e.g. the agent gave up, or only edited tests)."),
        ("build", s, "How the variant's build went: ok, patch_failed, setup_failed, install_failed, base_failed."),
        ("rho", f, "llm rows: agent speedup / human speedup (1.0 = as fast as the human)."),
        ("rho_ci", floats, "95% CI of `rho` as [low, high]."),
        (
            "matches_human",
            b,
            "Strict label: correct and the lower end of `rho_ci` >= the match threshold "
            "(score.match_threshold, default 0.95).",
        ),
        ("matches_human_gso", b, "GSO's label: correct and `rho` >= the match threshold (point estimate)."),
        ("beats_human", b, "Correct, the lower end of `rho_ci` > 1 and `rho` >= 1 + score.min_gain."),
        (
            "match_label",
            s,
            "confident_pass | confident_fail | inconclusive | incorrect | empty_patch | not_timed (llm rows).",
        ),
        (
            "status",
            s,
            "llm rows: how the attempt ended (success, agent_error, timeout, budget_exceeded, "
            "iterations_exhausted, api_error, runtime_error). Human rows: the instance's score "
            "status (scored, base_failed, human_failed, not_scored).",
        ),
        (
            "error",
            s,
            "llm rows: the attempt's exit reason when it did not succeed; human rows: why the human "
            "variant failed to build, if it did.",
        ),
        (
            "valid_instance",
            b,
            "The human speedup is significant (its CI's lower end >= "
            "score.admission_min_speedup); only valid instances count in opt rates.",
        ),
        ("invalid_reason", s, "Why the instance is not valid."),
        (
            "noisy",
            b,
            "The instance's A/A twin (a second copy of base, identical code) did not come out `no_difference`: "
            "its measurement cannot resolve differences as small as min_gain (see `noisy_reason`).",
        ),
        ("noisy_reason", s, "Why the instance is flagged noisy."),
        (
            "noise_floor",
            f,
            "The far end of the A/A twin's CI as a fraction: the largest difference between identical copies the "
            "measurement could not rule out. Decisions need max(min_gain, noise_floor).",
        ),
        (
            "timing_mode",
            s,
            "in_process_callable (the workload function timed in-process), in_process_script (the workload "
            "script's body, run again in one process) or whole_process.",
        ),
        (
            "environment",
            {
                "host": s,
                "cpu": s,
                "cores": i,
                "platform": s,
                "python": s,
                "isobench_version": s,
                "openhands_version": s,
                "sandbox": s,
            },
            "The machine the instance was scored on (speedups are comparable only on alike machines).",
        ),
        ("tokens", {"prompt": i, "completion": i}, "LLM tokens the attempt used; null on human rows."),
        ("agent_commit", s, "The commit holding the agent's work, when `correlate` recorded one."),
        ("setting", s, "oracle (the prompt names the target files) or realistic."),
    ]


FIELD_DOCS = {
    "llm_metadata.provider": "Provider name as configured in bench.yaml (agents.openhands.llm_configs).",
    "llm_metadata.model": "The model id the agent ran with (LiteLLM form).",
    "llm_metadata.iterations": "Agent iterations (LLM calls) used.",
    "llm_metadata.cost_usd": "LLM cost of the attempt in US dollars, as OpenHands/LiteLLM counted it.",
    "llm_metadata.time_seconds": "Wall time of the attempt, whole seconds.",
    "llm_metadata.success": "The agent run ended normally (status `success`); says nothing about speed or correctness.",
    "llm_metadata.human_reference_commit": "The human commit this attempt is compared with.",
    "llm_metadata.agent_branch": "Branch holding the agent's work, when `correlate` recorded one; else null.",
    "environment.*": "Host name, CPU model, core count, OS platform, Python, isobench and OpenHands versions, sandbox.",
    "tokens.prompt": "Prompt (input) tokens.",
    "tokens.completion": "Completion (output) tokens.",
}


def features() -> Any:
    """The fixed `datasets.Features` of every export."""
    import datasets as hf

    return hf.Features({name: feat for name, feat, _ in _columns()})


def column_docs() -> list[tuple[str, str, str]]:
    """(column, type, description) of every column, for the card and the report."""
    return [(name, type_name(feat), doc) for name, feat, doc in _columns()]


def type_name(feat: Any) -> str:
    """A short readable type, e.g. `list<float64>` or `struct{prompt: int64, completion: int64}`."""
    import datasets as hf

    if isinstance(feat, hf.Value):
        return str(feat.dtype)
    if isinstance(feat, hf.List):
        return f"list<{type_name(feat.feature)}>"
    if isinstance(feat, dict):
        return "struct{" + ", ".join(f"{k}: {type_name(v)}" for k, v in feat.items()) + "}"
    return type(feat).__name__


# --------------------------------------------------------------------------------------------------
# Rows


def load_correlation(state: State) -> dict[str, Any] | None:
    """`correlate`'s output, when it exists (optional input: export works without it)."""
    rec = read_record(state.correlate_path)
    if not rec or not isinstance(rec.get("instances"), list):
        return None
    return rec


def _correlation_attempts(corr: dict[str, Any] | None) -> dict[tuple[str, str, int], dict[str, Any]]:
    """(instance, provider, attempt) -> correlate's entry for it."""
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    for inst in (corr or {}).get("instances", []):
        for provider, attempts in (inst.get("llm_attempts") or {}).items():
            for a in attempts or []:
                if isinstance(a, dict) and a.get("attempt") is not None:
                    out[(inst.get("instance_id"), provider, int(a["attempt"]))] = a
    return out


def load_timings(state: State, iid: str, run_id: str | None = None) -> dict[str, list[float]]:
    """variant -> its successful timed samples (seconds, in round order) from one measurement (default:
    the last one). Read from the state directory itself, so a copied or moved state exports the same."""
    path = state.score_dir(iid) / "samples.jsonl"
    if not path.is_file():
        return {}
    from isobench.measure.protocol import load_samples

    try:
        by_round = load_samples(path, run_id)
    except (ValueError, KeyError) as exc:
        raise UserError(f"{path}: unreadable timing samples ({exc}); re-run `isobench score --force`") from None
    return {name: [rounds[r] for r in sorted(rounds)] for name, rounds in by_round.items()}


def _model_patch(state: State, rec: dict[str, Any]) -> str:
    """The attempt's code patch, readable (its attempt folder is found from the state, wherever it moved)."""
    from isobench.gitutil import readable_patch
    from isobench.score import agent_patch

    return readable_patch(agent_patch(state, rec["instance_id"], rec["provider"], rec["attempt"]))


def _ci(v: Any) -> list[float] | None:
    return [float(x) for x in v] if isinstance(v, list | tuple) and len(v) == 2 else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _and(correct: bool | None, label: Any) -> bool | None:
    """A match label holds only for a correct patch; null stays null (not measured)."""
    return None if label is None else bool(label) and bool(correct)


def recorded_providers(cfg: BenchConfig, state: State, iid: str) -> list[str]:
    """Providers with attempt folders for an instance: configured order first, then any others by name."""
    runs = state.root / "runs" / iid
    found = sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []
    order = [p.name for p in cfg.agents.openhands.llm_configs]
    return [p for p in order if p in found] + [p for p in found if p not in order]


def _measured(v: dict[str, Any]) -> dict[str, Any]:
    """The measured columns of one score variant (empty dict: not scored)."""
    return {
        "speedup": _num(v.get("speedup")),
        "speedup_ci": _ci(v.get("speedup_ci")),
        "classification": v.get("classification"),
        "correct": v.get("correct"),
        "build": v.get("build"),
    }


def _durations(timings: dict[str, list[float]], llm_variant: str | None) -> list[dict[str, Any]]:
    """The seed's `duration_changes`: one {variant: [seconds...]} for the one timed workload."""
    if not timings:
        return []
    return [
        {
            "base": timings.get("base"),
            "human": timings.get("human"),
            "llm": timings.get(llm_variant) if llm_variant else None,
        }
    ]


def build_rows(cfg: BenchConfig, state: State) -> list[dict[str, Any]]:
    """Every row of the dataset: per planned instance its human row, then one row per LLM attempt."""
    from isobench.gitutil import patch_functions, readable_patch

    corr = load_correlation(state)
    corr_attempts = _correlation_attempts(corr)
    rows: list[dict[str, Any]] = []
    for inst in state.instances():
        iid = inst["instance_id"]
        score = state.score_record(iid) or {}
        variants: dict[str, dict[str, Any]] = score.get("variants") or {}
        timings = load_timings(state, iid) if score else {}
        human = variants.get("human", {})
        env = score.get("environment")
        common = {
            "repo": inst.get("repo"),
            "instance_id": iid,
            "created_at": inst.get("created_at"),
            "base_commit": inst.get("base_commit"),
            "head_commit": inst.get("head_commit"),
            "test_patch": readable_patch(inst.get("test_patch", "")),
            "efficiency_test": inst.get("efficiency_test") or [],
            "human_performance": _num(human.get("speedup")),
            "test_functions": inst.get("test_functions") or [],
            "api": inst.get("api"),
            "gt_commit_message": inst.get("gt_commit_message"),
            "setup_commands": inst.get("setup_commands") or [],
            "install_commands": inst.get("install_commands") or [],
            "notes": inst.get("notes"),
            "valid_instance": score.get("valid"),
            "invalid_reason": score.get("invalid_reason"),
            "noisy": score.get("noisy"),
            "noisy_reason": score.get("noisy_reason"),
            "noise_floor": _num(score.get("noise_floor")),
            "timing_mode": score.get("timing_mode"),
            "environment": {
                k: env.get(k)
                for k in (
                    "host",
                    "cpu",
                    "cores",
                    "platform",
                    "python",
                    "isobench_version",
                    "openhands_version",
                    "sandbox",
                )
            }
            if env
            else None,
            "setting": inst.get("setting"),
        }

        rows.append(
            {
                **common,
                "patch": readable_patch(inst.get("patch", "")),
                "duration_changes": _durations(timings, None),
                "patch_functions": inst.get("patch_functions") or [],
                "record_type": "human",
                "llm_metadata": None,
                "attempt": None,
                **_measured(human),
                "patch_empty": not (inst.get("patch") or "").strip(),
                "effective_speedup": None,
                "rho": None,
                "rho_ci": None,
                "matches_human": None,
                "matches_human_gso": None,
                "beats_human": None,
                "match_label": None,
                "status": score.get("status", "not_scored"),
                "error": human.get("error"),
                "tokens": None,
                "agent_commit": None,
            }
        )
        for provider in recorded_providers(cfg, state, iid):
            for rec in state.attempts(iid, provider):
                n = int(rec["attempt"])
                name = f"{provider}#{n}"
                v = variants.get(name, {})
                c = corr_attempts.get((iid, provider, n), {})
                patch = _model_patch(state, rec)
                empty = not patch.strip()
                row_timings = timings
                if v.get("run_id") and v["run_id"] != (score.get("measurement") or {}).get("run_id"):
                    # A row kept from an earlier measurement (score -p): its samples are that run's.
                    row_timings = load_timings(state, iid, v["run_id"])
                # A patch that changes nothing solves nothing: not correct, whatever the tests say (as
                # correlate counts it), so the dataset, correlate and the report agree.
                correct = None if v.get("correct") is None else bool(v["correct"]) and not empty
                timed = _num(v.get("speedup"))
                effective = (timed if correct and timed is not None else 1.0) if v else None
                rows.append(
                    {
                        **common,
                        "patch": patch,
                        "duration_changes": _durations(row_timings, name),
                        "patch_functions": patch_functions(patch),
                        "record_type": "llm",
                        "llm_metadata": {
                            "provider": provider,
                            "model": rec.get("model"),
                            "iterations": rec.get("iterations"),
                            "cost_usd": _num(rec.get("cost_usd")),
                            "time_seconds": round(rec["wall_s"]) if _num(rec.get("wall_s")) is not None else None,
                            "success": rec.get("status") == "success",
                            "human_reference_commit": inst.get("head_commit"),
                            "agent_branch": c.get("agent_branch"),
                        },
                        "attempt": n,
                        **_measured(v),
                        "correct": correct,
                        "patch_empty": empty,
                        "effective_speedup": effective,
                        "rho": _num(v.get("rho")),
                        "rho_ci": _ci(v.get("rho_ci")),
                        "matches_human": _and(correct, v.get("matches_human_strict")),
                        "matches_human_gso": _and(correct, v.get("matches_human_gso")),
                        "beats_human": _and(correct, v.get("beats_human")),
                        "match_label": v.get("match_label"),  # as score gave it (empty_patch stays empty_patch)
                        "status": rec.get("status"),
                        "error": rec.get("error") or rec.get("patch_error"),
                        "tokens": {"prompt": rec.get("prompt_tokens"), "completion": rec.get("completion_tokens")},
                        "agent_commit": c.get("agent_commit"),
                    }
                )
    # Every row in the schema's column order (the saved files follow the first row's key order).
    names = [name for name, _, _ in _columns()]
    return [{name: row[name] for name in names} for row in rows]


# --------------------------------------------------------------------------------------------------
# Secrets


def secret_values(environ: dict[str, str] | None = None) -> dict[str, str]:
    """name -> value of every variable that holds a credential: *_API_KEY, *_TOKEN, HF_TOKEN."""
    env = os.environ if environ is None else environ
    named = (k for k in env if k.endswith("_API_KEY") or k.endswith("_TOKEN") or k == "HF_TOKEN")
    return {k: env[k] for k in named if len(env[k]) >= MIN_SECRET_LEN}


def check_rows_for_secrets(rows: list[dict[str, Any]], secrets: dict[str, str]) -> None:
    """Refuse, before anything is written, rows holding a credential (e.g. an agent pasted a key in code)."""
    if not secrets:
        return
    for row in rows:
        for col, value in row.items():
            for name, secret in secrets.items():
                if any(secret in text for text in _strings(value)):
                    who = row["instance_id"] + (
                        f" {row['llm_metadata']['provider']}#{row['attempt']}"
                        if row.get("record_type") == "llm"
                        else " (human)"
                    )
                    raise SecretLeakError(
                        f"export refused: the value of ${name} appears in column {col!r} of {who}; nothing was written"
                    )


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a row value (raw, before any format escapes it)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def scan_files_for_secrets(paths: Iterable[Path], secrets: dict[str, str]) -> list[tuple[Path, str]]:
    """(file, variable) for every written file containing a credential's value (raw bytes)."""
    needles = {name: v.encode() for name, v in secrets.items()}
    hits = []
    for p in paths:
        if not p.is_file():
            continue
        data = p.read_bytes()
        hits += [(p, name) for name, needle in needles.items() if needle in data]
    return hits


# --------------------------------------------------------------------------------------------------
# Views: predictions and the dataset card


def _owned_paths(out: Path) -> list[Path]:
    """What export writes under OUT: replaced as a whole so no stale file of an older export survives."""
    return [
        out / "dataset",
        out / "data.parquet",
        out / "data.jsonl",
        out / "README.md",
        out / "predictions",
        out / "report",
    ]


def _write(path: Path, text: str) -> None:
    """Atomic write, then the usual 0644: mkstemp's 0600 would make a shared export unreadable to others."""
    atomic_write_text(path, text)
    path.chmod(0o644)


def write_predictions(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    """SWE-bench-style predictions: `predictions/<provider>.jsonl` holds attempt 1 of every instance;
    attempt k >= 2 goes to `predictions/attempt-<k>/<provider>.jsonl`, so every file has at most one
    line per instance_id, as SWE-bench's harness expects."""
    files: dict[Path, list[str]] = {}
    for r in rows:
        if r["record_type"] != "llm":
            continue
        meta = r["llm_metadata"]
        folder = out / "predictions" if r["attempt"] == 1 else out / "predictions" / f"attempt-{r['attempt']}"
        line = json.dumps(
            {
                "instance_id": r["instance_id"],
                "model_name_or_path": f"{meta['provider']}/{meta['model']}",
                "model_patch": r["patch"],
            }
        )
        files.setdefault(folder / f"{meta['provider']}.jsonl", []).append(line)
    for path, lines in files.items():
        _write(path, "\n".join(lines) + "\n")
    return sorted(files)


def _summary_counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    human = [r for r in rows if r["record_type"] == "human"]
    llm = [r for r in rows if r["record_type"] == "llm"]
    providers = list(dict.fromkeys(r["llm_metadata"]["provider"] for r in llm))
    return {
        "rows": len(rows),
        "human_rows": len(human),
        "llm_rows": len(llm),
        "instances": len(human),
        "valid_instances": sum(1 for r in human if r["valid_instance"]),
        "providers": providers,
    }


def dataset_card(rows: list[dict[str, Any]], data_path: str | None, *, for_hub: bool = False) -> str:
    """README.md in Hugging Face dataset-card form (YAML front matter, then Markdown)."""
    import yaml

    counts = _summary_counts(rows)
    meta: dict[str, Any] = {
        "pretty_name": "isobench: LLM agents vs human performance optimizations",
        "tags": ["code", "performance", "benchmark", "llm-agents", "openhands"],
        "task_categories": ["text-generation"],
        "language": ["en"],
        "size_categories": ["n<1K" if len(rows) < 1000 else "1K<n<10K" if len(rows) < 10000 else "10K<n<100K"],
    }
    if data_path:
        meta["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": data_path}]}]
    # The features in the Hub's own notation, so its viewer shows the right types (a private helper of
    # `datasets`: skipped if a future version drops it).
    with contextlib.suppress(AttributeError):
        meta["dataset_info"] = {
            "features": features()._to_yaml_list(),
            "splits": [{"name": "train", "num_examples": len(rows)}],
        }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    cols = "\n".join(f"| `{n}` | `{t}` | {d.replace('|', '/')} |" for n, t, d in column_docs())
    nested = "\n".join(f"- `{k}`: {v}" for k, v in FIELD_DOCS.items())
    providers = ", ".join(f"`{p}`" for p in counts["providers"]) or "none"
    load = (
        'load_dataset("<user>/<repo>")'
        if for_hub
        else 'load_dataset("parquet", data_files="data.parquet")  # or load_from_disk("dataset"), '
        'or load_dataset("json", data_files="data.jsonl")'
    )
    return f"""---
{front}---

# isobench results

Can an LLM coding agent optimize real code as well as the human who did it? Each instance is a real
human performance commit; LLM agents (OpenHands) were given the code before it and asked to make the
workload faster. base, the human commit and every agent patch were then built, tested and timed side by
side (interleaved rounds, 95% confidence intervals).

- Instances: {counts["instances"]} ({counts["valid_instances"]} valid: the human speedup is significant)
- Providers: {providers}
- Rows: {counts["rows"]} ({counts["human_rows"]} `human`, {counts["llm_rows"]} `llm`: one per attempt)
- Exported by isobench {__version__} on {datetime.now(UTC).isoformat(timespec="seconds")}

```python
from datasets import load_dataset, load_from_disk
ds = {load}
```

## Columns

The first columns follow the `CanonicalRecord` of the ISO-Bench integration design (with its
`LLMMetadata` struct in `llm_metadata`); the rest are the measurements.

| column | type | description |
|---|---|---|
{cols}

Nested fields:

{nested}

## How to read the numbers

- `speedup` = base time / variant time; `rho` = agent speedup / human speedup. Both are paired
  per timing round and come with 95% bootstrap CIs (`speedup_ci`, `rho_ci`).
- An attempt is an *opt* success when it is `correct` and `matches_human` (strict: the CI's lower end
  reaches the threshold) or `matches_human_gso` (GSO: the point estimate does).
- Incorrect patches keep their measured `speedup` (it shows how they cheated) but count as 1.0 in
  `effective_speedup`.
- Timings are only comparable on alike machines: see `environment`.
- Floats in `data.jsonl` carry {JSONL_DOUBLE_PRECISION} decimal places; parquet and the saved dataset are
  exact. Prefer parquet: `load_dataset("json")` (pyarrow's JSON reader) turns ISO date strings such as
  `created_at` into timestamps, and without the schema it cannot type all-null columns.

## Other files

- `predictions/<provider>.jsonl`: SWE-bench-style predictions (`instance_id`, `model_name_or_path` =
  `<provider>/<model>`, `model_patch`) of attempt 1; attempt k >= 2 in `predictions/attempt-<k>/`.
- `report/index.html`: plots and tables (self-contained; the plots are also `report/*.png`).

No API key or token is included: the export is checked for the values of the `*_API_KEY` / `*_TOKEN`
variables of the environment it ran in.
"""


# --------------------------------------------------------------------------------------------------
# The export


def hub_token() -> str | None:
    """The Hugging Face token from the environment (HF_TOKEN, else HUGGING_FACE_HUB_TOKEN)."""
    for name in TOKEN_VARS:
        if os.environ.get(name):
            return os.environ[name]
    return None


def default_out(cfg: BenchConfig) -> Path:
    """bench.yaml `paths.reports_root` / export."""
    return cfg.resolve(cfg.paths.reports_root) / "export"


def export(cfg: BenchConfig, state: State, out: Path, formats: list[str], push_to_hub: str | None) -> dict[str, Any]:
    """Write the dataset (in `formats`), its card, predictions and the HTML report into `out`;
    optionally push to the Hub. Returns the paths written and row counts."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UserError(f"--format: {bad[0]!r} is not one of {', '.join(FORMATS)}")
    token = hub_token()
    if push_to_hub and not token:
        raise UserError("--push-to-hub needs a Hugging Face token in HF_TOKEN")
    if not state.instances():
        raise UserError(f"{state.root}: no planned instances, nothing to export; run `isobench plan` first")
    rows = build_rows(cfg, state)
    correlation = load_correlation(state)
    secrets = secret_values()
    check_rows_for_secrets(rows, secrets)

    import datasets as hf

    from isobench.report import write_report

    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    for p in _owned_paths(out):
        remove_tree(p)
    out.mkdir(parents=True, exist_ok=True)
    bars = hf.is_progress_bar_enabled()
    hf.disable_progress_bars()  # a CLI's output, not a notebook's
    try:
        ds = hf.Dataset.from_list(rows, features=features())
        files: dict[str, Any] = {}
        if "disk" in formats:
            ds.save_to_disk(str(out / "dataset"))
            files["dataset"] = str(out / "dataset")
        if "parquet" in formats:
            ds.to_parquet(str(out / "data.parquet"))
            files["parquet"] = str(out / "data.parquet")
        if "jsonl" in formats:
            ds.to_json(str(out / "data.jsonl"), lines=True, force_ascii=False, double_precision=JSONL_DOUBLE_PRECISION)
            files["jsonl"] = str(out / "data.jsonl")
        data_path = "data.parquet" if "parquet" in formats else "data.jsonl" if "jsonl" in formats else None
        _write(out / "README.md", dataset_card(rows, data_path))
        files["card"] = str(out / "README.md")
        files["predictions"] = [str(p) for p in write_predictions(rows, out)]
        report = write_report(rows, correlation, out / "report", cfg=cfg)
        files["report"] = report["html"]
        files["plots"] = report["plots"]

        hits = scan_files_for_secrets((p for p in out.rglob("*") if p.is_file()), secrets)
        if hits:
            for p, _ in hits:  # a file holding a credential must not stay on disk
                p.unlink(missing_ok=True)
            where = ", ".join(sorted({f"{p.relative_to(out)} (${name})" for p, name in hits}))
            raise SecretLeakError(f"export refused: credential values found in {where}; those files were deleted")

        pushed = None
        if push_to_hub:
            assert token is not None
            _push(ds, rows, out, push_to_hub, token)
            pushed = push_to_hub
    finally:
        if bars:
            hf.enable_progress_bars()
    return {
        "out": str(out),
        **_summary_counts(rows),
        "formats": [f for f in FORMATS if f in formats],
        "correlation": correlation is not None,
        "files": files,
        "pushed_to": pushed,
    }


def _push(ds: Any, rows: list[dict[str, Any]], out: Path, repo_id: str, token: str) -> None:
    """Push the dataset, then the card, predictions and report, to a Hub dataset repository.

    The token goes only to the Hub client; an error message is scrubbed of it before being shown.
    """
    try:
        from huggingface_hub import HfApi

        ds.push_to_hub(repo_id, token=token)
        api = HfApi(token=token)
        api.upload_file(
            path_or_fileobj=dataset_card(rows, "data/train-*", for_hub=True).encode(),
            path_in_repo="README.md",
            repo_id=repo_id,
            repo_type="dataset",
        )
        for sub in ("predictions", "report"):
            if (out / sub).is_dir():
                api.upload_folder(folder_path=str(out / sub), path_in_repo=sub, repo_id=repo_id, repo_type="dataset")
    except Exception as exc:
        msg = str(exc).replace(token, "***")
        raise UserError(
            f"--push-to-hub {repo_id}: {type(exc).__name__}: {msg} (the local export in {out} is complete)"
        ) from None
