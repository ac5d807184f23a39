"""`--executor ray` on a real multi-node Ray cluster on this machine (`ray.cluster_utils.Cluster`): a head
without CPUs and worker nodes of one CPU each, every node's processes pinned to a core of its own, as if
each were a machine. The agents are the real OpenHands agent, as everywhere else.

What a user relies on: the cluster gives the chain the local executor gives (the demo's outcomes, which its
design decides and tests/test_demo_chain.py asserts of the local executor, recorded here rather than run
again locally); keys stay on the nodes; a node that dies costs a retry, not a result; the driver can be
killed and resumed; and each instance is scored on one node.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from isobench.score.variants import dirname
from tests.processes import processes_mentioning
from tests.ray_cluster import KEY, RayCluster
from tests.test_demo_chain import BENCH, by_head, demo_project, run_chain
from tests.test_hardening import files_containing, keyed
from tests.test_run import ISOBENCH, Bench, wait_for

# The first test also builds the demo chain on the cluster: minutes on two busy cores.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

DRIVER_ONLY_KEY = "sk-test-RAY-DRIVER-ONLY-33aa81"

# What the local executor gives on the demo (tests/test_demo_chain.py asserts it there): the demo's design
# decides it, whichever executor runs the chain.
DEMO_TAGS = ("opt-small", "opt-medium", "opt-large", "opt-ngrams")
PROVIDERS = ("oracle", "noop", "saboteur")
# per (tag, variant): human (classification, correct); agent (correct, patch_empty, failed)
DEMO_LABELS: dict[tuple[str, str], tuple[Any, ...]] = {
    **{(tag, "human"): ("faster", True) for tag in DEMO_TAGS},
    **{(tag, "oracle#1"): (True, False, False) for tag in DEMO_TAGS},
    **{(tag, "noop#1"): (False, True, True) for tag in DEMO_TAGS},
    **{(tag, "saboteur#1"): (False, False, True) for tag in DEMO_TAGS},
}
DEMO_CORRECT = {"oracle": 4, "noop": 0, "saboteur": 0}
DEMO_FAILURES = {"noop": {"empty_patch": 4}, "saboteur": {"incorrect": 4}}  # not timing-dependent (rho's CI is)
# What the local executor leaves in the folder of a scripted OpenHands attempt that succeeded.
ATTEMPT_FILES = [
    "agent.log",
    "conversation",
    "events.jsonl",
    "model_patch.diff",
    "progress.json",
    "prompt.md",
    "result.json",
    "runner_result.json",
    "spec.json",
    "test_edits.diff",
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    c = RayCluster()
    yield c
    c.shutdown()


def on_ray(c: RayCluster) -> tuple[str, ...]:
    return ("--executor", "ray", "--ray-address", c.address)


# --- the chain: same instances, attempts and labels as the local executor ----------------------------


@pytest.fixture(scope="module")
def ray_chain(cluster: RayCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("ray-chain")
    project = demo_project(d, BENCH)
    return {**project, **run_chain(d, *on_ray(cluster), export=False)}


def test_the_cluster_gives_the_chain_the_local_executor_gives(ray_chain: dict[str, Any], cluster: RayCluster) -> None:
    plan = ray_chain["plan"]
    assert sorted(i["head_commit"] for i in plan) == sorted(ray_chain["tags"][t] for t in DEMO_TAGS)

    attempts = sorted((a["instance_id"], a["provider"], a["attempt"], a["status"]) for a in ray_chain["run"])
    assert attempts == sorted((i["instance_id"], p, 1, "success") for i in plan for p in PROVIDERS)
    for a in ray_chain["run"]:  # each attempt names the node it ran on; none was lost
        assert a["executor"]["kind"] == "ray" and a["executor"]["node"] in cluster.node_ids(), a["executor"]
        assert a["executor"]["lost"] == []
    # The same state layout: every attempt's folder holds what the local executor leaves there.
    for a in ray_chain["run"]:
        folder = ray_chain["dir"] / "state" / "runs" / a["instance_id"] / a["provider"] / str(a["attempt"])
        assert sorted(p.name for p in folder.iterdir()) == ATTEMPT_FILES, folder

    # The labels the demo's design decides (the short look decides these safely on either executor).
    labels: dict[tuple[str, str], tuple[Any, ...]] = {}
    for tag, s in by_head(ray_chain).items():
        assert s["valid"], (tag, s["invalid_reason"])
        for name, v in s["variants"].items():
            if name == "human":
                labels[(tag, name)] = (v["classification"], v["correct"])
            elif "#" in name:
                failed = v["outcome"]["match_label"] in ("incorrect", "empty_patch")
                labels[(tag, name)] = (v["outcome"]["correct"], v["patch_empty"], failed)
    assert labels == DEMO_LABELS
    providers = ray_chain["correlate"]["providers"]
    assert {p: v["correct"] for p, v in providers.items()} == DEMO_CORRECT
    assert {p: providers[p]["failure_reasons"] for p in DEMO_FAILURES} == DEMO_FAILURES


def test_each_instance_is_scored_on_one_node_which_score_json_names(
    ray_chain: dict[str, Any], cluster: RayCluster
) -> None:
    nodes = []
    for s in ray_chain["score"]:
        env = s["environment"]
        assert env["node"] in cluster.node_ids() and env["lost_nodes"] == 0
        assert env["cores"] == 1 and env["cpu"] and env["memory_gb"] > 0  # the node's own hardware
        # its human speedup measured there, beside every other variant of the instance
        assert set(s["measurement"]["variants"]) >= {"base", "human", "base_aa"}
        nodes.append(env["node"])
    assert len(set(nodes)) == 2  # both nodes scored, in parallel, one instance at a time each
    # score.json, variants/ and samples.jsonl sit in the driver's state, as after a local score
    sdir = ray_chain["dir"] / "state" / "score" / ray_chain["score"][0]["instance_id"]
    assert (sdir / "score.json").exists() and (sdir / "samples.jsonl").stat().st_size > 0
    recorded = {p.stem for p in (sdir / "variants").glob("*.json")}
    assert recorded == {dirname(n) for n in [*ray_chain["score"][0]["variants"], "base_aa"]}
    assert not (sdir / "envs").exists()  # nothing of the builds comes back


# --- keys stay on the nodes --------------------------------------------------------------------------


def readable_files(root: Path) -> Iterator[Path]:
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_file() and not p.is_socket():
                yield p


def files_with(roots: list[Path], needles: list[str]) -> list[str]:
    hits = []
    for root in roots:
        for p in readable_files(root):
            with contextlib.suppress(OSError):
                data = p.read_bytes()
                if any(n.encode() in data for n in needles):
                    hits.append(str(p))
    return hits


def test_keys_never_travel_and_a_node_without_the_key_refuses_naming_itself_and_the_variable(
    cluster: RayCluster, tmp_path: Path
) -> None:
    from isobench.agents.scripted_server import ScriptedLLMServer
    from isobench.agents.scripts import Scenario

    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=["echo hello"])) as server:
        url = server.base_url("t")
        b = Bench(tmp_path, [keyed("keyed", url), {**keyed("elsewhere", url), "api_key_env": "ISOBENCH_OTHER_KEY"}])
        # The driver has both keys; the nodes only ISOBENCH_TEST_KEY.
        keys = {"ISOBENCH_TEST_KEY": KEY, "ISOBENCH_OTHER_KEY": DRIVER_ONLY_KEY}
        r = b.cli("run", *on_ray(cluster), "--json", env=keys)
        assert server.requests and all(auth for *_, auth in server.requests)  # the nodes' key reached the endpoint
    assert r.returncode == 1, r.stdout + r.stderr  # one unit could not run
    rec = b.result("keyed")
    assert rec and rec["status"] == "success" and rec["executor"]["node"] in cluster.node_ids()
    assert b.result("elsewhere") is None  # refused: still to do, nothing recorded
    refusal = [line for line in (r.stdout + r.stderr).splitlines() if "ISOBENCH_OTHER_KEY" in line]
    assert refusal and "node " in refusal[0] and "export it before `ray start`" in refusal[0], refusal
    assert [x["provider"] for x in json.loads(r.stdout)] == ["keyed"]
    # Neither key in any log, spilled object or session file of any node, in shared memory, or the state.
    shm = [Path("/dev/shm")] if Path("/dev/shm").is_dir() else []
    assert files_with([cluster.temp, *shm], [KEY, DRIVER_ONLY_KEY]) == []
    assert files_containing(b.state, [KEY, DRIVER_ONLY_KEY]) == []
    assert KEY not in r.stdout + r.stderr and DRIVER_ONLY_KEY not in r.stdout + r.stderr


def test_an_agent_on_a_node_reaches_its_model_and_not_the_cluster(cluster: RayCluster, tmp_path: Path) -> None:
    """The agent's commands on a worker node have no network: the cluster's own address (its GCS) is as
    unreachable from there as anything else, while the agent's LLM calls go through."""
    from isobench.agents.scripted_server import ScriptedLLMServer
    from isobench.agents.scripts import Scenario

    host, port = cluster.address.rsplit(":", 1)
    code = (
        f"import socket\ntry:\n    socket.create_connection(('{host}', {port}), timeout=5)\n    r = 'CONNECTED'\n"
        "except OSError as e:\n    r = 'blocked: ' + type(e).__name__\nopen('reach.txt', 'w').write(r)\n"
    )
    probe = f'python -c "{code}"'
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=[probe])) as server:
        b = Bench(tmp_path, [keyed("prober", server.base_url("t"))])
        r = b.cli("run", *on_ray(cluster), "--json", env={"ISOBENCH_TEST_KEY": KEY})
        assert server.requests  # the model was reached, from the node
    assert r.returncode == 0, r.stdout + r.stderr
    rec = b.result("prober")
    assert rec and rec["status"] == "success" and rec["executor"]["node"] in cluster.node_ids(), rec
    patch = b.attempt_file("prober", "model_patch.diff").read_text()
    assert "+blocked: " in patch and "CONNECTED" not in patch, patch


# --- a node dies mid-run; the driver is killed mid-run -----------------------------------------------


def sleeper(seconds: int, name: str = "sleeper") -> dict[str, Any]:
    return {"name": name, "provider": "scripted", "script": "sleeper", "script_params": {"sleep_s": seconds}}


def test_a_node_removed_mid_run_costs_a_retry_elsewhere_not_a_result(cluster: RayCluster, tmp_path: Path) -> None:
    b = Bench(tmp_path, [sleeper(25)])
    args = ["run", *on_ray(cluster), "-k", "2", "-j", "2", "--json"]
    proc = subprocess.Popen([*ISOBENCH, *args], cwd=b.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(cluster.running_attempt_nodes()) == 2, 240, "both attempts running on the cluster")
        victim = cluster.running_attempt_nodes()[0]
        time.sleep(3)
        cluster.remove(victim)  # kill -9 of the node's raylet and every process of it
        cluster.add()  # a replacement joins, as an autoscaler would bring one
        out, err = proc.communicate(timeout=400)
    finally:
        proc.kill()
    assert proc.returncode == 0, out + err
    results = json.loads(out)  # stdout is the JSON alone, whatever Ray says about the lost node
    assert sorted(r["attempt"] for r in results) == [1, 2]  # each attempt counted once
    recs = [b.result("sleeper", n) for n in (1, 2)]
    assert all(r and r["status"] == "success" for r in recs), recs
    retried = [r for r in recs if r and r["executor"]["lost"]]
    assert len(retried) == 1, [r and r["executor"] for r in recs]  # the state shows the retry
    assert retried[0]["executor"]["lost"] == ["NodeDiedError"] and retried[0]["executor"]["node"] != victim
    assert sorted(p.name for p in (b.state / "runs" / b.iid / "sleeper").iterdir()) == ["1", "2"]


def test_kill_9_of_the_driver_then_resume_loses_and_repeats_nothing(cluster: RayCluster, tmp_path: Path) -> None:
    b = Bench(tmp_path, [{"name": "noop", "provider": "scripted"}, sleeper(3600)])
    proc = b.popen("run", *on_ray(cluster), "-j", "2")
    wait_for(lambda: b.result("noop") is not None, 240, "the first attempt")
    wait_for(lambda: len(cluster.running_attempt_nodes()) >= 1, 60, "the sleeper on a node")
    done = b.result("noop")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Ray ends a dead driver's tasks: the sleeper's agent goes with its worker, on its node.
    wait_for(lambda: processes_mentioning("sleep 3600") == [], 60, "the agent to die with the driver's job")
    assert b.result("sleeper") is None
    # Resume with the sleeper's wall time cut, so that it ends.
    import yaml

    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["agents"]["openhands"]["llm_configs"][1]["time_budget_minutes"] = 0.1
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("prepare").returncode == 0
    r = b.cli("run", *on_ray(cluster), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert [(x["provider"], x["status"]) for x in json.loads(r.stdout)] == [("sleeper", "timeout")]
    assert b.result("noop") == done  # untouched
    assert sorted(p.name for p in (b.state / "runs" / b.iid).iterdir()) == ["noop", "sleeper"]
    # nothing of the dead driver's units is left on the nodes
    wait_for(lambda: processes_mentioning("isobench-worker-") == [], 30, "no worker unit left running")
