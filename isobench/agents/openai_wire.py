"""OpenAI's Chat Completions wire format, for the scripted LLM server.

The scripts read and write OpenAI-style messages, so a request needs no translation. The script's next
tool call is answered as Chat Completions answers: a ``chat.completion`` whose one assistant message
carries one tool call, with ``finish_reason: tool_calls``, or, when the request has ``"stream": true``,
``chat.completion.chunk`` events: the tool call in one delta, then the finish reason, then the usage when
``stream_options.include_usage`` asks for it. Errors have OpenAI's shape
(``{"error": {"message": ..., "type": ..., "code": ...}}``); the Responses API's errors have it too.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import NotRequired, TypedDict

from isobench.jsontypes import JSONObject

#: The OpenAI error type of an HTTP status (others: ``server_error`` from 500, else ``invalid_request_error``).
_ERROR_TYPES: dict[int, str] = {401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}


class ErrorDetail(TypedDict):
    message: str
    type: str
    code: int


class ErrorBody(TypedDict):
    """An OpenAI error answer."""

    error: ErrorDetail


class FunctionCall(TypedDict):
    name: str
    arguments: str
    """The arguments as a JSON text."""


class ChatToolCall(TypedDict):
    """One tool call of an assistant message."""

    id: str
    type: str
    function: FunctionCall


class AssistantMessage(TypedDict):
    """The assistant message of a completion: one tool call, or text."""

    role: str
    content: str | None
    tool_calls: NotRequired[list[ChatToolCall]]


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Choice(TypedDict):
    index: int
    message: AssistantMessage
    finish_reason: str


class Completion(TypedDict):
    id: str
    object: str
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


"""A whole ``chat.completion``."""


def error_body(status: int, message: str) -> ErrorBody:
    """An OpenAI error object for HTTP ``status``."""
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "code": status}}


def assistant_message(name: str, args: JSONObject) -> AssistantMessage:
    """One OpenAI assistant message carrying one tool call."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ],
    }


def usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    """The ``usage`` object of a completion."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(message: AssistantMessage, model: str, prompt_tokens: int, completion_tokens: int) -> Completion:
    """The whole ``chat.completion`` answering with ``message``."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        "usage": usage(prompt_tokens, completion_tokens),
    }


def stream_chunks(
    message: AssistantMessage, model: str, prompt_tokens: int, completion_tokens: int, *, include_usage: bool
) -> list[dict[str, object]]:
    """The ``chat.completion.chunk`` events that stream ``message``: its tool calls in one delta, then the
    finish reason, then the usage if ``include_usage`` (each sent as ``data: <json>``, then ``data: [DONE]``)."""
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    base = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    tool_calls = [{"index": i, **tc} for i, tc in enumerate(message["tool_calls"])]
    delta = {"role": "assistant", "content": None, "tool_calls": tool_calls}
    chunks: list[dict[str, object]] = [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": usage(prompt_tokens, completion_tokens)})
    return chunks


def text_completion(text: str, model: str, prompt_tokens: int, completion_tokens: int) -> Completion:
    """A ``chat.completion`` answering in text, without a tool call (``finish_reason: stop``)."""
    whole = completion({"role": "assistant", "content": text}, model, prompt_tokens, completion_tokens)
    whole["choices"][0]["finish_reason"] = "stop"
    return whole
