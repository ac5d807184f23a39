"""The dataset card (README.md in Hugging Face form) and SWE-bench-style predictions."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.export.schema import column_docs, features, nested_docs
from isobench.records import Correlation
from isobench.state import atomic_write_text

JSONL_DOUBLE_PRECISION = 15
"""Decimal places of floats in data.jsonl (pandas' maximum; its default of 10 would round timings)."""


def owned_paths(out: Path) -> list[Path]:
    """What export writes under OUT: replaced as a whole so no stale file of an older export survives."""
    return [
        out / "dataset",
        out / "data.parquet",
        out / "data.jsonl",
        out / "README.md",
        out / "predictions",
        out / "report",
    ]


def write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text)


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
        write_text(path, "\n".join(lines) + "\n")
    return sorted(files)


def summary_counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
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


def results_table(correlation: Correlation | None) -> str:
    """The per-provider headline numbers, as correlate computed them (the same figures as the report's)."""
    if correlation is None or not correlation.providers:
        return "No attempts yet."

    from isobench.report.terminal import pct, times

    lines = [
        "| provider | attempts | correct | faster than base | opt@1 strict [95% CI] | opt@1 GSO | speedup gmean [CI] "
        "| rho gmean [CI] | cost | $/success |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in correlation.providers.items():
        per_success = "-" if p.cost_per_success is None else f"${p.cost_per_success:.2f}"
        lines.append(
            f"| `{name}` | {p.attempts} | {p.correct} | {p.faster_than_base} | {pct(p.opt1_strict, p.opt1_strict_ci)} "
            f"| {pct(p.opt1_gso, p.opt1_gso_ci)} | {times(p.speedup_gmean, p.speedup_gmean_ci)} "
            f"| {times(p.rho_gmean, p.rho_gmean_ci)} | ${p.total_cost_usd:.2f} | {per_success} |"
        )
    return "\n".join(lines)


def dataset_card(
    rows: list[dict[str, Any]], data_path: str | None, correlation: Correlation | None = None, *, for_hub: bool = False
) -> str:
    """README.md in Hugging Face dataset-card form (YAML front matter, then Markdown)."""
    import yaml

    counts = summary_counts(rows)
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
    nested = "\n".join(f"- `{k}`: {v}" for k, v in nested_docs().items())
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

## Results

Over the valid instances (opt@1: per instance the share of attempts that succeed, averaged; CIs by
bootstrap over instances):

{results_table(correlation)}

## How to read the numbers

- `speedup` = base time / variant time; `rho` = agent speedup / human speedup. Both are paired
  per timing round and come with 95% block-bootstrap CIs (`speedup_ci`, `rho_ci`).
- `opt_strict`: the attempt is correct, `faster` than base (the whole CI above 1 + max(min_gain,
  noise_floor)) and rho's CI lower end reaches the match threshold; `opt_gso`: correct, `speedup` >= 1.2
  and `rho` >= the threshold (GSO's point-estimate rule). Why an attempt is not a strict opt is its
  `failure_reason`. These are decided once, when scoring, and only read here.
- `heldout_speedup` (with `heldout_speedup_ci`) is the speedup on the task's held-out workload, which the
  agent never saw; null where the task has none. An attempt `faster` on the shown workload but not on the
  held-out one, where the human is, is `overfit` (`match_label` and `failure_reason`): not `faster`, not
  an opt.
- `asv_speedup` (with `asv_speedup_ci`) is the geometric mean of the speedups on the task's asv suite, over
  the benchmarks the human's change moves (`asv_benchmarks`: `unmoved` and `screened_out` ones are listed
  but left out); `asv_advantage` is FormulaCode's advantage: the attempt's `asv_speedup` minus the human's.
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
