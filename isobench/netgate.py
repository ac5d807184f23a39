"""The network gate: with `network_policy: off`, the one way out of an agent's sandbox, to its model only.

An attempt runs in a network namespace of its own (no interface but its own loopback): its commands reach
neither the internet nor the host's 127.0.0.1. Its LLM client reaches the model's endpoint through this
gate, an HTTP proxy on the host side that connects only to the endpoints allowed for the provider
(`endpoints_for`): HTTPS through `CONNECT host:port` (the TLS session stays end to end between the client
and the provider), plain HTTP (a local server) by forwarding the request with `Connection: close`.

The way in is not an address anyone can connect to: it is one end of a socket pair that only the attempt's
runner process inherits (like its API key's pipe). For each connection of its LLM client, the runner asks
for a fresh stream through that end (`isobench/agents/netrelay.py`, which also accepts only the runner's
own sockets on its loopback port); the runner is not dumpable, so the agent's commands cannot take the end
from it. A `command` agent's wrapper holds the end instead, and the whole command may use it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from isobench.agents.netrelay import splice
from isobench.errors import UserError

# Where LiteLLM sends a model id's requests when no base_url is given (the prefix of the id).
PROVIDER_HOSTS = {
    "anthropic": "api.anthropic.com",
    "openai": "api.openai.com",
    "gemini": "generativelanguage.googleapis.com",
    "mistral": "api.mistral.ai",
    "groq": "api.groq.com",
    "deepseek": "api.deepseek.com",
    "openrouter": "openrouter.ai",
    "together_ai": "api.together.xyz",
    "xai": "api.x.ai",
    "cohere": "api.cohere.ai",
    "cohere_chat": "api.cohere.ai",
    "fireworks_ai": "api.fireworks.ai",
    "perplexity": "api.perplexity.ai",
    "cerebras": "api.cerebras.ai",
    "deepinfra": "api.deepinfra.com",
}
_HEAD_LIMIT = 64 * 1024


def parse_endpoint(text: str) -> tuple[str, int]:
    """`host:port` -> (host, port); raises ValueError."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port")
    return host.strip("[]").lower(), int(port)


def url_endpoint(url: str) -> tuple[str, int]:
    """The (host, port) a base URL connects to."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    return parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)


def endpoints_for(
    name: str, provider: str, model: str, base_url: str | None, allow: list[str]
) -> list[tuple[str, int]]:
    """What one provider's attempts may reach: its base_url, else its API host, plus `network_allow`.
    Raises UserError (one line) when none can be told for an OpenHands agent (a `command` agent that names
    no model and no endpoint simply reaches nothing)."""
    out = [parse_endpoint(a) for a in allow]
    if base_url:
        out.append(url_endpoint(base_url))
    else:
        prefix = model.split("/", 1)[0] if "/" in model else provider
        if prefix in PROVIDER_HOSTS:
            out.append((PROVIDER_HOSTS[prefix], 443))
    if not out and provider != "command":
        raise UserError(
            f"provider {name!r}: isobench cannot tell which host serves model {model!r}, and with "
            "container.network_policy: off its agent may reach nothing else; list it under the provider's "
            "`network_allow: [host:443]` (or give a base_url), or set container.network_policy: on"
        )
    return list(dict.fromkeys(out))


@dataclass
class Gate:
    """One attempt's gate: `child_fd` goes to the runner (pass_fds); `close()` when the attempt has ended."""

    allowed: list[tuple[str, int]]
    denied: list[str] = field(default_factory=list)
    """`host:port` the attempt asked for and was refused (kept in its record)."""
    connections: int = 0

    def __post_init__(self) -> None:
        self._parent, self._child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._child.set_inheritable(True)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="isobench-gate", daemon=True)
        self._thread.start()

    @property
    def child_fd(self) -> int:
        return self._child.fileno()

    def release_child(self) -> None:
        """Close our copy of the runner's end once the runner has inherited it."""
        with contextlib.suppress(OSError):
            self._child.close()

    def close(self) -> None:
        self._closed.set()
        for s in (self._parent, self._child):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    # --------------------------------------------------------------------------------- the broker
    def _serve(self) -> None:
        """Each byte from the runner asks for a stream; answer with one end of a new socket pair."""
        while not self._closed.is_set():
            try:
                ask = self._parent.recv(1)
            except OSError:
                return
            if not ask:
                return
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                socket.send_fds(self._parent, [b"s"], [theirs.fileno()])
            except OSError:
                ours.close()
                return
            finally:
                theirs.close()
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._handle, args=(ours,), name="isobench-gate-conn", daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            line, _, headers = head.partition(b"\r\n")
            parts = line.split()
            if len(parts) != 3:
                return _refuse(client, 400, "not an HTTP proxy request")
            method, target, version = parts
            if method == b"CONNECT":
                host, port = parse_endpoint(target.decode(errors="replace"))
                forward = b""
            else:
                url = target.decode(errors="replace")
                if not url.startswith("http://"):
                    return _refuse(client, 400, "only CONNECT and absolute http:// requests pass the gate")
                host, port = url_endpoint(url)
                split = urlsplit(url)
                path = (split.path or "/") + (f"?{split.query}" if split.query else "")
                forward = b" ".join([method, path.encode(), version]) + b"\r\n" + _close_headers(headers) + rest
            if (host, port) not in self.allowed:
                with self._lock:
                    self.denied.append(f"{host}:{port}")
                return _refuse(client, 403, f"{host}:{port} is not this attempt's model endpoint (network_policy: off)")
            try:
                upstream = socket.create_connection((host, port), timeout=30)
            except OSError as exc:
                return _refuse(client, 502, f"cannot connect to {host}:{port}: {exc}")
            upstream.settimeout(None)
            if method == b"CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n" + b"")
                if rest:
                    upstream.sendall(rest)
            else:
                upstream.sendall(forward)
            splice(client, upstream)
        except (OSError, ValueError):
            return
        finally:
            for s in (client, upstream):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()


def _read_head(s: socket.socket) -> tuple[bytes | None, bytes]:
    buf = b""
    s.settimeout(60)
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk or len(buf) > _HEAD_LIMIT:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    s.settimeout(None)
    return head, rest


def _close_headers(headers: bytes) -> bytes:
    """The request's headers for the origin server: no proxy headers, and one request per connection."""
    keep = [
        h for h in headers.split(b"\r\n") if h and not h.lower().startswith((b"proxy-", b"connection:", b"keep-alive:"))
    ]
    return b"\r\n".join([*keep, b"Connection: close", b"", b""])


def _refuse(s: socket.socket, status: int, why: str) -> None:
    body = f"isobench network gate: {why}\n".encode()
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
    with contextlib.suppress(OSError):
        s.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
