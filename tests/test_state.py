"""The state directory: the lock between processes, atomic records, status counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.errors import UserError
from isobench.records import SCHEMA_VERSION
from isobench.state import State, read_record, write_record


def test_a_second_isobench_on_the_same_state_is_refused_naming_the_first_pid(tmp_path: Path) -> None:
    state = tmp_path / "state"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from isobench.state import State\n"
            "with State(sys.argv[1]).lock('run'):\n print('locked', flush=True); time.sleep(60)",
            str(state),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        r = subprocess.run(
            [sys.executable, "-m", "isobench.cli", "--state-dir", str(state), "plan"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert r.returncode == 2
        assert r.stderr.strip() == (
            f"isobench: error: state directory {state} is in use by isobench pid "
            f"{holder.pid} (run); wait for it to finish or stop it"
        )
    finally:
        holder.kill()
        holder.wait()
    # kill -9 released the OS lock: the next process gets it.
    with State(state).lock("plan"):
        assert (state / "isobench.lock.pid").read_text().startswith(str(os.getpid()))


def test_records_are_written_whole_with_schema_version_and_status(tmp_path: Path) -> None:
    p = tmp_path / "a" / "rec.json"
    write_record(p, {"status": "done", "x": 1})
    assert json.loads(p.read_text()) == {"schema_version": SCHEMA_VERSION, "status": "done", "x": 1}
    assert [f.name for f in p.parent.iterdir()] == ["rec.json"]  # no temp files left behind
    with pytest.raises(ValueError):
        write_record(p, {"x": 2})
    assert read_record(p) == {"schema_version": SCHEMA_VERSION, "status": "done", "x": 1}


def test_a_corrupt_record_is_reported_not_ignored(tmp_path: Path) -> None:
    p = tmp_path / "rec.json"
    p.write_text('{"status": "do')
    with pytest.raises(UserError, match="rec.json: corrupt record"):
        read_record(p)


def test_status_counts_pending_and_done_per_stage_and_provider(tmp_path: Path) -> None:
    from tests.conftest import TaskRepo

    repo = TaskRepo(tmp_path / "r")
    task = repo.task_yaml(tmp_path / "t.yaml")
    (tmp_path / "bench.yaml").write_text(
        "agents:\n  openhands:\n    llm_configs:\n"
        "      - {name: oracle, provider: scripted}\n"
        "      - {name: noop, provider: scripted}\n"
    )
    base = ["--config", str(tmp_path / "bench.yaml"), "--state-dir", str(tmp_path / "s")]
    runner = CliRunner()
    assert runner.invoke(app, [*base, "plan", str(task)]).exit_code == 0
    assert runner.invoke(app, [*base, "prepare", "-p", "oracle"]).exit_code == 0
    t0 = time.perf_counter()
    r = runner.invoke(app, [*base, "status", "--json"])
    assert time.perf_counter() - t0 < 5
    s = json.loads(r.stdout)
    assert s["instances"] == 1
    assert s["prepare"] == {
        "oracle": {"pending": 0, "done": 1, "failed": 0},
        "noop": {"pending": 1, "done": 0, "failed": 0},
    }
    assert s["run"]["oracle"]["pending"] == 1 and s["score"]["all"]["pending"] == 1
    table = runner.invoke(app, [*base, "status"]).stdout
    assert "prepare" in table and "noop" in table


def test_a_record_of_a_newer_isobench_is_refused_with_one_line_and_an_older_one_is_migrated(tmp_path: Path) -> None:
    from isobench.records import Attempt
    from isobench.state import read_model
    from tests.factories import attempt

    p = tmp_path / "result.json"
    newer = {**attempt("x-1", "oracle").model_dump(), "schema_version": SCHEMA_VERSION + 1}
    p.write_text(json.dumps(newer))
    newer_schema = rf"result.json: written by a newer isobench \(record schema {SCHEMA_VERSION + 1}"
    with pytest.raises(UserError, match=newer_schema):
        read_model(p, Attempt)
    # Schema 1 named the attempt's files by absolute paths; they are read as names in its folder.
    old = {**attempt("x-1", "oracle").model_dump(), "schema_version": 1}
    old.update(model_patch="/old/place/runs/x-1/oracle/1/model_patch.diff", events_log="/old/place/events.jsonl")
    p.write_text(json.dumps(old))
    rec = read_model(p, Attempt)
    assert rec is not None and rec.model_patch == "model_patch.diff" and rec.events_log == "events.jsonl"
    assert rec.schema_version == SCHEMA_VERSION
