"""Which processes are alive: what the tests (and benchmarks/drill.py) check after isobench stops, since
nothing it started may outlive it."""

from __future__ import annotations

import os
from pathlib import Path


def pids_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line mentions `text`."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if text.encode() in cmd and state != "Z":
            out.append(int(proc.name))
    return out


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line mentions `text` (an agent left behind would), as "pid: command"."""
    out = []
    for pid in pids_mentioning(text):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out.append(f"{pid}: {cmd[:200]}")
    return out
