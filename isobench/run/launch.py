"""How an agent is started for one attempt: its limits, the runner's spec, a clean environment, what the
sandbox shows it, and its secrets, handed over through an inherited pipe (never on a command line or in
an environment the agent can read)."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from isobench.config import BenchConfig, ProviderConfig
from isobench.procs import set_pdeathsig
from isobench.run.units import Unit
from isobench.sandbox import Sandbox, SandboxSpec, minimal_env
from isobench.state import State

RUNNER = Path(__file__).parents[1] / "agents" / "openhands_runner.py"
# The agent's terminal shell: drops the variables only the runner may hold (ISOBENCH_STRIP_ENV names them).
AGENT_SHELL = """#!/bin/bash
for _v in $ISOBENCH_STRIP_ENV; do unset "$_v"; done
unset _v ISOBENCH_STRIP_ENV
exec /bin/bash "$@"
"""
# Files an agent's commands leave behind that are never part of its patch.


def provider_secrets(p: ProviderConfig) -> dict[str, Any]:
    """What only the provider's agent process may hold: its key and its `env_passthrough` variables."""
    out: dict[str, Any] = {"api_key": None, "env": {}}
    if p.provider != "scripted" and p.api_key_env:
        out["api_key"] = os.environ.get(p.api_key_env)
    out["env"] = {k: os.environ[k] for k in p.env_passthrough if k in os.environ}
    return out


class Launcher:
    """Starts agents in the sandbox; shared by the attempts of one `isobench run` (thread-safe)."""

    def __init__(self, cfg: BenchConfig, state: State, sandbox: Sandbox, server: Any = None) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.server = server  # the scripted LLM server, when a scripted provider runs
        self.tools = state.root / "tools"
        self.scripted_keys: dict[str, tuple[str, str]] = {}  # server key -> (provider, instance id)

    def install_tools(self) -> None:
        """Copies of the runner and the agent's shell outside the package: agents never see isobench."""
        self.tools.mkdir(parents=True, exist_ok=True)
        shutil.copy(RUNNER, self.tools / RUNNER.name)
        shell = self.tools / "agent-shell"
        shell.write_text(AGENT_SHELL)
        shell.chmod(0o755)

    def limits(self, p: ProviderConfig) -> tuple[int, float, float | None]:
        oh = self.cfg.agents.openhands
        budget = p.max_budget_per_task if p.max_budget_per_task is not None else oh.max_budget_per_task
        return (p.max_iterations or oh.max_iterations, 60.0 * (p.time_budget_minutes or oh.time_budget_minutes), budget)

    def spec(self, u: Unit, work: Path, secrets_fd: int | None) -> dict[str, Any]:
        iters, _, budget = self.limits(u.provider)
        p = u.provider
        base_url = p.base_url
        if p.provider == "scripted":
            key = secrets.token_urlsafe(18)  # this attempt's own, unguessable way to its scenario
            self.scripted_keys[key] = (p.name, u.inst.instance_id)
            base_url = self.server.base_url(key)
        prices = (p.input_cost_per_token, p.output_cost_per_token)
        if any(x is not None for x in prices):  # LiteLLM applies custom prices only when both are set
            prices = tuple(x or 0.0 for x in prices)  # type: ignore[assignment]
        return {
            "workspace": str(work / "workspace"),
            "prompt_file": str(work / "out" / "prompt.md"),
            "out_dir": str(work / "out"),
            "max_iterations": iters,
            "max_budget_usd": budget,
            "secrets_fd": secrets_fd,
            "agent_shell": str(self.tools / "agent-shell"),
            "strip_env": sorted(p.env_passthrough),
            "llm": {
                "model": p.litellm_model,
                "base_url": base_url,
                "api_key_env": None if p.provider == "scripted" else p.api_key_env,
                "input_cost_per_token": prices[0],
                "output_cost_per_token": prices[1],
                "num_retries": p.num_retries,
                "temperature": p.temperature,
                "reasoning_effort": p.reasoning_effort,
                "extra": {},
            },
        }

    def env(self, p: ProviderConfig, work: Path, fd_secrets: bool) -> dict[str, str]:
        """A clean base and the agent's own HOME. A non-OpenHands command agent (or a sandbox that cannot
        pass a pipe) gets its key and passthrough variables here; the OpenHands runner never does."""
        extra = {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "OPENHANDS_SUPPRESS_BANNER": "1",
            "HOME": str(work / "home"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if not fd_secrets:
            sec = provider_secrets(p)
            if sec["api_key"] and p.api_key_env:
                extra[p.api_key_env] = sec["api_key"]
            extra.update(sec["env"])
        return minimal_env(extra)

    def argv(self, u: Unit, work: Path) -> list[str]:
        if u.provider.provider == "command":
            iters, _, _ = self.limits(u.provider)
            cmd = (u.provider.command or "").format(
                prompt_file=shlex.quote(str(work / "out" / "prompt.md")),
                workspace=shlex.quote(str(work / "workspace")),
                out_dir=shlex.quote(str(work / "out")),
                model=shlex.quote(u.provider.model),
                max_iterations=iters,
            )
            return ["/bin/sh", "-c", cmd]
        return [sys.executable, str(self.tools / RUNNER.name), str(work / "out" / "spec.json")]

    def sandbox_spec(self, u: Unit, work: Path, env: dict[str, str], network: bool) -> SandboxSpec:
        return SandboxSpec(
            writable=[work],
            readable=[Path(sys.prefix), self.tools, *map(Path, u.inst.workload_files or [])],
            hidden=self.state.private_paths(self.cfg.root),
            network=network,
            env=env,
            cwd=work / "workspace",
        )

    def start(self, u: Unit, work: Path, d: Path, log: Any) -> Any:
        """Start the agent in the sandbox; its secrets go through a pipe it inherits (never argv or env)."""
        fd_secrets = u.provider.provider != "command" and self.sandbox.name in ("bwrap", "none")
        read_fd = None
        if fd_secrets:
            read_fd, write_fd = os.pipe()
            # A few hundred bytes: the pipe buffer holds them until the runner reads.
            os.write(write_fd, json.dumps(provider_secrets(u.provider)).encode())
            os.close(write_fd)
        try:
            spec = self.spec(u, work, read_fd)
            (work / "out" / "spec.json").write_text(json.dumps(spec, indent=2))
            env = self.env(u.provider, work, fd_secrets)
            cmd = self.sandbox.wrap(self.argv(u, work), self.sandbox_spec(u, work, env, network=True))
            return cmd.popen(
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=set_pdeathsig,
                pass_fds=(read_fd,) if read_fd is not None else (),
            )
        finally:
            if read_fd is not None:
                os.close(read_fd)
