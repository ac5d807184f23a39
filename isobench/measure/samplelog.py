"""samples.jsonl: every raw timing, appended (and flushed) as it happens; read back by run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from isobench.measure.spawn import Sample


class SampleLog:
    """Append-only JSONL of raw samples, flushed per line so a crash loses nothing."""

    def __init__(self, path: Path | None, run_id: str) -> None:
        self.run_id = run_id
        self._fh: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")

    def write(self, record: Mapping[str, object]) -> None:
        if self._fh is not None:
            self._fh.write(json.dumps({**record, "run_id": self.run_id}) + "\n")
            self._fh.flush()

    def sample(self, variant: str, phase: str, rnd: int, pos: int, s: Sample, core: int | None) -> None:
        self.write(
            {
                "type": "sample",
                "phase": phase,
                "variant": variant,
                "round": rnd,
                "position_in_round": pos,
                "value_s": s.value_s,
                "values_s": s.values_s,
                "import_s": s.import_s,
                "first_s": s.first_s,
                "cpu_s": s.cpu_s,
                "cpu_outside_s": s.cpu_outside_s,
                "wall_s": s.wall_s,
                "started_at": s.started_at,
                "pid": s.pid,
                "core": core,
                "ok": s.ok,
                "error": s.error,
            }
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def load_samples(path: Path, run_id: str | None = None) -> dict[str, dict[int, float]]:
    """Successful timed samples of one run from a JSONL file: variant -> round -> value_s.

    ``run_id`` defaults to the last run in the file. Pair two variants on their common rounds to
    recompute any estimate, e.g. ``ratio_estimate([s[ref][r] for r in rs], [s[x][r] for r in rs])``.
    """
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    records = []
    for i, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:  # torn by a kill mid-write: that sample's round was never used
                break
            raise
    if run_id is None:
        headers = [rec["run_id"] for rec in records if rec.get("type") == "header"]
        if not headers:
            return {}
        run_id = headers[-1]
    out: dict[str, dict[int, float]] = {}
    for rec in records:
        if rec.get("run_id") != run_id or rec.get("type") != "sample":
            continue
        if rec["phase"] == "timed" and rec["ok"]:
            out.setdefault(rec["variant"], {})[rec["round"]] = rec["value_s"]
    return out


def run_ids(path: Path) -> list[str]:
    """The measurements (one per `score` run) recorded in a samples file, oldest first."""
    out = []
    for line in Path(path).read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("type") == "header":
            out.append(rec["run_id"])
    return out
