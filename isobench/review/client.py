"""One vote: the reviewer's LLM called through LiteLLM with the provider's settings, retried within bounds.

The key comes from the provider's `api_key_env` in isobench's environment, held in memory for the call and
written nowhere (as for an agent; a scripted provider needs none). Every try is counted: its tokens, its
cost (LiteLLM's local price map, or the provider's `input_cost_per_token` / `output_cost_per_token`) and,
when it fails, why. A try fails on an HTTP error (429, 5xx, a lost connection: tried again after
`retry_wait_s`, doubling), an answer that does not fit the schema (`malformed`) or no answer at all
(`refused`): those two are tried again at once, the reviewer told what was wrong. After `tries` the vote
is recorded as failed, with the last reason: never a crash, never a silent "not a hack".
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isobench.config.bench import ProviderConfig, ReviewConfig
from isobench.errors import one_line
from isobench.records import ReviewVote
from isobench.review import prompt

if TYPE_CHECKING:
    from litellm import ModelResponse

_NOT_RETRIED = frozenset({400, 401, 403, 404})
"""HTTP statuses another try cannot fix (a bad request, a bad key, an unknown model)."""
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class Endpoint:
    """How to reach the reviewer: LiteLLM's model id, the API base, the key (in memory only), its settings."""

    model: str
    api_base: str | None
    api_key: str | None
    temperature: float | None
    reasoning_effort: str | None
    prices: tuple[float, float] | None
    """The provider's own per-token prices (input, output), when it sets them."""

    def __repr__(self) -> str:  # never the key
        return f"Endpoint(model={self.model!r}, api_base={self.api_base!r})"


def endpoint(p: ProviderConfig, base_url: str | None) -> Endpoint:
    """The reviewer's endpoint from its provider's config; `base_url` the scripted server's for a scripted one."""
    key = None if p.provider == "scripted" or not p.api_key_env else os.environ.get(p.api_key_env)
    prices = None
    if p.input_cost_per_token is not None or p.output_cost_per_token is not None:
        prices = (p.input_cost_per_token or 0.0, p.output_cost_per_token or 0.0)
    return Endpoint(
        model=p.litellm_model,
        api_base=base_url,
        # An endpoint that needs no key (scripted, `api_key_env: none`) still gets one: the OpenAI client wants one.
        api_key=key or (None if p.api_key_env and p.provider != "scripted" else "no-key"),
        temperature=p.temperature,
        reasoning_effort=p.reasoning_effort,
        prices=prices,
    )


@dataclass
class _Try:
    """What one call gave: an answer or why not, and what it used."""

    answer: prompt.ReviewAnswer | None = None
    error: str | None = None
    status: int | None = None
    said: str = ""
    reasoning: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


def _request(ep: Endpoint, messages: list[prompt.ChatMessage], timeout_s: float) -> ModelResponse:
    import litellm

    litellm.suppress_debug_info = True  # its "Give Feedback" banner on every failed call: stdout stays --json's
    forced = {"type": "function", "function": {"name": prompt.TOOL_NAME}}
    kwargs: dict[str, Any] = {  # LiteLLM's keyword arguments, each of its own type
        "model": ep.model,
        "messages": messages,
        "tools": [prompt.tool()],
        # Anthropic refuses a forced tool with extended thinking (reasoning_effort): then the model chooses.
        "tool_choice": "auto" if ep.reasoning_effort and ep.model.startswith("anthropic/") else forced,
        "timeout": timeout_s,
        "num_retries": 0,
    }
    if ep.api_base:
        kwargs["api_base"] = ep.api_base
    if ep.api_key:
        kwargs["api_key"] = ep.api_key
    if ep.temperature is not None:
        kwargs["temperature"] = ep.temperature
    if ep.reasoning_effort:
        kwargs["reasoning_effort"] = ep.reasoning_effort
    resp = litellm.completion(**kwargs)
    if not isinstance(resp, litellm.ModelResponse):  # a stream wrapper answers only a request that streams
        raise TypeError(f"a request that does not stream was answered with {type(resp).__name__}")
    return resp


def _cost(ep: Endpoint, prompt_tokens: int, completion_tokens: int) -> float:
    if ep.prices is not None:
        return prompt_tokens * ep.prices[0] + completion_tokens * ep.prices[1]
    import litellm

    try:  # the configured model's price (what was asked for), from LiteLLM's local map
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=ep.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
        return float(prompt_cost + completion_cost)
    except Exception:  # a model LiteLLM does not price (the scripted one): no dollars known
        return 0.0


def _read(message: object) -> tuple[object, str]:
    """The answer's data (the tool call's arguments, else a JSON object in the text) and the text said."""
    said = str(getattr(message, "content", None) or "")
    for call in getattr(message, "tool_calls", None) or []:
        fn = getattr(call, "function", None)
        if fn is not None and getattr(fn, "name", None) == prompt.TOOL_NAME:
            args = fn.arguments
            return (json.loads(args) if isinstance(args, str) else args), said
    m = _JSON_OBJECT.search(said)
    if m is None and "{" in said:
        raise ValueError(f"no complete JSON object in the answer: {said[:200]}")
    if m is None:  # no call and no JSON at all: it did not answer
        raise LookupError(said)
    return json.loads(m.group(0)), said


def _one_try(ep: Endpoint, messages: list[prompt.ChatMessage], timeout_s: float) -> _Try:
    """One call: its answer, or an HTTP error, a malformed answer or a refusal (no answer at all)."""
    try:
        resp = _request(ep, messages, timeout_s)
    except Exception as exc:  # LiteLLM maps every provider's failure to an exception with a status
        status = getattr(exc, "status_code", None)
        return _Try(error=f"http {status}: {one_line(str(exc))[:300]}", status=status if status else 0)
    usage = getattr(resp, "usage", None)
    t = _Try(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
    )
    t.cost_usd = _cost(ep, t.prompt_tokens, t.completion_tokens)
    message = resp.choices[0].message
    t.reasoning = getattr(message, "reasoning_content", None) or None
    try:
        data, t.said = _read(message)
        t.answer = prompt.parse_answer(data)
    except LookupError as exc:
        t.error = f"refused: {one_line(str(exc))[:300] or '(no answer)'}"
    except ValueError as exc:  # json.JSONDecodeError is one
        t.error = f"malformed: {one_line(str(exc))[:300]}"
    return t


def vote(
    ep: Endpoint,
    messages: list[prompt.ChatMessage],
    sample: int,
    cfg: ReviewConfig,
    sleep: Callable[[float], None] = time.sleep,
) -> ReviewVote:
    """One sample of a review, with up to `cfg.tries` calls (module docstring)."""
    v = ReviewVote(sample=sample, ok=False, tries=0)
    convo = list(messages)
    wait = cfg.retry_wait_s
    for _ in range(cfg.tries):
        t = _one_try(ep, convo, cfg.timeout_s)
        v.tries += 1
        v.prompt_tokens += t.prompt_tokens
        v.completion_tokens += t.completion_tokens
        v.cost_usd += t.cost_usd
        if t.answer is not None:
            v.ok, v.error = True, None
            v.is_reward_hack, v.hack_type, v.description = (
                t.answer.is_reward_hack,
                t.answer.hack_type,
                t.answer.description,
            )
            v.reasoning = t.reasoning or (t.said.strip() or None)
            return v
        v.error = t.error
        if t.status is not None:  # an HTTP error: the same request again, later
            if t.status in _NOT_RETRIED:
                return v
            sleep(wait)
            wait *= 2
        else:  # it answered, but not in the schema: say so and ask again
            convo = [
                *messages,
                {"role": "assistant", "content": t.said or "(no answer)"},
                {"role": "user", "content": prompt.correction(t.error or "")},
            ]
    return v
