"""The real-world acceptance run: isobench, as a new user drives it, on public Python projects.

    .venv/bin/python benchmarks/real_world.py [--projects tomli,packaging,attrs,sqlparse] [--budget 60]
        [--repos DIR] [--mirrors DIR] [--out DIR] [--stages plan,prepare,run,score,correlate,export]
        [--reference-rounds 20] [--per-project K] [--force]

The corpus is the isobench-py suite's task files (isobench/suites/python/: one per project, a shown and a
held-out workload per human commit; benchmarks/real_world/CORPUS.md says how the first four projects'
commits were chosen); by default its first four projects, pypa/packaging, hukkin/tomli, python-attrs/attrs
and andialbrecht/sqlparse (`--projects` takes any of the suite's). This script:

1. clones each project into --repos (default /tmp/isobench-real-world) from --mirrors (a folder of git
   mirrors named `<owner>+<name>/repo`, as the library's fetch tool leaves them), else from GitHub;
2. makes a user's folder (--out, default /tmp/isobench-real-world-bench) holding only a bench.yaml and
   copies of the suite's task files (their `repo` pointed at the clones) and workload scripts: nothing else
   of isobench's checkout;
3. runs plan, prepare, run (providers `oracle`, `noop`, `saboteur`: the scripted stand-ins driving the
   real OpenHands agent), score (`--budget` seconds per variant pair), correlate and export there, timing
   each stage;
4. times every instance by hand as well (benchmarks/real_world/reference_timing.py: fresh processes or
   one process per side, interleaved, no isobench code), in the mode isobench timed it;
5. prints, and writes to <out>/real_world.md and real_world.json, per instance: isobench's human speedup
   with its 95% CI against the plain timing, validity, the oracle's correctness and rho with CI, noop's
   and saboteur's labels; and the wall time of each stage.

Needs the package index (install_commands: pytest and the projects' test dependencies) and, without
--mirrors, GitHub. CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "real_world"
SUITE = ROOT / "isobench" / "suites" / "python"
DEFAULT_PROJECTS = ("packaging", "tomli", "attrs", "sqlparse")


def suite_projects() -> dict[str, str]:
    """project -> GitHub owner/name, from the suite's suite.yaml."""
    import yaml

    projects = yaml.safe_load((SUITE / "suite.yaml").read_text())["projects"]
    return {p: v["repo"].removeprefix("https://github.com/").removesuffix(".git") for p, v in projects.items()}


ISOBENCH = [sys.executable, "-m", "isobench.cli"]
BENCH = """\
# The real-world acceptance run (benchmarks/real_world.py): scripted stand-ins for the LLM, real agent.
tasks: [{tasks}]
sandbox: bwrap
agents:
  openhands:
    time_budget_minutes: 10
    llm_configs:
      - {{name: oracle, provider: scripted}}
      - {{name: noop, provider: scripted}}
      - {{name: saboteur, provider: scripted}}
llm_benchmarking: {{providers: [oracle, noop, saboteur], max_parallel_runs: 2}}
score: {{time_budget_s: {budget}}}
"""


def clone(project: str, repos: Path, mirrors: Path | None) -> Path:
    dest = repos / project
    if (dest / ".git").is_dir():
        return dest
    owner_name = suite_projects()[project]
    src = mirrors / owner_name.replace("/", "+") / "repo" if mirrors else None
    url = str(src) if src and src.exists() else f"https://github.com/{owner_name}.git"
    subprocess.run(["git", "clone", "-q", url, str(dest)], check=True)
    return dest


def stage(folder: Path, name: str, env: dict[str, str], log: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.monotonic()
    args = [name, "--json"] if name != "prepare" else [name]
    r = subprocess.run([*ISOBENCH, *args], cwd=folder, capture_output=True, text=True, env=env)
    dt = time.monotonic() - t0
    log.write_text(r.stdout + "\n--- stderr ---\n" + r.stderr)
    print(f"{name}: exit {r.returncode} in {dt:.0f} s (log: {log})", flush=True)
    return dt, r


def reference(inst: dict[str, Any], mode: str, rounds: int, out: Path) -> dict[str, Any] | None:
    """The plain interleaved timing of the instance's workload, base against head."""
    cmd = inst["efficiency_test"][0].split()
    if len(cmd) != 2 or cmd[0] != "python":
        return None
    res = out / f"reference-{inst['instance_id']}.json"
    python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run(
        [
            sys.executable,
            str(CORPUS / "reference_timing.py"),
            inst["repo_path"],
            inst["base_commit"],
            inst["head_commit"],
            cmd[1],
            "--rounds",
            str(rounds),
            "--mode",
            mode,
            "--python",
            python,
            "--json",
            str(res),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(res.read_text())


def fmt(x: float | None, ci: list[float] | None = None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def copy_task(project: str, folder: Path, repo: Path, k: int) -> None:
    """The suite's task file of `project` into folder/tasks, its `repo` the local clone and (k > 0) only its
    first k commits, with the workload scripts it names."""
    import yaml

    data = yaml.safe_load((SUITE / f"{project}.yaml").read_text())
    data["repo"] = str(repo)
    if k:
        data["commits"] = data["commits"][:k]
    (folder / "tasks").mkdir(parents=True, exist_ok=True)
    (folder / "tasks" / f"{project}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    for entry in [data, *data["commits"]]:
        for name in [*entry.get("workload_files", []), *entry.get("heldout_workload_files", [])]:
            (folder / "tasks" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(SUITE / name, folder / "tasks" / name)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--projects", default=",".join(DEFAULT_PROJECTS), help="any of the suite's projects")
    ap.add_argument("--budget", type=float, default=60.0, help="score.time_budget_s (seconds per variant pair)")
    ap.add_argument("--repos", type=Path, default=Path("/tmp/isobench-real-world"))
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/isobench-real-world-bench"))
    ap.add_argument("--stages", default="plan,prepare,run,score,correlate,export")
    ap.add_argument("--reference-rounds", type=int, default=20)
    ap.add_argument("--force", action="store_true", help="start from an empty state (and --force score)")
    ap.add_argument("--per-project", type=int, default=0, help="keep only each project's first K commits")
    args = ap.parse_args()
    projects = [p for p in args.projects.split(",") if p]
    args.repos.mkdir(parents=True, exist_ok=True)
    for p in projects:
        clone(p, args.repos, args.mirrors if args.mirrors.is_dir() else None)
    folder = args.out
    if args.force and folder.exists():
        shutil.rmtree(folder)
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    for p in projects:
        copy_task(p, folder, args.repos / p, args.per_project)
    tasks = ", ".join(f"tasks/{p}.yaml" for p in projects)
    (folder / "bench.yaml").write_text(BENCH.format(tasks=tasks, budget=args.budget))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}

    times: dict[str, float] = {}
    outputs: dict[str, Any] = {}
    for name in args.stages.split(","):
        dt, r = stage(folder, name, env, folder / "logs" / f"{name}.log")
        times[name] = round(dt, 1)
        if r.returncode not in (0, 1):
            print(r.stderr[-2000:], file=sys.stderr)
            return 1
        if name != "prepare" and r.stdout.strip():
            outputs[name] = json.loads(r.stdout)

    state = folder / "state"
    rows = []
    for path in sorted((state / "plan").glob("*/instance.json")):
        inst = json.loads(path.read_text())
        score_path = state / "score" / inst["instance_id"] / "score.json"
        if not score_path.exists():
            continue
        sc = json.loads(score_path.read_text())
        v = sc.get("variants", {})
        mode = "process" if sc.get("timing_mode") == "whole_process" else "inprocess"
        ref = reference(inst, mode, args.reference_rounds, folder / "logs")
        ref_mode = next((x for x in (ref or {}).get("results", []) if x["mode"] == mode), {})
        human, oracle, noop, sab = (v.get(k, {}) for k in ("human", "oracle#1", "noop#1", "saboteur#1"))
        rows.append(
            {
                "instance": inst["instance_id"],
                "subject": inst["gt_commit_message"].splitlines()[0][:60],
                "timing_mode": sc.get("timing_mode"),
                "rounds": (sc.get("measurement") or {}).get("rounds"),
                "human": human.get("speedup"),
                "human_ci": human.get("speedup_ci"),
                "reference": ref_mode.get("speedup"),
                "reference_ci": ref_mode.get("ci95"),
                "valid": sc.get("valid"),
                "invalid_reason": sc.get("invalid_reason"),
                "oracle_correct": (oracle.get("outcome") or {}).get("correct"),
                "oracle_rho": oracle.get("rho"),
                "oracle_rho_ci": oracle.get("rho_ci"),
                "oracle_label": (oracle.get("outcome") or {}).get("match_label"),
                "noop": noop.get("classification"),
                "noop_speedup": noop.get("speedup"),
                "noop_ci": noop.get("speedup_ci"),
                "aa": (sc.get("aa") or {}).get("classification"),
                "aa_ci": (sc.get("aa") or {}).get("speedup_ci"),
                "saboteur_correct": (sab.get("outcome") or {}).get("correct"),
                "human_flags": human.get("integrity") or [],
                "human_heldout": (human.get("heldout") or {}).get("speedup"),
                "human_heldout_ci": (human.get("heldout") or {}).get("speedup_ci"),
            }
        )
    lines = [
        "| instance | timing | human speedup [95% CI] (isobench) | plain interleaved timing [95% CI] | valid | "
        "oracle rho [95% CI] | noop | A/A | saboteur | human's integrity flags | human held-out [95% CI] |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['instance']} ({r['subject']}) | {r['timing_mode']}, {r['rounds']} rounds | "
            f"{fmt(r['human'], r['human_ci'])} | {fmt(r['reference'], r['reference_ci'])} | "
            f"{'yes' if r['valid'] else 'NO: ' + str(r['invalid_reason'])[:80]} | "
            f"{'correct' if r['oracle_correct'] else 'NOT correct'}, {fmt(r['oracle_rho'], r['oracle_rho_ci'])} "
            f"{r['oracle_label']} | {r['noop']} {fmt(r['noop_speedup'], r['noop_ci'])} | {r['aa']} | "
            f"{'correct?!' if r['saboteur_correct'] else 'incorrect'} | {', '.join(r['human_flags']) or 'none'} | "
            f"{fmt(r['human_heldout'], r['human_heldout_ci'])} |"
        )
    lines.append("")
    lines.append("Wall time per stage: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
    builds = sorted(
        b
        for p in (state / "runs").glob("*/*/*/result.json")
        if (b := json.loads(p.read_text()).get("env_build_s")) is not None
    )
    if builds:  # the task's environment, built in each attempt's workspace before its agent starts
        lines.append(
            f"The agent's environment, per attempt ({len(builds)}): median {builds[len(builds) // 2]:.1f} s, "
            f"min {builds[0]:.1f} s, max {builds[-1]:.1f} s"
        )
    report = "\n".join(lines)
    print("\n" + report)
    (folder / "real_world.md").write_text(report + "\n")
    (folder / "real_world.json").write_text(json.dumps({"rows": rows, "stage_s": times}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
