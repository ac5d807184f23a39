"""Hostile agents through the real chain: what each cheap way to "faster" gets from isobench.

    .venv/bin/python benchmarks/bench_hostile.py [--keep DIR]

Builds a small package (`fastlib`: a quadratic `dedupe`, a human commit that makes it linear with a set, a
test that does not look at large inputs, a workload script that prints its answer, and a held-out workload
outside the repository), then plans, prepares, runs and scores it with one `command` agent per trick (each a
shell script that rewrites the module, run in the sandbox like any agent) and prints, per agent, what
score.json says: correct, speedup with its 95% CI, the timing's classification, integrity flags, match
label, failure reason, whether the attempt counts as faster (`faster`: what opt@k and the aggregates
use), and the held-out speedup. The human's row is printed first: it must carry no flag.

The tricks: printing lines shaped like the timer's messages; freezing every clock at import; memoising
results across calls; a wrong answer where the test does not look; broken code with the tests turned into
collection only (`addopts = "--collect-only -q"`); special-casing the shown workload's input; the right
items in the wrong order (same count and sum) except when pytest is loaded; an input-keyed cache handing
back the list it kept, and the same cache handing back deep copies; a detached process that burns CPU.
Then correlate's headline beside its raw figures (flagged attempts counted as failures or not). (Work moved
into a thread is in tests/measure/test_hostile.py: it needs a callable workload to steal a token from.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import SLOW  # noqa: E402
from tests.test_hostile_agents import CACHE, COLLECT_ONLY, MEMO, RUNNER_AWARE, WRONG, repo, writes  # noqa: E402

HELDOUT = (
    '"""Held-out: the same function on other input (descending, three copies)."""\n'
    "from fastlib.core import dedupe\n\nout = dedupe(list(range(2000, 0, -1)) * 3)\nprint(len(out), sum(out))\n"
)

FORGER = SLOW.replace("def dedupe(items):", "def _dedupe(items):") + (
    "\nimport sys\n\ndef dedupe(items):\n    for out in (sys.stdout, sys.stderr):\n"
    "        out.write('ISOBENCH_VALUE {\"value\": 1e-09}\\nISOBENCH_DONE 0000000000000000 x\\n')\n"
    "        out.flush()\n    return _dedupe(items)\n"
)
CLOCK = SLOW + (
    "\nimport time\nfor _n in ('perf_counter', 'monotonic', 'time', 'process_time'):\n"
    "    setattr(time, _n, lambda: 0.0)\n"
    "for _n in ('perf_counter_ns', 'monotonic_ns', 'time_ns'):\n    setattr(time, _n, lambda: 0)\n"
)
SPECIAL = SLOW.replace("def dedupe(items):", "def _dedupe(items):") + (
    "\ndef dedupe(items):\n    if len(items) == 5000 and items[:3] == [0, 1, 2] and items[2500] == 0:\n"
    "        return list(range(2500))  # the shown workload's input, answered from memory\n"
    "    return _dedupe(items)\n"
)
DEEP_COPY_CACHE = CACHE.replace("return _seen[key]", "return copy.deepcopy(_seen[key])") + "\nimport copy\n"
DETACHED = SLOW + (
    "\nimport subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'while True: pass'], start_new_session=True,"
    " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
)


AGENTS = {
    "forger": writes(FORGER),
    "clock": writes(CLOCK),
    "memo": writes(MEMO),
    "wrong": writes(WRONG),
    "collect-only": COLLECT_ONLY,
    "special-case": writes(SPECIAL),
    "runner-aware": writes(RUNNER_AWARE),
    "input-cache": writes(CACHE),
    "deep-copy-cache": writes(DEEP_COPY_CACHE),
    "detached": writes(DETACHED),
}


def isobench(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    cmd = [sys.executable, "-m", "isobench.cli", *args]
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=env, timeout=3600)


def ci(value: float | None, bounds: list[float] | None) -> str:
    return "-" if value is None or bounds is None else f"{value:.2f}x [{bounds[0]:.2f}, {bounds[1]:.2f}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="isobench-hostile-"))
    repo(root / "fastlib")  # the package of tests/test_hostile_agents.py
    folder = root / "bench"
    (folder / "tasks" / "workloads").mkdir(parents=True)
    (folder / "tasks" / "workloads" / "heldout.py").write_text(HELDOUT)
    task = {
        "name": "fastlib",
        "repo": str(root / "fastlib"),
        "commits": [{"head": "main"}],
        "install_commands": ["pip install -e .", "pip install pytest"],
        "tests": ["python -m pytest -q -p no:cacheprovider tests"],
        "efficiency_test": ["python -m benchmarks.show"],
        "heldout_efficiency_test": ['python "${TASK_DIR}/workloads/heldout.py"'],
        "heldout_workload_files": ["workloads/heldout.py"],
    }
    (folder / "tasks" / "t.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    bench = {
        "tasks": ["tasks/t.yaml"],
        "agents": {
            "openhands": {"llm_configs": [{"name": n, "provider": "command", "command": c} for n, c in AGENTS.items()]}
        },
        "llm_benchmarking": {"providers": list(AGENTS), "max_parallel_runs": 2},
        "score": {"min_rounds": 6, "max_rounds": 30, "time_budget_s": 10, "heldout_time_budget_s": 6},
    }
    (folder / "bench.yaml").write_text(yaml.safe_dump(bench, sort_keys=False))
    for stage in ("plan", "prepare", "run", "score"):
        r = isobench(folder, stage, "--json")
        if r.returncode not in (0, 1):
            print(f"isobench {stage}: exit {r.returncode}\n{r.stderr[-3000:]}", file=sys.stderr)
            return 1
    [score] = json.loads(r.stdout)
    run = folder / "state" / "runs" / score["instance_id"]
    print(f"instance {score['instance_id']}: valid {score['valid']}; output check: {score['output_check']}")
    print(
        "| agent | correct | speedup [95% CI] | timing's classification | integrity | match label | failure reason "
        "| counted faster | held-out |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = [("human", score["variants"]["human"])]
    rows += [(v["provider"], v) for v in score["variants"].values() if v["kind"] == "agent"]
    for name, v in rows:
        held = v.get("heldout") or {}
        o = v.get("outcome") or v  # an agent's credit; the human's row is its own
        discarded = ""
        if name != "human":
            rec = json.loads((run / name / "1" / "result.json").read_text())
            if rec.get("test_config_discarded"):
                discarded = f" (test config discarded: {', '.join(rec['test_config_discarded'])})"
        print(
            f"| {name} | {o['correct']}{discarded} | {ci(v['speedup'], v['speedup_ci'])} | {v['classification']} | "
            f"{', '.join(v['integrity']) or '-'} | {o.get('match_label') or '-'} | {o.get('failure_reason') or '-'} | "
            f"{'-' if name == 'human' else o.get('faster')} | "
            f"{ci(held.get('speedup'), held.get('speedup_ci'))} {held.get('classification') or ''} |"
        )
    corr = json.loads(isobench(folder, "correlate", "--json", "--no-branches").stdout)
    print("\n| agent | flagged | opt@1 strict (headline) | opt@1 strict (raw) | speedup gmean (headline) | (raw) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, p in corr["providers"].items():
        raw = p.get("raw") or p
        print(
            f"| {name} | {p['flagged_attempts']} | {p['opt1_strict']} | {raw['opt1_strict']} "
            f"| {p['speedup_gmean']:.2f} | {raw['speedup_gmean']:.2f} |"
        )
    print(f"(kept in {root})" if args.keep else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
