"""What a worker node does with a unit: rebuild a throwaway state holding just that unit's inputs, run it
there with the very code `isobench run` / `score` use locally (same sandbox), and return what it wrote.

Runs inside a Ray worker process; imports nothing of Ray itself (the caller passes the node's id). The
provider's key comes from the worker's own environment (export it before `ray start` on that node); a
worker without it refuses with one line naming the node and the variable.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.executors.bundle import (
    AttemptPayload,
    AttemptReturn,
    ScorePayload,
    ScoreReturn,
    land_instance,
    pack,
    restore_paths,
    unpack,
)
from isobench.progress import PlainReporter, PlainScoreReporter
from isobench.records import Attempt, Instance
from isobench.resources import Resources
from isobench.run.attempt import Runner
from isobench.run.launch import Launcher
from isobench.run.units import Unit, UnitRefused, missing_keys
from isobench.sandbox import get_sandbox
from isobench.score import Plan, Scorer
from isobench.score.variants import variant_specs
from isobench.state import State, write_model


@contextlib.contextmanager
def _workdir() -> Iterator[str]:
    """A folder for one unit, removed after it; folders left by workers that were killed (their pid is
    gone) are removed first, so a node's disk does not fill with the units of dead drivers."""
    tmp = Path(tempfile.gettempdir())
    for old in tmp.glob("isobench-worker-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(old, ignore_errors=True)  # another worker on this node may be sweeping it too
    with tempfile.TemporaryDirectory(prefix=f"isobench-worker-{os.getpid()}-") as d:
        yield d


def node_cache() -> Path:
    """uv's download cache on this node, kept across units (ISOBENCH_NODE_CACHE, else ~/.cache/isobench/uv)."""
    return Path(os.environ.get("ISOBENCH_NODE_CACHE") or Path.home() / ".cache" / "isobench" / "uv")


def _state(root: Path, payload: AttemptPayload | ScorePayload) -> tuple[BenchConfig, State, Instance, dict[str, str]]:
    """A throwaway state under `root` holding the unit's instance, its snapshot and its workload files."""
    cfg = BenchConfig.model_validate(payload.config)
    cfg.root = root
    state = State(root / "state")
    inst, moved = land_instance(payload.instance, root)
    write_model(state.instance_path(inst.instance_id), inst)
    unpack(payload.snapshot, state.snapshot_dir(inst.instance_id))
    return cfg, state, inst, moved


def _refuse_on_this_node(host: str, node: str, check: Callable[[], None]) -> None:
    """What this node cannot enforce (resource limits, the network gate) refuses the unit, naming the node."""
    try:
        check()
    except UserError as exc:
        raise UnitRefused(f"node {host} ({node[:12]}): {exc}") from None


def run_attempt(payload: AttemptPayload, node: str) -> AttemptReturn:
    """One attempt: returns the attempt's record and its folder's files (tar.gz), and where it ran."""
    host = platform.node()
    with _workdir() as tmp:
        cfg, state, inst, moved = _state(Path(tmp), payload)
        provider = cfg.provider(payload.provider)
        refused = missing_keys([provider])
        if refused:
            raise UnitRefused(
                f"node {host} ({node[:12]}): {refused[0]} there (export it before `ray start` on that node)"
            )
        prepared = payload.prepared
        d = state.prepared_dir(inst.instance_id, provider.name)
        write_model(d / "prepared.json", prepared)
        (d / "prompt.md").write_text(payload.prompt, encoding="utf-8")
        sandbox = get_sandbox(payload.sandbox, image=cfg.container.image)
        sandbox.check()
        launcher = Launcher(cfg, state, sandbox)
        _refuse_on_this_node(host, node, lambda: launcher.check([provider]))
        launcher.install_tools()
        if payload.scenario is not None:
            from isobench.agents.scripts import Scenario
            from isobench.run.scripted import start_scripted_server

            sc = Scenario(**payload.scenario)
            start_scripted_server(launcher, lambda p, i: sc)
        try:
            runner = Runner(state, launcher, PlainReporter(io.StringIO(), quiet=True), keep_work=payload.keep_work)
            runner.env_builder.cache_dir = node_cache()
            att = runner.run_unit(Unit(inst, provider, payload.attempt, prepared))
        finally:
            if launcher.server is not None:
                launcher.server.stop()
        d = state.attempt_dir(inst.instance_id, provider.name, payload.attempt)
        return AttemptReturn(
            attempt=Attempt.model_validate_json(restore_paths(att.model_dump_json(), moved)),
            files=pack(d, exclude=("result.json",)),
            node=node,
            host=host,
        )


def score_instance(payload: ScorePayload, node: str) -> ScoreReturn:
    """One instance, every planned variant built, tested and timed on this node: returns score.json, the
    variants' records and this measurement's samples."""
    host = platform.node()
    with _workdir() as tmp:
        cfg, state, inst, moved = _state(Path(tmp), payload)
        for a in payload.attempts:
            if a.record is None:
                continue
            d = state.attempt_dir(inst.instance_id, a.record.provider, a.record.attempt)
            unpack(a.files, d)
            write_model(d / "result.json", a.record)
        wanted = set(payload.variants)
        specs = [v for v in variant_specs(state, inst) if v.name in wanted]
        sandbox = get_sandbox(payload.sandbox, image=cfg.container.image)
        sandbox.check()
        _refuse_on_this_node(host, node, lambda: Resources(cfg.container.limits()).require(str(cfg.source)))
        scorer = Scorer(cfg, state, sandbox, PlainScoreReporter(io.StringIO(), quiet=True))
        scorer.builder.cache_dir = node_cache()
        res = scorer.execute(inst, Plan(specs, payload.carried, payload.fingerprint, None), force=True)
        res.environment.node = node
        sdir = state.score_dir(inst.instance_id)
        return ScoreReturn(
            score=restore_paths(res.model_dump_json(), moved),
            variants={p.name: restore_paths(p.read_text(), moved) for p in (sdir / "variants").glob("*.json")},
            samples={p.name: restore_paths(p.read_text(), moved) for p in sdir.glob("samples*.jsonl")},
            node=node,
            host=host,
        )
