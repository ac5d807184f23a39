"""The pieces `run` and `score` share whatever executes them: which attempt may start (overall and per
provider limits), what crosses the network to a worker, and the refusals of a bad executor choice. The
cluster itself is exercised in tests/test_ray.py."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.config import ProviderConfig
from isobench.executors.bundle import land_instance, pack, restore_paths, ship_instance, unpack
from isobench.run.schedule import Slots
from isobench.run.units import Unit
from tests.factories import instance as make_instance


def units(limits: dict[str, int | None], per_provider: int) -> list[Unit]:
    provs = [ProviderConfig(name=n, provider="scripted", max_parallel_runs=cap) for n, cap in limits.items()]
    inst = make_instance()
    return [Unit(inst, p, a, None) for a in range(1, per_provider + 1) for p in provs]  # type: ignore[arg-type]


def drain(slots: Slots) -> list[str]:
    out = []
    while (u := slots.take()) is not None:
        out.append(u.provider.name)
    return out


def test_a_provider_never_runs_more_attempts_at_once_than_its_own_limit() -> None:
    slots = Slots(units({"claude": 1, "gpt": None}, per_provider=4), overall=3)
    first = drain(slots)
    assert sorted(first) == ["claude", "gpt", "gpt"]  # claude's second waits although a slot is free
    assert slots.running == {"claude": 1, "gpt": 2}
    # A gpt attempt ends: the next that fits is gpt's, claude is still at its limit.
    slots.release(Unit(make_instance(), ProviderConfig(name="gpt", provider="scripted"), 1, None))  # type: ignore[arg-type]
    assert drain(slots) == ["gpt"]
    # claude's ends: claude's next starts, in queue order.
    slots.release(Unit(make_instance(), ProviderConfig(name="claude", provider="scripted"), 1, None))  # type: ignore[arg-type]
    assert drain(slots) == ["claude"]


def test_the_overall_limit_holds_across_providers() -> None:
    slots = Slots(units({"a": None, "b": None, "c": None}, per_provider=2), overall=2)
    assert len(drain(slots)) == 2 and sum(slots.running.values()) == 2


def test_folders_cross_as_archives_and_nothing_lands_outside(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_bytes(b"\x00bytes\r\n")
    (src / "skip.json").write_text("{}")
    dest = tmp_path / "dest"
    unpack(pack(src, exclude=("skip.json",)), dest)
    assert (dest / "sub" / "a.txt").read_bytes() == b"\x00bytes\r\n" and not (dest / "skip.json").exists()


def test_an_instance_travels_with_its_outside_workload_files_and_its_records_name_them_as_on_the_driver(
    tmp_path: Path,
) -> None:
    wl = tmp_path / "driver" / "workloads" / "w.py"
    wl.parent.mkdir(parents=True)
    wl.write_text("print('work')\n")
    inst = make_instance(workload_files=[str(wl)], efficiency_test=[f"python {wl} --n 3"])
    shipped = pickle.loads(pickle.dumps(ship_instance(inst)))  # what Ray would carry (its serializer pickles)
    node = tmp_path / "node"
    landed, moved = land_instance(shipped, node)
    [here] = landed.workload_files
    assert Path(here).read_text() == "print('work')\n" and Path(here).is_relative_to(node)
    assert landed.efficiency_test == [f"python {here} --n 3"]
    assert restore_paths(landed.model_dump_json(), moved) == inst.model_dump_json()


def cli(tmp_path: Path, *args: str) -> Any:
    (tmp_path / "bench.yaml").write_text("tasks: []\n")
    return CliRunner().invoke(app, ["--config", str(tmp_path / "bench.yaml"), *args])


def test_an_unknown_executor_is_one_line_and_exit_2(tmp_path: Path) -> None:
    r = cli(tmp_path, "run", "--executor", "slurm")
    assert r.exit_code == 2 and "--executor: 'slurm' is not one of local, ray" in r.output


@pytest.mark.parametrize("command", ["run", "score"])
def test_a_cluster_nothing_answers_at_is_refused_at_once_and_the_state_is_left_as_it_was(
    tmp_path: Path, command: str
) -> None:
    from tests.test_run import Bench

    b = Bench(tmp_path, [{"name": "noop", "provider": "scripted"}])
    before = sorted(str(p.relative_to(b.state)) for p in b.state.rglob("*") if "lock" not in p.name)
    r = b.cli(command, "--executor", "ray", "--ray-address", "127.0.0.1:1", timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    [line] = r.stderr.strip().splitlines()
    assert "nothing answers at 127.0.0.1:1" in line and "ray start --head" in line
    after = sorted(str(p.relative_to(b.state)) for p in b.state.rglob("*") if "lock" not in p.name)
    assert after == before


def test_workers_sharing_a_node_sweep_folders_of_dead_workers_without_tripping_on_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers on one node both find the same dead worker's folder; both must go on with their unit
    (on a cluster this raced: one removed files the other was about to remove, and its attempt failed)."""
    import threading

    from isobench.executors import worker

    monkeypatch.setattr(worker.tempfile, "tempdir", str(tmp_path))
    dead = 2**22 + 12345  # above the kernel's pid limit: never a live process
    for i in range(30):
        deep = tmp_path / f"isobench-worker-{dead}-{i}" / "state" / "attempts" / "a" / ".git" / "info"
        deep.mkdir(parents=True)
        for j in range(20):
            (deep / f"exclude{j}").write_text("x")
    live = tmp_path / f"isobench-worker-{__import__('os').getpid()}-mine"
    live.mkdir()
    errors: list[BaseException] = []

    def unit() -> None:
        try:
            with worker._workdir() as d:
                assert Path(d).is_dir()
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=unit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not list(tmp_path.glob(f"isobench-worker-{dead}-*"))
    assert live.is_dir()  # a live worker's folder is left alone
