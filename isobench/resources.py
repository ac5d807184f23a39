"""CPU and memory limits, and CPU-time accounting, for the process trees isobench starts (cgroups).

`container.cpus` and `container.memory` in bench.yaml bound every agent attempt and every sandboxed run of
candidate code (builds, tests, timed workloads). They are enforced with Linux control groups, whichever
this machine offers to isobench:

- cgroup v2 (the unified hierarchy, every current distribution): isobench needs write access to its own
  cgroup (root, or a delegated one: `systemd-run --user --scope -p Delegate=yes isobench ...`); it moves
  itself into a leaf of it first (v2 allows processes only in leaves of a cgroup that limits its children);
- cgroup v1 (older or hybrid systems): groups under isobench's own cgroup of the `memory`, `cpu` and
  `cpuacct` hierarchies.

Each limited process tree gets a `Group` of its own (made before it starts, removed after it ended): the
tree joins it before it runs anything (`Group.join` as a `preexec_fn`, or `Group.argv` as a shell prefix
where a fork of isobench is too slow), so nothing it starts escapes it; the kernel kills a process of the
tree when the tree's memory exceeds the limit, and `Group.oom_kills()` says so afterwards. Where limits are
asked for and no cgroup can be used, `Resources.require` refuses with one line: a limit is never ignored.
The same groups account the tree's CPU time (`Group.cpu_seconds`), threads and children included, which
the timing protocol compares with the wall time it waited for the tree.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from isobench.errors import UserError

_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_FIX = (
    "run isobench as root, give it a delegated cgroup (`systemd-run --user --scope -p Delegate=yes isobench "
    "...`), or remove container.cpus / container.memory from bench.yaml"
)
_counter = itertools.count()
_lock = threading.Lock()


def parse_memory(value: str | int | float | None) -> int | None:
    """`4g`, `512m`, `1.5G`, `2GiB` or a number of bytes -> bytes (None stays None)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(value).lower())
    if not m:
        raise ValueError(f"{value!r} is not a size (e.g. 4g, 512m)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


@dataclass(frozen=True)
class Limits:
    """What one process tree may use: CPUs (a share of the machine, e.g. 2 or 0.5) and memory (bytes)."""

    cpus: float | None = None
    memory: int | None = None

    def __bool__(self) -> bool:
        return self.cpus is not None or self.memory is not None

    def describe(self) -> str:
        parts = []
        if self.cpus is not None:
            parts.append(f"cpus={self.cpus:g}")
        if self.memory is not None:
            parts.append(f"memory={self.memory / 2**20:.0f} MiB")
        return ", ".join(parts) or "none"


@dataclass
class Group:
    """One control group (a directory per hierarchy) that one process tree runs in."""

    dirs: list[Path]
    version: int
    memory_dir: Path | None = None
    cpuacct_dir: Path | None = None
    removed: bool = field(default=False, repr=False)

    def join(self) -> None:
        """Move the calling process into the group (use as, or inside, a `preexec_fn`)."""
        pid = str(os.getpid())
        for d in self.dirs:
            (d / "cgroup.procs").write_text(pid)

    def argv(self, argv: list[str]) -> list[str]:
        """`argv` behind a shell that joins the group first: no fork of isobench needed, ~1 ms per start."""
        writes = "; ".join(f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in self.dirs)
        return ["/bin/sh", "-c", f'{writes} && exec "$@"', "isobench-cgroup", *argv]

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process that ran in the group so far (user + system), or None."""
        if self.cpuacct_dir is None:
            return None
        try:
            if self.version == 2:
                text = (self.cpuacct_dir / "cpu.stat").read_text()
                usec = next(int(ln.split()[1]) for ln in text.splitlines() if ln.startswith("usage_usec"))
                return usec / 1e6
            return int((self.cpuacct_dir / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, StopIteration):
            return None

    def oom_kills(self) -> int:
        """How many processes the kernel killed because the group reached its memory limit."""
        if self.memory_dir is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.memory_dir / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                out |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
        return sorted(out)

    def remove(self) -> None:
        """Kill what is left in the group and remove its directories."""
        if self.removed:
            return
        self.removed = True
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # busy for a moment while the last process exits
                    time.sleep(0.02)


def _own_cgroups() -> dict[str, str]:
    """controller (or '' for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(",") if ctrls else [""]:
            out[c] = path
    return out


def _mounts() -> dict[str, Path]:
    """controller (or '' for the v2 hierarchy) -> its mount point, from /proc/self/mountinfo."""
    out: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        pre, _, post = line.partition(" - ")
        fields = post.split()
        if len(fields) < 3:
            continue
        fstype, options, point = fields[0], fields[2], Path(pre.split()[4])
        if fstype == "cgroup2":
            out.setdefault("", point)
        elif fstype == "cgroup":
            for opt in options.split(","):
                out.setdefault(opt, point)
    return out


class Resources:
    """The control groups isobench can make on this machine (or why none), and the limits to apply."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.version: int | None = None
        self.reason: str | None = None
        self._parents: dict[str, Path] = {}  # controller -> the directory our groups go in
        self._detect()

    # ---------------------------------------------------------------------------------- detection
    def _detect(self) -> None:
        own, mounts = _own_cgroups(), _mounts()
        v1: dict[str, Path] = {
            c: mounts[c] / own[c].lstrip("/") for c in ("memory", "cpu", "cpuacct") if c in own and c in mounts
        }
        if {"memory", "cpu", "cpuacct"} <= set(v1) and all(os.access(p, os.W_OK) for p in v1.values()):
            self.version, self._parents = 1, v1
            return
        if "" in own and "" in mounts:
            reason = self._detect_v2(mounts[""] / own[""].lstrip("/"))
            if reason is None:
                return
            self.reason = reason
            return
        self.reason = "no cgroup hierarchy with the memory and cpu controllers is mounted"

    def _detect_v2(self, own: Path) -> str | None:
        try:
            available = set((own / "cgroup.controllers").read_text().split())
        except OSError:
            return f"cannot read {own}/cgroup.controllers"
        if not {"memory", "cpu"} <= available:
            return f"the memory and cpu controllers are not delegated to isobench's cgroup {own}"
        if not os.access(own / "cgroup.subtree_control", os.W_OK) or not os.access(own / "cgroup.procs", os.W_OK):
            return f"isobench's cgroup {own} is not writable"
        self.version, self._parents = 2, {"": own}
        return None

    @property
    def available(self) -> bool:
        return self.version is not None

    def require(self, source: str) -> None:
        """Refuse (one line) when limits are asked for and cannot be enforced here."""
        if self.limits and not self.available:
            raise UserError(
                f"{source}: container.cpus/container.memory ({self.limits.describe()}) cannot be enforced on this "
                f"machine: {self.reason}; {_FIX}"
            )

    # ---------------------------------------------------------------------------------- groups
    def _v2_ready(self) -> Path:
        """v2: isobench itself moves into a leaf so that its own cgroup may enable controllers for groups."""
        own = self._parents[""]
        leaf = own / "isobench-main"
        if not leaf.is_dir():
            with contextlib.suppress(FileExistsError):
                leaf.mkdir()
            for pid in (own / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    (leaf / "cgroup.procs").write_text(pid)
            (own / "cgroup.subtree_control").write_text("+memory +cpu")
        return own

    def group(self, *, account: bool = False) -> Group | None:
        """A new group with the limits (and CPU accounting), or None when there is nothing to do here.

        With `account`, a group is made even without limits, wherever cgroups can be used."""
        if not self.available or not (self.limits or account):
            return None
        with _lock:
            name = f"isobench-{os.getpid()}-{next(_counter)}"
            if self.version == 2:
                d = self._v2_ready() / name
                d.mkdir()
                self._limit_v2(d)
                return Group([d], 2, memory_dir=d, cpuacct_dir=d)
            dirs = {c: p / name for c, p in self._parents.items()}
            for d in dirs.values():
                d.mkdir()
            self._limit_v1(dirs)
            return Group(list(dirs.values()), 1, memory_dir=dirs["memory"], cpuacct_dir=dirs["cpuacct"])

    def _limit_v1(self, dirs: dict[str, Path]) -> None:
        if self.limits.memory is not None:
            (dirs["memory"] / "memory.limit_in_bytes").write_text(str(self.limits.memory))
            swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no swapping past the limit either
                with contextlib.suppress(OSError):
                    swap.write_text(str(self.limits.memory))
        if self.limits.cpus is not None:
            (dirs["cpu"] / "cpu.cfs_period_us").write_text("100000")
            (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(max(1000, int(self.limits.cpus * 100000))))

    def _limit_v2(self, d: Path) -> None:
        if self.limits.memory is not None:
            (d / "memory.max").write_text(str(self.limits.memory))
            with contextlib.suppress(OSError):
                (d / "memory.swap.max").write_text("0")
        if self.limits.cpus is not None:
            (d / "cpu.max").write_text(f"{max(1000, int(self.limits.cpus * 100000))} 100000")

    @contextlib.contextmanager
    def tree(self, *, account: bool = False) -> Iterator[Group | None]:
        """`with resources.tree() as group:` a group for one process tree, removed afterwards (None if none)."""
        g = self.group(account=account)
        try:
            yield g
        finally:
            if g is not None:
                g.remove()


def memory_killed_message(limits: Limits) -> str:
    """What a record says of a process the memory limit killed."""
    return f"killed by the memory limit (container.memory = {limits.memory / 2**20:.0f} MiB)" if limits.memory else ""
