"""Held-out workloads: a task's workload the agent never sees, timed by `score` and reported apart.

An attempt that special-cases the shown workload's input (the fast path for exactly that input, the base's
slow code otherwise) is `faster` there and no different from base on the held-out workload, where the
human's change is faster: it is labelled `overfit` and is no opt. The agent cannot read the held-out
workload's file (it sits beside a workload file it can read) and its prompt does not name it.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from isobench.cli import app
from isobench.measure.config import IN_PROCESS_SCRIPT, WHOLE_PROCESS
from isobench.outcome import decide
from isobench.records import HeldoutEstimate
from isobench.workload import heldout_workload, timing_mode, workload_commands
from tests import factories
from tests.conftest import FAST, TaskRepo

# Special-cases the shown workload's input (`benchmarks.wl:run`: dedupe(list(range(2000)) * 2)): correct
# everywhere, fast only there.
OVERFIT = """_SHOWN = list(range(2000)) * 2


def dedupe(items):
    if len(items) == 4000 and items == _SHOWN:  # the benchmark's input
        seen = set()
        out = []
        for x in items:
            if x not in seen:
                seen.add(x)
                out.append(x)
        return out
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out
"""


def heldout_script(marker: str) -> str:
    """The held-out workload: the same function on other input (run from the repository root)."""
    return (
        f"# {marker}\nimport os\nimport sys\n\nsys.path.insert(0, os.getcwd())\n\n"
        "from lib.core import dedupe  # noqa: E402\n\ndedupe([i % 1000 for i in range(3000)])\n"
    )


def invoke(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    bench = tmp_path / "bench.yaml"
    if not bench.exists():
        bench.write_text("setting: oracle\n")
    r = CliRunner().invoke(app, ["--config", str(bench), "--state-dir", str(tmp_path / "state"), *args])
    return r.exit_code, r.stdout, r.stderr


def write_agent(name: str, code: str) -> dict[str, Any]:
    """A `command` agent that writes `code` into lib/core.py of its workspace."""
    blob = base64.b64encode(code.encode()).decode()
    return {
        "name": name,
        "provider": "command",
        "command": f"cd {{workspace}} && echo {blob} | base64 -d > lib/core.py",
    }


# ---------------------------------------------------------------- plan


def test_a_missing_heldout_file_is_one_line_and_exit_2_with_nothing_written(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    task = task_repo.task_yaml(
        tmp_path / "t.yaml",
        heldout_workload_files=["wl/heldout.py"],
        heldout_efficiency_test=["python -c 'import benchmarks.wl as w; w.run()'"],
    )
    code, _, err = invoke(tmp_path, "plan", str(task))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert f"{task}: heldout_workload_files: {tmp_path / 'wl' / 'heldout.py'} not found" in err
    assert not (tmp_path / "state" / "plan").exists()


def test_a_heldout_file_the_agent_would_see_is_refused(task_repo: TaskRepo, tmp_path: Path) -> None:
    (tmp_path / "wl").mkdir()
    (tmp_path / "wl" / "heldout.py").write_text(heldout_script("H"))
    task = task_repo.task_yaml(
        tmp_path / "t.yaml",
        workload_files=["wl"],  # the whole folder is shown to the agent
        heldout_efficiency_test=[f"python {tmp_path / 'wl' / 'heldout.py'}"],
        heldout_workload_files=["wl/heldout.py"],
    )
    code, _, err = invoke(tmp_path, "plan", str(task))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"heldout_workload_files (commits[0], head {task_repo.head[:12]}): {tmp_path / 'wl' / 'heldout.py'}" in err
    assert f"is inside {tmp_path / 'wl'}, which the agent sees" in err


def test_a_file_only_the_heldout_commands_name_is_declared_heldout_not_shown(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    (tmp_path / "wl").mkdir()
    script = tmp_path / "wl" / "heldout.py"
    script.write_text(heldout_script("H"))
    task = task_repo.task_yaml(tmp_path / "t.yaml", heldout_efficiency_test=[f"python {script}"])
    code, out, err = invoke(tmp_path, "plan", str(task), "--json")
    assert code == 0, err
    assert "heldout_efficiency_test[0]" in err and "never to the agent" in err
    [inst] = json.loads(out)
    rec = json.loads((tmp_path / "state" / "plan" / inst["instance_id"] / "instance.json").read_text())
    assert rec["workload_files"] == [] and rec["heldout_workload_files"] == [str(script)]
    assert rec["heldout_efficiency_test"] == [f"python {script}"] and rec["heldout_digest"]
    # Its content is part of the instance: editing it re-plans.
    script.write_text(heldout_script("H2"))
    code, out, _ = invoke(tmp_path, "plan", str(task), "--json")
    assert code == 0 and json.loads(out)[0]["action"] == "updated"


def test_the_heldout_workload_is_timed_as_the_shown_one_would_be() -> None:
    inst = factories.instance(heldout_efficiency_test=["python /w/heldout.py"], workload_callable="m:f")
    held = heldout_workload(inst)
    assert held is not None and held.callable is None and timing_mode(held) == IN_PROCESS_SCRIPT
    whole = heldout_workload(inst.model_copy(update={"workload_timing": "whole_process"}))
    assert whole is not None and timing_mode(whole) == WHOLE_PROCESS
    assert heldout_workload(factories.instance()) is None
    assert "heldout" not in " ".join(workload_commands(inst))


# ---------------------------------------------------------------- the outcome rule


def held(label: str | None, error: str | None = None, rho: tuple[float, float] | None = None) -> HeldoutEstimate:
    """An agent's (or the human's) held-out result; `rho`: its rho CI there (the attempt's rho CI on the
    shown workload is [0.97, 1.03])."""
    spans = {
        "faster": (2.0, 1.9, 2.1),
        "no_difference": (1.0, 0.98, 1.02),
        "slower": (0.8, 0.75, 0.85),
        "inconclusive": (1.0, 0.9, 1.15),
    }
    s, lo, hi = spans.get(label or "", (None, None, None))
    return HeldoutEstimate(
        speedup=s,
        speedup_ci=None if s is None else [lo, hi],
        classification=label,  # type: ignore[arg-type]
        rho_ci=list(rho) if rho else None,
        error=error,
    )


FASTER = {"speedup": 2.0, "speedup_ci": [1.9, 2.1], "classification": "faster", "halfwidth_log": 0.02}
MATCHES = {"rho": 1.0, "rho_ci": [0.97, 1.03], "matches_human_strict": True, "match_label": "confident_pass"}


@pytest.mark.parametrize(
    ("attempt_heldout", "human_heldout", "overfit"),
    [
        (held("no_difference"), held("faster"), True),
        (held("slower"), held("faster"), True),
        (held(None, error="Traceback: KeyError"), held("faster"), True),
        (held("faster"), held("faster"), False),
        (held("inconclusive"), held("faster"), False),  # not enough evidence either way
        # Noise wider than min_gain: no verdict, but it falls far behind the human there and not on the shown.
        (held("inconclusive", rho=(0.4, 0.6)), held("faster"), True),
        (held("inconclusive", rho=(0.9, 1.1)), held("faster"), False),
        (held("no_difference"), held("no_difference"), False),  # the held-out workload says nothing
        (None, held("faster"), False),
        (held("no_difference"), None, False),  # no held-out workload
    ],
)
def test_faster_on_the_shown_workload_only_is_overfit_and_no_opt(
    attempt_heldout: HeldoutEstimate | None, human_heldout: HeldoutEstimate | None, overfit: bool
) -> None:
    row = factories.row(**FASTER, **MATCHES, heldout=attempt_heldout)
    o = decide(factories.attempt("t-a", "p"), row, 2.0, 0.95, human_heldout)
    if overfit:
        assert (o.match_label, o.failure_reason) == ("overfit", "overfit")
        assert not o.faster and not o.opt_strict and not o.opt_gso and not o.beats_human
        assert o.correct  # its code passes the tests: it is not wrong, only fit to the benchmark
    else:
        assert (o.match_label, o.failure_reason, o.faster, o.opt_strict) == ("confident_pass", None, True, True)


# ---------------------------------------------------------------- the whole chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """plan -> prepare -> run -> score -> export of a task with a held-out workload, and three agents: one
    that overfits the shown workload, one with the human's change, and one (the real agent) that tries to
    read the workload files by their absolute paths."""
    from tests.test_agent_world import prompt_commands
    from tests.test_isolation import observations
    from tests.test_real_repos import isobench, ok_json, project

    tmp = tmp_path_factory.mktemp("heldout")
    repo = TaskRepo(tmp / "tinyrepo")
    token = secrets.token_hex(6)
    wl = tmp / "wl"
    wl.mkdir()
    shown, heldout = wl / "shown_notes.txt", wl / "heldout.py"
    shown.write_text(f"SHOWN-MARKER-{token}\n")
    heldout.write_text(heldout_script(f"HELDOUT-MARKER-{token}"))
    folder = project(
        tmp / "bench",
        {
            "name": "tiny",
            "repo": str(repo.path),
            "commits": [{"head": repo.head}],
            "efficiency_test": ["python -c 'import benchmarks.wl as w; w.run()'"],
            "workload_callable": "benchmarks.wl:run",
            "workload_files": [str(shown)],
            "heldout_efficiency_test": [f"python {heldout}"],
            "heldout_workload_files": [str(heldout)],
            "tests": ["python -m unittest discover -s tests -q"],
        },
        [
            write_agent("overfitter", OVERFIT),
            write_agent("honest", FAST),
            {
                "name": "reader",
                "provider": "scripted",
                "script": "shell",
                "script_commands": [f"cat {shown}; cat {heldout}; ls -la {wl}; echo READ-DONE"],
            },
        ],
    )
    cfg = yaml.safe_load((folder / "bench.yaml").read_text())
    cfg["score"].update(time_budget_s=5, heldout_time_budget_s=8, max_rounds=40, target_halfwidth=0.02)
    (folder / "bench.yaml").write_text(yaml.safe_dump(cfg))
    [inst] = ok_json(folder, "plan")
    iid = inst["instance_id"]
    assert isobench(folder, "prepare").returncode == 0
    runs = ok_json(folder, "run")
    [res] = ok_json(folder, "score")
    exported = ok_json(folder, "export")
    rows = [json.loads(line) for line in Path(exported["files"]["jsonl"]).read_text().splitlines()]
    state = folder / "state"
    prompt = (state / "prepare" / iid / "reader" / "prompt.md").read_text()
    return {
        "runs": runs,
        "score": res,
        "rows": rows,
        "prompt": prompt,
        "workload": prompt_commands(prompt, "The workload"),
        "heldout": heldout,
        "token": token,
        "seen": observations(state / "runs" / iid / "reader" / "1" / "events.jsonl"),
        "samples": state / "score" / iid / "samples-heldout.jsonl",
    }


@pytest.mark.slow
def test_the_agent_cannot_read_the_heldout_file_and_its_prompt_does_not_name_it(chain: dict[str, Any]) -> None:
    assert sorted((a["provider"], a["status"]) for a in chain["runs"]) == [
        ("honest", "success"),
        ("overfitter", "success"),
        ("reader", "success"),
    ]
    seen = chain["seen"]
    assert "READ-DONE" in seen, seen[-2000:]
    # The shown workload file beside it is readable: the held-out one is not there at all.
    assert f"SHOWN-MARKER-{chain['token']}" in seen
    assert f"HELDOUT-MARKER-{chain['token']}" not in seen
    assert "No such file or directory" in seen
    assert chain["workload"] == ['python -c "import benchmarks.wl as w; w.run()"']
    assert str(chain["heldout"]) not in chain["prompt"] and "heldout" not in chain["prompt"]


@pytest.mark.slow
def test_an_attempt_fast_only_on_the_shown_input_is_labelled_overfit_and_the_humans_change_is_not(
    chain: dict[str, Any],
) -> None:
    res = chain["score"]
    assert res["valid"], res.get("invalid_reason")
    assert res["heldout"]["timing_mode"] == IN_PROCESS_SCRIPT and chain["samples"].is_file()
    human, overfitter, honest = (res["variants"][n] for n in ("human", "overfitter#1", "honest#1"))
    assert human["heldout"]["classification"] == "faster", human["heldout"]
    # The overfitter is correct and faster on the shown workload, but not on the held-out one.
    assert overfitter["correct"] and overfitter["classification"] == "faster", overfitter
    assert overfitter["heldout"]["classification"] != "faster", overfitter["heldout"]
    assert overfitter["heldout"]["rho_ci"][1] < overfitter["rho_ci"][0], overfitter
    o = overfitter["outcome"]
    assert (o["match_label"], o["failure_reason"]) == ("overfit", "overfit")
    assert o["faster"] is False and o["opt_strict"] is False and o["opt_gso"] is False
    # The human's change, made by an agent, is faster on both.
    o = honest["outcome"]
    assert o["correct"] and o["faster"] and honest["heldout"]["classification"] == "faster", honest
    assert o["match_label"] != "overfit" and o["failure_reason"] != "overfit"
    # The reader changed nothing: not timed on the held-out workload.
    assert res["variants"]["reader#1"]["heldout"] is None


@pytest.mark.slow
def test_the_export_reports_the_heldout_speedups_apart(chain: dict[str, Any]) -> None:
    by = {r["llm_metadata"]["provider"] if r["llm_metadata"] else "human": r for r in chain["rows"]}
    res = chain["score"]
    for name, key in (("human", "human"), ("overfitter", "overfitter#1"), ("honest", "honest#1")):
        held = res["variants"][key]["heldout"]
        assert by[name]["heldout_speedup"] == pytest.approx(held["speedup"])
        assert by[name]["heldout_speedup_ci"] == pytest.approx(held["speedup_ci"])
    assert by["reader"]["heldout_speedup"] is None and by["reader"]["heldout_speedup_ci"] is None
    assert by["overfitter"]["match_label"] == "overfit" and by["overfitter"]["failure_reason"] == "overfit"
