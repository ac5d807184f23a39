"""Anthropic's Messages API wire format, for the scripted LLM server.

The scripts read OpenAI-style message lists (:class:`~isobench.agents.scripts.History`), so a Messages
API request is translated into one (``system``, ``tool_use`` / ``tool_result`` content blocks, tools with
``input_schema``), and the script's next tool call is answered as the Messages API answers: a ``message``
object with one ``tool_use`` content block and ``stop_reason: tool_use``, or, when the request has
``"stream": true``, the Messages API's server-sent events. Errors have Anthropic's shape
(``{"type": "error", "error": {"type": "rate_limit_error", ...}}``).

The formats follow https://docs.anthropic.com/en/api/messages and .../messages-streaming; what LiteLLM's
``anthropic/`` route and the official ``anthropic`` client parse is checked by tests/agents/test_wire_formats.py.
"""

from __future__ import annotations

import json
import uuid
from typing import TypedDict

from isobench.jsontypes import JSON, JSONObject, items

#: The HTTP status of each Anthropic error type (https://docs.anthropic.com/en/api/errors).
_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
# Pieces the tool input's JSON is cut into when streamed: LiteLLM and the SDKs must join them.
_JSON_CHUNK = 40


class ErrorDetail(TypedDict):
    type: str
    message: str


class ErrorBody(TypedDict):
    """An Anthropic error answer."""

    type: str
    error: ErrorDetail


class ToolUseBlock(TypedDict):
    """The ``tool_use`` content block of one tool call."""

    type: str
    id: str
    name: str
    input: JSONObject


class TextBlock(TypedDict):
    type: str
    text: str


class Usage(TypedDict):
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    output_tokens: int


class Message(TypedDict):
    """A Messages API response (``"type": "message"``)."""

    id: str
    type: str
    role: str
    model: str
    content: list[ToolUseBlock | TextBlock]
    stop_reason: str | None
    stop_sequence: None
    usage: Usage


def error_body(status: int, message: str) -> ErrorBody:
    """An Anthropic error object for HTTP ``status``."""
    kind = _ERROR_TYPES.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def to_chat(body: JSONObject) -> tuple[list[JSONObject], list[JSONObject]]:
    """A Messages API request's conversation and tools, as OpenAI-style ``messages`` and ``tools``."""
    messages: list[JSONObject] = []
    system = _text(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for msg in items(body.get("messages")):
        if isinstance(msg, dict):
            messages.extend(_chat_messages(msg))
    tools: list[JSONObject] = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description", ""),
                "parameters": t.get("input_schema") or {},
            },
        }
        for t in items(body.get("tools"))
        if isinstance(t, dict) and t.get("name")
    ]
    return messages, tools


def _chat_messages(msg: JSONObject) -> list[JSONObject]:
    """One Messages API turn as OpenAI messages: a user turn's ``tool_result`` blocks become ``tool``
    messages, an assistant turn's ``tool_use`` blocks its ``tool_calls``."""
    role = msg.get("role")
    content = msg.get("content")
    blocks: list[JSON] = [{"type": "text", "text": content}] if isinstance(content, str) else items(content)
    texts = [str(b.get("text", "")) for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
    if role == "assistant":
        calls: list[JSON] = [
            {
                "id": str(b.get("id", "")),
                "type": "function",
                "function": {"name": str(b.get("name", "")), "arguments": json.dumps(b.get("input") or {})},
            }
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "tool_use"
        ]
        out: JSONObject = {"role": "assistant", "content": "\n".join(texts) or None}
        if calls:
            out["tool_calls"] = calls
        return [out]
    results: list[JSONObject] = [
        {"role": "tool", "tool_call_id": str(b.get("tool_use_id", "")), "content": _text(b.get("content"))}
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    return results + ([{"role": "user", "content": "\n".join(texts)}] if texts else [])


def _text(content: JSON) -> str:
    """The text of a ``system`` value or a ``tool_result`` content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def tool_use_block(name: str, args: JSONObject) -> ToolUseBlock:
    """The ``tool_use`` content block of one tool call."""
    return {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": name, "input": args}


def message(block: ToolUseBlock | TextBlock, model: str, input_tokens: int, output_tokens: int) -> Message:
    """A complete (non-streamed) Messages API response carrying ``block``."""
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [block],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": _usage(input_tokens, output_tokens),
    }


def text_message(text: str, model: str, input_tokens: int, output_tokens: int) -> Message:
    """A complete Messages API response answering in text, without a tool call (``stop_reason: end_turn``)."""
    return {**message({"type": "text", "text": text}, model, input_tokens, output_tokens), "stop_reason": "end_turn"}


def _usage(input_tokens: int, output_tokens: int) -> Usage:
    # The cache counters are always there in real answers; 0 here (nothing is cached), so cost is
    # input x input price + output x output price.
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def stream_events(
    block: ToolUseBlock, model: str, input_tokens: int, output_tokens: int
) -> list[tuple[str, dict[str, object]]]:
    """The server-sent events that stream ``block``, as (event name, data) pairs, in the Messages API's order:
    message_start (input tokens), content_block_start (empty input), ping, content_block_delta
    (input_json_delta pieces), content_block_stop, message_delta (stop_reason, output tokens), message_stop."""
    start: Message = {**message(block, model, input_tokens, 1), "content": [], "stop_reason": None}
    partial = json.dumps(block["input"])
    pieces = [partial[i : i + _JSON_CHUNK] for i in range(0, len(partial), _JSON_CHUNK)] or [""]
    events: list[tuple[str, dict[str, object]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}}),
        ("ping", {"type": "ping"}),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": p}},
        )
        for p in pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events
