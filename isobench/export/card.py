"""The dataset card (README.md in Hugging Face form) and SWE-bench-style predictions."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from isobench import __version__
from isobench.export.schema import ExportRow, column_docs, features, nested_docs
from isobench.flags import FLAGS, MEANING
from isobench.outcome import GSO_MIN_SPEEDUP
from isobench.records import Correlation
from isobench.state import atomic_write_text

if TYPE_CHECKING:
    import jinja2

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


def write_predictions(rows: list[ExportRow], out: Path) -> list[Path]:
    """SWE-bench-style predictions: `predictions/<provider>.jsonl` holds attempt 1 of every instance;
    attempt k >= 2 goes to `predictions/attempt-<k>/<provider>.jsonl`, so every file has at most one
    line per instance_id, as SWE-bench's harness expects."""
    files: dict[Path, list[str]] = {}
    for r in rows:
        if r.record_type != "llm" or r.llm_metadata is None:
            continue
        meta = r.llm_metadata
        folder = out / "predictions" if r.attempt == 1 else out / "predictions" / f"attempt-{r.attempt}"
        line = json.dumps(
            {
                "instance_id": r.instance_id,
                "model_name_or_path": f"{meta.provider}/{meta.model}",
                "model_patch": r.patch,
            }
        )
        files.setdefault(folder / f"{meta.provider}.jsonl", []).append(line)
    for path, lines in files.items():
        write_text(path, "\n".join(lines) + "\n")
    return sorted(files)


class Counts(BaseModel):
    """What an export holds, as `isobench export` prints it and the card says it."""

    rows: int
    human_rows: int
    llm_rows: int
    instances: int
    valid_instances: int
    providers: list[str]


def summary_counts(rows: list[ExportRow]) -> Counts:
    """The export's counts."""
    human = [r for r in rows if r.record_type == "human"]
    llm = [r for r in rows if r.record_type == "llm"]
    return Counts(
        rows=len(rows),
        human_rows=len(human),
        llm_rows=len(llm),
        instances=len(human),
        valid_instances=sum(1 for r in human if r.valid_instance),
        providers=providers_of(rows),
    )


def providers_of(rows: list[ExportRow]) -> list[str]:
    """The providers with llm rows, in row order."""
    return list(dict.fromkeys(r.llm_metadata.provider or "" for r in rows if r.record_type == "llm" and r.llm_metadata))


def results_table(correlation: Correlation | None) -> str:
    """The per-provider headline numbers, as correlate computed them (the same figures as the report's)."""
    if correlation is None or not correlation.providers:
        return "No attempts yet."

    from isobench.report.terminal import pct, times

    lines = [
        "| provider | attempts | correct | faster than base | opt@1 strict [95% CI] | opt@1 GSO | speedup gmean [CI] "
        "| rho gmean [CI] | cost | $/success | flagged |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in correlation.providers.items():
        for label, m in ((f"`{name}`", p), (f"`{name}` raw", p.raw)):
            if m is None:
                continue
            per_success = "-" if m.cost_per_success is None else f"${m.cost_per_success:.2f}"
            lines.append(
                f"| {label} | {m.attempts} | {m.correct} | {m.faster_than_base} "
                f"| {pct(m.opt1_strict, m.opt1_strict_ci)} | {pct(m.opt1_gso, m.opt1_gso_ci)} "
                f"| {times(m.speedup_gmean, m.speedup_gmean_ci)} | {times(m.rho_gmean, m.rho_gmean_ci)} "
                f"| ${m.total_cost_usd:.2f} | {per_success} | {p.flagged_attempts} |"
            )
    return "\n".join(lines)


def flag_docs() -> str:
    """The integrity flags, in the words `isobench/flags.py` defines them."""
    return "\n".join(f"- `{name}`: {MEANING[name]}." for name in FLAGS)


def front_matter(n_rows: int, data_path: str | None) -> str:
    """The card's YAML front matter: what the Hub shows and how it loads the data."""
    import yaml

    meta: dict[str, object] = {
        "pretty_name": "isobench: LLM agents vs human performance optimizations",
        "tags": ["code", "performance", "benchmark", "llm-agents", "openhands"],
        "task_categories": ["text-generation"],
        "language": ["en"],
        "size_categories": ["n<1K" if n_rows < 1000 else "1K<n<10K" if n_rows < 10000 else "10K<n<100K"],
    }
    if data_path:
        meta["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": data_path}]}]
    # The features in the Hub's own notation, so its viewer shows the right types (a private helper of
    # `datasets`: skipped if a future version drops it).
    with contextlib.suppress(AttributeError):
        meta["dataset_info"] = {
            "features": features()._to_yaml_list(),
            "splits": [{"name": "train", "num_examples": n_rows}],
        }
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)


def dataset_card(
    rows: list[ExportRow], data_path: str | None, correlation: Correlation | None = None, *, for_hub: bool = False
) -> str:
    """README.md in Hugging Face dataset-card form (YAML front matter, then Markdown)."""
    counts = summary_counts(rows)
    front = front_matter(len(rows), data_path)
    cols = "\n".join(f"| `{n}` | `{t}` | {d.replace('|', '/')} |" for n, t, d in column_docs())
    nested = "\n".join(f"- `{k}`: {v}" for k, v in nested_docs().items())
    providers = ", ".join(f"`{p}`" for p in providers_of(rows)) or "none"
    load = (
        'load_dataset("<user>/<repo>")'
        if for_hub
        else 'load_dataset("parquet", data_files="data.parquet")  # or load_from_disk("dataset"), '
        'or load_dataset("json", data_files="data.jsonl")'
    )
    text: str = _template().render(
        front=front,
        counts=counts,
        providers=providers,
        version=__version__,
        exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
        load=load,
        cols=cols,
        nested=nested,
        results=results_table(correlation),
        flags=flag_docs(),
        gso_min_speedup=GSO_MIN_SPEEDUP,
        jsonl_precision=JSONL_DOUBLE_PRECISION,
    )
    return text


def _template() -> jinja2.Template:
    """isobench/templates/card.md, the card's words."""
    import jinja2

    folder = Path(__file__).resolve().parents[1] / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), keep_trailing_newline=True, autoescape=False)
    return env.get_template("card.md")
