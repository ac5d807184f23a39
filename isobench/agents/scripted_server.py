"""A scripted LLM server that drives the real OpenHands agent, in OpenAI's and Anthropic's wire formats.

The LLM is the only stand-in in isobench: this server answers each chat request with the next tool call
of a scripted behaviour (:mod:`isobench.agents.scripts`), and the real agent executes it with its real
tools. Each URL carries one opaque key, so that one server can serve a whole benchmark run::

    GET  /<key>/v1/models
    POST /<key>/v1/chat/completions   OpenAI Chat Completions
    POST /<key>/v1/responses          OpenAI Responses API (what OpenHands uses for gpt-4.1, gpt-5, ...)
    POST /<key>/v1/messages           Anthropic Messages API

each as plain JSON, or as that API's server-sent events when the request has ``"stream": true``.

:meth:`ScriptedLLMServer.base_url` is the base an OpenAI client takes (``.../<key>/v1``),
:meth:`ScriptedLLMServer.anthropic_base_url` the one an Anthropic client takes (``.../<key>``: LiteLLM's
``anthropic/`` route and the ``anthropic`` SDK append ``/v1/messages``). Each API's answers are shaped in
:mod:`isobench.agents.openai_wire`, :mod:`isobench.agents.anthropic_wire` and
:mod:`isobench.agents.responses_wire`, the last two with the translation of their requests.

The same server plays the reviewers of `isobench review` (:mod:`isobench.agents.reviewers`), whose
answer may be text rather than a tool call (a refusal, malformed JSON): answered as each API answers text,
to requests that do not stream.

``resolve(key)`` returns the :class:`~isobench.agents.scripts.Scenario` to play, or ``None``
(404). `isobench run` makes a random key per scripted attempt and gives it to that attempt's agent
alone: the oracle's scenario holds the human's files, so nothing else on 127.0.0.1 (another agent
of the same batch, for one) may guess its way to them, and the key says nothing of the instance or
its commits. The scripts are stateless: the step is derived from the request's message history. The
server counts chat requests per key only for ``params.fail_first`` (the first N answered with HTTP
``params.status``, default 429, as a transiently failing endpoint would).
Nothing secret is logged: :attr:`ScriptedLLMServer.requests` and :attr:`ScriptedLLMServer.exchanges`
record which credential header was present, never its value.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from isobench.agents import anthropic_wire, openai_wire, responses_wire
from isobench.agents.reviewers import REVIEWERS
from isobench.agents.scripts import SCRIPTS, History, Scenario, TextReply, ToolCall
from isobench.jsontypes import JSON, JSONObject, items, obj

Resolver = Callable[[str], Scenario | None]

MODEL_NAME = "scripted"

# The chat endpoints, by path below /<key>/v1/, and the wire format each speaks.
_WIRES = {"chat/completions": "openai", "responses": "responses", "messages": "anthropic"}

# Request translators into (OpenAI chat messages, OpenAI chat tools), for the wires that need one.
_TRANSLATORS: dict[str, Callable[[JSONObject], tuple[list[JSONObject], list[JSONObject]]]] = {
    "anthropic": anthropic_wire.to_chat,
    "responses": responses_wire.to_chat,
}
# The server-sent events of a streamed answer, as (event name, data) pairs (made only when a request streams).
_Events = Callable[[], Sequence[tuple[str, Mapping[str, object]]]]

# Other names the same tools had in other OpenHands versions, tried when the canonical
# name is not among the tools a request offers.
_TOOL_ALIASES: dict[str, tuple[str, ...]] = {
    "terminal": ("execute_bash", "bash", "execute_command"),
    "file_editor": ("str_replace_editor", "edit_file"),
    "finish": ("finish_task",),
}


@dataclass(frozen=True)
class Exchange:
    """One chat request and what the server answered (no header values: they may be keys)."""

    key: str
    wire: str
    """``openai`` (chat completions), ``responses`` or ``anthropic``."""
    n_messages: int
    """Messages in the request's conversation (for Anthropic: after translation, system included)."""
    stream: bool
    credential: str | None
    """The header that carried a key (``authorization`` or ``x-api-key``), if any."""
    anthropic_version: str | None
    """The ``anthropic-version`` header (a date, not a secret)."""
    status: int
    """The HTTP status answered."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """The usage reported to the client (0 when it got an error)."""
    at: float = field(default_factory=time.monotonic)
    """When the request arrived (``time.monotonic``): the spacing of a client's retries."""


@dataclass(frozen=True)
class _Turn:
    """What the server answers one chat request: an HTTP error (``status``, with ``why`` set) or the scenario's
    next tool call (``name``, ``args``), or its text (``text``: a reviewer's), with the usage reported for it
    (prompt, completion tokens)."""

    status: int
    why: str | None = None
    name: str = ""
    args: JSONObject = field(default_factory=dict)
    tokens: tuple[int, int] = (0, 0)
    text: str | None = None


class ScriptedLLMServer:
    """OpenAI- and Anthropic-compatible scripted server on ``host:port`` (0 = any free port) in a daemon thread.

    Built on ``http.server`` rather than a web framework: no extra dependency for a handful of
    endpoints, and a thread per request is plenty for a few concurrent agents.
    """

    def __init__(self, resolve: Resolver, host: str = "127.0.0.1", port: int = 0) -> None:
        self.resolve = resolve
        self.host = host
        self._requested_port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._served: Counter[str] = Counter()  # chat requests per resolved key (for fail_first)
        #: (key, n_messages, credential_header_present) per chat request.
        self.requests: list[tuple[str, int, bool]] = []
        #: Every chat request with its wire format, headers present and answer (see :class:`Exchange`).
        self.exchanges: list[Exchange] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> ScriptedLLMServer:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._httpd is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"server_obj": self})
        self._httpd = ThreadingHTTPServer((self.host, self._requested_port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (only valid after :meth:`start`)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    def base_url(self, key: str) -> str:
        """OpenAI base URL for one scenario: ``http://host:port/<key>/v1``."""
        return f"http://{self.host}:{self.port}/{key}/v1"

    def anthropic_base_url(self, key: str) -> str:
        """Anthropic base URL for one scenario: ``http://host:port/<key>`` (clients add ``/v1/messages``)."""
        return f"http://{self.host}:{self.port}/{key}"

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            self.requests.append((exchange.key, exchange.n_messages, exchange.credential is not None))

    def _failure(self, key: str, scenario: Scenario) -> int | None:
        """The HTTP status to fail this request with, if the scenario says so."""
        if scenario.script == "refuser":
            return int(scenario.params.get("status", 500))
        fail_first = int(scenario.params.get("fail_first", 0))
        with self._lock:
            served = self._served[key]
            self._served[key] += 1
        return int(scenario.params.get("status", 429)) if served < fail_first else None

    def _play(self, key: str, messages: list[JSONObject], tools: list[JSONObject], raw: bytes) -> _Turn:
        """The key's scenario's turn for one chat request: refused (an unknown key or script, a scripted
        failure), or, after the scenario's response delay, its next tool call fitted to the request's tools."""
        scenario = self.resolve(key)
        if scenario is None:
            return _Turn(404, "not found")
        script = SCRIPTS.get(scenario.script) or REVIEWERS.get(scenario.script)
        if script is None:
            return _Turn(400, f"unknown script {scenario.script!r}")
        status = self._failure(key, scenario)
        if status is not None:
            return _Turn(status, "scripted failure")
        sleep_s = float(scenario.params.get("response_delay_s", 0))
        if sleep_s > 0:
            time.sleep(sleep_s)
        played = script(scenario, History(messages))
        prompt_tokens = int(scenario.params.get("usage_tokens", max(1, len(raw) // 4)))
        if isinstance(played, TextReply):
            return _Turn(200, text=played.text, tokens=(prompt_tokens, max(1, len(played.text) // 4)))
        name, args = _fit_to_tools(played, tools)
        return _Turn(200, name=name, args=args, tokens=(prompt_tokens, max(1, len(json.dumps(args)) // 4)))


class _Handler(BaseHTTPRequestHandler):
    """One HTTP request to the server: routed by its key and endpoint, played by the key's scenario
    (:meth:`ScriptedLLMServer._play`), recorded, and answered in the endpoint's wire format."""

    server_obj: ScriptedLLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request logging (stderr noise in tests; nothing to keep)."""

    # ------------------------------------------------------------ routing

    def _route(self) -> tuple[str, str] | None:
        """Split ``/<key>/v1/<rest>`` into its parts."""
        parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        if len(parts) < 3 or parts[1] != "v1":
            return None
        return parts[0], "/".join(parts[2:])

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        route = self._route()
        if route is None or route[1] != "models" or self.server_obj.resolve(route[0]) is None:
            self._send_error("openai", 404, "not found")
            return
        model = {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "isobench"}
        self._send_json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        route = self._route()
        wire = _WIRES.get(route[1]) if route else None
        if route is None or wire is None:
            self._send_error("openai", 404, "not found")
            return
        key = route[0]
        try:
            body: JSON = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send_error(wire, 400, "the body is not a JSON object")
            return
        messages, tools = _conversation(wire, body)
        seen = _exchange(key, wire, body, len(messages), self.headers)
        turn = self.server_obj._play(key, messages, tools, raw)
        prompt_tokens, completion_tokens = turn.tokens
        self.server_obj._record(
            replace(seen, status=turn.status, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        )
        if turn.why is not None:
            self._send_error(wire, turn.status, turn.why)
        elif turn.text is not None:
            self._send_text(wire, body, turn)
        else:
            self._send_call(wire, body, turn)

    # ------------------------------------------------------------ responses

    def _send_call(self, wire: str, body: JSONObject, turn: _Turn) -> None:
        """The turn's tool call as ``wire`` answers it: as JSON, or as server-sent events when the request streams."""
        model = str(body.get("model") or MODEL_NAME)
        if wire == "anthropic":
            block = anthropic_wire.tool_use_block(turn.name, turn.args)
            whole = anthropic_wire.message(block, model, *turn.tokens)
            self._answer(body, whole, lambda: anthropic_wire.stream_events(block, model, *turn.tokens))
        elif wire == "responses":
            item = responses_wire.function_call(turn.name, turn.args)
            response = responses_wire.response(item, model, *turn.tokens)
            self._answer(body, response, lambda: responses_wire.stream_events(item, model, *turn.tokens))
        else:
            self._answer_openai(body, model, turn)

    def _send_text(self, wire: str, body: JSONObject, turn: _Turn) -> None:
        """The turn's text as ``wire`` answers a message without a tool call (not streamed: no agent asks for
        one; a streamed request is refused with HTTP 400)."""
        if body.get("stream"):
            self._send_error(wire, 400, "the scripted server answers text only to requests that do not stream")
            return
        model = str(body.get("model") or MODEL_NAME)
        text = turn.text or ""
        if wire == "anthropic":
            self._send_json(200, anthropic_wire.text_message(text, model, *turn.tokens))
        elif wire == "responses":
            self._send_json(200, responses_wire.text_response(text, model, *turn.tokens))
        else:
            self._send_json(200, openai_wire.text_completion(text, model, *turn.tokens))

    def _answer_openai(self, body: JSONObject, model: str, turn: _Turn) -> None:
        """The Chat Completions answer: a ``chat.completion``, or its chunks as server-sent events then [DONE]."""
        message = openai_wire.assistant_message(turn.name, turn.args)
        if not body.get("stream"):
            self._send_json(200, openai_wire.completion(message, model, *turn.tokens))
            return
        include_usage = bool(obj(body.get("stream_options")).get("include_usage"))
        self._start_events()
        for chunk in openai_wire.stream_chunks(message, model, *turn.tokens, include_usage=include_usage):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self._end_events()

    def _answer(self, body: JSONObject, whole: Mapping[str, object], events: _Events) -> None:
        """The Anthropic or Responses API answer: ``whole`` as JSON, or the SSE ``events`` that stream it."""
        if not body.get("stream"):
            self._send_json(200, whole)
            return
        self._start_events()
        for event, data in events():
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        self._end_events()

    def _send_json(self, status: int, payload: Mapping[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, wire: str, status: int, message: str) -> None:
        """An error in the wire's own shape (Anthropic's for the Messages API, else OpenAI's)."""
        if wire == "anthropic":
            self._send_json(status, anthropic_wire.error_body(status, message))
        else:
            self._send_json(status, openai_wire.error_body(status, message))

    def _start_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

    def _end_events(self) -> None:
        self.wfile.flush()
        self.close_connection = True


# ---------------------------------------------------------------- reading a request


def _conversation(wire: str, body: JSONObject) -> tuple[list[JSONObject], list[JSONObject]]:
    """A chat request's conversation and tools, as OpenAI chat messages and tools (what the scripts read)."""
    if wire in _TRANSLATORS:
        return _TRANSLATORS[wire](body)
    return _objects(body.get("messages")), _objects(body.get("tools"))


def _objects(value: JSON) -> list[JSONObject]:
    """The JSON objects of an array (none when it is not one)."""
    return [x for x in items(value) if isinstance(x, dict)]


def _exchange(key: str, wire: str, body: JSONObject, n_messages: int, headers: Message) -> Exchange:
    """The record of a chat request as it arrives (status 0 until it is answered); of its headers, only which
    one carried a key and the ``anthropic-version`` date."""
    return Exchange(
        key=key,
        wire=wire,
        n_messages=n_messages,
        stream=bool(body.get("stream")),
        credential=next((h for h in ("authorization", "x-api-key") if headers.get(h)), None),
        anthropic_version=headers.get("anthropic-version"),
        status=0,
    )


# ---------------------------------------------------------------- tool-call shaping


def _fit_to_tools(call: ToolCall, tools: list[JSONObject]) -> tuple[str, JSONObject]:
    """Adapt a call to the tools the request offers (names, unknown required fields).

    The scripts speak SDK 1.58's tool names; other versions may rename tools or add required
    fields (e.g. ``security_risk``), so fill those from the JSON schema the request sends.
    """
    by_name: dict[str, JSONObject] = {}
    for t in tools:
        fn = obj(t.get("function"))
        if fn:
            by_name[str(fn["name"])] = fn
    if not by_name:
        return call.name, dict(call.arguments)
    name = call.name
    if name not in by_name:
        name = next((a for a in _TOOL_ALIASES.get(call.name, ()) if a in by_name), call.name)
    schema = obj(by_name.get(name, {}).get("parameters"))
    props = obj(schema.get("properties"))
    args = dict(call.arguments)
    if props:
        # Drop optional knobs this version's tool does not know (e.g. terminal ``timeout``).
        args = {k: v for k, v in args.items() if k in props}
    for req in items(schema.get("required")):
        if isinstance(req, str) and req not in args:
            args[req] = _default_for(obj(props.get(req)), schema)
    return name, args


def _default_for(prop: JSONObject, schema: JSONObject) -> JSON:
    """A plausible value for a required field the script did not set."""
    prop = _deref(prop, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in items(prop.get(key)):
            alt = _deref(obj(option), schema)
            if isinstance(option, dict) and alt.get("type") != "null":
                return _default_for(alt, schema)
    if "default" in prop:
        return prop["default"]
    enum = items(prop.get("enum"))
    if enum:
        return "LOW" if "LOW" in enum else enum[0]
    if "const" in prop:
        return prop["const"]
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    defaults: JSONObject = {"boolean": False, "integer": 0, "number": 0, "array": [], "object": {}}
    return defaults.get(str(kind), "")


def _deref(prop: JSONObject, schema: JSONObject) -> JSONObject:
    """Resolve a local ``#/$defs/...`` reference."""
    ref = prop.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return prop
    node: JSON = schema
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return obj(node)
