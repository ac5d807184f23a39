"""`prepare`: per instance, a history-free snapshot of the base; per instance x provider, the prompt and
the agent's configuration (no key).

The snapshot is a repository holding one orphan commit with the base tree, so the human commit, later
commits, tags, reflogs and stray objects simply do not exist in it; every attempt's workspace is a fresh
clone of it, made by `run`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from string import Template

from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.gitutil import GitError, make_snapshot
from isobench.records import Instance, PreparedUnit
from isobench.state import (
    State,
    fingerprint,
    pause_point,
    read_record,
    recover,
    remove_tree,
    staging_of,
    swap_in,
    write_model,
    write_record,
)
from isobench.workload import workload_commands

RECORD = "prepared.json"
"""A prepared unit's record, written last (beside the unit, then swapped in)."""


@dataclass
class Prepared:
    instance_id: str
    provider: str
    action: str  # "new" | "redone" | "unchanged" | "failed"
    record: PreparedUnit


def _bullets(items: list[str], code: bool = True) -> str:
    return "\n".join(f"- `{i}`" if code else f"- {i}" for i in items)


def render_prompt(template: str, inst: Instance, setting: str, network: str = "off") -> str:
    """The task prompt. It names the workload and tests as `score` runs them (they work as written in the
    agent's shell, the task's environment active), never the human diff, message or head sha."""
    if setting == "oracle":
        target = "Focus on these files (change only them):\n" + _bullets(inst.target_files)
    else:
        target = (
            "No file is named: profile the workload and find the bottleneck yourself. "
            "Change only the library code, not tests or benchmarks."
        )
    workload = _bullets(workload_commands(inst))
    if inst.workload_callable:
        workload += f"\n\nIt runs `{inst.workload_callable}`: the call of that function is what is timed."
    environment = (
        "Your shell has the project's own environment active: `python`, `pip` and the tools the tests need are "
        "a virtual environment built for this checkout (the project is installed from it, so your edits take "
        "effect without reinstalling)."
    )
    if network == "off":
        environment += " There is no network: nothing can be downloaded or installed."
    constraints = ""
    if inst.constraints:
        constraints = (
            "\n## Constraints\nYou must follow these constraints:\n" + _bullets(inst.constraints, False) + "\n"
        )
    return Template(template).safe_substitute(
        task_name=inst.task,
        description=inst.description or "",
        target_section=target,
        workload_section=workload,
        tests_section=_bullets(inst.tests),
        environment_section=environment,
        constraints_section=constraints,
        primary_metric=inst.scoring_primary or "wall time of the workload",
    )


def prompt_template(cfg: BenchConfig) -> str:
    """bench.yaml's `prompt_template`, else the template isobench ships (works from any folder)."""
    if cfg.prompt_template is None:
        return resources.files("isobench").joinpath("templates", "prompt.md").read_text(encoding="utf-8")
    path = cfg.resolve(cfg.prompt_template)
    if not path.is_file():
        raise UserError(f"{cfg.source}: prompt_template: {path} not found")
    return path.read_text(encoding="utf-8")


def agent_config(cfg: BenchConfig, p: ProviderConfig, setting: str) -> dict[str, dict[str, object]]:
    """The agent's configuration for one provider: limits and LLM settings, never the API key itself."""
    oh = cfg.agents.openhands
    agent: dict[str, object] = {
        "name": "openhands" if p.provider != "command" else "command",
        "max_iterations": p.max_iterations or oh.max_iterations,
        "time_budget_minutes": p.time_budget_minutes or oh.time_budget_minutes,
        "max_budget_per_task": p.max_budget_per_task if p.max_budget_per_task is not None else oh.max_budget_per_task,
        "setting": setting,
        "command": p.command,
    }
    llm: dict[str, object] = {
        "provider": p.provider,
        "model": p.litellm_model,
        "base_url": p.base_url,
        "api_key_env": p.api_key_env,
        "input_cost_per_token": p.input_cost_per_token,
        "output_cost_per_token": p.output_cost_per_token,
        "temperature": p.temperature,
        "reasoning_effort": p.reasoning_effort,
        "num_retries": p.num_retries,
        "env_passthrough": p.env_passthrough or None,
        "script": p.script,
        "script_params": p.script_params or None,
        "script_commands": p.script_commands or None,
    }
    return {
        "agent": {k: v for k, v in agent.items() if v is not None},
        "llm": {k: v for k, v in llm.items() if v is not None},
    }


def ensure_snapshot(state: State, inst: Instance, force: bool = False) -> str:
    """The instance's base snapshot (one orphan commit with the base tree), made once; its commit sha."""
    snap = state.snapshot_dir(inst.instance_id)
    marker = snap / "isobench-snapshot.json"
    rec = read_record(marker)
    if rec and rec.get("base_commit") == inst.base_commit and not force:
        return str(rec["snapshot_commit"])
    remove_tree(snap)
    try:
        sha = make_snapshot(Path(inst.repo_path), inst.base_commit, snap)
    except GitError as exc:
        raise UserError(
            f"{inst.task_file}: {inst.instance_id}: cannot snapshot base {inst.base_commit[:12]}: {exc}"
        ) from None
    write_record(marker, {"status": "done", "base_commit": inst.base_commit, "snapshot_commit": sha})
    return sha


def unit_fingerprint(
    cfg: BenchConfig, inst: Instance, p: ProviderConfig, template: str, snapshot_commit: str
) -> tuple[str, dict[str, dict[str, object]], str]:
    """What a prepared unit is made of: (its fingerprint, the agent config, the prompt). `run` compares
    the fingerprint with the prepared one, and an attempt's with both, so nothing runs or is scored
    against settings it was not prepared with."""
    conf = agent_config(cfg, p, inst.setting)
    network = "host (no sandbox)" if cfg.sandbox_kind == "none" else cfg.container.network_policy
    prompt = render_prompt(template, inst, inst.setting, network)
    return fingerprint(inst.fingerprint, conf, prompt, snapshot_commit), conf, prompt


def _prepare_one(
    cfg: BenchConfig,
    state: State,
    inst: Instance,
    p: ProviderConfig,
    template: str,
    snapshot_commit: str,
    force: bool,
) -> Prepared:
    iid = inst.instance_id
    d = state.prepared_dir(iid, p.name)
    fp, conf, prompt = unit_fingerprint(cfg, inst, p, template, snapshot_commit)
    # A redo replaces the unit whole (as score's does, README "The state directory"): the new prompt and
    # record are written beside it and swapped in at the end; a kill before that leaves the old unit as it was.
    leftover = recover(d, RECORD)  # a swap a crash cut short is finished; a dead run's files go
    if leftover is not None:
        remove_tree(leftover)
    old = state.prepared(iid, p.name)
    if old and old.fingerprint == fp and not force and (d / "prompt.md").is_file():
        return Prepared(iid, p.name, "unchanged", old)
    staged = staging_of(d)
    staged.mkdir(parents=True)
    (staged / "prompt.md").write_text(prompt, encoding="utf-8")
    pause_point("record")
    rec = write_model(
        staged / RECORD,
        PreparedUnit(
            instance_id=iid,
            provider=p.name,
            agent_config=conf,
            snapshot_commit=snapshot_commit,
            base_commit=inst.base_commit,
            setting=inst.setting,
            fingerprint=fp,
            prepared_at=datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    d.parent.mkdir(parents=True, exist_ok=True)
    swap_in(d)
    return Prepared(iid, p.name, "redone" if old else "new", rec)


def expected_fingerprint(cfg: BenchConfig, state: State, inst: Instance, p: ProviderConfig) -> str | None:
    """The fingerprint `prepare` would give this unit now (None if its snapshot was never made)."""
    snap = read_record(state.snapshot_dir(inst.instance_id) / "isobench-snapshot.json")
    if not snap:
        return None
    return unit_fingerprint(cfg, inst, p, prompt_template(cfg), str(snap["snapshot_commit"]))[0]


def prepare(
    cfg: BenchConfig,
    state: State,
    instances: list[Instance],
    providers: list[ProviderConfig],
    *,
    force: bool = False,
    workers: int | None = None,
) -> list[Prepared]:
    """Prepare every (instance, provider); unchanged units are skipped. Git work runs in a few threads."""
    template = prompt_template(cfg)
    if not providers:
        raise UserError(f"{cfg.source}: agents.openhands.llm_configs: no provider configured")
    workers = workers or min(8, (os.cpu_count() or 2) * 2)

    def one_instance(inst: Instance) -> list[Prepared]:
        snap = ensure_snapshot(state, inst, force)
        return [_prepare_one(cfg, state, inst, p, template, snap, force) for p in providers]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one_instance, instances))
    return [r for rs in results for r in rs]
