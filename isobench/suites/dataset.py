"""A shipped suite as a table, a dataset card and a Hugging Face dataset, all from its committed validation
records and its planned instances: nothing about an instance's numbers is typed by hand."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from isobench.config.files import load_yaml
from isobench.errors import one_line
from isobench.records import Instance, Validation
from isobench.state import read_model
from isobench.suites import suite_dir, suite_tasks, validation_dir

if TYPE_CHECKING:
    import datasets


class Project(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repo: str
    license: str


class SuiteInfo(BaseModel):
    """suite.yaml: the suite's name, what it is, how its workloads were chosen, its projects and licences."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    workloads: str
    projects: dict[str, Project]


class SuiteRow(BaseModel):
    """One instance of the suite as a dataset row; each field's docstring is its column's description."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    instance_id: str
    """`<project>-<first 10 hex digits of the human commit>`: isobench's instance id."""
    project: str
    """The project (the task file's name)."""
    repo_url: str
    """The project's public repository."""
    license: str
    """The project's licence (SPDX), as its repository states it."""
    base_commit: str
    """The commit the agent starts from (the human commit's first parent)."""
    head_commit: str
    """The human optimization commit."""
    created_at: str
    """When the human commit was made (ISO 8601)."""
    commit_message: str
    """The human commit's message."""
    description: str
    """What the project is (the task's description, shown to the agent)."""
    patch: str
    """The human's change to the code (tests and benchmarks left out)."""
    test_patch: str
    """The human's change to tests and benchmark files (applied to every variant before testing)."""
    target_files: list[str]
    """The files the agent may change (the library modules the human changed)."""
    install_commands: list[str]
    """The pinned install recipe, run in each variant's venv (test dependencies; the project is imported from
    its checkout)."""
    tests: list[str]
    """The correctness test commands, run from the repository root."""
    workload_command: list[str]
    """The shown workload's command (`${TASK_DIR}`: the folder of the suite's task files)."""
    workload: str
    """The shown workload script, as shipped (isobench/suites/<suite>/workloads/)."""
    workload_why: str
    """What the shown workload exercises and why (its docstring)."""
    heldout_command: list[str]
    """The held-out workload's command: timed by score, never shown to the agent."""
    heldout_workload: str
    """The held-out workload script."""
    heldout_why: str
    """What the held-out workload exercises (its docstring)."""
    admitted: bool
    """Whether validation admitted it (see `rejections`; only admitted instances are planned for runs)."""
    rejections: list[str] = Field(default_factory=list)
    """Why validation left it out: `rule: detail` per reason."""
    human_speedup: float | None = None
    """The human's speedup over base on the shown workload (validation's measurement)."""
    human_speedup_ci: list[float] = Field(default_factory=list)
    """Its 95% CI (low, high)."""
    heldout_speedup: float | None = None
    """The human's speedup on the held-out workload."""
    heldout_speedup_ci: list[float] = Field(default_factory=list)
    """Its 95% CI (low, high)."""
    oracle_match_label: str | None = None
    """The scripted oracle (the human's patch through the real agent) against the human: confident_pass,
    inconclusive or confident_fail."""
    timing_mode: str | None = None
    """How the workload was timed (in_process or whole_process)."""
    validation_s: float | None = None
    """Wall seconds validation took for it (prepare, the oracle's run, build, tests and timing) on the machine
    in `validated_on`."""
    validated_on: str | None = None
    """The CPU and cores of that machine."""


def suite_info(name: str) -> SuiteInfo:
    return SuiteInfo.model_validate(load_yaml(suite_dir(name) / "suite.yaml"))


def records(name: str) -> list[Validation]:
    """The suite's committed validation records, in instance order."""
    out = [read_model(p, Validation) for p in sorted(validation_dir(name).glob("*.json"))]
    return [r for r in out if r is not None]


def docstring(path: str) -> str:
    """A workload script's docstring (its reason), or an empty string."""
    try:
        return ast.get_docstring(ast.parse(Path(path).read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        return ""


def _script(command: list[str]) -> str | None:
    """The script a `python SCRIPT` workload command runs."""
    parts = command[0].split() if command else []
    return parts[1] if len(parts) == 2 and parts[0] == "python" else None


def row(name: str, inst: Instance, rec: Validation | None) -> SuiteRow:
    """The dataset row of a planned instance and its validation record (None: not validated)."""
    info = suite_info(name)
    project = info.projects[inst.task]
    here = str(suite_dir(name))
    shown, held = _script(inst.efficiency_test), _script(inst.heldout_efficiency_test)
    ci, hci = (rec.human_speedup_ci if rec else None), (rec.heldout_speedup_ci if rec else None)
    env = rec.environment if rec else None
    return SuiteRow(
        instance_id=inst.instance_id,
        project=inst.task,
        repo_url=project.repo,
        license=project.license,
        base_commit=inst.base_commit,
        head_commit=inst.head_commit,
        created_at=inst.created_at,
        commit_message=inst.gt_commit_message,
        description=inst.description,
        patch=inst.patch,
        test_patch=inst.test_patch,
        target_files=inst.target_files,
        install_commands=inst.install_commands,
        tests=inst.tests,
        workload_command=[c.replace(here, "${TASK_DIR}") for c in inst.efficiency_test],
        workload=Path(shown).read_text(encoding="utf-8") if shown else "",
        workload_why=docstring(shown) if shown else "",
        heldout_command=[c.replace(here, "${TASK_DIR}") for c in inst.heldout_efficiency_test],
        heldout_workload=Path(held).read_text(encoding="utf-8") if held else "",
        heldout_why=docstring(held) if held else "",
        admitted=bool(rec and rec.admitted),
        rejections=[f"{r.rule}: {one_line(r.detail)}" for r in rec.rejections] if rec else ["not validated"],
        human_speedup=rec.human_speedup if rec else None,
        human_speedup_ci=list(ci or []),
        heldout_speedup=rec.heldout_speedup if rec else None,
        heldout_speedup_ci=list(hci or []),
        oracle_match_label=rec.oracle_match_label if rec else None,
        timing_mode=rec.timing_mode if rec else None,
        validation_s=rec.seconds.total_s if rec else None,
        validated_on=f"{env.cpu}, {env.cores} cores" if env else None,
    )


# --- the table and the card ----------------------------------------------------------------------------


def _ci(x: float | None, ci: list[float] | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def not_validated(name: str, recs: list[Validation]) -> list[str]:
    """The suite's commits (`task head`) that have no validation record."""
    done = {r.head_commit for r in recs}
    out = []
    for path in suite_tasks(name):
        data = load_yaml(path)
        out += [f"{data['name']} {c['head'][:12]}" for c in data.get("commits", []) if c["head"] not in done]
    return out


def suite_table(recs: list[Validation], pending: list[str] | None = None) -> str:
    """The suite's instances as a Markdown table (admitted ones), then the ones left out with why, then the
    commits not validated yet (`pending`)."""
    head = (
        "| instance | human commit | human speedup [95% CI] | held-out [95% CI] | oracle | tests base / human "
        "| validation (s) |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    lines = [head]
    for r in [r for r in recs if r.admitted]:
        tests = f"{sum(t.passed for t in r.tests_base)}/{len(r.tests_base)} / "
        tests += f"{sum(t.passed for t in r.tests_human)}/{len(r.tests_human)} pass"
        lines.append(
            f"| `{r.instance_id}` | {r.subject[:70]} | {_ci(r.human_speedup, r.human_speedup_ci)} "
            f"| {_ci(r.heldout_speedup, r.heldout_speedup_ci)} | {r.oracle_match_label or '-'} | {tests} "
            f"| {r.seconds.total_s:.0f} |"
        )
    out = [f"{sum(r.admitted for r in recs)} of {len(recs)} validated instance(s) admitted.", "", "\n".join(lines)]
    left = [r for r in recs if not r.admitted]
    if left:
        out += ["", "Left out:", ""]
        out += [
            f"- `{r.instance_id}` ({r.subject[:60]}): "
            + "; ".join(f"{x.rule}: {one_line(x.detail)}" for x in r.rejections)
            for r in left
        ]
    if pending:
        out += ["", f"Not validated yet (not planned by `plan --suite`): {', '.join(pending)}."]
    return "\n".join(out)


def costs(recs: list[Validation]) -> str:
    """What validating took, per instance and in all, from the records."""
    if not recs:
        return "No instance validated yet."
    total = sum(r.seconds.total_s for r in recs)
    per = sorted(r.seconds.total_s for r in recs)
    env = recs[0].environment
    where = f"{env.cpu}, {env.cores} cores" if env else "this machine"
    agent = sum(r.seconds.run_s for r in recs)
    budgets = " or ".join(f"{b:g}" for b in sorted({r.time_budget_s for r in recs}))
    return (
        f"Validating {len(recs)} instance(s) took {total / 60:.1f} min in all on {where} (median "
        f"{per[len(per) // 2]:.0f} s, max {per[-1]:.0f} s per instance; each: the oracle's agent run, building "
        f"and testing base, its A/A twin, the human and the oracle, and timing at score.time_budget_s "
        f"{budgets} s per pair; each record says its own), of which {agent / 60:.1f} min were the oracle's agent runs. "
        f"A `run` and `score` of one more provider costs about as much again per instance. On a Ray cluster of "
        f"N nodes (`--executor ray`: each attempt and each instance's scoring on one node, about 15 s of fixed "
        f"cost per stage, benchmarks/RESULTS.md) the same work takes about {total / 60:.0f}/N min plus that."
    )


def card(name: str, recs: list[Validation]) -> str:
    """The suite's dataset card (Hugging Face README.md form): from suite.yaml, SuiteRow and the records."""
    from isobench.export.schema import _feature, type_name

    info = suite_info(name)
    cols = "\n".join(
        f"| `{k}` | {type_name(_feature(f.annotation))} | {' '.join((f.description or '').split())} |"
        for k, f in SuiteRow.model_fields.items()
    )
    counts = {p: sum(r.task == p for r in recs if r.admitted) for p in info.projects}
    projects = "\n".join(f"| {p} | {v.repo} | {v.license} | {counts[p]} |" for p, v in sorted(info.projects.items()))
    return f"""---
license: other
pretty_name: {info.name}
tags: [code, performance, benchmark, python]
---

# {info.name}

{" ".join(info.description.split())}

Load it with `datasets.load_from_disk(DIR)` (after `isobench suite export --out DIR`), or plan it for agents
with `isobench plan --suite {name}`.

## Projects and licences

Each instance keeps its project's licence (column `license`).

| project | repository | licence | admitted instances |
| --- | --- | --- | --- |
{projects}

## Instances

{suite_table(recs, not_validated(name, recs))}

{costs(recs)}

## How the workloads were chosen

{" ".join(info.workloads.split())} The columns `workload_why` and `heldout_why` hold each one's reason.

## Columns

| column | type | description |
| --- | --- | --- |
{cols}
"""


# --- the dataset ---------------------------------------------------------------------------------------


def features() -> datasets.Features:
    """The `datasets.Features` of the suite's rows, from SuiteRow's field types."""
    import datasets as hf

    from isobench.export.schema import _feature

    return hf.Features({k: _feature(f.annotation) for k, f in SuiteRow.model_fields.items()})


def write_dataset(name: str, insts: list[Instance], out: Path) -> dict[str, int | str]:
    """OUT/dataset (`save_to_disk`), OUT/data.jsonl and OUT/README.md (the card) for the planned instances."""
    import datasets as hf

    from isobench.state import atomic_write_text, remove_tree

    recs = records(name)
    by_id = {r.instance_id: r for r in recs}
    rows = [row(name, i, by_id.get(i.instance_id)).model_dump() for i in insts]
    ds = hf.Dataset.from_list(rows, features=features())
    out.mkdir(parents=True, exist_ok=True)
    remove_tree(out / "dataset")
    ds.save_to_disk(str(out / "dataset"))
    ds.to_json(str(out / "data.jsonl"), lines=True)
    atomic_write_text(out / "README.md", card(name, recs))
    return {
        "rows": len(rows),
        "admitted": sum(bool(r["admitted"]) for r in rows),
        "dataset": str(out / "dataset"),
        "jsonl": str(out / "data.jsonl"),
        "card": str(out / "README.md"),
    }
