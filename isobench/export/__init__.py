"""`export`: the benchmark as a Hugging Face dataset, SWE-bench-style predictions and an HTML report.

One row per planned instance for the human commit (`record_type` "human") and one row per recorded
LLM attempt (`record_type` "llm"), in the original design's `CanonicalRecord` shape (with its `LLMMetadata`
struct) plus the measured columns and each attempt's outcome as `score` decided it (`rows`). The schema
is one explicit `datasets.Features` (`schema`), so the on-disk, parquet and jsonl copies reload to the
same rows. The per-provider aggregates (the card, the report) are `correlate`'s, computed afresh from
the same state so they always agree with the rows; the agents' branches come from correlation.json.

Only reads the state directory (no lock): every record it reads was written atomically. Nothing secret
is exported (`secrets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.export.card import (
    JSONL_DOUBLE_PRECISION,
    dataset_card,
    owned_paths,
    summary_counts,
    write_predictions,
    write_text,
)
from isobench.export.hub import hub_token, push
from isobench.export.rows import build_rows
from isobench.export.schema import features
from isobench.export.secrets import SecretLeakError, check_rows_for_secrets, scan_files_for_secrets, secret_values
from isobench.state import State, remove_tree

FORMATS = ("disk", "parquet", "jsonl")
"""disk: `save_to_disk(OUT/dataset)`; parquet: `OUT/data.parquet`; jsonl: `OUT/data.jsonl`."""

__all__ = ["FORMATS", "build_rows", "default_out", "export", "features", "hub_token"]


def default_out(cfg: BenchConfig) -> Path:
    """bench.yaml `paths.reports_root` / export."""
    return cfg.resolve(cfg.paths.reports_root) / "export"


def export(cfg: BenchConfig, state: State, out: Path, formats: list[str], push_to_hub: str | None) -> dict[str, Any]:
    """Write the dataset (in `formats`), its card, predictions and the HTML report into `out`;
    optionally push to the Hub. Returns the paths written and row counts."""
    from isobench.correlate import compute

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise UserError(f"--format: {bad[0]!r} is not one of {', '.join(FORMATS)}")
    token = hub_token()
    if push_to_hub and not token:
        raise UserError("--push-to-hub needs a Hugging Face token in HF_TOKEN")
    state.select_instances(None)  # refuses an empty state before anything is written
    recorded = state.correlation()  # for the agents' branches, if correlate made them
    correlation = compute(cfg, state)
    rows = build_rows(cfg, state, recorded)
    secrets = secret_values()
    check_rows_for_secrets(rows, secrets)

    import datasets as hf

    from isobench.report import write_report

    out = Path(out).absolute()
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    for p in owned_paths(out):
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
        write_text(out / "README.md", dataset_card(rows, data_path, correlation))
        files["card"] = str(out / "README.md")
        files["predictions"] = [str(p) for p in write_predictions(rows, out)]
        report = write_report(rows, correlation.model_dump(), out / "report", cfg=cfg)
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
            push(ds, rows, out, push_to_hub, token, correlation)
            pushed = push_to_hub
    finally:
        if bars:
            hf.enable_progress_bars()
    return {
        "out": str(out),
        **summary_counts(rows),
        "formats": [f for f in FORMATS if f in formats],
        "correlation": recorded is not None,
        "files": files,
        "pushed_to": pushed,
    }
