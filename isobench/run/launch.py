"""How an agent is started for one attempt: its limits, the runner's spec, a clean environment with the
task's own environment active, what the sandbox shows it, its way to its model (the network gate), and its
secrets, handed over through an inherited pipe (never on a command line or in an environment the agent can
read)."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from isobench.agents.netrelay import PROXY_VARS
from isobench.agents.openhands_runner import RunnerSpec, Secrets
from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.netgate import Gate, endpoints_for
from isobench.procs import set_pdeathsig
from isobench.resources import Group, Resources
from isobench.run.units import Unit
from isobench.sandbox import Sandbox, SandboxSpec, minimal_env
from isobench.state import State

if TYPE_CHECKING:
    from isobench.agents.scripted_server import ScriptedLLMServer

RUNNER = Path(__file__).parents[1] / "agents" / "openhands_runner.py"
NETRELAY = Path(__file__).parents[1] / "agents" / "netrelay.py"
# The agent's terminal shell: drops the variables only the runner may hold (ISOBENCH_STRIP_ENV names them).
AGENT_SHELL = """#!/bin/bash
for _v in $ISOBENCH_STRIP_ENV; do unset "$_v"; done
unset _v ISOBENCH_STRIP_ENV
exec /bin/bash "$@"
"""


def provider_secrets(p: ProviderConfig) -> Secrets:
    """What only the provider's agent process may hold: its key and its `env_passthrough` variables."""
    key = os.environ.get(p.api_key_env) if p.provider != "scripted" and p.api_key_env else None
    return {"api_key": key, "env": {k: os.environ[k] for k in p.env_passthrough if k in os.environ}}


def install_tools(tools: Path) -> None:
    """Copy the runner and its relay into `tools` and write the agent's shell there."""
    tools.mkdir(parents=True, exist_ok=True)
    for tool in (RUNNER, NETRELAY):
        shutil.copy(tool, tools / tool.name)
    shell = tools / "agent-shell"
    shell.write_text(AGENT_SHELL)
    shell.chmod(0o755)


def check_gate(cfg: BenchConfig, sandbox: str, providers: list[ProviderConfig]) -> None:
    """Refuse (UserError, one line) a network gate that cannot be enforced here: in a container engine, or for
    a provider whose endpoint the gate cannot tell."""
    if sandbox not in ("bwrap", "none"):
        raise UserError(
            f"{cfg.source}: container.network_policy: off is enforced with the bwrap sandbox; with "
            f"{sandbox}, set container.network_policy: on (the container then shares the host's network)"
        )
    for p in providers:
        if p.provider != "scripted":  # the scripted server's address is known once it runs
            endpoints_for(p.name, p.provider, p.litellm_model, p.base_url, p.network_allow)


def secrets_pipe(p: ProviderConfig) -> int:
    """A pipe holding the provider's secrets (`provider_secrets`, as JSON): its read end, for the agent to
    inherit; the write end is already closed."""
    read_fd, write_fd = os.pipe()
    # A few hundred bytes: the pipe buffer holds them until the runner reads.
    os.write(write_fd, json.dumps(provider_secrets(p)).encode())
    os.close(write_fd)
    return read_fd


def runner_spec(
    p: ProviderConfig,
    work: Path,
    tools: Path,
    iters: int,
    budget: float | None,
    secrets_fd: int | None,
    base_url: str | None,
    gate_fd: int | None,
) -> RunnerSpec:
    """What the OpenHands runner reads from spec.json: the attempt's folders, its limits, where its secrets
    and its way to the network gate are, the shell its terminal uses, and how to reach its model."""
    prices = (p.input_cost_per_token, p.output_cost_per_token)
    if any(x is not None for x in prices):  # LiteLLM applies custom prices only when both are set
        prices = (prices[0] or 0.0, prices[1] or 0.0)
    return {
        "workspace": str(work / "workspace"),
        "prompt_file": str(work / "out" / "prompt.md"),
        "out_dir": str(work / "out"),
        "max_iterations": iters,
        "max_budget_usd": budget,
        "secrets_fd": secrets_fd,
        "net_gate_fd": gate_fd,
        "agent_shell": str(tools / "agent-shell"),
        "strip_env": sorted({*p.env_passthrough, *PROXY_VARS, "NO_PROXY", "no_proxy"}),
        "llm": {
            "model": p.litellm_model,
            "base_url": base_url,
            "api_key_env": None if p.provider == "scripted" else p.api_key_env,
            "input_cost_per_token": prices[0],
            "output_cost_per_token": prices[1],
            "num_retries": p.num_retries,
            "retry_min_wait": p.retry_min_wait,
            "retry_max_wait": p.retry_max_wait,
            "temperature": p.temperature,
            "reasoning_effort": p.reasoning_effort,
            "extra": {},
        },
    }


def agent_env(p: ProviderConfig, work: Path, fd_secrets: bool) -> dict[str, str]:
    """A clean base, the agent's own HOME and the task's environment active (its venv first on PATH, so
    `python`, `pip` and the test tools are the project's). A non-OpenHands command agent (or a sandbox that
    cannot pass a pipe) gets its key and passthrough variables here; the OpenHands runner never does."""
    venv = work / "env"
    extra = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "OPENHANDS_SUPPRESS_BANNER": "1",
        "HOME": str(work / "home"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "VIRTUAL_ENV": str(venv),
        "ISOBENCH_PYTHON": str(venv / "bin" / "python"),
    }
    if not fd_secrets:
        sec = provider_secrets(p)
        if sec["api_key"] and p.api_key_env:
            extra[p.api_key_env] = sec["api_key"]
        extra.update(sec["env"])
    env = minimal_env(extra)
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    return env


def command_argv(p: ProviderConfig, work: Path, iters: int, tools: Path, gate_fd: int | None) -> list[str]:
    """A `command` agent's command line: the provider's command with the attempt's paths, model and limit
    filled in; with a network gate, run behind the relay (its processes reach its model, nothing else)."""
    cmd = (p.command or "").format(
        prompt_file=shlex.quote(str(work / "out" / "prompt.md")),
        workspace=shlex.quote(str(work / "workspace")),
        out_dir=shlex.quote(str(work / "out")),
        model=shlex.quote(p.model),
        max_iterations=iters,
    )
    if gate_fd is None:
        return ["/bin/sh", "-c", cmd]
    return [sys.executable, str(tools / NETRELAY.name), "--gate-fd", str(gate_fd), "--", "/bin/sh", "-c", cmd]


def in_agent_process(group: Group | None) -> None:
    """Run in the agent's process before it starts: it dies with isobench, and joins its resource group."""
    set_pdeathsig()
    if group is not None:
        group.join()


class Launcher:
    """Starts agents in the sandbox; shared by the attempts of one `isobench run` (thread-safe)."""

    def __init__(
        self, cfg: BenchConfig, state: State, sandbox: Sandbox, server: ScriptedLLMServer | None = None
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.server = server  # the scripted LLM server, when a scripted provider runs
        self.tools = state.root / "tools"
        self.scripted_keys: dict[str, tuple[str, str]] = {}  # server key -> (provider, instance id)
        self.resources = Resources(cfg.container.limits())

    @property
    def network(self) -> str:
        """What the agents' commands may reach: `off` (their model only, through the gate), `on` (the host's
        network, bench.yaml's choice), `host (no sandbox)` (isolation opted out altogether)."""
        if self.sandbox.name == "none":
            return "host (no sandbox)"
        return self.cfg.container.network_policy

    def install_tools(self) -> None:
        """Copies of the runner, its relay and the agent's shell outside the package: agents never see isobench."""
        install_tools(self.tools)

    def endpoints(self, p: ProviderConfig, base_url: str | None) -> list[tuple[str, int]]:
        """Where this provider's attempts may connect with network_policy off (UserError when unknown)."""
        return endpoints_for(p.name, p.provider, p.litellm_model, base_url, p.network_allow)

    def check(self, providers: list[ProviderConfig]) -> None:
        """Refuse (one line, before anything starts) what cannot be enforced here: the resource limits, the
        network gate in a container engine, a provider whose endpoint the gate cannot tell."""
        self.resources.require(str(self.cfg.source))
        if self.network == "off":
            check_gate(self.cfg, self.sandbox.name, providers)

    def limits(self, p: ProviderConfig) -> tuple[int, float, float | None]:
        """The provider's limits (its own, else `agents.openhands`'s): iterations, wall time (s), budget (USD)."""
        oh = self.cfg.agents.openhands
        budget = p.max_budget_per_task if p.max_budget_per_task is not None else oh.max_budget_per_task
        return (p.max_iterations or oh.max_iterations, 60.0 * (p.time_budget_minutes or oh.time_budget_minutes), budget)

    def base_url(self, u: Unit) -> str | None:
        """Where the attempt's agent finds its model: the provider's base_url, or for a scripted provider a new,
        unguessable address on the scripted server that leads to this attempt's scenario alone."""
        p = u.provider
        if p.provider != "scripted":
            return p.base_url
        key = secrets.token_urlsafe(18)  # this attempt's own, unguessable way to its scenario
        self.scripted_keys[key] = (p.name, u.inst.instance_id)
        assert self.server is not None, "a scripted provider runs with the scripted server started"
        return str(self.server.base_url(key))

    def spec(
        self, u: Unit, work: Path, secrets_fd: int | None, base_url: str | None, gate_fd: int | None
    ) -> RunnerSpec:
        """The runner's spec.json for this attempt (see `runner_spec`), with the provider's limits."""
        iters, _, budget = self.limits(u.provider)
        return runner_spec(u.provider, work, self.tools, iters, budget, secrets_fd, base_url, gate_fd)

    def env(self, p: ProviderConfig, work: Path, fd_secrets: bool) -> dict[str, str]:
        """The agent's environment (see `agent_env`)."""
        return agent_env(p, work, fd_secrets)

    def argv(self, u: Unit, work: Path, gate_fd: int | None) -> list[str]:
        """The agent's command line: a `command` agent's own command (see `command_argv`), else the runner."""
        if u.provider.provider == "command":
            iters, _, _ = self.limits(u.provider)
            return command_argv(u.provider, work, iters, self.tools, gate_fd)
        return [sys.executable, str(self.tools / RUNNER.name), str(work / "out" / "spec.json")]

    def readable(self, u: Unit) -> list[Path]:
        """What an agent may read besides its work folder: isobench's interpreter and libraries (its runner),
        the runner's tools, the task's workload files and bench.yaml's `container.mounts`."""
        return [Path(sys.prefix), self.tools, *map(Path, u.inst.workload_files or []), *self.cfg.mounts()]

    def sandbox_spec(self, u: Unit, work: Path, env: dict[str, str], network: bool) -> SandboxSpec:
        """What the sandbox shows the agent: its work folder writable, `readable`, isobench's state hidden."""
        return SandboxSpec(
            writable=[work],
            readable=self.readable(u),
            hidden=self.state.private_paths(self.cfg.root),
            network=network,
            env=env,
            cwd=work / "workspace",
        )

    def gate(self, u: Unit, base_url: str | None) -> Gate | None:
        """The attempt's way to its model, with network_policy off (None: the sandbox shares the host's network)."""
        if self.network != "off":
            return None
        return Gate(self.endpoints(u.provider, base_url))

    def start(
        self, u: Unit, work: Path, log: IO[bytes], gate: Gate | None, base_url: str | None, group: Group | None
    ) -> subprocess.Popen[bytes]:
        """Start the agent in the sandbox; its secrets go through a pipe it inherits (never argv or env), and
        so does its way to the network gate."""
        fd_secrets = u.provider.provider != "command" and self.sandbox.name in ("bwrap", "none")
        read_fd = secrets_pipe(u.provider) if fd_secrets else None
        gate_fd = gate.child_fd if gate is not None else None
        try:
            runner_gate = gate_fd if u.provider.provider != "command" else None
            spec = self.spec(u, work, read_fd, base_url, runner_gate)
            (work / "out" / "spec.json").write_text(json.dumps(spec, indent=2))
            env = self.env(u.provider, work, fd_secrets)
            network = self.network != "off"
            cmd = self.sandbox.wrap(self.argv(u, work, gate_fd), self.sandbox_spec(u, work, env, network=network))
            return cmd.popen(
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=lambda: in_agent_process(group),
                pass_fds=tuple(fd for fd in (read_fd, gate_fd) if fd is not None),
            )
        finally:
            if read_fd is not None:
                os.close(read_fd)
            if gate is not None:
                gate.release_child()
