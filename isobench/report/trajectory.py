"""An attempt's trajectory, read from its `events.jsonl` (one OpenHands SDK event per line, as
`agents/openhands_runner.py` records them) into steps the attempt page shows.

A step is one event, except that a tool call and its observation (matched by `action_id` or
`tool_call_id`) are one step: what the agent asked for, with its arguments, and everything the tool
answered. File edits (the SDK's `FileEditorAction`: `create`, `str_replace`, `insert`) are shown as
unified diffs. Nothing is shortened here: the page decides what to fold.

Tokens and cost per step are shown where the events carry them (an event with the SDK's accumulated
metrics: `accumulated_cost`, `accumulated_token_usage`); the SDK version isobench pins records them in
the conversation's own files, not in the events, so the page then shows the attempt's totals from its
record. Wall time per step is the time from the end of the previous step to the end of this one.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypedDict

from isobench.jsontypes import JSON, JSONObject, obj, text

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
"""Terminal control sequences (the agent's shell prints bracketed-paste toggles): dropped from observations."""

EDIT_COMMANDS = ("create", "str_replace", "insert")
"""The file editor's commands that change a file (shown as diffs)."""


class Step(TypedDict, total=False):
    """One step of the page's trajectory (the data files hold them as JSON, in this key order as set)."""

    kind: str
    """tool, message, system, error or other."""
    tool: JSON
    """The tool's name (or the message's role, the event's kind), as the event has it."""
    msg: JSON
    args: str
    cmd: str
    diff: str
    obs: str
    err: bool
    exit: JSON
    """The command's exit code as the observation has it, or `timeout`."""
    i: int
    src: JSON
    t: str
    dt: float
    cost: float
    tok: list[int]
    cum_cost: float
    cum_tok: list[int]


def read_events(path: Path) -> Iterator[JSONObject]:
    """Every event of an events.jsonl; a line that is not JSON (torn by a kill mid-write) becomes an
    `unreadable` event holding the line, so nothing is lost from the page."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                event = {"kind": "unreadable", "text": line.rstrip("\n")}
            yield event if isinstance(event, dict) else {"kind": "unreadable", "text": line.rstrip("\n")}


def _text(content: object) -> str:
    """The text of an SDK content list (`[{"type": "text", "text": ...}, ...]`), a string, or anything."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [_text(c.get("text") if isinstance(c, dict) and "text" in c else c) for c in content]
        return "\n".join(p for p in parts if p)
    if isinstance(content, dict):
        if "text" in content:
            return _text(content["text"])
        return json.dumps(content, indent=1, ensure_ascii=False)
    return str(content)


def _when(event: JSONObject) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event.get("timestamp")))
    except ValueError:
        return None


def _edit_diff(action: JSONObject) -> str | None:
    """A file editor action that changes a file, as a unified diff of what it asked for."""
    cmd = action.get("command")
    if cmd not in EDIT_COMMANDS:
        return None
    path = str(action.get("path") or "file")
    if cmd == "create":
        old, new = "", text(action.get("file_text"))
    elif cmd == "insert":
        old, new = "", text(action.get("new_str"))
        path = f"{path} (inserted after line {action.get('insert_line')})"
    else:
        old, new = text(action.get("old_str")), text(action.get("new_str"))
    lines = difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _arguments(event: JSONObject) -> str:
    """The tool call's arguments as the model sent them, indented when they are JSON."""
    raw = obj(event.get("tool_call")).get("arguments")
    if raw is None:
        action = dict(obj(event.get("action")))
        action.pop("kind", None)
        return json.dumps({k: v for k, v in action.items() if v is not None}, indent=1, ensure_ascii=False)
    if isinstance(raw, str):
        try:
            return json.dumps(json.loads(raw), indent=1, ensure_ascii=False)
        except ValueError:
            pass
    return str(raw)


def _find(tree: JSON, key: str, depth: int = 0) -> JSON:
    """The first value under `key` anywhere in an event (depth-limited: events are small trees)."""
    if depth > 6:
        return None
    children: Iterable[JSON]
    if isinstance(tree, dict):
        if key in tree:
            return tree[key]
        children = tree.values()
    elif isinstance(tree, list):
        children = tree
    else:
        return None
    for v in children:
        found = _find(v, key, depth + 1)
        if found is not None:
            return found
    return None


def _float(x: JSON) -> float:
    """`float(x or 0)` of a number as an event holds it (a number, or a number's text)."""
    return float(x) if isinstance(x, int | float | str) and x else 0.0


def _metrics(event: JSONObject) -> dict[str, float] | None:
    """The accumulated cost and tokens an event carries, if any."""
    cost = _find(event, "accumulated_cost")
    found = _find(event, "accumulated_token_usage")
    if cost is None and not isinstance(found, dict):
        return None
    usage = obj(found)
    return {
        "cost": _float(cost),
        "prompt": _float(usage.get("prompt_tokens")),
        "completion": _float(usage.get("completion_tokens")),
    }


def _action_step(event: JSONObject) -> Step:
    action = obj(event.get("action"))
    thought = _text(event.get("thought")) or _text(event.get("reasoning_content"))
    step: Step = {"kind": "tool", "tool": event.get("tool_name") or action.get("kind") or "tool"}
    if thought:
        step["msg"] = thought
    step["args"] = _arguments(event)
    command = action.get("command")
    if isinstance(command, str) and action.get("kind") != "FileEditorAction":
        step["cmd"] = command
    if action.get("kind") == "FinishAction" and action.get("message"):
        step["msg"] = action["message"]
    diff = _edit_diff(action) if action.get("kind") == "FileEditorAction" else None
    if diff:
        step["diff"] = diff
    return step


def _observation(step: Step, event: JSONObject) -> None:
    obs = event.get("observation") or {}
    step["obs"] = ANSI.sub("", _text(obs.get("content")) if isinstance(obs, dict) else _text(obs))
    if isinstance(obs, dict):
        if obs.get("is_error"):
            step["err"] = True
        if obs.get("exit_code") is not None:
            step["exit"] = obs.get("exit_code")
        if obs.get("timeout"):
            step["err"] = True
            step["exit"] = "timeout"


def _plain_step(event: JSONObject) -> Step:
    kind = str(event.get("kind") or "event")
    if kind == "MessageEvent":
        msg = obj(event.get("llm_message"))
        return {
            "kind": "message",
            "tool": str(msg.get("role") or event.get("source") or ""),
            "msg": _text(msg.get("content")),
        }
    if kind == "SystemPromptEvent":
        return {"kind": "system", "tool": "system prompt", "msg": _text(event.get("system_prompt"))}
    if kind in ("AgentErrorEvent", "ConversationErrorEvent"):
        text = _text(event.get("error")) or " ".join(str(event.get(k) or "") for k in ("code", "detail")).strip()
        return {"kind": "error", "tool": kind, "msg": text, "err": True}
    if kind == "unreadable":
        return {"kind": "error", "tool": "unreadable line", "msg": str(event.get("text")), "err": True}
    rest = {k: v for k, v in event.items() if k not in ("id", "timestamp", "source", "parent_id", "kind")}
    return {"kind": "other", "tool": kind, "msg": json.dumps(rest, indent=1, ensure_ascii=False, default=str)}


def steps(events: Iterable[JSONObject]) -> list[Step]:
    """The events as steps (see the module docstring), each with `i` (its number, from 1), `src`, `t`
    (time of day), `dt` (seconds since the previous step ended), `tok` and `cost` when the events carry
    metrics (per step, and `cum_*` cumulative)."""
    out: list[Step] = []
    pending: dict[str, Step] = {}  # action id / tool call id -> its step, until its observation
    ends: list[datetime | None] = []
    last_metrics: dict[str, float] | None = None
    for event in events:
        kind = event.get("kind")
        when = _when(event)
        key = event.get("action_id") or event.get("tool_call_id")
        if kind in ("ObservationEvent", "UserRejectObservation") and isinstance(key, str) and key in pending:
            step = pending.pop(key)
            _observation(step, event)
        else:
            step = _new_step(event, len(out) + 1, when)
            out.append(step)
            ends.append(None)
            if kind == "ActionEvent":
                pending.update({str(k): step for k in (event.get("id"), event.get("tool_call_id")) if k})
        if when is not None:
            ends[step["i"] - 1] = when
        m = _metrics(event)
        if m is not None:
            _add_metrics(step, m, last_metrics)
            last_metrics = m
    prev: datetime | None = None
    for step, end in zip(out, ends, strict=True):
        step["dt"] = round(max(0.0, (end - prev).total_seconds()), 3) if end and prev else 0.0
        prev = end or prev
    return out


def _new_step(event: JSONObject, i: int, when: datetime | None) -> Step:
    kind = event.get("kind")
    step: Step
    if kind == "ActionEvent":
        step = _action_step(event)
    elif kind in ("ObservationEvent", "UserRejectObservation"):  # its action was not recorded
        step = {"kind": "tool", "tool": event.get("tool_name") or "observation"}
        _observation(step, event)
    else:
        step = _plain_step(event)
    step["i"] = i
    step["src"] = event.get("source") or ""
    step["t"] = when.strftime("%H:%M:%S.%f")[:-4] if when else ""
    return step


def _add_metrics(step: Step, m: dict[str, float], before: dict[str, float] | None) -> None:
    base = before or {"cost": 0.0, "prompt": 0.0, "completion": 0.0}
    step["cost"] = round(m["cost"] - base["cost"], 6)
    step["tok"] = [int(m["prompt"] - base["prompt"]), int(m["completion"] - base["completion"])]
    step["cum_cost"] = round(m["cost"], 6)
    step["cum_tok"] = [int(m["prompt"]), int(m["completion"])]


def search_text(step: Step) -> str:
    """What the search index holds of a step: its tool, message, command, arguments and observation."""
    fields: Mapping[str, object] = step
    return "\n".join(str(fields.get(k) or "") for k in ("tool", "msg", "cmd", "args", "obs") if fields.get(k))
