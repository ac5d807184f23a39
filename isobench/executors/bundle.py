"""What crosses the network between the driver and a worker: typed payloads (one model per direction and
unit kind), folders as in-memory tar.gz archives, and instances with the workload files they name."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from isobench.records import Attempt, Instance, PreparedUnit, VariantScore


class ShippedInstance(BaseModel):
    """An instance's record and the bytes of the workload files it names (they live on the driver)."""

    record: dict[str, Any]
    workload_files: dict[str, bytes]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any]
    """bench.yaml as the driver loaded it (`BenchConfig.model_dump()`)."""
    instance: ShippedInstance
    sandbox: str


class AttemptPayload(_Payload):
    """Driver -> worker: one attempt to run."""

    prepared: PreparedUnit
    prompt: str
    provider: str
    attempt: int
    keep_work: bool
    scenario: dict[str, Any] | None = None
    """The scripted provider's scenario (`agents.scripts.Scenario` fields), played by the node's own server."""
    snapshot: bytes = b""
    """The base's snapshot (tar.gz), sent once per instance as a shared object and added on the node."""


class AttemptReturn(BaseModel):
    """Worker -> driver: the attempt's record (paths as on the driver), its folder's files, where it ran."""

    attempt: Attempt
    files: bytes
    node: str
    host: str


class ShippedAttempt(BaseModel):
    record: Attempt | None
    files: bytes


class ScorePayload(_Payload):
    """Driver -> worker: one instance to score, with every planned attempt's record and patch."""

    snapshot: bytes
    attempts: list[ShippedAttempt]
    variants: list[str]
    carried: dict[str, VariantScore]
    fingerprint: str


class ScoreReturn(BaseModel):
    """Worker -> driver: score.json, the variants' records and the samples files of this measurement (each
    `samples*.jsonl`: the shown workload's, the held-out one's, ...), paths as on the driver."""

    score: str
    variants: dict[str, str]
    samples: dict[str, str]
    node: str
    host: str


def pack(folder: Path, *, exclude: tuple[str, ...] = ()) -> bytes:
    """A folder's content as tar.gz bytes (names relative to it), leaving out the top-level `exclude`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(folder.iterdir()):
            if path.name not in exclude:
                tar.add(path, arcname=path.name)
    return buf.getvalue()


def unpack(data: bytes, dest: Path) -> None:
    """Extract what `pack` made into `dest` (the "data" filter: nothing outside `dest`, no devices)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")


def ship_instance(inst: Instance) -> ShippedInstance:
    """An instance's record and its workload files, the held-out workload's included (which live outside the
    repository, on the driver)."""
    return ShippedInstance(
        record=inst.model_dump(),
        workload_files={p: Path(p).read_bytes() for p in [*inst.workload_files, *inst.heldout_workload_files]},
    )


def land_instance(shipped: ShippedInstance, root: Path) -> tuple[Instance, dict[str, str]]:
    """The shipped instance on this node: its workload files written under `root`, and the record's mentions
    of their driver paths pointing there. Returns it and {path here: path on the driver}."""
    text = json.dumps(shipped.record)
    moved: dict[str, str] = {}
    for n, (path, data) in enumerate(sorted(shipped.workload_files.items())):
        here = root / "workload" / str(n) / Path(path).name
        here.parent.mkdir(parents=True, exist_ok=True)
        here.write_bytes(data)
        text = text.replace(json.dumps(path)[1:-1], json.dumps(str(here))[1:-1])
        moved[str(here)] = path
    return Instance.model_validate_json(text), moved


def restore_paths(text: str, moved: dict[str, str]) -> str:
    """A record written on this node, naming the workload files by their driver paths again."""
    for here, there in moved.items():
        text = text.replace(json.dumps(here)[1:-1], json.dumps(there)[1:-1])
    return text
