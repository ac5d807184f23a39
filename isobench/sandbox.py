"""Run agent commands and candidate code in a sandbox that sees only what it needs.

Everything an agent executes and every run of agent-written code goes through `Sandbox.wrap`. With
bubblewrap (the default) nothing of the host is visible unless named: the read-only system runtime
(`/usr` and its links, a minimal `/etc`, `/dev`, `/proc`, `/sys`), the interpreters in use, the
`readable` paths (read-only) and the `writable` ones (the command's own folder), on a private `/tmp`
and an empty, read-only root. `/home`, `/root`, `/srv`, `/opt`, `/var`, `/mnt`, `/run`, the state
directory, the task repositories and isobench's own source do not exist inside. The network is the
host's only when `spec.network` says so; else the command has its own namespace with nothing but
loopback. The environment inside is exactly `spec.env`, handed over as the process environment
(`Command.env`), never on a command line: anyone on the host can read a command line (`ps`), and
inside the sandbox so can the agent (`/proc/1/cmdline`).

Kinds: `bwrap` (bubblewrap, the default), `docker`/`podman` (a container image provides the system),
and `none` (explicit opt-out: no isolation at all, only the environment is still cleaned).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from isobench.errors import UserError, one_line

PRIVATE_TMP = Path("/tmp")
PRIVATE_HOME = "/tmp/home"
SANE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_OPT_OUT = "or opt out explicitly with --no-sandbox / `sandbox: none` in bench.yaml"
# The system runtime every sandboxed command sees, read-only (links such as /bin -> usr/bin stay links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The part of /etc programs need to run (users, libraries, certificates, time zone, alternatives); not
# the host's configuration of services, package managers, git or pip.
SYSTEM_ETC = (
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "gai.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "alternatives",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "crypto-policies",
    "mime.types",
    "protocols",
    "services",
    "os-release",
    "debian_version",
    "shells",
    "bash.bashrc",
    "profile",
    "inputrc",
    "terminfo",
    "locale.alias",
    "magic",
)


def system_visible(path: str) -> bool:
    """Whether the sandbox shows `path` of the host read-only as it is (the system runtime, its part of
    /etc, /dev, /proc, /sys): the one list `plan` reads too, to know what a command needs no declaring for."""
    roots = [*SYSTEM_PATHS, *(f"/etc/{name}" for name in SYSTEM_ETC), "/dev", "/proc", "/sys"]
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


# isobench's own package: candidate code must not read (or import) the scorer, wherever it is installed.
_OWN_PACKAGE = Path(__file__).resolve().parent


class SandboxError(UserError):
    """The sandbox cannot work here or the spec is unusable; the message is one actionable line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


@dataclass(frozen=True)
class SandboxSpec:
    """What one sandboxed command may see and do.

    Precedence on nested or equal paths: the deeper path wins; on the same path writable beats
    readable beats hidden. So a working copy inside the hidden state dir stays writable, and the project's
    .venv inside the hidden project root stays readable.
    """

    writable: Sequence[Path]
    """Bound read-write at the same path (a working copy, an output folder). Must exist."""
    readable: Sequence[Path] = ()
    """Re-bound read-only after hiding (project .venv, runner scripts). Must exist. The running
    interpreter's installation, and that of any venv listed here, is added automatically."""
    hidden: Sequence[Path] = ()
    """Never visible, even inside a readable or writable path: replaced by an empty read-only directory.
    isobench's own package is always hidden; /tmp is always a fresh private tmpfs."""
    network: bool = False
    """The host's network (package builds; agents with network_policy on). Off: a namespace of its own."""
    env: Mapping[str, str] = field(default_factory=dict)
    """The complete environment inside; nothing else from the caller's environment passes."""
    cwd: Path | None = None
    """Working directory inside; defaults to the first writable path."""


@dataclass(frozen=True)
class Command:
    """A sandboxed command: start `argv` with exactly `env` as its environment (never the caller's)."""

    argv: list[str]
    env: dict[str, str]

    def run(self, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """`subprocess.run` of the command with its environment."""
        return subprocess.run(self.argv, env=self.env, **kwargs)

    def popen(self, **kwargs: Any) -> subprocess.Popen[Any]:
        """`subprocess.Popen` of the command with its environment."""
        return subprocess.Popen(self.argv, env=self.env, **kwargs)


@runtime_checkable
class Sandbox(Protocol):
    """Turns an argv into a command that runs it isolated according to a SandboxSpec."""

    name: str

    def wrap(self, argv: list[str], spec: SandboxSpec) -> Command:
        """The command to start: its argv and the environment to start it with (`spec.env`, plus what the
        sandbox's own launcher needs). No value of `spec.env` is ever put on the argv."""
        ...

    def check(self) -> None:
        """Raise SandboxError if this sandbox cannot work on this machine."""
        ...


def minimal_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for inside the sandbox: sane PATH, private HOME, UTF-8 C locale, plus extra."""
    env = {
        "PATH": SANE_PATH,
        "HOME": PRIVATE_HOME,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
    }
    env.update(extra or {})
    return env


def python_install_paths(python: str | os.PathLike[str] | None = None) -> list[Path]:
    """Real directories an interpreter needs: its installation and, for a venv, the base installation.

    A venv's bin/python is a symlink into the base installation (e.g. pyenv's folder under /root), which
    the hidden home would otherwise make disappear.
    """
    paths: list[Path] = []
    if python is None:
        paths.append(Path(sys.base_prefix).resolve())
        python = sys.executable
    exe = Path(python)
    paths.append(exe.resolve().parent.parent)
    cfg = exe.parent.parent / "pyvenv.cfg"
    if cfg.is_file():
        paths.extend(_venv_base(exe.parent.parent))
    return list(dict.fromkeys(paths))


def _venv_base(venv: Path) -> list[Path]:
    """The base installation a venv points at (`home = .../bin` in pyvenv.cfg), if any."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(errors="replace").splitlines()
    except OSError:
        return []
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip() == "home" and value.strip():
            return [Path(value.strip()).resolve().parent]
    return []


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or path.is_relative_to(parent)


def _run_check(argv: list[str], timeout: float = 30) -> str | None:
    """Run a probe; None if it worked, else one line saying why not."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"`{' '.join(argv[:2])}` did not answer within {timeout:.0f} s"
    except OSError as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


# Probe results per binary path, so each process pays for a probe at most once.
_CHECKED: dict[tuple[str, ...], str | None] = {}


class BwrapSandbox:
    """bubblewrap: read-only host root, hidden paths replaced by empty read-only tmpfs, private /tmp.

    Runs unprivileged; as root the sandboxed process keeps uid 0 but no capabilities, so it cannot
    remount anything. Killing bwrap kills the whole sandboxed process tree (own pid namespace).
    """

    name = "bwrap"

    def __init__(self, binary: str = "bwrap") -> None:
        self.binary = binary

    def _exe(self) -> str | None:
        return shutil.which(self.binary)

    def check(self) -> None:
        exe = self._exe()
        if exe is None:
            reason = f"`{self.binary}` is not on PATH"
        else:
            key = ("bwrap", os.path.realpath(exe))
            if key not in _CHECKED:
                # Probe with the namespaces and mounts wrap() uses: a bare `--ro-bind / / true` passes in
                # containers that still refuse a new procfs or network namespace.
                _CHECKED[key] = _run_check(
                    [
                        exe,
                        "--ro-bind",
                        "/",
                        "/",
                        "--tmpfs",
                        "/tmp",
                        "--dev",
                        "/dev",
                        "--proc",
                        "/proc",
                        "--unshare-pid",
                        "--unshare-ipc",
                        "--unshare-net",
                        "--new-session",
                        "--die-with-parent",
                        "--cap-drop",
                        "ALL",
                        "--",
                        "true",
                    ]
                )
            reason = _CHECKED[key] or ""
        if reason:
            raise SandboxError(
                f"bubblewrap (bwrap) is not usable: {reason}. Install it with `apt-get install bubblewrap`, {_OPT_OUT}"
            )

    def wrap(self, argv: list[str], spec: SandboxSpec) -> Command:
        writable = [_existing(p, "writable") for p in spec.writable]
        readable = [_existing(p, "readable") for p in spec.readable]
        for p in list(readable):
            if (p / "pyvenv.cfg").is_file():
                readable.extend(_venv_base(p))
        readable += python_install_paths()  # the interpreter isobench runs on (the agent's runner)
        if spec.network:
            # DNS for the network the command shares (resolv.conf may be a link into /run or elsewhere).
            readable += [p for p in (Path("/etc/resolv.conf"),) if p.exists()]
        bound = [*writable, *readable]
        hidden = [Path(os.path.realpath(p)) for p in [*spec.hidden, _OWN_PACKAGE]]
        if Path("/") in hidden:
            raise SandboxError("sandbox spec asks to hide `/`; hide specific directories instead")
        # A hidden path matters only inside something bound: everything else does not exist anyway.
        hidden = [h for h in hidden if h.exists() and h != PRIVATE_TMP and any(_inside(h, b) for b in bound)]

        # (path, rank): rank 0 private tmp, 1 hidden, 2 readable, 3 writable. Mount parents first and,
        # on equal paths, the stronger kind last, since in bwrap a later mount covers an earlier one.
        ops = {(PRIVATE_TMP, 0)}
        ops |= {(p, 1) for p in hidden} | {(p, 2) for p in readable} | {(p, 3) for p in writable}
        ordered = sorted(ops, key=lambda op: (len(op[0].parts), op[1], str(op[0])))
        ordered = [op for op in ordered if not _redundant(op, ordered)]

        exe = self._exe() or self.binary
        out = [exe, *_system_binds()]
        remount_ro: list[str] = []
        for path, rank in ordered:
            mnt = str(path)
            if rank == 0:
                out += ["--perms", "1777", "--tmpfs", mnt]
            elif rank == 1:
                if path.is_dir():
                    # Mode 0111: paths re-bound inside stay reachable, but the directory cannot be listed.
                    out += ["--perms", "0111", "--tmpfs", mnt]
                    remount_ro.append(mnt)  # after all binds: bwrap creates their mount points in it
                else:
                    out += ["--ro-bind", "/dev/null", mnt]
            elif rank == 2:
                out += ["--ro-bind", mnt, mnt]
            else:
                out += ["--bind", mnt, mnt]
        for var in ("HOME", "TMPDIR"):
            value = spec.env.get(var)
            if value and Path(value).is_absolute() and _inside(Path(value), PRIVATE_TMP):
                out += ["--dir", value]
        for mnt in remount_ro:
            out += ["--remount-ro", mnt]
        out += ["--remount-ro", "/", "--unshare-pid", "--unshare-ipc"]
        if not spec.network:
            out.append("--unshare-net")
        # --new-session: no TIOCSTI injection into the caller's terminal. No --setenv: bwrap hands its own
        # environment (Command.env, exactly spec.env) to the command, so no value appears on a command line.
        out += ["--new-session", "--die-with-parent", "--cap-drop", "ALL"]
        cwd = spec.cwd or (spec.writable[0] if spec.writable else Path("/"))
        out += ["--chdir", os.path.realpath(cwd), "--", *argv]
        return Command(out, dict(spec.env))


def _system_binds() -> list[str]:
    """bwrap arguments for the read-only system runtime: SYSTEM_PATHS and SYSTEM_ETC, links kept as links."""
    out: list[str] = []
    for path in [*SYSTEM_PATHS, *(f"/etc/{name}" for name in SYSTEM_ETC)]:
        if os.path.islink(path) and path in SYSTEM_PATHS:
            out += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            out += ["--ro-bind", path, path]
    return [*out, "--dev", "/dev", "--proc", "/proc", "--ro-bind", "/sys", "/sys"]


def _existing(path: Path, what: str) -> Path:
    real = Path(os.path.realpath(path))
    if not real.exists():
        raise SandboxError(f"sandbox {what} path {path} does not exist; create it before starting the run")
    return real


def _redundant(op: tuple[Path, int], ordered: list[tuple[Path, int]]) -> bool:
    """A hidden path needs no mount of its own if nothing bound covers it (the empty root hides it), if the
    innermost mount covering it already hides it, or if a readable/writable bind of the very same path
    replaces it (its remount-ro would then hit that bind)."""
    path, rank = op
    if rank != 1:
        return False
    enclosing = [o for o in ordered if o != op and _inside(path, o[0])]
    if any(o[0] == path for o in enclosing):
        return True
    if not enclosing:
        return True  # the empty root hides it already
    innermost = max(enclosing, key=lambda o: (len(o[0].parts), o[1]))
    return innermost[1] == 1


class NoSandbox:
    """Explicit opt-out: the command runs on the host with full access, isolation is lost.

    Only the environment is still exactly spec.env (callers need not clean it themselves).
    """

    name = "none"

    def check(self) -> None:
        return None

    def wrap(self, argv: list[str], spec: SandboxSpec) -> Command:
        home = spec.env.get("HOME")
        if home:
            # The private HOME minimal_env() names would otherwise not exist on the host.
            Path(home).mkdir(parents=True, exist_ok=True)
        prefix = [shutil.which("env") or "/usr/bin/env", "-C", str(spec.cwd)] if spec.cwd is not None else []
        return Command([*prefix, *argv], dict(spec.env))


class ContainerSandbox:
    """docker or podman: the image provides the system; only spec.writable/readable are mounted.

    spec.hidden needs no action here (nothing from the host is visible unless mounted).
    """

    def __init__(self, engine: str = "docker", image: str | None = None) -> None:
        self.name = engine
        self.engine = engine
        self.image = image

    def check(self) -> None:
        exe = shutil.which(self.engine)
        if exe is None:
            raise SandboxError(
                f"{self.engine} sandbox is not usable: `{self.engine}` is not on PATH. Install it, "
                f"use `sandbox: bwrap`, {_OPT_OUT}"
            )
        key = ("container", os.path.realpath(exe))
        if key not in _CHECKED:
            _CHECKED[key] = _run_check([exe, "info"])
        reason = _CHECKED[key]
        if reason:
            raise SandboxError(
                f"{self.engine} sandbox is not usable: no {self.engine} daemon answered `{self.engine} info` "
                f"({reason}). Start the {self.engine} daemon, use `sandbox: bwrap`, {_OPT_OUT}"
            )
        if not self.image:
            raise SandboxError(f"the {self.engine} sandbox needs a container image; configure one")

    def wrap(self, argv: list[str], spec: SandboxSpec) -> Command:
        if not self.image:
            raise SandboxError(f"the {self.engine} sandbox needs a container image; configure one")
        out = [
            self.engine,
            "run",
            "--rm",
            "--network",
            "host" if spec.network else "none",
            "--read-only",
            "--tmpfs",
            "/tmp:rw,exec,mode=1777",
        ]
        if os.getuid() != 0:
            # Files written into the working copy must stay owned by the caller.
            if self.engine == "podman":
                out += ["--userns=keep-id"]
            else:
                out += ["--user", f"{os.getuid()}:{os.getgid()}"]
        for p in spec.readable:
            real = _existing(p, "readable")
            out += ["-v", f"{real}:{real}:ro"]
        for p in spec.writable:
            real = _existing(p, "writable")
            out += ["-v", f"{real}:{real}"]
        cwd = spec.cwd or (spec.writable[0] if spec.writable else None)
        if cwd is not None:
            out += ["-w", os.path.realpath(cwd)]
        # `-e NAME` without a value: the client passes on its own environment's value (Command.env).
        for key in spec.env:
            out += ["-e", key]
        client = {k: v for k, v in os.environ.items() if k.startswith(("DOCKER_", "CONTAINER_", "XDG_RUNTIME"))}
        return Command([*out, self.image, *argv], {**client, **spec.env})


def get_sandbox(kind: str, *, image: str | None = None) -> Sandbox:
    """The sandbox for a configured kind: "bwrap", "none", "docker" or "podman"."""
    kind = kind.strip().lower()
    if kind == "bwrap":
        return BwrapSandbox()
    if kind == "none":
        return NoSandbox()
    if kind in ("docker", "podman"):
        return ContainerSandbox(kind, image=image)
    raise SandboxError(f"unknown sandbox kind {kind!r}; use one of: bwrap, docker, podman, none")
