"""Variant environments: each variant's own venv, made by uv, and what its build may reach.

A variant (base, human, an agent's patch) is a copy of the base with its patch applied and a venv of its
own. The venv is made with `uv venv` from the instance's interpreter; its `pip` is uv's pip, so the usual
`pip install -e .` / `pip install pytest` / `pip install -r requirements-test.txt` of `install_commands`
work, and every variant shares one download cache (the second variant of an instance costs seconds).
`python -m pip` works too (pip itself is seeded into the venv).

The build (setup and install commands) runs in the sandbox with the package index reachable
(`score.build_network`); tests and timing never have the network. Packages are copied out of the cache,
not hard-linked: a variant's code may write into its own site-packages, and a hard link would carry that
write into the cache and from there into every other variant.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from isobench.procs import set_pdeathsig
from isobench.sandbox import minimal_env

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
