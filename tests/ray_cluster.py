"""A Ray cluster of several nodes on this machine, for the tests and benchmarks of `--executor ray`: a head
without CPUs (it schedules and runs nothing) and worker nodes of one CPU each, every node's processes
pinned to a core of its own, as if each were a machine of one core. The workers have the test provider's
key in their environment, as `export ISOBENCH_TEST_KEY=...; ray start --address ...` would give them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ray.cluster_utils import Cluster

KEY = "sk-test-RAY-NODE-KEY-5f0e2d7c91"


@contextlib.contextmanager
def on_core(core: int) -> Iterator[None]:
    """Processes started meanwhile (a node's raylet, hence its workers and agents) run on `core` only."""
    cores = sorted(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cores[core % len(cores)]})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class RayCluster:
    """The head and `workers` nodes; `add` and `remove` change it while it runs."""

    def __init__(self, workers: int = 2) -> None:
        self.temp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths must fit
        # Ray writes the head's address to /tmp/ray/ray_current_cluster whatever temp_dir says; on a fresh
        # machine nothing has made /tmp/ray yet.
        Path(tempfile.gettempdir(), "ray").mkdir(exist_ok=True)
        self.cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "temp_dir": str(self.temp)})
        self.workers: list[Any] = []
        self.added = 0
        for _ in range(workers):
            self.add()

    def add(self) -> Any:
        with on_core(self.added):
            node = self.cluster.add_node(
                num_cpus=1, temp_dir=str(self.temp), env_vars={"ISOBENCH_TEST_KEY": KEY}, wait=True
            )
        self.added += 1
        self.workers.append(node)
        return node

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def node_ids(self) -> set[str]:
        return {n.node_id for n in self.workers}

    def remove(self, node_id: str) -> None:
        node = next(n for n in self.workers if n.node_id == node_id)
        self.workers.remove(node)
        self.cluster.remove_node(node, allow_graceful=False)

    def running_attempt_nodes(self) -> list[str]:
        """Nodes with an agent running now: each agent process's ancestors lead to one node's raylet."""
        raylets = {n.all_processes["raylet"][0].process.pid: n.node_id for n in self.workers}
        out = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmd = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(sys.executable.encode()) and b"openhands_runner" in cmd and b"isobench-worker-" in cmd:
                pid = int(proc.name)
                while pid > 1 and pid not in raylets:
                    try:
                        pid = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        break
                if pid in raylets:
                    out.append(raylets[pid])
        return sorted(set(out))

    def shutdown(self) -> None:
        self.cluster.shutdown()  # type: ignore[no-untyped-call]
        shutil.rmtree(self.temp, ignore_errors=True)
