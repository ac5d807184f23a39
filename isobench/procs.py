"""Child processes: each in its own process group, killed as a group, never outliving isobench."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def set_pdeathsig() -> None:
    """In a child (as `preexec_fn`): die when isobench dies, even by kill -9, so nothing is orphaned."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str], wait_s: float | None = 10) -> None:
    """SIGKILL a child's whole process group (it was started with start_new_session=True) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if wait_s is not None:
        with contextlib.suppress(Exception):
            proc.wait(timeout=wait_s)


def kill_recorded_group(pgid: int, marker: str) -> bool:
    """Kill a process group a killed isobench left behind, if its leader is still the one recorded
    (its command line mentions `marker`, so a reused pid is never hit). True if one was killed."""
    try:
        cmdline = Path(f"/proc/{pgid}/cmdline").read_bytes()
    except OSError:
        return False
    if marker.encode() not in cmdline:
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
        return True
    return False
