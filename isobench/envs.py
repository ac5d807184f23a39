"""Variant environments: each variant's own venv, made by uv, and what its build may reach.

A variant (base, human, an agent's patch) is a copy of the base with its patch applied and a venv of its
own. The venv is made with `uv venv` from the instance's interpreter; its `pip` is uv's pip, so the usual
`pip install -e .` / `pip install pytest` / `pip install -r requirements-test.txt` of `install_commands`
work, and every variant shares one download cache (the second variant of an instance costs seconds).
`python -m pip` works too (pip itself is seeded into the venv).

The build (setup and install commands) runs in the sandbox with the package index reachable
(`score.build_network`) for code that is not the agent's (the base, the human's commit, and an agent's
own environment, built before the agent runs); tests and timing never have the network. Code an agent
wrote builds offline, from the cache those builds filled, and without the user's index credentials
(`BuildSettings.for_candidate`). Packages are copied out of the cache, not hard-linked: a variant's code
may write into its own site-packages, and a hard link would carry that write into the cache and from
there into every other variant.

`build_environment` is the one definition of how an environment is built (score's variants and every
agent attempt's workspace alike); `sandboxed_sh` runs one command of a task in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from isobench.config import BenchConfig
from isobench.procs import set_pdeathsig
from isobench.records import BuildStep, Instance
from isobench.resources import Resources, memory_killed_message
from isobench.sandbox import Sandbox, SandboxSpec, minimal_env, python_install_paths

# The user's settings for reaching a package index (a private mirror, a proxy, a CA bundle) pass on to
# the build; nothing else of isobench's environment does.
BUILD_PASSTHROUGH_PREFIXES = ("UV_INDEX", "UV_EXTRA_INDEX", "UV_DEFAULT_INDEX", "UV_FIND_LINKS", "PIP_")
BUILD_PASSTHROUGH = (
    "UV_NATIVE_TLS",
    "UV_INSECURE_HOST",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)

PIP_SHIM = """#!/bin/sh
# isobench: `pip` in this venv is uv's pip (one shared download cache); `python -m pip` is pip itself.
exec {uv} pip "$@"
"""


def build_settings(cfg: BenchConfig, inst: Instance, cache_dir: Path) -> BuildSettings:
    """How an instance's environments are built (not yet for code an agent wrote: `for_candidate`): its
    interpreter (the task's `python`, else bench.yaml's score.python, else isobench's), the shared cache, the
    package index settings of bench.yaml."""
    sc = cfg.score
    python = inst.python or (str(cfg.resolve(sc.python)) if sc.python else sys.executable)
    return BuildSettings(
        python=python,
        cache_dir=cache_dir,
        network=sc.build_network,
        index_url=sc.index_url,
        find_links=tuple(cfg.resolve(p) for p in sc.find_links),
        system_site_packages=sc.system_site_packages,
        timeout_s=sc.build_timeout_s,
    )


def uv_binary() -> str:
    """The uv executable isobench installs with itself (the `uv` package)."""
    from uv import find_uv_bin

    return str(Path(find_uv_bin()).resolve())


@dataclass(frozen=True)
class BuildSettings:
    """How a variant's venv is made and what its setup and install commands may reach."""

    python: str
    """The interpreter the venv is made from."""
    cache_dir: Path
    """uv's download cache, shared by every variant (writable during builds only)."""
    network: bool = True
    index_url: str | None = None
    find_links: tuple[Path, ...] = ()
    system_site_packages: bool = False
    timeout_s: float = 1800.0
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    """Where the index settings of the user come from (isobench's environment)."""

    def build_env(self, venv: Path) -> dict[str, str]:
        """The environment of setup and install commands: the variant's venv first on PATH, uv's cache,
        and the user's index, proxy and CA settings."""
        env = variant_env(venv)
        for key, value in self.environ.items():
            if key in BUILD_PASSTHROUGH or key.startswith(BUILD_PASSTHROUGH_PREFIXES):
                env[key] = value
        env.update(
            UV_CACHE_DIR=str(self.cache_dir),
            UV_LINK_MODE="copy",
            UV_PYTHON_DOWNLOADS="never",
            UV_NO_PROGRESS="1",
            PIP_NO_INPUT="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        if self.index_url:
            env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"] = self.index_url
        if self.find_links:
            env["UV_FIND_LINKS"] = ",".join(str(p) for p in self.find_links)
            env["PIP_FIND_LINKS"] = " ".join(str(p) for p in self.find_links)
        if not self.network:
            env["UV_OFFLINE"] = "1"
            env["PIP_NO_INDEX"] = "1"
        return env

    def readable(self) -> list[Path]:
        """What a build must see besides the variant: uv itself and the local wheel folders."""
        return [Path(uv_binary()), *[p for p in self.find_links if p.exists()]]

    def for_candidate(self) -> BuildSettings:
        """How code an agent wrote is built: offline, from the cache base and human filled, with none of the
        user's index settings or credentials (local wheel folders stay usable)."""
        return replace(self, network=False, index_url=None, environ={})


def variant_env(venv: Path) -> dict[str, str]:
    """The environment every command of a variant runs with: its venv activated, nothing else of ours."""
    env = minimal_env({"VIRTUAL_ENV": str(venv)})
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    return env


class VenvError(Exception):
    """`uv venv` failed; the message is uv's last lines."""


def create_venv(venv: Path, settings: BuildSettings) -> None:
    """A fresh venv at `venv` from `settings.python`, with pip seeded and `pip` routed to uv.

    Runs on the host, not in the sandbox: it only runs the user's interpreter to ask its version.
    """
    uv = uv_binary()
    base = [uv, "venv", "--quiet", "--python", settings.python, "--no-project"]
    if settings.system_site_packages:
        base.append("--system-site-packages")
    env = {**settings.build_env(venv), "HOME": str(venv.parent)}
    env.pop("VIRTUAL_ENV", None)

    def uv_venv(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *extra, str(venv)], capture_output=True, text=True, env=env, preexec_fn=set_pdeathsig
        )

    proc = uv_venv("--seed")
    if proc.returncode != 0:  # offline with an empty cache: no pip to seed, uv's pip still works
        proc = uv_venv("--clear")
    if proc.returncode != 0:
        raise VenvError(" ".join(proc.stderr.strip().splitlines()[-3:]) or f"uv venv exited {proc.returncode}")
    for name in ("pip", "pip3"):
        shim = venv / "bin" / name
        shim.unlink(missing_ok=True)
        shim.write_text(PIP_SHIM.format(uv=uv))
        shim.chmod(0o755)


@dataclass(frozen=True)
class Place:
    """Where a variant's (or an attempt's) commands run: `root` is writable and holds the copy of the
    repository and the venv; `readable` and `hidden` add to what the sandbox shows."""

    root: Path
    repo: Path
    venv: Path
    readable: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()


@dataclass
class EnvResult:
    """How building an environment went: `error` names the failing step and its output's tail."""

    ok: bool
    steps: list[BuildStep]
    seconds: float
    failed_kind: str | None = None  # "venv" | "setup" | "install"
    error: str | None = None


def place_spec(
    settings: BuildSettings, place: Place, env: dict[str, str], *, build: bool = False, read_only: bool = False
) -> SandboxSpec:
    """What a command in `place` sees: its folder (and uv's cache while building), the interpreter and the
    place's readable paths; the network only while building with `settings.network`. `read_only`: its folder
    too is read-only (timed runs: nothing it writes can carry over from one process to the next)."""
    readable = [*python_install_paths(settings.python), *place.readable]
    writable = [place.root]
    if read_only:
        readable, writable = [*readable, place.root], []
    if build:
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        readable += settings.readable()
        writable.append(settings.cache_dir)
    return SandboxSpec(
        writable=writable,
        readable=readable,
        hidden=place.hidden,
        network=build and settings.network,
        env=env,
        cwd=place.repo,
    )


def sandboxed_sh(
    sandbox: Sandbox,
    resources: Resources,
    settings: BuildSettings,
    place: Place,
    command: str,
    timeout: float,
    *,
    build: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """One shell command of a task in `place`'s copy, in the sandbox, within the resource limits; offline
    unless building with `settings.network`. Returns (exit code, the output's last 3000 characters)."""
    env = settings.build_env(place.venv) if build else variant_env(place.venv)
    env.update(extra_env or {})
    cmd = sandbox.wrap(["/bin/sh", "-c", command], place_spec(settings, place, env, build=build))
    with resources.tree() as group:

        def start() -> None:
            set_pdeathsig()
            if group is not None:
                group.join()

        try:
            proc = cmd.run(capture_output=True, timeout=timeout, start_new_session=True, preexec_fn=start)
        except subprocess.TimeoutExpired:
            return 124, f"timed out after {timeout:.0f} s"
        out = (proc.stdout + proc.stderr).decode(errors="replace")
        if group is not None and group.oom_kills():
            out += "\n" + memory_killed_message(resources.limits)
    return proc.returncode, out[-3000:]


def build_environment(
    sandbox: Sandbox,
    resources: Resources,
    settings: BuildSettings,
    place: Place,
    setup: Sequence[str],
    install: Sequence[str],
    on_step: Callable[[str], None] = lambda step: None,
) -> EnvResult:
    """A fresh venv at `place.venv` from `settings.python`, then the task's setup and install commands run
    in `place.repo` (in the sandbox, the package index reachable when `settings.network`)."""
    t0 = time.monotonic()
    steps: list[BuildStep] = []
    on_step(f"venv ({Path(settings.python).name})")
    try:
        create_venv(place.venv, settings)
    except VenvError as exc:
        return EnvResult(False, steps, round(time.monotonic() - t0, 3), "venv", f"venv: {exc}")
    for kind, commands in (("setup", setup), ("install", install)):
        for cmd in commands:
            on_step(f"{kind}: {cmd}")
            t = time.monotonic()
            code, out = sandboxed_sh(sandbox, resources, settings, place, cmd, settings.timeout_s, build=True)
            steps.append(BuildStep(command=cmd, exit_code=code, seconds=round(time.monotonic() - t, 3)))
            if code != 0:
                offline = "" if settings.network else " (built offline, from the packages base and human installed)"
                error = f"`{cmd}` exited {code}{offline}: {out[-800:]}"
                return EnvResult(False, steps, round(time.monotonic() - t0, 3), kind, error)
    return EnvResult(True, steps, round(time.monotonic() - t0, 3))
