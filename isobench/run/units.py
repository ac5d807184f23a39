"""What `run` has to do: the units (instance x provider x attempt) still to run, refused with one line
when their preparation is missing or out of date, or when a provider's key is not set."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypedDict

from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.prepare import expected_fingerprint
from isobench.records import Attempt, Instance, PreparedUnit
from isobench.state import State


@dataclass
class Unit:
    inst: Instance
    provider: ProviderConfig
    attempt: int
    prepared: PreparedUnit

    @property
    def key(self) -> str:
        return f"{self.inst.instance_id}/{self.provider.name}/{self.attempt}"

    @property
    def label(self) -> str:
        return f"{self.inst.instance_id} #{self.attempt}"

    def identity(self) -> Identity:
        """The fields of its attempt record that say which unit it is and what ran it."""
        return {
            "instance_id": self.inst.instance_id,
            "provider": self.provider.name,
            "attempt": self.attempt,
            "prepared_fingerprint": self.prepared.fingerprint,
            "model": self.provider.litellm_model,
            "agent": "command" if self.provider.provider == "command" else "openhands",
            "setting": self.inst.setting,
        }


class Identity(TypedDict):
    """The fields of an attempt record that say which unit it is and what ran it."""

    instance_id: str
    provider: str
    attempt: int
    prepared_fingerprint: str
    model: str
    agent: str
    setting: str


class UnitRefused(Exception):
    """The harness could not run a unit (e.g. the worker it went to lacks the provider's key): one line, and
    the unit stays pending."""


@dataclass
class RunSummary:
    results: list[Attempt] = field(default_factory=list)
    skipped_done: int = 0
    skipped_budget: list[str] = field(default_factory=list)
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    """Units the harness could not run (e.g. a worker without the provider's key): left pending."""

    @property
    def failed(self) -> list[Attempt]:
        return [r for r in self.results if r.status not in ("success", "interrupted")]


def missing_keys(providers: list[ProviderConfig]) -> list[str]:
    """One line per provider whose API key variable is not set (scripted providers need none)."""
    out = []
    for p in providers:
        if p.provider in ("scripted", "command") or not p.api_key_env:
            continue
        if not os.environ.get(p.api_key_env):
            out.append(
                f"provider {p.name!r} needs its API key in the environment variable {p.api_key_env}, which is not set"
            )
    return out


def plan_units(
    cfg: BenchConfig,
    state: State,
    instances: list[Instance],
    providers: list[ProviderConfig],
    attempts: int,
    force: bool,
) -> tuple[list[Unit], int]:
    """The units still to do (or all, with force), and how many are already done.

    Refuses (one line, state untouched) when a unit is not prepared, was prepared with other settings
    than bench.yaml has now, or holds attempts made from an earlier preparation (their results would be
    scored as if they answered the current one).
    """
    prepared: dict[tuple[str, str], PreparedUnit] = {}
    missing, changed = [], []
    for inst in instances:
        for p in providers:
            iid = inst.instance_id
            rec = state.prepared(iid, p.name)
            if rec is None:
                missing.append((iid, p.name))
                continue
            prepared[(iid, p.name)] = rec
            if rec.fingerprint != expected_fingerprint(cfg, state, inst, p):
                changed.append((iid, p.name))
    if missing:
        iid, pname = missing[0]
        raise UserError(
            f"{state.root}: {len(missing)} unit(s) not prepared (e.g. {iid} x {pname}); run `isobench prepare` first"
        )
    if changed:
        iid, pname = changed[0]
        raise UserError(
            f"{state.root}: {len(changed)} unit(s) were prepared with other settings than bench.yaml and the task "
            f"files have now (e.g. {iid} x {pname}); run `isobench prepare` again"
        )
    if not force:  # --force redoes them
        state.refuse_stale_attempts(prepared)
    todo, n_done = [], 0
    for a in range(1, attempts + 1):  # attempt 1 of everything before attempt 2 of anything
        for inst in instances:
            for p in providers:
                if state.attempt_result(inst.instance_id, p.name, a) is not None and not force:
                    n_done += 1
                    continue
                todo.append(Unit(inst, p, a, prepared[(inst.instance_id, p.name)]))
    return todo, n_done
