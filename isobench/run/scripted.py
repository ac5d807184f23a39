"""What the scripted LLM server plays for each scripted attempt's key."""

from __future__ import annotations

import threading
from pathlib import Path

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.state import State


def scenario_resolver(cfg: BenchConfig, state: State, keys: dict[str, tuple[str, str]]):  # type: ignore[no-untyped-def]
    """What the scripted server plays for a key: the human's files come from git here, in isobench's
    process; the agent only ever sees tool calls, and only with its attempt's key."""
    from isobench.agents.scripts import Scenario
    from isobench.gitutil import run_git

    cache: dict[tuple[str, str], Scenario] = {}
    lock = threading.Lock()

    def resolve(key: str) -> Scenario | None:
        with lock:
            if key not in keys:
                return None
            provider, iid = keys[key]
            if (provider, iid) in cache:
                return cache[(provider, iid)]
            try:
                p = cfg.provider(provider)
                inst = state.instance(iid)
            except UserError:
                return None
            files: dict[str, str | None] = {}
            for path in inst.changed_files:
                if path in inst.test_files:
                    continue
                try:
                    files[path] = run_git(["show", f"{inst.head_commit}:{path}"], cwd=Path(inst.repo_path))
                except Exception:
                    files[path] = None  # deleted by the human
            sc = Scenario(
                script=p.script or p.name,
                files_after=files,
                target_files=inst.target_files,
                commands=list(p.script_commands),
                params=dict(p.script_params),
            )
            cache[(provider, iid)] = sc
            return sc

    return resolve
