"""Scripted agent behaviours played by :mod:`isobench.agents.scripted_server`.

The scripted server is the only stand-in in isobench: it replaces the LLM, while the real
OpenHands agent executes each scripted tool call with its real tools in the real workspace.

A script is a pure function ``(scenario, history) -> ToolCall``. It is stateless: everything it
needs (which step comes next, the workspace path) is derived from the request's message
history, so one server can drive any number of concurrent agents.

Scripts (see :data:`SCRIPTS`):

- ``oracle``: applies the human patch (``Scenario.files_after``) through ``file_editor``.
- ``noop``: looks around (``ls``, ``git status``, a ``view``) and finishes without editing.
- ``saboteur``: rewrites every function of each Python target file to return ``None``.
- ``sleeper``: runs ``sleep <params.sleep_s>`` (default 3600) so the harness must time it out.
- ``looper``: echoes forever; only the iteration cap ends it.
- ``stuck``: repeats one identical command until OpenHands' stuck detector stops the agent.
- ``spender``: ``noop`` whose responses report ``params.usage_tokens`` prompt tokens.
- ``refuser``: the server answers with HTTP ``params.status`` (default 500) instead.
- ``shell``: runs each of ``Scenario.commands`` through ``terminal``, then finishes.

Any script with ``params.fail_first = N`` has the server answer the first N requests of its key with HTTP
``params.status`` (default 429) before it plays: an endpoint failing transiently, for the retry path.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from isobench.jsontypes import JSON, JSONObject, items, obj

#: Marker printed by the oracle's existence probe; never produced by ordinary commands.
_EXISTS_MARK = "ISOBENCH_EXISTS:"
_CWD_RE = re.compile(r"\[Current working directory: (/[^\]\n]*)\]")
# Terminal escapes (e.g. bracketed-paste toggles) the pty leaves in tool results.
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Scenario:
    """What the scripted LLM should do for one (provider, instance).

    ``files_after`` maps paths relative to the repository root to their full content after
    the human commit (``None`` = deleted); only non-test files belong there.
    """

    script: str
    files_after: dict[str, str | None] = field(default_factory=dict)
    target_files: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    """The provider's `script_params` (bench.yaml, any YAML): each script reads its own, with a default."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call for the agent to execute (``name`` is the canonical tool name)."""

    name: str
    arguments: JSONObject


@dataclass(frozen=True)
class TextReply:
    """A plain text answer, no tool call (a reviewer that refuses, or answers in text; see `reviewers`)."""

    text: str


@dataclass(frozen=True)
class PastCall:
    """A tool call already made in the conversation, with its result text (if any yet)."""

    name: str
    arguments: JSONObject
    result: str | None


class History:
    """Read-only view of an OpenAI-style message list, as scripts need it."""

    def __init__(self, messages: list[JSONObject]) -> None:
        self.messages = messages
        results: dict[str, str] = {}
        for msg in messages:
            if msg.get("role") == "tool" and msg.get("tool_call_id"):
                text = _ANSI_RE.sub("", _content_text(msg.get("content")))
                results[str(msg["tool_call_id"])] = text.replace("\r\n", "\n")
        calls: list[PastCall] = []
        for msg in messages:
            if msg.get("role") != "assistant":
                continue
            for tc in items(msg.get("tool_calls")):
                if not isinstance(tc, dict):
                    continue
                fn = obj(tc.get("function"))
                calls.append(PastCall(str(fn.get("name", "")), _arguments(fn), results.get(str(tc.get("id")))))
        self.calls = calls

    @property
    def step(self) -> int:
        """Number of tool calls the script already made (0 for the first request)."""
        return len(self.calls)

    def workspace_root(self) -> str | None:
        """The agent's working directory, as reported by the first terminal result."""
        for call in self.calls:
            if call.result is None:
                continue
            m = _CWD_RE.search(call.result)
            if m:
                return m.group(1).strip()
            if call.arguments.get("command") == "pwd":
                for line in call.result.splitlines():
                    if line.startswith("/"):
                        return line.strip()
        return None

    def result_of(self, step: int) -> str:
        """Result text of the tool call made at ``step`` ("" if unknown)."""
        if 0 <= step < len(self.calls):
            return self.calls[step].result or ""
        return ""


def _arguments(fn: JSONObject) -> JSONObject:
    """A past call's arguments (a JSON text in the message); empty when they are not a JSON object."""
    raw = fn.get("arguments") or "{}"
    if not isinstance(raw, str):
        return {}
    try:
        return obj(json.loads(raw))
    except ValueError:
        return {}


def _content_text(content: JSON) -> str:
    """Flatten OpenAI message content (str or list of parts) to text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


# ---------------------------------------------------------------- tool call helpers


def terminal(command: str, timeout: float | None = None) -> ToolCall:
    """A ``terminal`` call; ``timeout`` raises the tool's 30 s no-output limit."""
    args: JSONObject = {"command": command}
    if timeout is not None:
        args["timeout"] = timeout
    return ToolCall("terminal", args)


def editor(command: str, path: str, **kwargs: str) -> ToolCall:
    """A ``file_editor`` call (``path`` must be absolute)."""
    return ToolCall("file_editor", {"command": command, "path": path, **kwargs})


def finish(message: str) -> ToolCall:
    """The ``finish`` call that ends the conversation successfully."""
    return ToolCall("finish", {"message": message})


def _abs(root: str, rel: str) -> str:
    return posixpath.join(root, rel)


def _play(history: History, first: ToolCall, plan: Callable[[str], list[ToolCall]], done: str) -> ToolCall:
    """Run ``first`` (which reveals the workspace root), then ``plan(root)``, then finish."""
    if history.step == 0:
        return first
    root = history.workspace_root()
    if root is None:
        return finish("scripted agent: could not determine the workspace directory")
    steps = plan(root)
    i = history.step - 1
    return steps[i] if i < len(steps) else finish(done)


# ---------------------------------------------------------------- scripts


def oracle(scenario: Scenario, history: History) -> ToolCall:
    """Apply the human patch exactly, through ``file_editor``.

    Steps: ``pwd``; probe which files exist; ``view`` each existing file to change; one
    ``terminal`` step that deletes removed files and truncates (or creates empty) every other
    file; then one ``str_replace`` of the empty content by the full new content per file.
    Why not ``str_replace`` old -> new: the old content would have to travel back through a
    tool result, which truncates long output and reformats it. Why not ``create``: it refuses
    to overwrite. Truncating keeps the file's mode bits, and ``str_replace`` with an empty
    ``old_str`` on an empty file writes ``new_str`` verbatim (CRLF and trailing newlines kept).
    """
    files = dict(sorted(scenario.files_after.items()))

    def plan(root: str) -> list[ToolCall]:
        probe = "; ".join(f"[ -e {shlex.quote(p)} ] && echo {_EXISTS_MARK}{shlex.quote(p)}" for p in files)
        steps = [terminal(f"cd {shlex.quote(root)} && {{ {probe or 'true'}; true; }}")]
        if history.step < 2:
            return steps  # the probe's result decides the rest
        existing = {
            line.split(_EXISTS_MARK, 1)[1].strip()
            for line in history.result_of(1).splitlines()
            if _EXISTS_MARK in line and "&&" not in line  # skip an echoed command line
        }
        steps += [editor("view", _abs(root, p)) for p, c in files.items() if c is not None and p in existing]
        prep: list[str] = []
        for p, content in files.items():
            q = shlex.quote(_abs(root, p))
            if content is None:
                prep.append(f"rm -f -- {q}")
            else:
                prep.append(f"mkdir -p -- {shlex.quote(posixpath.dirname(_abs(root, p)))} && : > {q}")
        if prep:
            steps.append(terminal(" && ".join(prep)))
        steps += [editor("str_replace", _abs(root, p), old_str="", new_str=c) for p, c in files.items() if c]
        return steps

    return _play(history, terminal("pwd"), plan, "Applied the optimization.")


def noop(scenario: Scenario, history: History) -> ToolCall:
    """Look around without editing anything, then finish."""
    targets = scenario.target_files or [p for p, c in scenario.files_after.items() if c is not None]

    def plan(root: str) -> list[ToolCall]:
        view = _abs(root, targets[0]) if targets else root
        return [terminal("git status"), editor("view", view)]

    return _play(history, terminal("ls"), plan, "Nothing to optimize.")


# Rewrites every function body in the given files to ``return None`` (docstrings kept).
# It runs inside the agent's terminal, so it must work on any Python >= 3.9 found there.
_SABOTAGE_PY = """\
import ast, sys
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            doc = body[:1] if body and isinstance(body[0], ast.Expr) \\
                and isinstance(getattr(body[0], "value", None), ast.Constant) \\
                and isinstance(body[0].value.value, str) else []
            node.body = doc + [ast.Return(value=ast.Constant(value=None))]
    with open(path, "w", encoding="utf-8") as f:
        f.write(ast.unparse(ast.fix_missing_locations(tree)) + "\\n")
"""


def saboteur(scenario: Scenario, history: History) -> ToolCall:
    """Make the target code "fast" by making every function return ``None`` at once."""
    targets = scenario.target_files or [p for p, c in scenario.files_after.items() if c is not None]
    py_files = [p for p in targets if p.endswith(".py")]

    def plan(root: str) -> list[ToolCall]:
        if not py_files:
            return []
        paths = " ".join(shlex.quote(_abs(root, p)) for p in py_files)
        python = '"$(command -v python3 || command -v python)"'
        script = f"{python} - {paths} <<'ISOBENCH_EOF'\n{_SABOTAGE_PY}ISOBENCH_EOF"
        return [editor("view", _abs(root, py_files[0])), terminal(script)]

    return _play(history, terminal("pwd"), plan, "Made every function return immediately.")


def sleeper(scenario: Scenario, history: History) -> ToolCall:
    """Sleep far longer than any harness timeout (the harness kills the run)."""
    sleep_s = float(scenario.params.get("sleep_s", 3600))
    if history.step == 0:
        return terminal(f"sleep {sleep_s:g}", timeout=sleep_s + 60)
    return finish("Woke up.")


def looper(scenario: Scenario, history: History) -> ToolCall:
    """Never finish: each step echoes a new line, so stuck detection does not fire."""
    return terminal(f"echo step {history.step + 1}")


def stuck(scenario: Scenario, history: History) -> ToolCall:
    """Repeat the very same command: OpenHands' stuck detector ends the run (an agent_error)."""
    return terminal("ls")


def spender(scenario: Scenario, history: History) -> ToolCall:
    """Same as ``noop``; the server reports ``params.usage_tokens`` prompt tokens per call."""
    return noop(scenario, history)


def refuser(scenario: Scenario, history: History) -> ToolCall:
    """Never reached: the server answers ``refuser`` requests with an HTTP error."""
    return finish("unreachable")


def shell(scenario: Scenario, history: History) -> ToolCall:
    """Run each of ``scenario.commands`` in order, then finish."""
    timeout = scenario.params.get("timeout_s")
    if history.step < len(scenario.commands):
        return terminal(scenario.commands[history.step], timeout=timeout)
    return finish("Ran the commands.")


ScriptFn = Callable[[Scenario, History], ToolCall]

SCRIPTS: dict[str, ScriptFn] = {
    "oracle": oracle,
    "noop": noop,
    "saboteur": saboteur,
    "sleeper": sleeper,
    "looper": looper,
    "stuck": stuck,
    "spender": spender,
    "refuser": refuser,
    "shell": shell,
}
