"""A redo replaces its unit whole: until the new record is written the old unit stays exactly as it was, and
a record names the files it was made from, so a unit whose files are not its own is reported, not counted.

Fast tests leave a score unit in every state a kill can leave it in (the staging folder half written, the
record written but not swapped in, between the two renames, before the old copy goes) and check what
readers, `status`, `gc` and the next run make of it. The slow drills SIGKILL real `score --force`,
`score -p`, `correlate` and `export` runs at named moments (the ISOBENCH_TEST_PAUSE_AT hook,
`isobench.state.pause_point`) and check the state afterwards and after the next plain run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from isobench.cli import app
from isobench.config import load_bench
from isobench.gc import collectable, gc, inconsistent
from isobench.records import InstanceScore
from isobench.score import unit
from isobench.state import State, old_copy_of, read_model, recover, staging_of, unit_files, write_model
from isobench.status import summarize
from tests import factories
from tests.processes import processes_mentioning

IID = "tinyrepo-aaaaaaaaaa"
BENCH = "agents:\n  openhands:\n    llm_configs:\n      - {name: p1, provider: scripted}\n"


def header(run_id: str) -> str:
    return json.dumps({"type": "header", "run_id": run_id}) + "\n"


def sample(run_id: str, variant: str, rnd: int, value: float) -> str:
    rec = {"type": "sample", "run_id": run_id, "phase": "timed", "variant": variant, "round": rnd}
    return json.dumps({**rec, "value_s": value, "ok": True}) + "\n"


def planned(tmp_path: Path) -> State:
    state = State(tmp_path / "state")
    write_model(state.instance_path(IID), factories.instance(IID))
    (tmp_path / "bench.yaml").write_text(BENCH)
    return state


def scored(state: State, run_id: str, variants: dict[str, str]) -> InstanceScore:
    """One score run as `score` makes it: the staging folder begun, its files written, the record committed."""
    folder = unit.begin(state, IID)
    for name, text in variants.items():
        (folder / "variants" / f"{name}.json").write_text(text)
    with (folder / "samples.jsonl").open("a") as f:
        f.write(header(run_id) + "".join(sample(run_id, v, r, 1.0 + r / 100) for r in range(4) for v in variants))
    rec = factories.score(IID, {}, measurement=measurement(run_id), samples_file="samples.jsonl")
    return unit.commit(state, IID, rec)


def measurement(run_id: str) -> dict[str, object]:
    return {
        "run_id": run_id,
        "reference": "base",
        "variants": ["base", "human"],
        "rounds": 4,
        "timing_mode": "in_process",
        "stop_reason": "max_rounds",
        "wall_s": 1.0,
        "floor_s": 0.0,
        "warmup_s": 0.0,
        "efficiency": 1.0,
        "failed": {},
        "pinned_core": None,
        "halfwidths": {},
        "config": {},
    }


def staged_second_run(state: State) -> Path:
    """A second run's staging folder with its new files, its record not yet written."""
    folder = unit.begin(state, IID)
    (folder / "variants" / "human.json").write_text('{"second": true}')
    with (folder / "samples.jsonl").open("a") as f:
        f.write(header("run-2") + sample("run-2", "human", 0, 0.5))
    return folder


def unit_state(state: State) -> tuple[str | None, str | None]:
    """(the run id of the record a reader sees, why its files are not its own)."""
    rec = state.score_record(IID)
    return (rec.measurement.run_id if rec and rec.measurement else None), state.score_problem(IID)


def test_a_unit_cut_at_every_step_of_its_swap_reads_whole_and_recovers_to_one_record(tmp_path: Path) -> None:
    steps = ["staging half written", "record written", "old unit moved aside", "new unit in, old copy left"]
    for step in steps:
        state = planned(tmp_path / step.replace(" ", "-"))
        scored(state, "run-1", {"base": '{"first": true}', "human": '{"first": true}'})
        folder = staged_second_run(state)
        u = state.score_dir(IID)
        if step != "staging half written":  # the commit point: the record, naming its files, in the staging folder
            rec = factories.score(IID, {}, measurement=measurement("run-2"), samples_file="samples.jsonl")
            rec.files = unit_files(folder, "score.json")
            write_model(folder / "score.json", rec)
        if step in ("old unit moved aside", "new unit in, old copy left"):
            os.rename(u, old_copy_of(u))
        if step == "new unit in, old copy left":
            os.rename(folder, u)
        expected = "run-1" if step == "staging half written" else "run-2"
        # A reader (no lock: status, export) sees one whole unit: the old one, or the committed new one.
        assert unit_state(state) == (expected, None), step
        assert (
            summarize(load_bench(tmp_path / step.replace(" ", "-") / "bench.yaml"), state)["score"]["all"]["done"] == 1
        )
        # The next run (or gc) settles it: one folder, with exactly its record's files; a dead run's staging
        # folder is handed back for its builds.
        left = recover(u, "score.json")
        assert (left is not None) == (step == "staging half written"), step
        assert unit_state(state) == (expected, None), step
        assert not old_copy_of(u).exists()
        rec2 = read_model(u / "score.json", InstanceScore)
        assert rec2 is not None and rec2.files == unit_files(u, "score.json")
        samples = (u / "samples.jsonl").read_text()
        assert ("run-2" in samples) == (expected == "run-2") and "run-1" in samples  # earlier runs kept


def test_files_that_are_not_the_records_own_make_the_unit_inconsistent_in_status_and_gc(tmp_path: Path) -> None:
    state = planned(tmp_path)
    scored(state, "run-1", {"base": "{}", "human": "{}"})
    cfg = load_bench(tmp_path / "bench.yaml")
    assert summarize(cfg, state)["score"]["all"]["done"] == 1 and inconsistent(state) == {}
    u = state.score_dir(IID)
    cases: dict[str, Callable[[], object]] = {
        "samples.jsonl changed after score.json was written: it does not belong to it": lambda: (
            (u / "samples.jsonl").open("a").write(header("run-x"))
        ),
        "variants/stray.json does not belong to score.json": lambda: (u / "variants" / "stray.json").write_text("{}"),
        "variants/human.json, which score.json was made from, is missing": lambda: (
            u / "variants" / "human.json"
        ).unlink(),
    }
    pristine = tmp_path / "pristine"
    shutil.copytree(u, pristine)
    for why, damage in cases.items():
        shutil.rmtree(u)
        shutil.copytree(pristine, u)
        damage()
        assert state.score_problem(IID) == why
        s = summarize(cfg, state)["score"]["all"]
        assert (s["done"], s["pending"], s["inconsistent"]) == (0, 1, {IID: why})
        assert s["by_status"] == {"inconsistent": 1}
        base = ["--config", str(tmp_path / "bench.yaml"), "--state-dir", str(state.root)]
        r = CliRunner().invoke(app, [*base, "status"])
        assert r.exit_code == 0 and f"inconsistent: score/{IID}: {why}" in r.output, r.output
        r = CliRunner().invoke(app, [*base, "gc"])
        assert r.exit_code == 0 and f"inconsistent: score/{IID}: {why}" in r.output, r.output
        r = CliRunner().invoke(app, [*base, "gc", "--json"])
        assert json.loads(r.output)["inconsistent"] == {f"score/{IID}": why}
        assert u.is_dir()  # reported, never removed: a plain score redoes it


def test_a_record_of_an_older_isobench_is_checked_on_its_samples_last_measurement(tmp_path: Path) -> None:
    state = planned(tmp_path)
    u = state.score_dir(IID)
    rec = factories.score(IID, {}, measurement=measurement("run-1"), samples_file="samples.jsonl")
    write_model(u / "score.json", rec)  # written in place, as before schema 4: names no files
    (u / "samples.jsonl").write_text(header("run-0") + header("run-1") + sample("run-1", "base", 0, 1.0))
    assert state.score_problem(IID) is None
    with (u / "samples.jsonl").open("a") as f:  # what an interrupted `score --force` of that isobench left
        f.write(header("run-2") + sample("run-2", "base", 0, 1.0))
    assert state.score_problem(IID) == (
        "samples.jsonl holds a later measurement than score.json's: it does not belong to it"
    )


def test_a_new_run_carries_earlier_samples_and_takes_over_a_dead_runs_builds(tmp_path: Path) -> None:
    state = planned(tmp_path)
    scored(state, "run-1", {"base": '{"v": 1}', "human": '{"v": 1}'})
    folder = staged_second_run(state)  # then killed: its rebuilt human and its copy, a partial measurement
    copy = state.score_dir(IID) / "envs" / "vhuman" / "repo"
    copy.mkdir(parents=True)
    taken = unit.begin(state, IID)
    assert taken == folder and copy.is_dir()
    assert (folder / "variants" / "human.json").read_text() == '{"second": true}'  # its build is reused
    assert (folder / "variants" / "base.json").read_text() == '{"v": 1}'
    text = (folder / "samples.jsonl").read_text()
    assert "run-1" in text and "run-2" not in text  # the dead run's samples were never committed
    # Without reuse (the cluster's driver, which gets the builds from a node) a dead run's records go.
    fresh = unit.begin(state, IID, reuse_builds=False)
    assert (fresh / "variants" / "human.json").read_text() == '{"v": 1}'


def test_the_variants_copies_keep_their_path_through_a_swap_even_one_cut_between_its_renames(
    tmp_path: Path,
) -> None:
    state = planned(tmp_path)
    scored(state, "run-1", {"base": "{}"})
    u = state.score_dir(IID)
    venv = u / "envs" / "vbase" / "venv" / "bin" / "python"  # a venv names its own path: it cannot move
    venv.parent.mkdir(parents=True)
    venv.write_text(str(venv))
    scored(state, "run-2", {"base": "{}"})
    assert venv.read_text() == str(venv) and unit_state(state) == ("run-2", None)
    folder = staged_second_run(state)
    rec = factories.score(IID, {}, measurement=measurement("run-3"), samples_file="samples.jsonl")
    rec.files = unit_files(folder, "score.json")
    write_model(folder / "score.json", rec)
    os.rename(u, old_copy_of(u))  # killed between the renames: the copies are in the old copy
    unit.settle(state, IID)
    assert venv.read_text() == str(venv) and unit_state(state) == ("run-3", None) and not old_copy_of(u).exists()


def test_gc_finishes_a_committed_swap_and_removes_what_a_dead_run_left(tmp_path: Path) -> None:
    state = planned(tmp_path)
    scored(state, "run-1", {"base": "{}"})
    staged_second_run(state)  # killed before its record
    u = state.score_dir(IID)
    assert set(collectable(state)) == {staging_of(u)}
    freed = gc(state)
    assert list(freed) == [f"score/.{IID}.new"] and not staging_of(u).exists()
    assert unit_state(state) == ("run-1", None)
    # A swap cut between its renames is finished, not collected.
    folder = staged_second_run(state)
    rec = factories.score(IID, {}, measurement=measurement("run-2"), samples_file="samples.jsonl")
    rec.files = unit_files(folder, "score.json")
    write_model(folder / "score.json", rec)
    os.rename(u, old_copy_of(u))
    assert collectable(state) == [old_copy_of(u)]
    gc(state)
    assert unit_state(state) == ("run-2", None) and sorted(p.name for p in u.parent.iterdir()) == [IID]


def test_an_export_cut_while_it_moves_its_files_in_is_finished_by_the_next_one(tmp_path: Path) -> None:
    from isobench.export import MANIFEST, OLD, STAGING, begin

    out = tmp_path / "out"
    (out / "report").mkdir(parents=True)
    for name, text in (("data.jsonl", "old"), ("README.md", "old"), ("report/index.html", "old"), ("mine.txt", "x")):
        (out / name).write_text(text)
    staged = out / STAGING
    (staged / "report").mkdir(parents=True)
    for name in ("data.parquet", "README.md", "report/index.html"):
        (staged / name).write_text("new")
    (staged / MANIFEST).write_text(json.dumps(["data.parquet", "README.md", "report"]))
    # Cut after the first name moved: the old README aside, the new one in, the rest still staged.
    (out / OLD).mkdir()
    os.rename(out / "README.md", out / OLD / "README.md")
    os.rename(staged / "README.md", out / "README.md")
    fresh = begin(out)  # the next export settles it first
    got = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file() and fresh not in p.parents}
    assert got == {"data.parquet": "new", "README.md": "new", "report/index.html": "new", "mine.txt": "x"}
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [STAGING] and not any(fresh.iterdir())
    # Without its mark of completion a staging folder is a killed export's: removed, nothing moved in.
    (fresh / "data.jsonl").write_text("partial")
    begin(out)
    assert not (out / "data.jsonl").exists() and (out / "data.parquet").read_text() == "new"


def test_the_schema_2_fixture_counts_as_done_not_inconsistent(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "data" / "state-v2"
    shutil.copytree(fixture, tmp_path / "v2")
    state = State(tmp_path / "v2" / "state")
    cfg = load_bench(tmp_path / "v2" / "bench.yaml")
    s = summarize(cfg, state)["score"]["all"]
    assert s["inconsistent"] == {} and s["done"] + s["failed"] == len(state.instances())


# --- the drills: SIGKILL at named moments -----------------------------------------------------------

ISOBENCH = [sys.executable, "-m", "isobench.cli"]
QUICK_SCORE = {"min_rounds": 5, "max_rounds": 5, "time_budget_s": 10}


class Project:
    """A project on the tiny task repository, planned and prepared; with `attempts`, two providers' recorded
    attempts (their patches: the human's code change, and none), so `score` has agent variants to time."""

    def __init__(self, tmp: Path, attempts: bool = False) -> None:
        from tests.conftest import TaskRepo, git

        self.dir = tmp
        repo = TaskRepo(tmp / "repo")
        repo.task_yaml(tmp / "task.yaml")
        bench = {
            "tasks": ["task.yaml"],
            "sandbox": "bwrap",
            "agents": {"openhands": {"llm_configs": [{"name": p, "provider": "scripted"} for p in ("pa", "pb")]}},
            "score": QUICK_SCORE,
        }
        (tmp / "bench.yaml").write_text(yaml.safe_dump(bench))
        self.cfg = load_bench(tmp / "bench.yaml")
        self.state = State(tmp / "state")
        assert self.cli("plan").returncode == 0
        self.iid = self.state.instances()[0].instance_id
        code = git(repo.path, "diff", repo.base, repo.head, "--", "lib") + "\n"
        for prov, patch in (("pa", code), ("pb", "")) if attempts else ():
            d = self.state.attempt_dir(self.iid, prov, 1)
            d.mkdir(parents=True)
            (d / "model_patch.diff").write_text(patch)
            write_model(d / "result.json", factories.attempt(self.iid, prov, patch_empty=not patch))

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ISOBENCH, *args], cwd=self.dir, capture_output=True, text=True, timeout=timeout)

    def kill_at(self, point: str, *args: str) -> None:
        """Start `isobench ARGS`, SIGKILL it once it is paused at `point`, and wait until none of its processes
        is left."""
        flag = self.dir / f"paused-{point}"
        flag.unlink(missing_ok=True)
        env = {**os.environ, "ISOBENCH_TEST_PAUSE_AT": point, "ISOBENCH_TEST_PAUSE_FILE": str(flag)}
        proc = subprocess.Popen([*ISOBENCH, *args], cwd=self.dir, env=env, stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        while not flag.exists():
            assert proc.poll() is None, f"{args} ended before {point}"
            assert time.monotonic() - t0 < 120, f"{args} never reached {point}"
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
        while processes_mentioning(str(self.state.root)) and time.monotonic() - t0 < 15:
            time.sleep(0.2)
        assert processes_mentioning(str(self.state.root)) == []

    def unit(self) -> dict[str, bytes]:
        """Every file of the instance's score unit (scratch left out), with its bytes."""
        u = self.state.score_dir(self.iid)
        return {str(p.relative_to(u)): p.read_bytes() for p in u.rglob("*") if p.is_file() and "envs" not in p.parts}

    def score_status(self) -> dict[str, Any]:
        """What `isobench status --json` says of the score stage (the same function, in this process)."""
        return summarize(self.cfg, self.state)["score"]["all"]  # type: ignore[no-any-return]

    def siblings(self) -> list[str]:
        return sorted(x.name for x in self.state.score_dir(self.iid).parent.iterdir())


@pytest.mark.slow
def test_score_force_killed_while_it_builds_or_times_leaves_the_old_unit_whole(tmp_path: Path) -> None:
    p = Project(tmp_path)
    assert p.cli("score").returncode == 0
    first = p.unit()
    for point in ("build", "timing"):
        p.kill_at(point, "score", "--force")
        assert p.unit() == first, point  # byte for byte: the old record with exactly its own files
        s = p.score_status()
        assert (s["done"], s["inconsistent"]) == (1, {}), point
    status = json.loads(p.cli("status", "--json").stdout)["score"]["all"]
    assert (status["done"], status["pending"]) == (1, 0)
    # The next plain score finds the unit current, and removes what the killed redo left.
    r = p.cli("score", "--json")
    assert r.returncode == 0 and p.unit() == first and p.siblings() == [p.iid]


@pytest.mark.slow
def test_score_force_killed_before_its_record_or_between_its_renames_is_old_or_new_never_mixed(
    tmp_path: Path,
) -> None:
    p = Project(tmp_path)
    assert p.cli("score").returncode == 0
    first = p.unit()
    p.kill_at("record", "score", "--force")
    assert p.unit() == first and p.score_status()["done"] == 1
    # Killed between the two renames of its swap, the redo has committed: readers see the new unit, the next
    # run finishes the swap, and the earlier measurement's samples are still there (correlate reads them).
    p.kill_at("swap", "score", "--force")
    new = json.loads((staging_of(p.state.score_dir(p.iid)) / "score.json").read_text())
    s = p.score_status()
    assert (s["done"], s["inconsistent"]) == (1, {})
    r = p.cli("score", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["measurement"]["run_id"] == new["measurement"]["run_id"]
    assert p.siblings() == [p.iid]
    runs = [json.loads(x)["run_id"] for x in p.unit()["samples.jsonl"].decode().splitlines() if '"header"' in x]
    assert json.loads(first["score.json"])["measurement"]["run_id"] in runs and len(runs) >= 2


@pytest.mark.slow
def test_score_p_killed_keeps_the_other_providers_rows_and_a_damaged_unit_is_redone(tmp_path: Path) -> None:
    p = Project(tmp_path, attempts=True)
    first = json.loads(p.cli("score", "--json").stdout)[0]
    before = p.unit()
    p.kill_at("tests", "score", "-p", "pb", "--force")
    assert p.unit() == before
    again = json.loads(p.cli("score", "-p", "pb", "--force", "--json").stdout)[0]
    assert again["variants"]["pa#1"] == first["variants"]["pa#1"]  # kept, from the measurement it came from
    assert again["variants"]["pb#1"]["run_id"] != first["variants"]["pb#1"]["run_id"]
    samples = p.unit()["samples.jsonl"].decode()
    assert first["variants"]["pa#1"]["run_id"] in samples and again["variants"]["pb#1"]["run_id"] in samples
    # correlate's run-to-run figures still read the repeated measurements of the human and the A/A twin.
    corr = json.loads(p.cli("correlate", "--json", "--no-branches").stdout)
    assert corr["design_metrics"]["run_to_run_estimates"] >= 2
    # Damage the unit as a crash of an older isobench did: status reports it, a plain score redoes it whole.
    with (p.state.score_dir(p.iid) / "samples.jsonl").open("a") as f:
        f.write(header("partial"))
    s = p.score_status()
    assert s["done"] == 0 and "samples.jsonl" in s["inconsistent"][p.iid]
    redone = json.loads(p.cli("score", "--json").stdout)[0]
    assert redone["variants"]["pa#1"]["run_id"] != first["variants"]["pa#1"]["run_id"]
    assert p.score_status()["done"] == 1


@pytest.mark.slow
def test_correlate_and_export_killed_before_their_commit_leave_the_previous_output(tmp_path: Path) -> None:
    p = Project(tmp_path)  # nothing scored: correlate and export still write every planned instance
    assert p.cli("correlate", "--no-branches").returncode == 0
    kept = p.state.correlate_path.read_bytes()
    p.kill_at("record", "correlate", "--no-branches")
    assert p.state.correlate_path.read_bytes() == kept
    out = tmp_path / "out"
    r = p.cli("export", "--out", str(out), "--format", "jsonl")
    assert r.returncode == 0, r.stderr

    def files() -> dict[str, bytes]:
        return {
            str(x.relative_to(out)): x.read_bytes() for x in out.rglob("*") if x.is_file() and ".isobench" not in str(x)
        }

    before = files()
    p.kill_at("record", "export", "--out", str(out), "--format", "parquet")
    assert files() == before
    r = p.cli("export", "--out", str(out), "--format", "parquet")
    assert r.returncode == 0, r.stderr
    names = sorted(x.name for x in out.iterdir())
    assert "data.parquet" in names and "data.jsonl" not in names and not any(n.startswith(".") for n in names)
