"""The Ray executor, driver side: units go to the cluster's workers, their results come back here.

    isobench run --executor ray [--ray-address ADDR]      isobench score --executor ray [...]

What crosses the network, and what does not:

- to a worker: the unit's instance record, its prepared record and prompt, the provider's settings (the
  name of its key variable, never the key), bench.yaml's settings, and the snapshot of the base (a
  tar.gz of one orphan commit: no history); for scoring, the attempts' records and patches;
- back: the attempt's record and folder (patch, events, logs), or the instance's score.json, variant
  records and samples;
- never: an API key. Ray keeps task arguments in its object store and logs, so a worker takes the key
  from its own environment (export it before `ray start` there) and refuses the unit without it.

The state directory is written only here, by the driver, exactly as the local executor writes it, so a
cluster run resumes, and survives Ctrl-C and kill -9, the same way. A unit whose node dies is started
again on another node (`executor.retries`); its record names the nodes lost. Attempts respect the same
parallelism limits as locally (overall and per provider; the driver is the only one that submits them). A
node scores one instance at a time and reserves all its CPUs for it, so nothing else runs there while it
times; all variants of an instance are built and timed on that one node (score.json records which, and
its hardware), so the human's speedup is measured again on every node that scores.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import cast

import ray
from ray import ObjectRef
from ray.exceptions import NodeDiedError, ObjectLostError, RayTaskError, TaskCancelledError, WorkerCrashedError

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.executors import InstanceScorer
from isobench.executors.bundle import (
    AttemptPayload,
    AttemptReturn,
    ScorePayload,
    ScoreReturn,
    ShippedAttempt,
    pack,
    ship_instance,
    unpack,
)
from isobench.progress import ScoreReporter
from isobench.records import Attempt, Instance, InstanceScore
from isobench.run.attempt import Runner
from isobench.run.scripted import scenario
from isobench.run.units import Unit, UnitRefused
from isobench.score import Plan, Scorer, unit
from isobench.state import State, atomic_write_text, remove_tree, write_model

LOST = (NodeDiedError, WorkerCrashedError, ObjectLostError)


@ray.remote(max_retries=0)
def _attempt_task(payload: AttemptPayload, snapshot: bytes) -> AttemptReturn:
    """`snapshot` is a top-level argument: Ray resolves the shared object reference to its bytes."""
    from isobench.executors.worker import run_attempt

    payload.snapshot = snapshot
    return run_attempt(payload, ray.get_runtime_context().get_node_id())


@ray.remote(max_retries=0)
def _score_task(payload: ScorePayload) -> ScoreReturn:
    from isobench.executors.worker import score_instance

    return score_instance(payload, ray.get_runtime_context().get_node_id())


def connect(cfg: BenchConfig, address: str | None) -> None:
    """Join the cluster (the address given, else bench.yaml's, else RAY_ADDRESS, else start a local one)."""
    if ray.is_initialized():
        return
    address = address or cfg.executor.address or os.environ.get("RAY_ADDRESS")
    _reachable(address)
    _messages_to_stderr()
    try:
        ray.init(address=address, log_to_driver=False, include_dashboard=False, logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UserError(f"--executor ray: cannot reach the Ray cluster at {address}: {exc}") from None


def _reachable(address: str | None) -> None:
    """Refuse at once, with one line, a cluster address nothing answers at (Ray itself retries for minutes)."""
    host, _, port = (address or "").removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # none (a local cluster), "auto", "local"...
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise UserError(
            f"--executor ray: nothing answers at {address} ({exc.strerror or exc}); start the cluster with "
            "`ray start --head` there, or give its address with --ray-address or executor.address"
        ) from None


def _messages_to_stderr() -> None:
    """Ray prints the cluster's error messages (e.g. "Raylet is terminated" when a node dies) on the
    driver's stdout, which is `--json`'s and the live display's: send them to stderr instead."""
    import ray._private.worker as ray_worker

    show = ray_worker.print_to_stdstream
    if getattr(show, "isobench", False):
        return

    def to_stderr(data: dict[str, object], ignore_prefix: bool) -> None:
        show({**data, "is_err": True}, ignore_prefix)

    to_stderr.isobench = True  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = to_stderr


def _lost(exc: BaseException) -> bool:
    """The task's node or worker went away (not the unit's own failure)."""
    if isinstance(exc, LOST):
        return True
    return isinstance(exc, RayTaskError) and isinstance(getattr(exc, "cause", None), LOST)


def _refusal(exc: BaseException) -> str | None:
    cause = getattr(exc, "cause", None)
    return str(cause) if isinstance(cause, UnitRefused) else None


class RayAttempts:
    """Attempts on a Ray cluster, behind the same interface as `LocalAttempts`."""

    name = "ray"

    def __init__(self, cfg: BenchConfig, state: State, runner: Runner, *, address: str | None) -> None:
        self.cfg = cfg
        self.state = state
        self.runner = runner
        connect(cfg, address)
        self.snapshots: dict[str, ObjectRef[bytes]] = {}  # instance -> object ref of its snapshot, sent once
        self.lost: dict[str, list[str]] = {}  # unit -> nodes it was lost on
        self.refs: set[ObjectRef[AttemptReturn]] = set()

    def _snapshot(self, iid: str) -> ObjectRef[bytes]:
        if iid not in self.snapshots:
            self.snapshots[iid] = ray.put(pack(self.state.snapshot_dir(iid)))
        return self.snapshots[iid]

    def submit(self, u: Unit) -> ObjectRef[AttemptReturn]:
        iid = u.inst.instance_id
        prompt = (self.state.prepared_dir(iid, u.provider.name) / "prompt.md").read_text(encoding="utf-8")
        payload = AttemptPayload(
            config=self.cfg.model_dump(),
            instance=ship_instance(u.inst),
            prepared=u.prepared,
            prompt=prompt,
            provider=u.provider.name,
            attempt=u.attempt,
            sandbox=self.runner.launcher.sandbox.name,
            keep_work=self.runner.keep_work,
            scenario=vars(scenario(self.cfg, u.inst, u.provider.name)) if u.provider.provider == "scripted" else None,
        )
        ref = _attempt_task.options(num_cpus=1).remote(payload, self._snapshot(iid))
        self.refs.add(ref)
        return ref

    # A handle is one `submit` handed out (an object reference), as `AttemptExecutor` hands it back.
    def wait(self, handles: list[object], timeout: float) -> list[object]:
        if not handles:
            return []
        refs = cast(list[ObjectRef[AttemptReturn]], handles)
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)  # as soon as one is done
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        return list(ready)

    def result(self, handle: object, u: Unit) -> Attempt | Unit | None:
        ref = cast(ObjectRef[AttemptReturn], handle)
        self.refs.discard(ref)
        try:
            out = ray.get(ref)
        except TaskCancelledError:
            return None
        except Exception as exc:
            refused = _refusal(exc)
            if refused:
                raise UnitRefused(refused) from None
            if not _lost(exc):
                raise
            lost = self.lost.setdefault(u.key, [])
            lost.append(type(exc).__name__)
            if len(lost) <= self.cfg.executor.retries:
                return u  # started again, elsewhere
            out = None
        return self._record(u, out)

    def _record(self, u: Unit, out: AttemptReturn | None) -> Attempt:
        """Write what the worker sent into the state: the attempt's files first, its record last."""
        d = self.state.attempt_dir(u.inst.instance_id, u.provider.name, u.attempt)
        remove_tree(d)
        lost = self.lost.pop(u.key, [])
        if out is None:  # every node it went to was lost: the harness got no answer
            att = Attempt(
                status="runtime_error",
                **u.identity(),
                exit_code=None,
                wall_s=0.0,
                isobench_version="",
                error=f"the Ray worker running it was lost {len(lost)} time(s): {', '.join(lost)}",
                model_patch=None,
                test_edits=None,
                sandbox=self.runner.launcher.sandbox.name,
                limits={},
                started_at="",
                finished_at="",
                executor={"kind": "ray", "lost": lost},
            )
            d.mkdir(parents=True)
        else:
            unpack(out.files, d)
            att = out.attempt
            att.executor = {"kind": "ray", "node": out.node, "host": out.host, "lost": lost}
        name = "interrupted.json" if att.status == "interrupted" else "result.json"
        return write_model(d / name, att)

    def interrupt(self) -> None:
        for ref in list(self.refs):
            ray.cancel(ref, force=True)  # the worker process dies, and its sandboxed agent with it

    def close(self) -> None:
        """Leave the cluster running (it may be shared); this driver's tasks end with it."""


def _scoring_nodes() -> dict[str, int]:
    """Alive nodes that can score: node id -> its CPUs."""
    return {
        n["NodeID"]: int(n["Resources"]["CPU"])
        for n in ray.nodes()  # type: ignore[no-untyped-call]
        if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1
    }


def _score_payload(cfg: BenchConfig, state: State, scorer: Scorer, inst: Instance, plan: Plan) -> ScorePayload:
    """What a node needs to score one instance: its record, the snapshot of the base, and every planned
    attempt's record and patch (not its events or logs)."""
    from isobench.prepare import ensure_snapshot

    ensure_snapshot(state, inst)
    attempts = []
    for v in plan.specs:
        if v.kind == "agent":
            assert v.provider is not None and v.attempt is not None
            rec = state.attempt_result(inst.instance_id, v.provider, v.attempt)
            d = state.attempt_dir(inst.instance_id, v.provider, v.attempt)
            files = pack(d, exclude=("result.json", "conversation", "events.jsonl", "workspace"))
            attempts.append(ShippedAttempt(record=rec, files=files))
    return ScorePayload(
        config=cfg.model_dump(),
        instance=ship_instance(inst),
        sandbox=scorer.builder.sandbox.name,
        snapshot=pack(state.snapshot_dir(inst.instance_id)),
        attempts=attempts,
        variants=[v.name for v in plan.specs],
        carried=plan.carried,
        fingerprint=plan.fingerprint,
    )


class RayExecutor:
    """A Ray cluster (`executors.Executor`): attempts spread over its nodes, instances scored in parallel,
    one per node."""

    kind = "ray"
    keys_here = False  # each node takes the key from its own environment

    def __init__(self, cfg: BenchConfig, state: State, address: str | None) -> None:
        self.cfg = cfg
        self.state = state
        self.address = address

    def connect(self) -> None:
        connect(self.cfg, self.address)

    def attempts(self, runner: Runner, max_parallel: int) -> RayAttempts:
        return RayAttempts(self.cfg, self.state, runner, address=self.address)

    def score(
        self,
        scorer: InstanceScorer,
        instances: list[Instance],
        providers: list[str] | None,
        force: bool,
        reporter: ScoreReporter,
        keep_work: bool,
    ) -> list[InstanceScore]:
        if not isinstance(scorer, Scorer):  # a node rebuilds the scorer from its settings: it must be isobench's
            raise TypeError(f"the Ray executor scores with isobench.score.Scorer, not {type(scorer).__name__}")
        return score_on_cluster(self.cfg, self.state, scorer, instances, providers, force, reporter, self.address)


def score_on_cluster(
    cfg: BenchConfig,
    state: State,
    scorer: Scorer,
    instances: list[Instance],
    providers: list[str] | None,
    force: bool,
    reporter: ScoreReporter,
    address: str | None,
) -> list[InstanceScore]:
    """Score instances on the cluster, in parallel across nodes, one instance per node at a time: its task
    reserves all of the node's CPUs (nothing else runs there while it times) and all its variants are
    built and timed there. Results are written here as they come back; a node that dies takes its
    instance to another node, all variants again (`executor.retries`)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    connect(cfg, address)
    out: dict[str, InstanceScore] = {}
    queue: list[tuple[Instance, Plan]] = []
    for inst in instances:
        unit.settle(state, inst.instance_id)  # a swap a crash cut short is finished first
        plan = scorer.plan(inst, providers, force)
        if plan.current is not None:
            out[inst.instance_id] = plan.current
            reporter.instance_done(inst.instance_id, plan.current)
        else:
            queue.append((inst, plan))
    running: dict[ObjectRef[ScoreReturn], tuple[Instance, Plan, str]] = {}  # task -> its instance and node
    tries: dict[str, int] = {}
    while queue or running:
        nodes = _scoring_nodes()
        if not nodes and not running:
            raise UserError("--executor ray: no node of the cluster is alive with a CPU to score on")
        for node, cpus in nodes.items():
            if not queue:
                break
            if any(n == node for *_, n in running.values()):
                continue
            inst, plan = queue.pop(0)
            payload = _score_payload(cfg, state, scorer, inst, plan)
            where = NodeAffinitySchedulingStrategy(node, soft=False)
            ref = _score_task.options(num_cpus=cpus, scheduling_strategy=where).remote(payload)
            running[ref] = (inst, plan, node)
            reporter.instance_started(inst.instance_id, [v.name for v in plan.specs])
        ready, _ = ray.wait(list(running), num_returns=1, timeout=5.0)
        for ref in ready:
            inst, plan, node = running.pop(ref)
            iid = inst.instance_id
            try:
                res = ray.get(ref)
            except Exception as exc:
                if _lost(exc) and tries.get(iid, 0) < cfg.executor.retries:
                    tries[iid] = tries.get(iid, 0) + 1
                    queue.insert(0, (inst, plan))
                    continue
                raise UserError(f"{iid}: the cluster could not score it: {type(exc).__name__}: {exc}") from None
            sdir = unit.begin(state, iid, reuse_builds=False)  # the unit is replaced whole (score.unit)
            for name, text in res.variants.items():
                atomic_write_text(sdir / "variants" / name, text)
            for name, text in res.samples.items():  # each measurement's samples, appended to the driver's
                with (sdir / name).open("a", encoding="utf-8") as f:
                    f.write(text)
            score = InstanceScore.model_validate_json(res.score)
            score.environment.lost_nodes = tries.get(iid, 0)
            out[iid] = unit.commit(state, iid, score)
            reporter.instance_done(iid, score)
    return [out[i.instance_id] for i in instances]
