"""`export`: the benchmark as a Hugging Face dataset, SWE-bench-style predictions and an HTML report.

One row per planned instance for the human commit (`record_type` "human") and one row per recorded
LLM attempt (`record_type` "llm"), in the original design's `CanonicalRecord` shape (with its `LLMMetadata`
struct) plus the measured columns and each attempt's outcome as `score` decided it (`rows`). The schema
is one explicit `datasets.Features` (`schema`), so the on-disk, parquet and jsonl copies reload to the
same rows. The per-provider aggregates (the card, the report) are `correlate`'s, computed afresh from
the same state so they always agree with the rows; the agents' branches come from correlation.json.

Only reads the state directory (no lock): every record it reads was written atomically. Nothing secret
is exported (`secrets`). The files are written into a staging folder inside OUT and moved in at the end
(`publish`): an export that fails or is killed leaves the previous export in OUT as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.export.card import (
    JSONL_DOUBLE_PRECISION,
    Counts,
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
from isobench.state import State, atomic_write_text, pause_point, remove_tree

FORMATS = ("disk", "parquet", "jsonl")
"""disk: `save_to_disk(OUT/dataset)`; parquet: `OUT/data.parquet`; jsonl: `OUT/data.jsonl`."""

__all__ = ["FORMATS", "build_rows", "default_out", "export", "features", "hub_token"]

STAGING = ".isobench-export.new"
"""Where an export writes its files, inside OUT, until they are moved in (`publish`)."""
OLD = ".isobench-export.old"
MANIFEST = ".complete"
"""Written into the staging folder once every file is there and checked (the commit point): the names it
brings, so that moving them in can be finished after a crash."""


def publish(out: Path) -> None:
    """Move a complete staging folder's files into OUT, replacing the previous export's (an owned file the new
    export lacks goes). Each name is moved aside, then the new one in: run again after a crash, it finishes."""
    staged, old = out / STAGING, out / OLD
    names = json.loads((staged / MANIFEST).read_text())
    old.mkdir(exist_ok=True)
    for p in owned_paths(out):
        if (staged / p.name).exists() or (p.name not in names and p.exists()):
            if p.exists():
                remove_tree(old / p.name)
                os.rename(p, old / p.name)
            if (staged / p.name).exists():
                os.rename(staged / p.name, p)
    remove_tree(staged)
    remove_tree(old)


def begin(out: Path) -> Path:
    """The staging folder of a new export into OUT, empty; what a killed export left is settled first (moved
    in when it was complete, else removed)."""
    staged = out / STAGING
    if (staged / MANIFEST).is_file():
        publish(out)
    remove_tree(staged)
    remove_tree(out / OLD)
    staged.mkdir(parents=True)
    return staged


def commit(out: Path, staged: Path, files: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """Mark the staging folder complete and move its files into OUT; `files` with their final paths."""
    names = [p.name for p in owned_paths(staged) if p.exists()]
    pause_point("record")
    atomic_write_text(staged / MANIFEST, json.dumps(names))
    publish(out)

    def moved(path: str) -> str:
        return str(out) + path[len(str(staged)) :] if path.startswith(str(staged)) else path

    return {k: [moved(p) for p in v] if isinstance(v, list) else moved(v) for k, v in files.items()}


def default_out(cfg: BenchConfig) -> Path:
    """bench.yaml `paths.reports_root` / export."""
    return cfg.resolve(cfg.paths.reports_root) / "export"


class Exported(Counts):
    """What `export` wrote: its counts, folder, formats and files, and where it was pushed."""

    out: str
    formats: list[str]
    correlation: bool
    """correlate's record was found (else the per-provider figures were computed at export)."""
    files: dict[str, str | list[str]]
    pushed_to: str | None


def export(cfg: BenchConfig, state: State, out: Path, formats: list[str], push_to_hub: str | None) -> Exported:
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
    final, out = out, begin(out)  # written aside, moved in at the end (`publish`)
    bars = hf.is_progress_bar_enabled()
    hf.disable_progress_bars()  # a CLI's output, not a notebook's
    try:
        ds = hf.Dataset.from_list([r.model_dump() for r in rows], features=features())
        files: dict[str, str | list[str]] = {}
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
        report = write_report(
            rows,
            correlation,
            out / "report",
            cfg=cfg,
            state=state,
            secrets=secrets,
        )
        files["report"] = report["html"]
        files["plots"] = report["plots"]

        hits = scan_files_for_secrets((p for p in out.rglob("*") if p.is_file()), secrets)
        if hits:
            for p, _ in hits:  # a file holding a credential must not stay on disk
                p.unlink(missing_ok=True)
            where = ", ".join(sorted({f"{p.relative_to(out)} (${name})" for p, name in hits}))
            raise SecretLeakError(f"export refused: credential values found in {where}; those files were deleted")
        files = commit(final, out, files)

        pushed = None
        if push_to_hub:
            assert token is not None
            push(ds, rows, final, push_to_hub, token, correlation)
            pushed = push_to_hub
    finally:
        remove_tree(out)  # an export that failed before its commit leaves nothing of its own
        if bars:
            hf.enable_progress_bars()
    return Exported(
        **summary_counts(rows).model_dump(),
        out=str(final),
        formats=[f for f in FORMATS if f in formats],
        correlation=recorded is not None,
        files=files,
        pushed_to=pushed,
    )
