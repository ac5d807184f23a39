"""Inside an agent's sandbox: the LLM client's way to the network gate (standalone: stdlib only).

The sandbox has its own network namespace and no interface but loopback. The gate (isobench/netgate.py,
on the host) is reached through an inherited socket, `gate_fd`: one byte asks for a stream, and the gate
answers with a file descriptor connected to it. This module listens on 127.0.0.1:<port> inside the sandbox
and relays each accepted connection through a fresh stream, so an HTTP client configured with
`HTTPS_PROXY=http://127.0.0.1:<port>` talks to the gate as to any proxy.

Two uses:
- the OpenHands runner imports it (`start(fd, only_self=True)`): then only the runner's own sockets are
  relayed: a connection from any other process (the agent's commands) is closed at once;
- a `command` agent is started through it: ``python netrelay.py --gate-fd N -- COMMAND...`` relays every
  connection of the command's processes (the command is the agent, its LLM client included) and exits with
  the command's exit status.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy")
_lock = threading.Lock()


def proxy_env(port: int) -> dict[str, str]:
    """The variables that send an HTTP client (httpx, requests, curl, node) through the relay."""
    url = f"http://127.0.0.1:{port}"
    return {
        "HTTPS_PROXY": url,
        "HTTP_PROXY": url,
        "https_proxy": url,
        "http_proxy": url,
        "NO_PROXY": "",
        "no_proxy": "",
    }


def _socket_inodes_of_self() -> set[str]:
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            link = os.readlink(f"/proc/self/fd/{fd}")
            if link.startswith("socket:["):
                out.add(link[8:-1])
    return out


def _hex_port(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1], 16)


def _is_own(conn: socket.socket, listen_port: int) -> bool:
    """Whether the peer of an accepted loopback connection is a socket of this very process."""
    peer_port = conn.getpeername()[1]
    try:
        with open("/proc/self/net/tcp") as fh:
            rows = fh.read().splitlines()[1:]
    except OSError:
        return False
    inode = None
    for row in rows:
        cols = row.split()
        if len(cols) > 9 and _hex_port(cols[1]) == peer_port and _hex_port(cols[2]) == listen_port:
            inode = cols[9]
            break
    return inode is not None and inode in _socket_inodes_of_self()


def splice(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until both sides have finished sending (or 10 idle minutes), then close both. The
    host's network gate (isobench/netgate.py) relays through this same function."""
    open_ = {a: b, b: a}
    try:
        while open_:
            ready, _, _ = select.select(list(open_), [], [], 600)
            if not ready:
                return
            for src in ready:
                data = src.recv(65536)
                dst = open_[src]
                if data:
                    dst.sendall(data)
                else:
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)
                    del open_[src]
    except OSError:
        pass
    finally:
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.close()


def _stream(gate: socket.socket) -> socket.socket:
    """A new stream to the gate (one byte asks, an fd comes back)."""
    with _lock:
        gate.sendall(b"c")
        _, fds, _, _ = socket.recv_fds(gate, 1, 1)
    if not fds:
        raise OSError("the network gate closed")
    return socket.socket(fileno=fds[0])


def start(gate_fd: int, *, only_self: bool) -> int:
    """Listen on a free loopback port and relay to the gate in a daemon thread; returns the port."""
    gate = socket.socket(fileno=gate_fd)
    gate.set_inheritable(False)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.set_inheritable(False)
    port = int(server.getsockname()[1])

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if only_self and not _is_own(conn, port):
                conn.close()
                continue
            try:
                upstream = _stream(gate)
            except OSError:
                conn.close()
                continue
            threading.Thread(target=splice, args=(conn, upstream), daemon=True).start()

    threading.Thread(target=serve, name="isobench-netrelay", daemon=True).start()
    return port


def main(argv: list[str]) -> int:
    """``netrelay.py --gate-fd N -- COMMAND...``: run COMMAND with its proxies pointing at the relay."""
    if len(argv) < 4 or argv[0] != "--gate-fd" or argv[2] != "--":
        print("usage: netrelay.py --gate-fd N -- COMMAND...", file=sys.stderr)
        return 2
    port = start(int(argv[1]), only_self=False)
    env = {**os.environ, **proxy_env(port)}
    child = subprocess.Popen(argv[3:], env=env)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    code = child.wait()
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
