"""Kill drills: SIGKILL `isobench run`, then `isobench score`, at N random moments each, resume every time,
and check that nothing is lost, repeated or orphaned; then the redos (`score --force`, `score -p noop
--force`), killed N times each, checked after every kill for a unit beside files not its own.

    .venv/bin/python benchmarks/drill.py N [--seed S] [--task TASK.yaml] [--stages run,score] [--out FILE]
    .venv/bin/python benchmarks/drill.py N --stages score-force,score-p [--project DIR]

Without --task the embedded demo is used (its four instances; providers `oracle` and `noop`, 2 attempts
each: 16 agent runs). --task drills on any task file instead (e.g. a real repository's, see
benchmarks/real_world/). Each stage is first run once uninterrupted in a copy of the project (the
reference), then in the drilled copy: started, killed with SIGKILL (the isobench process only, as a crash
would) after a random delay, checked, and started again, N times; then left to finish. Checked:

- after every kill: no process of the killed run is left after 15 s (its agents, sandboxes and timers
  must die with it); every JSON record of the state parses (a torn last line of samples.jsonl, the
  only append-only file, is allowed and counted);
- at the end: every (instance, provider, attempt) has exactly one result, nothing is left half-done
  (no work folder, no interrupted record), and the results match the reference in structure: the same
  attempts with the same statuses and patches; the same instances, variants, builds and correctness,
  in score.json.

The redo stages (`score-force`, `score-p`) redo one instance (`-i`) while a second one stays scored; they
first run and score those two uninterrupted if needed (`--project DIR` drills a project folder an earlier
drill left, e.g. one killed after its run). Checked after every kill: every instance's score.json describes
exactly the files beside it (`State.score_problem`, what `isobench status` reports as inconsistent), the
other instance's unit is byte for byte what it was, and with `-p noop` so are the other provider's rows;
at the end, after one uninterrupted redo: the same variants, builds and correctness as before the redos,
and the redone instance's samples.jsonl still holds the earlier measurements (correlate's run-to-run
figures read them).

Prints a summary (and writes it as JSON with --out). Exit status 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import pids_mentioning  # noqa: E402

ISOBENCH = [sys.executable, "-m", "isobench.cli"]
BENCH = """\
tasks: [tasks/t.yaml]
sandbox: bwrap
agents:
  openhands:
    time_budget_minutes: 5
    llm_configs:
      - {name: oracle, provider: scripted}
      - {name: noop, provider: scripted}
llm_benchmarking: {providers: [oracle, noop], max_parallel_runs: 2, attempts: 2}
score: {min_rounds: 5, max_rounds: 6, time_budget_s: 4}
"""
# How long after its start each kill comes, per stage (seconds): spread over start-up, work and records.
DELAYS = {"run": (1.0, 45.0), "score": (0.5, 30.0), "score-force": (0.5, 40.0), "score-p": (0.5, 30.0)}
REDOS = {"score-force": ["score", "--force"], "score-p": ["score", "-p", "noop", "--force"]}
"""The redo stages: the command each runs (on one instance, `-i`, added by `redo_drill`)."""


def env() -> dict[str, str]:
    return {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}


def cli(folder: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ISOBENCH, *args], cwd=folder, capture_output=True, text=True, env=env(), timeout=timeout)


def make_project(folder: Path, task: Path | None) -> None:
    folder.mkdir(parents=True)
    (folder / "tasks").mkdir()
    if task is None:
        from isobench import demo_repo

        demo_repo.build(folder / "tasks" / "demo-repo")
        shutil.copy(ROOT / "tasks" / "demo.yaml", folder / "tasks" / "t.yaml")
        shutil.copytree(ROOT / "tasks" / "workloads", folder / "tasks" / "workloads")  # its held-out workloads
    else:
        text = task.read_text()
        # Relative paths in the task (its repo, workload files) keep pointing where they did.
        (folder / "tasks" / "t.yaml").write_text(text)
        for line in text.splitlines():
            if line.startswith("repo:") and not line.split(":", 1)[1].strip().startswith(("/", "$", "http")):
                rel = line.split(":", 1)[1].split("#")[0].strip()
                os.symlink((task.parent / rel).resolve(), folder / "tasks" / rel)
    (folder / "bench.yaml").write_text(BENCH)
    for stage in ("plan", "prepare"):
        r = cli(folder, stage)
        if r.returncode != 0:
            raise SystemExit(f"{stage} failed: {r.stderr.strip()[-500:]}")


def parse_records(state: Path) -> tuple[list[str], int]:
    """(records that do not parse, torn last lines of samples.jsonl)."""
    bad, torn = [], 0
    for path in state.rglob("*.json"):
        if "conversation" in path.parts or path.name.startswith("."):
            continue  # the SDK's own files; temp files of atomic writes
        try:
            json.loads(path.read_text())
        except (OSError, ValueError):
            bad.append(str(path.relative_to(state)))
    for path in state.rglob("samples.jsonl"):
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
        for i, line in enumerate(lines):
            try:
                json.loads(line)
            except ValueError:
                if i == len(lines) - 1:
                    torn += 1
                else:
                    bad.append(f"{path.relative_to(state)} line {i + 1}")
    return bad, torn


def kill_cycle(folder: Path, stage: str, delay: float, args: list[str] | None = None) -> dict[str, Any]:
    """Start a stage, SIGKILL it after `delay` s (unless it finished), then check for orphans and records."""
    state = folder / "state"
    proc = subprocess.Popen(
        [*ISOBENCH, *(args or [stage])],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(),
    )
    try:
        proc.wait(timeout=delay)
        finished = True
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        finished = False
    t0 = time.monotonic()
    left = pids_mentioning(str(state))
    while left and time.monotonic() - t0 < 15:
        time.sleep(0.2)
        left = pids_mentioning(str(state))
    orphans = len(left)
    for pid in left:  # keep the drill going; the orphan is counted as a failure
        os.kill(pid, signal.SIGKILL)
    bad, torn = parse_records(state)
    return {"delay_s": round(delay, 1), "finished": finished, "orphans": orphans, "bad_records": bad, "torn": torn}


def run_summary(state: Path) -> dict[str, Any]:
    """Every attempt: (instance, provider, attempt) -> (status, patch bytes) and what is left half-done."""
    out: dict[str, Any] = {}
    for result in sorted(state.glob("runs/*/*/*/result.json")):
        rec = json.loads(result.read_text())
        patch = result.parent / (rec.get("model_patch") or "model_patch.diff")
        key = f"{rec['instance_id']}/{rec['provider']}/{rec['attempt']}"
        out[key] = [rec["status"], patch.read_bytes().hex() if patch.is_file() else None]
    leftovers = [str(p.relative_to(state)) for p in state.glob("runs/*/*/*") if not (p / "result.json").exists()]
    leftovers += [str(p.relative_to(state)) for p in state.glob("work/*")]
    return {"attempts": out, "leftovers": leftovers}


def score_summary(state: Path) -> dict[str, Any]:
    out = {}
    for path in sorted(state.glob("score/*/score.json")):
        rec = json.loads(path.read_text())
        out[rec["instance_id"]] = {  # structure, not measured values (validity included: it is measured)
            "status": rec["status"],
            "variants": {
                n: [v.get("build"), v.get("correct"), v.get("patch_empty")] for n, v in sorted(rec["variants"].items())
            },
        }
    return out


def drill(stage: str, ref: Path, drilled: Path, n: int, rng: random.Random) -> dict[str, Any]:
    t0 = time.monotonic()
    r = cli(ref, stage)
    ref_s = time.monotonic() - t0
    if r.returncode not in (0, 1):
        raise SystemExit(f"reference {stage} failed: {r.stderr.strip()[-500:]}")
    cycles = []
    t0 = time.monotonic()
    for _ in range(n):
        cycles.append(kill_cycle(drilled, stage, rng.uniform(*DELAYS[stage])))
    final = cli(drilled, stage)
    drill_s = time.monotonic() - t0
    summarize = run_summary if stage == "run" else score_summary
    got, want = summarize(drilled / "state"), summarize(ref / "state")
    expected_units = len(want["attempts"]) if stage == "run" else len(want)
    report: dict[str, Any] = {
        "stage": stage,
        "kills": sum(not c["finished"] for c in cycles),
        "cycles": len(cycles),
        "orphans": sum(c["orphans"] for c in cycles),
        "unparseable_records": sorted({b for c in cycles for b in c["bad_records"]}),
        "torn_sample_lines": sum(c["torn"] for c in cycles),
        "final_exit": final.returncode,
        "reference_s": round(ref_s, 1),
        "drill_s": round(drill_s, 1),
        "units": expected_units,
        "matches_reference": got == want,
    }
    if stage == "run":
        report["leftovers"] = got["leftovers"]
        report["duplicates_or_missing"] = sorted(set(got["attempts"]) ^ set(want["attempts"]))
        report["ok"] = (
            report["orphans"] == 0
            and not report["unparseable_records"]
            and got == want
            and not got["leftovers"]
            and final.returncode == 0
        )
    else:
        report["ok"] = report["orphans"] == 0 and not report["unparseable_records"] and got == want
        if got != want:
            report["differences"] = {
                k: [got.get(k), want.get(k)] for k in set(got) | set(want) if got.get(k) != want.get(k)
            }
    report["cycle_log"] = cycles
    return report


def inconsistent(state: Path) -> dict[str, str]:
    """Instances whose score.json does not describe the files beside it: id -> why (what status reports)."""
    from isobench.state import State

    st = State(state)
    return {i.instance_id: why for i in st.instances() if (why := st.score_problem(i.instance_id))}


def other_rows(state: Path, redone: str = "noop") -> dict[str, Any]:
    """Every score row but the redone provider's, as written: `score -p` must leave them byte for byte."""
    out = {}
    for path in sorted(state.glob("score/*/score.json")):
        rec = json.loads(path.read_text())
        out[rec["instance_id"]] = {n: v for n, v in rec["variants"].items() if not n.startswith(f"{redone}#")}
    return out


def measurements(state: Path) -> dict[str, int]:
    """Instance -> how many measurements its samples.jsonl holds."""
    return {
        p.parent.name: sum('"header"' in ln for ln in p.read_text().splitlines())
        for p in sorted(state.glob("score/*/samples.jsonl"))
    }


def unit_bytes(state: Path, iid: str) -> dict[str, bytes]:
    """Every file of an instance's score unit but its scratch (envs/), with its bytes."""
    u = state / "score" / iid
    return {str(p.relative_to(u)): p.read_bytes() for p in u.rglob("*") if p.is_file() and "envs" not in p.parts}


def redo_pair(drilled: Path) -> tuple[str, str]:
    """The instance a redo drill redoes and the one it must leave alone, both scored first if need be."""
    state = drilled / "state"
    ids = sorted(p.name for p in (state / "plan").iterdir())
    ids.sort(key=lambda i: not (state / "score" / i / "score.json").exists())  # scored ones first
    target, other = ids[0], ids[1]
    for step in ("run", "score"):
        if cli(drilled, step, "-i", f"{target},{other}").returncode not in (0, 1):
            raise SystemExit(f"{step} before the redo drills failed")
    return target, other


def redo_drill(stage: str, drilled: Path, n: int, rng: random.Random) -> dict[str, Any]:
    """SIGKILL a redo of one instance N times; after each kill every unit is consistent, the other instance
    untouched (and `-p` left the other provider's rows)."""
    state = drilled / "state"
    target, other = redo_pair(drilled)
    args = [*REDOS[stage], "-i", target]
    want, rows, runs, kept = score_summary(state), other_rows(state), measurements(state), unit_bytes(state, other)
    cycles = []
    t0 = time.monotonic()
    for _ in range(n):
        c = kill_cycle(drilled, stage, rng.uniform(*DELAYS[stage]), args)
        c["inconsistent"] = inconsistent(state)
        c["other_rows_kept"] = (stage != "score-p" or other_rows(state) == rows) and unit_bytes(state, other) == kept
        cycles.append(c)
    final = cli(drilled, *args)
    got = score_summary(state)
    after = measurements(state)
    report: dict[str, Any] = {
        "stage": stage,
        "kills": sum(not c["finished"] for c in cycles),
        "cycles": len(cycles),
        "orphans": sum(c["orphans"] for c in cycles),
        "unparseable_records": sorted({b for c in cycles for b in c["bad_records"]}),
        "torn_sample_lines": sum(c["torn"] for c in cycles),
        "inconsistent_after_kills": sum(len(c["inconsistent"]) for c in cycles),
        "other_rows_kept": all(c["other_rows_kept"] for c in cycles),
        "inconsistent_at_end": inconsistent(state),
        "earlier_measurements_kept": after.get(target, 0) > runs.get(target, 0),
        "other_instance_kept": unit_bytes(state, other) == kept,
        "final_exit": final.returncode,
        "reference_s": None,
        "drill_s": round(time.monotonic() - t0, 1),
        "units": len(want),
        "matches_reference": got == want,
    }
    report["ok"] = (
        report["orphans"] == 0
        and not report["unparseable_records"]
        and report["inconsistent_after_kills"] == 0
        and report["other_rows_kept"]
        and not report["inconsistent_at_end"]
        and report["earlier_measurements_kept"]
        and report["other_instance_kept"]
        and got == want
    )
    report["cycle_log"] = cycles
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("n", type=int, help="kills per stage")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", type=Path, help="a task file to drill on (default: the embedded demo)")
    ap.add_argument("--stages", default="run,score")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--project", type=Path, help="redo stages only: drill this project folder (an earlier drill's)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    reports = []
    with tempfile.TemporaryDirectory(prefix="isobench-drill-") as tmp:
        ref, drilled = Path(tmp) / "reference", Path(tmp) / "drilled"
        if args.project:
            drilled = args.project.resolve()
        else:
            make_project(ref, args.task.resolve() if args.task else None)
            make_project(drilled, args.task.resolve() if args.task else None)
        for stage in args.stages.split(","):
            redo = stage in REDOS
            rep = redo_drill(stage, drilled, args.n, rng) if redo else drill(stage, ref, drilled, args.n, rng)
            reports.append(rep)
            extra = (
                f"inconsistent units after kills {rep['inconsistent_after_kills']}, other rows kept "
                f"{rep['other_rows_kept']}, earlier measurements kept {rep['earlier_measurements_kept']}, "
                if redo
                else f"uninterrupted {rep['reference_s']:.0f} s, "
            )
            print(
                f"{stage}: {rep['kills']} SIGKILLs in {rep['cycles']} cycles ({rep['drill_s']:.0f} s; "
                f"{extra}{rep['units']} units: orphans {rep['orphans']}, "
                f"unparseable records {len(rep['unparseable_records'])}, torn sample lines "
                f"{rep['torn_sample_lines']}, final exit {rep['final_exit']}, same results as uninterrupted: "
                f"{rep['matches_reference']} -> {'OK' if rep['ok'] else 'FAILED'}",
                flush=True,
            )
    if args.out:
        args.out.write_text(json.dumps(reports, indent=2))
    return 0 if all(r["ok"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
