"""One OpenHands SDK agent run, as one process: ``python -m isobench.agents.openhands_runner SPEC_JSON``.

SPEC_JSON is a JSON file::

    {"workspace": "/abs/dir", "prompt_file": "/abs/prompt.md", "out_dir": "/abs/dir",
     "max_iterations": 30, "max_budget_usd": 10.0 | null,
     "llm": {"model": "openai/scripted", "base_url": "http://...", "api_key_env": "OPENAI_API_KEY" | null,
             "input_cost_per_token": float | null, "output_cost_per_token": float | null,
             "num_retries": 2, "retry_min_wait": int | null, "retry_max_wait": int | null,
             "temperature": float | null, "reasoning_effort": str | null,
             "extra": {<any other openhands.sdk.LLM field>: value}}}

With ``"net_gate_fd": N``, the sandbox has no network but its loopback, and the LLM client reaches its
endpoint through the network gate on that inherited socket (``netrelay.py``, which must sit beside this file).
With ``"secrets_fd": N`` (how ``isobench run`` starts it), the API key and the provider's passthrough
variables arrive as JSON on the inherited file descriptor N (``{"api_key": ..., "env": {...}}``), never
on a command line or in the initial environment; without it, the key is read from the environment
variable named by ``api_key_env`` (a dummy key when null). The key stays in this process's memory:
the process makes itself non-dumpable, so the agent's commands (same user, no capabilities) cannot
read its ``/proc/<pid>/environ`` or memory, and the agent's terminal starts through ``agent_shell``
(a wrapper that unsets the ``strip_env`` variables). It is never written or logged. Outputs in ``out_dir``:

- ``events.jsonl``: every SDK event, one JSON line each, flushed as it happens;
- ``progress.json``: ``{"iterations", "cost_usd", "prompt_tokens", "completion_tokens", "last_event"}``,
  rewritten atomically after each event;
- ``conversation/``: the SDK's own persistence;
- ``runner_result.json`` (atomic, written last): ``status``, ``execution_status``, ``iterations``,
  ``prompt_tokens``, ``completion_tokens``, ``cost_usd``, ``model``, ``openhands_version``,
  ``error``, ``finish_message``, ``wall_s``.

``iterations`` counts LLM responses that drove an agent step, i.e. the SDK's
``max_iteration_per_run`` counter. ``llm.num_retries`` is the SDK's: the total number of
attempts per LLM call (tenacity ``stop_after_attempt``), not retries after the first.
Status and exit code:

======================  ====  ==========================================================================
status                  exit  when
======================  ====  ==========================================================================
success                 0     the agent called ``finish``
iterations_exhausted    1     the SDK stopped the run at ``max_iterations`` (MaxIterationsReached)
budget_exceeded         1     cost after a step is >= ``max_budget_usd`` (SDK's native MaxBudgetReached)
agent_error             1     any other agent-side stop (stuck, tool/agent exception)
runtime_error           2     our own failure (bad spec, SDK setup failed, ...)
api_error               3     the LLM endpoint refused or failed after retries (HTTP/auth errors)
======================  ====  ==========================================================================

The key's variable is removed from this process's environment once read, so the agent's
shell does not inherit it. SIGTERM (the parent's timeout) exits at once; the terminal tool's
shell runs in its own session (setsid), so the handler also kills that process group (the pty
hangup on our exit would end it anyway, even after SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Required, TypedDict

if TYPE_CHECKING:  # the SDK is imported when a run starts (a bad spec still leaves a result behind)
    from openhands.sdk import LLM, Agent, BaseConversation
    from openhands.sdk.event import Event

STATUS_EXIT_CODES: dict[str, int] = {
    "success": 0,
    "iterations_exhausted": 1,
    "budget_exceeded": 1,
    "agent_error": 1,
    "runtime_error": 2,
    "api_error": 3,
}

# SDK-typed LLM errors that mean "the endpoint failed", not "the agent failed".
_API_ERROR_NAMES = {
    "LLMAuthenticationError",
    "LLMRateLimitError",
    "LLMTimeoutError",
    "LLMServiceUnavailableError",
    "LLMBadRequestError",
    "LLMNoResponseError",
    "LLMContentPolicyViolationError",
}
_API_ERROR_MODULES = ("litellm", "openai", "httpx", "httpcore")
_DUMMY_KEY = "sk-none"
_MAX_ERROR_CHARS = 2000


class LLMSpec(TypedDict, total=False):
    """SPEC_JSON's ``llm`` section (see the module docstring)."""

    model: str
    base_url: str | None
    api_key_env: str | None
    input_cost_per_token: float | None
    output_cost_per_token: float | None
    num_retries: int | None
    retry_min_wait: int | None
    retry_max_wait: int | None
    temperature: float | None
    reasoning_effort: str | None
    extra: dict[str, object]
    """Any other ``openhands.sdk.LLM`` field, by name."""


class RunnerSpec(TypedDict, total=False):
    """SPEC_JSON (see the module docstring)."""

    workspace: Required[str]
    prompt_file: Required[str]
    out_dir: Required[str]
    max_iterations: int
    max_budget_usd: float | None
    secrets_fd: int | None
    net_gate_fd: int | None
    agent_shell: str | None
    strip_env: list[str]
    llm: LLMSpec


class Secrets(TypedDict, total=False):
    """What arrives on ``secrets_fd``."""

    api_key: str | None
    env: dict[str, str]


class RunnerResult(TypedDict, total=False):
    """``runner_result.json`` (see the module docstring): `run` writes every key, its helpers return some."""

    status: str
    execution_status: str
    iterations: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    model: str
    openhands_version: str
    error: str | None
    finish_message: str | None
    wall_s: float


def write_json_atomic(path: Path, payload: Mapping[str, object]) -> None:
    """Write JSON via a temp file in the same directory + ``os.replace`` (readers never see half)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _redact(text: str, secret: str | None) -> str:
    """Short, key-free error text."""
    if secret:
        text = text.replace(secret, "***")
    return text if len(text) <= _MAX_ERROR_CHARS else text[:_MAX_ERROR_CHARS] + "..."


def _is_api_error(exc: BaseException) -> bool:
    """Whether ``exc`` (or anything in its cause chain) is an LLM endpoint/HTTP failure."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        cls = type(e)
        if cls.__name__ in _API_ERROR_NAMES or cls.__module__.split(".")[0] in _API_ERROR_MODULES:
            return True
        # Not __context__: an unrelated error raised while handling an HTTP one is not an API error.
        stack += [e.__cause__, getattr(e, "original_exception", None)]
    return False


class _Recorder:
    """Event callback: appends events.jsonl and rewrites progress.json."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.events_file = (out_dir / "events.jsonl").open("w", encoding="utf-8")
        self.conversation: BaseConversation | None = None  # set once it exists (events may come earlier)
        self.response_ids: set[str] = set()
        self.finish_message: str | None = None
        self.last_error_code: str | None = None
        self.last_error_detail: str | None = None
        self.lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        kind = type(event).__name__
        with self.lock:
            self.events_file.write(event.model_dump_json() + "\n")
            self.events_file.flush()
            # One LLM response = one agent step, whatever number of actions it carried.
            rid = getattr(event, "llm_response_id", None)
            if rid and getattr(event, "source", None) == "agent" and kind in ("ActionEvent", "MessageEvent"):
                self.response_ids.add(str(rid))
            if kind == "ActionEvent" and getattr(event, "tool_name", "") == "finish":
                action = getattr(event, "action", None)
                self.finish_message = getattr(action, "message", None)
            if kind == "ConversationErrorEvent":
                self.last_error_code = getattr(event, "code", None)
                self.last_error_detail = getattr(event, "detail", None)
            write_json_atomic(self.out_dir / "progress.json", {**self.totals(), "last_event": kind})

    @property
    def iterations(self) -> int:
        return len(self.response_ids)

    def totals(self) -> RunnerResult:
        """iterations, cost and tokens so far."""
        cost, prompt, completion = 0.0, 0, 0
        if self.conversation is not None:
            m = self.conversation.conversation_stats.get_combined_metrics()
            cost = float(m.accumulated_cost or 0.0)
            usage = m.accumulated_token_usage
            if usage is not None:
                prompt, completion = int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)
        return {
            "iterations": self.iterations,
            "cost_usd": cost,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
        }

    def close(self) -> None:
        with self.lock:
            self.events_file.close()


def _build_llm(llm_spec: LLMSpec, api_key: str) -> LLM:
    """An ``openhands.sdk.LLM`` from the spec's ``llm`` section (None fields left at SDK defaults)."""
    from openhands.sdk import LLM

    fields: dict[str, object] = {
        "model": llm_spec["model"],
        "base_url": llm_spec.get("base_url"),
        "api_key": api_key,
        "usage_id": "agent",
    }
    given: Mapping[str, object] = llm_spec
    for key in (
        "input_cost_per_token",
        "output_cost_per_token",
        "num_retries",
        "retry_min_wait",
        "retry_max_wait",
        "temperature",
        "reasoning_effort",
    ):
        if given.get(key) is not None:
            fields[key] = given[key]
    fields.update(llm_spec.get("extra") or {})
    return LLM.model_validate(fields)  # as LLM(**fields): the same validation


def _terminal_params(spec: RunnerSpec) -> dict[str, object]:
    """The terminal tool: a plain subprocess shell, started through isobench's wrapper when given."""
    params: dict[str, object] = {"terminal_type": "subprocess"}
    if spec.get("agent_shell"):
        params["shell_path"] = spec["agent_shell"]
        params["env"] = {"ISOBENCH_STRIP_ENV": " ".join(spec.get("strip_env") or [])}
    return params


def _kill_tool_sessions() -> None:
    """Kill process groups of our children that left our group (the terminal tool's shell)."""
    own = os.getpgrp()
    try:
        children = Path(f"/proc/{os.getpid()}/task").glob("*/children")
        pids = {int(p) for f in children for p in f.read_text().split()}
    except OSError:
        return
    for pid in pids:
        try:
            pgid = os.getpgid(pid)
            if pgid != own:
                os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _kill_tool_sessions()
    os._exit(128 + signum)  # no cleanup: events.jsonl lines are already flushed


def _read_secrets(spec: RunnerSpec, key_env: str | None) -> str:
    """The API key (from the inherited pipe, else the environment); passthrough variables go into
    this process's environment (not its initial, /proc-visible one), for LiteLLM to find."""
    fd = spec.get("secrets_fd")
    if fd is None:
        key = os.environ.get(key_env, "") if key_env else _DUMMY_KEY
        if key_env:
            # The terminal tool's shell inherits our environment: keep the key out of the agent's reach.
            os.environ.pop(key_env, None)
        return key
    with os.fdopen(int(fd), "rb") as f:
        data: Secrets = json.loads(f.read() or b"{}")
    for name, value in (data.get("env") or {}).items():
        os.environ[name] = value
    if not key_env:
        return _DUMMY_KEY
    return str(data.get("api_key") or "")


def _open_gate(spec: RunnerSpec) -> None:
    """With ``net_gate_fd`` (network_policy off), the LLM client's only way out: a relay on this sandbox's
    loopback that passes this process's own connections to the host's gate (see netrelay.py)."""
    fd = spec.get("net_gate_fd")
    if fd is None:
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # netrelay.py sits beside this file
    import netrelay

    os.environ.update(netrelay.proxy_env(netrelay.start(int(fd), only_self=True)))


def _no_dumps() -> None:
    """PR_SET_DUMPABLE 0: /proc/<pid>/{environ,mem,...} become unreadable without CAP_SYS_PTRACE."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(4, 0)  # PR_SET_DUMPABLE


def run(spec: RunnerSpec) -> RunnerResult:
    """Run one conversation as described by ``spec``; returns the runner_result dict."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("OPENHANDS_SUPPRESS_BANNER", "1")
    t0 = time.monotonic()
    llm_spec: LLMSpec = spec.get("llm") or {}
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    key_env = llm_spec.get("api_key_env")
    _no_dumps()
    api_key = _read_secrets(spec, key_env)
    _open_gate(spec)
    result = _not_started(str(llm_spec.get("model", "")))
    recorder: _Recorder | None = None
    conversation: BaseConversation | None = None
    try:
        if key_env and not api_key:
            raise RuntimeError(f"environment variable {key_env} is not set")
        prompt = Path(spec["prompt_file"]).read_text(encoding="utf-8")
        from openhands.sdk import Agent, ConversationExecutionStatus, Tool
        from openhands.sdk.conversation.exceptions import ConversationRunError
        from openhands.tools.file_editor import FileEditorTool
        from openhands.tools.terminal import TerminalTool

        recorder = _Recorder(out_dir)
        agent = Agent(
            llm=_build_llm(llm_spec, api_key),
            tools=[
                Tool(name=TerminalTool.name, params=_terminal_params(spec)),
                Tool(name=FileEditorTool.name),
            ],
        )
        conversation = _conversation(spec, agent, recorder)
        recorder.conversation = conversation
        conversation.send_message(prompt)
        try:
            conversation.run()
            run_error: BaseException | None = None
        except ConversationRunError as e:
            run_error = e
        status_value = conversation.state.execution_status
        result["execution_status"] = str(getattr(status_value, "value", status_value))
        finished = status_value == ConversationExecutionStatus.FINISHED
        result.update(_ending(run_error, finished, recorder, result["execution_status"], api_key))
    except Exception as e:  # our own failure: still leave a result behind
        result["status"] = "runtime_error"
        result["error"] = _redact(f"{type(e).__name__}: {e}", api_key)
    finally:
        if recorder is not None:
            result.update(recorder.totals())
            result["finish_message"] = recorder.finish_message
        if conversation is not None:
            with contextlib.suppress(Exception):  # closing must not mask the outcome
                conversation.close()
        if recorder is not None:
            recorder.close()
        result["wall_s"] = round(time.monotonic() - t0, 3)
        write_json_atomic(out_dir / "runner_result.json", result)
    return result


def _conversation(spec: RunnerSpec, agent: Agent, recorder: _Recorder) -> BaseConversation:
    """The conversation, persisted in ``out_dir/conversation``, its events to ``recorder``, with the spec's limits."""
    from openhands.sdk import LocalConversation

    # LocalConversation, not the Conversation factory: only it takes max_budget_per_run (1.58.2).
    return LocalConversation(
        agent=agent,
        workspace=str(spec["workspace"]),
        persistence_dir=str(Path(spec["out_dir"]) / "conversation"),
        callbacks=[recorder],
        max_iteration_per_run=int(spec.get("max_iterations", 30)),
        max_budget_per_run=spec.get("max_budget_usd"),
        visualizer=None,
        delete_on_close=False,
    )


def _not_started(model: str) -> RunnerResult:
    """The result of a run that has not started yet (what is left behind if isobench itself fails)."""
    return {
        "status": "runtime_error",
        "execution_status": "not_started",
        "iterations": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost_usd": 0.0,
        "model": model,
        "openhands_version": _sdk_version(),
        "error": None,
        "finish_message": None,
        "wall_s": 0.0,
    }


def _ending(
    run_error: BaseException | None, finished: bool, recorder: _Recorder, execution_status: str, api_key: str | None
) -> RunnerResult:
    """How the conversation ended: the attempt's status and error (redacted)."""
    if run_error is not None:
        cause = getattr(run_error, "original_exception", None) or run_error
        status = "api_error" if _is_api_error(run_error) else "agent_error"
        return {"status": status, "error": _redact(f"{type(cause).__name__}: {cause}", api_key)}
    if finished:
        return {"status": "success"}
    code = recorder.last_error_code
    status = {"MaxIterationsReached": "iterations_exhausted", "MaxBudgetReached": "budget_exceeded"}.get(
        code or "", "agent_error"
    )
    detail = recorder.last_error_detail or f"execution status {execution_status}"
    return {"status": status, "error": _redact(f"{code}: {detail}" if code else detail, api_key)}


def _sdk_version() -> str:
    try:
        return metadata.version("openhands-sdk")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code (see the module docstring)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("OPENHANDS_SUPPRESS_BANNER", "1")
    signal.signal(signal.SIGTERM, _on_sigterm)
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m isobench.agents.openhands_runner SPEC_JSON", file=sys.stderr)
        return 2
    spec: RunnerSpec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    result = run(spec)
    return STATUS_EXIT_CODES.get(result["status"], 1)


if __name__ == "__main__":
    sys.exit(main())
