"""`isobench doctor`: what a run needs on this machine, one check at a time, with the fix when one fails.

A check is a function of the `Doctor` context that yields `Result`s (one, or one per interpreter /
provider), registered with `@check("name")`; `run_checks` runs them in the order they are defined. To add
one (cgroups, the network gate, ...), write one such function here:

    @check("cgroups")
    def _cgroups(d: Doctor) -> Iterator[Result]:
        yield Result("cgroups", "ok", "v2 mounted") if ... else Result("cgroups", "fail", "...", fix="...")

A check that raises is reported as failed (with the exception), so one broken check never hides the others.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from isobench.config import BenchConfig, ProviderConfig, TaskFile, load_task
from isobench.errors import UserError, one_line

Status = Literal["ok", "warn", "fail"]

PYPI_SIMPLE = "https://pypi.org/simple/"
MIN_FREE_GIB = 1.0
"""Below this much free space under the state directory, `doctor` fails: a venv alone can take that."""
LOW_FREE_GIB = 10.0
"""Below this, a warning: every variant of every instance has its own copy and venv."""
HTTP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Result:
    """One line of `doctor`: what was checked, how it went, what was seen, and how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class Doctor:
    """What the checks look at: the configuration, the state directory, the command line's choices."""

    cfg: BenchConfig
    state_root: Path
    executor: str | None = None
    """--executor, else bench.yaml's executor.kind."""
    ray_address: str | None = None
    providers: list[ProviderConfig] | None = None
    """The providers to check (default: the configured set)."""
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @cached_property
    def tasks(self) -> list[tuple[Path, TaskFile | UserError]]:
        """The task files bench.yaml lists, each loaded, or the error that loading it gave."""
        out: list[tuple[Path, TaskFile | UserError]] = []
        for t in self.cfg.tasks:
            path = self.cfg.resolve(t)
            try:
                out.append((path, load_task(path)))
            except UserError as exc:
                out.append((path, exc))
        return out


CheckFn = Callable[[Doctor], Iterable[Result]]
CHECKS: list[tuple[str, CheckFn]] = []


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check under `name` (shown if the check itself crashes)."""

    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append((name, fn))
        return fn

    return register


def run_checks(d: Doctor) -> list[Result]:
    """Every registered check's results, in order; a check that raises is one failed result."""
    out: list[Result] = []
    for name, fn in CHECKS:
        try:
            out.extend(fn(d))
        except Exception as exc:  # a broken check must not hide the others
            out.append(Result(name, "fail", f"the check itself failed: {one_line(repr(exc))}", "report this bug"))
    return out


def _run(argv: list[str], timeout: float = 15.0) -> tuple[bool, str]:
    """(worked, first line of output or why not)."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, one_line(str(exc))
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    first = lines[0].strip() if lines else f"exit status {proc.returncode}"
    return proc.returncode == 0, first


# --- the checks, in the order they are shown ----------------------------------------------------------


@check("sandbox")
def _sandbox(d: Doctor) -> Iterator[Result]:
    from isobench.sandbox import SandboxError, get_sandbox

    kind = d.cfg.sandbox_kind
    if kind == "none":
        yield Result(
            "sandbox",
            "warn",
            "sandbox: none: agents and candidate code run on this machine without isolation",
            "apt-get install bubblewrap and set `sandbox: bwrap` in bench.yaml",
        )
        return
    try:
        get_sandbox(kind, image=d.cfg.container.image).check()
    except SandboxError as exc:
        fix = (
            "apt-get install bubblewrap (in a container: run it with --privileged or allow user namespaces), "
            "or opt out with `sandbox: none`"
            if kind == "bwrap"
            else f"start {kind} and check container.image in bench.yaml, or use `sandbox: bwrap`"
        )
        yield Result("sandbox", "fail", exc.format_message(), fix)
        return
    where = shutil.which("bwrap") if kind == "bwrap" else kind
    yield Result("sandbox", "ok", f"{kind} works ({where})")


@check("resources")
def _resources(d: Doctor) -> Iterator[Result]:
    """container.cpus / container.memory are enforced with cgroups, or refused by `run` and `score`."""
    from isobench.resources import Resources

    res = Resources(d.cfg.container.limits())
    if res.available:
        what = d.cfg.container.limits().describe() if d.cfg.container.limits() else "no limits set"
        yield Result("resources", "ok", f"cgroup v{res.version} usable ({what})")
    elif d.cfg.container.limits():
        try:
            res.require(str(d.cfg.source))
        except UserError as exc:
            yield Result("resources", "fail", one_line(str(exc)), "see the message")
    else:
        yield Result(
            "resources",
            "warn",
            f"no usable cgroups ({res.reason}): limits could not be enforced",
            "needed only for container.cpus / container.memory",
        )


@check("network")
def _network(d: Doctor) -> Iterator[Result]:
    """With network_policy off, every OpenHands provider must name the one endpoint its agent may reach."""
    from isobench.netgate import endpoints_for

    if d.cfg.container.network_policy == "on":
        yield Result(
            "network",
            "warn",
            "network_policy: on: agents share this machine's network",
            "set container.network_policy: off",
        )
        return
    for p in d.cfg.providers if d.providers is None else d.providers:
        if p.provider == "scripted":
            yield Result(
                "network", "ok", f"provider {p.name!r}: its agent reaches the scripted server and nothing else"
            )
            continue
        try:
            ends = endpoints_for(p.name, p.provider, p.litellm_model, p.base_url, p.network_allow)
        except UserError as exc:
            yield Result("network", "fail", one_line(str(exc)), "see the message")
            continue
        shown = ", ".join(f"{h}:{port}" for h, port in ends) or "nothing"
        yield Result("network", "ok", f"provider {p.name!r}: its agent reaches {shown} and nothing else")


@check("uv")
def _uv(d: Doctor) -> Iterator[Result]:
    from isobench.envs import uv_binary

    fix = "reinstall isobench's environment: ./scripts/setup (uv comes with the `uv` package)"
    try:
        uv = uv_binary()
    except (ImportError, FileNotFoundError) as exc:
        yield Result("uv", "fail", f"uv is not installed: {one_line(str(exc))}", fix)
        return
    ok, out = _run([uv, "--version"])
    yield Result("uv", "ok", f"{out} ({uv})") if ok else Result("uv", "fail", f"{uv} does not run: {out}", fix)


@check("python")
def _interpreters(d: Doctor) -> Iterator[Result]:
    """bench.yaml's score.python (else isobench's own) and every `python` the listed task files name."""
    from isobench.plan_checks import resolve_python, run_python

    wanted: list[tuple[str, Path | None, str]] = []  # (setting, path, where to fix it)
    if d.cfg.score.python:
        score_python = d.cfg.resolve(d.cfg.score.python)
        found = score_python if score_python.is_file() else None
        wanted.append((d.cfg.score.python, found, f"score.python in {d.cfg.source}"))
    else:
        wanted.append(("(default)", Path(sys.executable), "score.python"))
    for task_path, task in d.tasks:
        if isinstance(task, UserError):
            yield Result(f"task {task_path.name}", "fail", task.format_message(), "correct the task file")
            continue
        for where, spec in [("python", task), *[(f"commits[{i}].python", c) for i, c in enumerate(task.commits)]]:
            if spec.python is not None:
                wanted.append((spec.python, resolve_python(spec.python, task_path.parent), f"{where} in {task_path}"))
    seen: set[str] = set()
    for setting, path, where in wanted:
        if path is None:
            yield Result(f"python {setting}", "fail", f"{setting} not found", f"install it, or correct {where}")
            continue
        if str(path) in seen:
            continue
        seen.add(str(path))
        version, error = run_python(str(path))
        if error:
            yield Result(f"python {setting}", "fail", f"{path} cannot run: {error}", f"repair it, or correct {where}")
        else:
            yield Result(f"python {setting}", "ok", f"Python {version} ({path})")


def _needs_index(d: Doctor) -> bool:
    """Whether a listed task installs anything (an unreadable task file counts as yes)."""
    for _, task in d.tasks:
        if isinstance(task, UserError):
            return True
        specs = [task, *task.commits]
        if any(s.install_commands or s.setup_commands for s in specs):
            return True
    return False


def _redact(url: str) -> str:
    """A URL without its credentials (an index URL may carry a token)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc="***@" + (parts.hostname or "") + _port(parts)))


def _port(parts: urllib.parse.SplitResult) -> str:
    return f":{parts.port}" if parts.port else ""


def _probe(url: str) -> str | None:
    """None when the index answers (headers only, the body is not read), else why not."""
    parts = urllib.parse.urlsplit(url)
    headers = {"User-Agent": "isobench-doctor"}
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        url = urllib.parse.urlunsplit(parts._replace(netloc=(parts.hostname or "") + _port(parts)))
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=HTTP_TIMEOUT_S):
            return None
    except urllib.error.HTTPError as exc:
        return f"it answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return one_line(str(reason))


@check("package index")
def _index(d: Doctor) -> Iterator[Result]:
    sc, env = d.cfg.score, d.environ
    find_links = [str(d.cfg.resolve(p)) for p in sc.find_links] + [
        v for k in ("UV_FIND_LINKS", "PIP_FIND_LINKS") if (v := env.get(k))
    ]
    if not sc.build_network or env.get("UV_OFFLINE", "").lower() in ("1", "true", "yes"):
        why = "score.build_network: false" if not sc.build_network else "UV_OFFLINE"
        missing = [p for p in sc.find_links if not d.cfg.resolve(p).exists()]
        if missing:
            detail = f"offline builds ({why}), but find_links {missing[0]} is missing"
            yield Result("package index", "fail", detail, "correct score.find_links in bench.yaml")
        else:
            shown = ", ".join(find_links) or "uv's cache only"
            yield Result("package index", "ok", f"offline builds ({why}); wheels from {shown}")
        return
    url = sc.index_url or env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL") or env.get("PIP_INDEX_URL")
    url = url or PYPI_SIMPLE
    error = _probe(url)
    if error is None:
        yield Result("package index", "ok", f"{_redact(url)} answers")
        return
    detail = f"{_redact(url)} is not reachable: {error}"
    fix = (
        "set score.index_url (or UV_DEFAULT_INDEX) to an index you can reach, or give score.find_links "
        "(folders of wheels) and score.build_network: false"
    )
    if find_links:
        yield Result("package index", "warn", f"{detail}; installs can only use {', '.join(find_links)}", fix)
    elif not _needs_index(d):
        yield Result("package index", "warn", f"{detail} (no listed task has install_commands)", fix)
    else:
        yield Result("package index", "fail", detail, fix)


@check("ray")
def _ray(d: Doctor) -> Iterator[Result]:
    kind = d.executor or d.cfg.executor.kind
    if kind != "ray":
        yield Result("ray", "ok", f"not used (executor: {kind})")
        return
    if importlib.util.find_spec("ray") is None:
        yield Result("ray", "fail", "Ray is not installed", "pip install 'isobench[ray]' (./scripts/setup installs it)")
        return
    address = d.ray_address or d.cfg.executor.address or d.environ.get("RAY_ADDRESS")
    host, _, port = (address or "").removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        yield Result("ray", "ok", f"Ray installed; cluster: {address or 'a local one, started by run/score'}")
        return
    try:
        socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT_S).close()
    except OSError as exc:
        yield Result(
            "ray",
            "fail",
            f"nothing answers at {address} ({exc.strerror or exc})",
            "start the cluster with `ray start --head` there, or give its address with --ray-address or "
            "executor.address",
        )
        return
    yield Result("ray", "ok", f"Ray installed; {address} answers")


@check("providers")
def _providers(d: Doctor) -> Iterator[Result]:
    """Each provider's key (and the variables it passes on) present: names only, never a value."""
    providers = d.cfg.providers if d.providers is None else d.providers
    if not providers:
        yield Result("providers", "warn", "no provider configured", "add agents.openhands.llm_configs to bench.yaml")
    checked = [(f"provider {p.name}", p) for p in providers]
    if d.cfg.review.provider:  # `isobench review` calls it: its key must be there too
        checked.append((f"reviewer {d.cfg.review.provider}", d.cfg.provider(d.cfg.review.provider)))
    for name, p in checked:
        if p.api_key_env and not d.environ.get(p.api_key_env):
            yield Result(
                name,
                "fail",
                f"{p.api_key_env} is not set",
                f"export {p.api_key_env}=<your key> (read from the environment only, never written anywhere)",
            )
            continue
        missing = [v for v in p.env_passthrough if not d.environ.get(v)]
        if missing:
            yield Result(name, "warn", f"env_passthrough {', '.join(missing)} not set", f"export {missing[0]}=...")
        elif p.api_key_env:
            yield Result(name, "ok", f"{p.api_key_env} is set")
        else:
            yield Result(name, "ok", f"{p.provider}: needs no key")


@check("git")
def _git(d: Doctor) -> Iterator[Result]:
    exe = shutil.which("git")
    if exe is None:
        yield Result("git", "fail", "git is not on PATH", "apt-get install git")
        return
    ok, out = _run([exe, "--version"])
    yield Result("git", "ok", out) if ok else Result("git", "fail", f"{exe} does not run: {out}", "reinstall git")


@check("chromium")
def _chromium(d: Doctor) -> Iterator[Result]:
    """Only the test that renders the HTML report needs it: never a failure."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if exe := shutil.which(name):
            yield Result("chromium", "ok", f"{exe} (renders the report in its test)")
            return
    yield Result(
        "chromium",
        "warn",
        "not installed: only the test that renders the HTML report uses it (it is skipped)",
        "./scripts/setup --dev (or apt-get install chromium)",
    )


@check("disk")
def _disk(d: Doctor) -> Iterator[Result]:
    where = d.state_root
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free / 2**30
    detail = f"{free:.1f} GiB free under {d.state_root}"
    fix = "free some space, or point --state-dir / paths.state_root at a bigger disk (`isobench gc` frees results)"
    if free < MIN_FREE_GIB:
        yield Result("disk", "fail", detail, fix)
    elif free < LOW_FREE_GIB:
        yield Result("disk", "warn", f"{detail}: each variant has its own copy and venv", fix)
    else:
        yield Result("disk", "ok", detail)
