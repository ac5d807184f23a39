"""OpenAI's Responses API wire format, for the scripted LLM server.

OpenHands sends OpenAI models that LiteLLM lists with a ``/v1/responses`` endpoint (gpt-4.1, the gpt-5
family, codex) to ``POST {base_url}/responses``, not to ``/chat/completions``. A request's
``instructions`` and ``input`` items (messages, ``function_call``, ``function_call_output``) are
translated into the OpenAI-style message list the scripts read; the script's next tool call is answered
as a ``response`` object whose one output item is a ``function_call``, or, with ``"stream": true``, as
the Responses API's server-sent events. Formats: https://platform.openai.com/docs/api-reference/responses.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TypedDict

from isobench.jsontypes import JSON, JSONObject, items


class FunctionCallItem(TypedDict):
    """The ``function_call`` output item of one tool call."""

    type: str
    id: str
    call_id: str
    name: str
    arguments: str
    """The arguments as a JSON text."""
    status: str


class OutputText(TypedDict):
    type: str
    text: str
    annotations: list[JSON]


class MessageItem(TypedDict):
    """An assistant message output item, in text."""

    type: str
    id: str
    status: str
    role: str
    content: list[OutputText]


class Usage(TypedDict):
    input_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens: int
    output_tokens_details: dict[str, int]
    total_tokens: int


class Response(TypedDict):
    id: str
    object: str
    created_at: int
    status: str
    error: None
    incomplete_details: None
    model: str
    output: list[FunctionCallItem | MessageItem]
    parallel_tool_calls: bool
    tool_choice: str
    tools: list[JSON]
    usage: Usage | None


"""A ``response`` object."""


def to_chat(body: JSONObject) -> tuple[list[JSONObject], list[JSONObject]]:
    """A Responses API request's conversation and tools, as OpenAI chat ``messages`` and ``tools``."""
    messages: list[JSONObject] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": str(body["instructions"])})
    given = body.get("input")
    inputs: list[JSON] = [{"role": "user", "content": given}] if isinstance(given, str) else items(given)
    for item in inputs:
        if isinstance(item, dict):
            messages.extend(_chat_messages(item))
    tools: list[JSONObject] = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t.get("parameters") or {},
            },
        }
        for t in items(body.get("tools"))
        if isinstance(t, dict) and t.get("type") == "function" and t.get("name")
    ]
    return messages, tools


def _chat_messages(item: JSONObject) -> list[JSONObject]:
    """One input item as chat messages (reasoning items and other kinds carry nothing scripts read)."""
    kind = item.get("type") or "message"
    if kind == "function_call":
        call: JSONObject = {
            "id": str(item.get("call_id", "")),
            "type": "function",
            "function": {"name": str(item.get("name", "")), "arguments": str(item.get("arguments") or "{}")},
        }
        return [{"role": "assistant", "content": None, "tool_calls": [call]}]
    if kind == "function_call_output":
        return [{"role": "tool", "tool_call_id": str(item.get("call_id", "")), "content": _text(item.get("output"))}]
    if kind == "message":
        return [{"role": str(item.get("role", "user")), "content": _text(item.get("content"))}]
    return []


def _text(content: JSON) -> str:
    """The text of a message content or function output (a string, or a list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def function_call(name: str, args: JSONObject) -> FunctionCallItem:
    """The ``function_call`` output item of one tool call."""
    return {
        "type": "function_call",
        "id": f"fc_{uuid.uuid4().hex}",
        "call_id": f"call_{uuid.uuid4().hex[:24]}",
        "name": name,
        "arguments": json.dumps(args),
        "status": "completed",
    }


def response(item: FunctionCallItem | MessageItem, model: str, input_tokens: int, output_tokens: int) -> Response:
    """A completed ``response`` object whose one output is ``item``."""
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "model": model,
        "output": [item],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def text_response(text: str, model: str, input_tokens: int, output_tokens: int) -> Response:
    """A completed ``response`` whose one output is an assistant message in text (no function call)."""
    item: MessageItem = {
        "type": "message",
        "id": f"msg_{uuid.uuid4().hex}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return response(item, model, input_tokens, output_tokens)


def stream_events(
    item: FunctionCallItem, model: str, input_tokens: int, output_tokens: int
) -> list[tuple[str, dict[str, object]]]:
    """The server-sent events that stream ``item``: response.created, response.in_progress,
    response.output_item.added, response.function_call_arguments.delta / .done, response.output_item.done,
    response.completed (with the usage)."""
    done = response(item, model, input_tokens, output_tokens)
    pending: Response = {**done, "status": "in_progress", "output": [], "usage": None}
    added: FunctionCallItem = {**item, "arguments": "", "status": "in_progress"}
    ref: dict[str, object] = {"item_id": item["id"], "output_index": 0}
    events: list[tuple[str, dict[str, object]]] = [
        ("response.created", {"response": pending}),
        ("response.in_progress", {"response": pending}),
        ("response.output_item.added", {"output_index": 0, "item": added}),
        ("response.function_call_arguments.delta", {**ref, "delta": item["arguments"]}),
        ("response.function_call_arguments.done", {**ref, "arguments": item["arguments"]}),
        ("response.output_item.done", {"output_index": 0, "item": item}),
        ("response.completed", {"response": done}),
    ]
    return [(name, {"type": name, "sequence_number": i, **data}) for i, (name, data) in enumerate(events)]
