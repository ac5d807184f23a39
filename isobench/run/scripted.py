"""What the scripted LLM server plays for each scripted attempt: the scenario of its (provider, instance),
reached only through the random key `Launcher` gave that attempt."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from isobench.agents.scripts import Scenario
from isobench.config import BenchConfig
from isobench.gitutil import run_git
from isobench.records import Instance

if TYPE_CHECKING:
    from isobench.run.launch import Launcher


def scenario(cfg: BenchConfig, inst: Instance, provider: str) -> Scenario:
    """The scripted provider's behaviour on an instance: the human's files come from git here, in isobench's
    process (the agent only ever sees tool calls)."""
    p = cfg.provider(provider)
    files: dict[str, str | None] = {}
    for path in inst.changed_files:
        if path in inst.test_files:
            continue
        try:
            files[path] = run_git(["show", f"{inst.head_commit}:{path}"], cwd=Path(inst.repo_path))
        except Exception:
            files[path] = None  # deleted by the human
    return Scenario(
        script=p.script or p.name,
        files_after=files,
        target_files=inst.target_files,
        commands=list(p.script_commands),
        params=dict(p.script_params),
    )


def scenario_resolver(
    keys: dict[str, tuple[str, str]], source: Callable[[str, str], Scenario | None]
) -> Callable[[str], Scenario | None]:
    """The server's resolver: a key Launcher handed out -> its (provider, instance) -> `source`'s scenario
    (computed once per pair). Any other key gets nothing."""
    cache: dict[tuple[str, str], Scenario | None] = {}
    lock = threading.Lock()

    def resolve(key: str) -> Scenario | None:
        with lock:
            if key not in keys:
                return None
            pair = keys[key]
            if pair not in cache:
                cache[pair] = source(*pair)
            return cache[pair]

    return resolve


def start_scripted_server(launcher: Launcher, source: Callable[[str, str], Scenario | None]) -> None:
    """The scripted LLM server for this process's scripted attempts (the one place it is started, here or on
    a worker node): it answers only the keys `launcher` hands out; `launcher` stops it."""
    from isobench.agents.scripted_server import ScriptedLLMServer

    launcher.server = ScriptedLLMServer(scenario_resolver(launcher.scripted_keys, source)).start()
