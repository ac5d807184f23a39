"""Real providers' wire formats, offline: the scripted server speaks Anthropic's Messages API and OpenAI's Chat
Completions and Responses APIs, and the real OpenHands agent runs through `provider: anthropic` and
`provider: openai` with `base_url` pointing at it.

Fast tests parse the server's answers with the clients that parse real providers' answers (LiteLLM's
`anthropic/` and `openai/` routes, the official `anthropic` and `openai` SDKs); `slow` ones run
`isobench plan && prepare && run` on a small repository, as a user would.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from isobench.agents import anthropic_wire
from isobench.agents.scripted_server import Exchange, ScriptedLLMServer
from isobench.agents.scripts import SCRIPTS, History, Scenario
from isobench.config import load_bench
from isobench.errors import UserError
from tests.conftest import FAST

CLAUDE = "claude-sonnet-4-5-20250929"
GPT_RESPONSES = "gpt-4.1"  # LiteLLM lists /v1/responses for it: OpenHands calls the Responses API
GPT_CHAT = "gpt-4o"  # no /v1/responses listed: OpenHands calls Chat Completions
ANTHROPIC_KEY = "sk-ant-api03-WIRE-TEST-0123456789abcdef"
OPENAI_KEY = "sk-proj-WIRE-TEST-fedcba9876543210"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "terminal",
            "description": "Run a shell command.",
            "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "finish",
            "description": "End the task.",
            "parameters": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
        },
    },
]
# One step already made (the first command ran): the script's next call is the second command.
SECOND = "echo \"two\" && printf '%s\\n' a\\ b > out.txt"
SHELL = Scenario(script="shell", commands=["pwd", SECOND])
HISTORY = [
    {"role": "system", "content": "You are a scripted test."},
    {"role": "user", "content": "Run the commands."},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "terminal", "arguments": '{"command": "pwd"}'}}
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "/w/repo\n[Current working directory: /w/repo]"},
]


def prices(model: str) -> tuple[float, float]:
    """LiteLLM's local prices per input and output token."""
    import litellm

    info = litellm.model_cost[model]
    return float(info["input_cost_per_token"]), float(info["output_cost_per_token"])


def served(server: ScriptedLLMServer, key: str) -> list[Exchange]:
    return [e for e in server.exchanges if e.key == key]


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a server-sent event stream."""
    out = []
    for block in raw.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            out.append((fields.get("event", ""), json.loads(fields["data"])))
    return out


# ---------------------------------------------------------------- fast: the Anthropic Messages API


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_litellm_anthropic_route_gets_the_next_tool_call_its_usage_and_its_cost(stream: bool) -> None:
    import litellm

    with ScriptedLLMServer(lambda key: SHELL if key == "k1" else None) as srv:
        kwargs: dict[str, Any] = {
            "model": f"anthropic/{CLAUDE}",
            "api_base": srv.anthropic_base_url("k1"),
            "api_key": ANTHROPIC_KEY,
            "messages": HISTORY,
            "tools": TOOLS,
            "num_retries": 0,
        }
        if stream:
            chunks = list(litellm.completion(**kwargs, stream=True, stream_options={"include_usage": True}))
            reply = litellm.stream_chunk_builder(chunks)
        else:
            reply = litellm.completion(**kwargs)
    (seen,) = srv.exchanges
    # LiteLLM posted to <base>/v1/messages with the key in x-api-key and an anthropic-version date.
    assert (seen.wire, seen.stream, seen.status) == ("anthropic", stream, 200)
    assert seen.credential == "x-api-key" and seen.anthropic_version == "2023-06-01"
    assert seen.n_messages == len(HISTORY)  # system, user, the tool_use turn and its tool_result
    assert ANTHROPIC_KEY not in repr(srv.exchanges) + repr(srv.requests)
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "terminal" and json.loads(call.function.arguments) == {"command": SECOND}
    assert reply.choices[0].finish_reason == "tool_calls"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (seen.prompt_tokens, seen.completion_tokens)
    p_in, p_out = prices(CLAUDE)
    expected = seen.prompt_tokens * p_in + seen.completion_tokens * p_out
    assert expected > 0 and litellm.completion_cost(reply) == pytest.approx(expected, rel=1e-9)


def test_the_anthropic_sdk_parses_the_message_and_its_event_stream() -> None:
    import anthropic

    tools = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in TOOLS]
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=[SECOND])) as srv:
        client = anthropic.Anthropic(base_url=srv.anthropic_base_url("k"), api_key=ANTHROPIC_KEY, max_retries=0)
        ask: dict[str, Any] = {
            "model": CLAUDE,
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": "go"}],
            "tools": tools,
        }
        whole = client.messages.create(**ask)
        with client.messages.stream(**ask) as events:
            kinds = [e.type for e in events]
            streamed = events.get_final_message()
    for msg, seen in zip((whole, streamed), srv.exchanges, strict=True):
        (block,) = msg.content
        assert block.type == "tool_use" and block.name == "terminal" and block.input == {"command": SECOND}
        assert msg.stop_reason == "tool_use" and block.id.startswith("toolu_")
        assert (msg.usage.input_tokens, msg.usage.output_tokens) == (seen.prompt_tokens, seen.completion_tokens)
    # The SDK's own events: input_json is its accumulation of the input_json_delta pieces.
    assert kinds[:2] == ["message_start", "content_block_start"] and kinds[-3:] == [
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert "input_json" in kinds


def test_the_messages_stream_has_the_documented_event_sequence() -> None:
    long_command = "echo " + "x" * 150  # its JSON comes in several input_json_delta pieces
    body = {"model": CLAUDE, "max_tokens": 100, "stream": True, "messages": [{"role": "user", "content": "go"}]}
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=[long_command])) as srv:
        status, raw = post(srv.anthropic_base_url("k") + "/v1/messages", body, {"x-api-key": "k"})
    assert status == 200
    events = sse(raw)
    names = [name for name, _ in events]
    deltas = names.count("content_block_delta")
    assert deltas > 1
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        *["content_block_delta"] * deltas,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(data["type"] == name for name, data in events)
    start, block = events[0][1]["message"], events[1][1]["content_block"]
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["input_tokens"] > 0
    assert block["type"] == "tool_use" and block["name"] == "terminal" and block["input"] == {}
    pieces = "".join(d["delta"]["partial_json"] for n, d in events if n == "content_block_delta")
    assert all(d["delta"]["type"] == "input_json_delta" for n, d in events if n == "content_block_delta")
    assert json.loads(pieces) == {"command": long_command}
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "tool_use" and final["usage"]["output_tokens"] > 0


def test_a_messages_request_translates_into_the_history_the_scripts_read() -> None:
    request = {
        "system": [{"type": "text", "text": "You are OpenHands.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Make it fast."}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "terminal", "input": {"command": "pwd"}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": [
                            {"type": "text", "text": "\x1b[?2004l/w/repo\n[Current working directory: /w/repo]"}
                        ],
                    }
                ],
            },
        ],
        "tools": [{"name": "terminal", "description": "run", "input_schema": {"type": "object", "properties": {}}}],
    }
    messages, tools = anthropic_wire.to_chat(request)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool"]
    history = History(messages)
    assert history.step == 1 and history.workspace_root() == "/w/repo"
    assert history.calls[0].name == "terminal" and history.calls[0].arguments == {"command": "pwd"}
    assert tools[0]["function"]["name"] == "terminal" and tools[0]["function"]["parameters"]["type"] == "object"
    assert SCRIPTS["shell"](SHELL, history).arguments == {"command": SECOND}


# ---------------------------------------------------------------- fast: OpenAI's Responses and Chat Completions


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # LiteLLM's own, on its usage object
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_litellm_responses_route_gets_the_function_call_its_usage_and_its_cost(stream: bool) -> None:
    import litellm

    items = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Run the commands."}]},
        {"type": "function_call", "call_id": "call_1", "name": "terminal", "arguments": '{"command": "pwd"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "/w/repo"},
    ]
    tools = [{"type": "function", **t["function"]} for t in TOOLS]
    with ScriptedLLMServer(lambda key: SHELL) as srv:
        reply = litellm.responses(
            model=f"openai/{GPT_RESPONSES}",
            input=items,
            instructions="You are a scripted test.",
            tools=tools,
            api_base=srv.base_url("k"),
            api_key=OPENAI_KEY,
            stream=stream,
        )
        if stream:
            events = list(reply)
            assert events[-1].type == "response.completed"
            reply = events[-1].response
    (seen,) = srv.exchanges
    assert (seen.wire, seen.stream, seen.credential, seen.n_messages) == ("responses", stream, "authorization", 4)
    (call,) = reply.output
    assert (
        call.type == "function_call" and call.name == "terminal" and json.loads(call.arguments) == {"command": SECOND}
    )
    usage = reply.usage
    assert (usage.input_tokens, usage.output_tokens) == (seen.prompt_tokens, seen.completion_tokens)
    p_in, p_out = prices(GPT_RESPONSES)
    cost = reply._hidden_params["response_cost"] if not stream else usage.cost
    assert cost == pytest.approx(seen.prompt_tokens * p_in + seen.completion_tokens * p_out, rel=1e-9)


def test_the_openai_sdk_parses_the_response_and_its_event_stream() -> None:
    import openai

    tools = [{"type": "function", **t["function"]} for t in TOOLS]
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=[SECOND])) as srv:
        client = openai.OpenAI(base_url=srv.base_url("k"), api_key=OPENAI_KEY, max_retries=0)
        whole = client.responses.create(model=GPT_RESPONSES, input="go", tools=tools)
        with client.responses.stream(model=GPT_RESPONSES, input="go", tools=tools) as events:
            kinds = [e.type for e in events]
            streamed = events.get_final_response()
    for resp, seen in zip((whole, streamed), srv.exchanges, strict=True):
        (call,) = resp.output
        assert call.type == "function_call" and json.loads(call.arguments) == {"command": SECOND}
        assert resp.usage and (resp.usage.input_tokens, resp.usage.output_tokens) == (
            seen.prompt_tokens,
            seen.completion_tokens,
        )
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds


def test_litellm_chat_route_prices_the_usage_the_server_reported() -> None:
    import litellm

    with ScriptedLLMServer(lambda key: SHELL) as srv:
        reply = litellm.completion(
            model=f"openai/{GPT_CHAT}",
            api_base=srv.base_url("k"),
            api_key=OPENAI_KEY,
            messages=HISTORY,
            tools=TOOLS,
            num_retries=0,
        )
    (seen,) = srv.exchanges
    assert (seen.wire, seen.credential) == ("openai", "authorization")
    assert json.loads(reply.choices[0].message.tool_calls[0].function.arguments) == {"command": SECOND}
    p_in, p_out = prices(GPT_CHAT)
    expected = seen.prompt_tokens * p_in + seen.completion_tokens * p_out
    assert litellm.completion_cost(reply) == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------- fast: failures, in each wire's own shape


@pytest.mark.parametrize("status", [429, 500])
def test_fail_first_answers_the_first_requests_of_a_key_with_the_status_then_plays_the_script(status: int) -> None:
    scenario = Scenario(script="shell", commands=["ls"], params={"fail_first": 2, "status": status})
    body = {"model": CLAUDE, "max_tokens": 100, "messages": [{"role": "user", "content": "go"}]}
    with ScriptedLLMServer(lambda key: scenario) as srv:
        url = srv.anthropic_base_url("a") + "/v1/messages"
        answers = [post(url, body, {"x-api-key": "k"}) for _ in range(3)]
        other = post(srv.anthropic_base_url("b") + "/v1/messages", body, {"x-api-key": "k"})  # its own count
        chat = post(srv.base_url("c") + "/chat/completions", {"messages": [{"role": "user", "content": "go"}]}, {})
    assert [s for s, _ in answers] == [status, status, 200] and other[0] == status and chat[0] == status
    kind = {429: "rate_limit_error", 500: "api_error"}[status]
    assert json.loads(answers[0][1]) == {"type": "error", "error": {"type": kind, "message": "scripted failure"}}
    assert json.loads(answers[2][1])["content"][0]["input"] == {"command": "ls"}
    assert json.loads(chat[1])["error"]["code"] == status  # OpenAI's error shape on the OpenAI routes
    assert [e.status for e in served(srv, "a")] == [status, status, 200]
    assert [e.prompt_tokens for e in served(srv, "a")][:2] == [0, 0]  # no usage reported with an error


@pytest.mark.parametrize(("status", "error"), [(429, "RateLimitError"), (500, "InternalServerError")])
def test_litellm_raises_the_retryable_errors_for_anthropic_failures(status: int, error: str) -> None:
    import litellm

    scenario = Scenario(script="shell", commands=["ls"], params={"fail_first": 1, "status": status})
    with ScriptedLLMServer(lambda key: scenario) as srv, pytest.raises(getattr(litellm, error)) as info:
        litellm.completion(
            model=f"anthropic/{CLAUDE}",
            api_base=srv.anthropic_base_url("k"),
            api_key=ANTHROPIC_KEY,
            messages=[{"role": "user", "content": "go"}],
            num_retries=0,
        )
    assert info.value.status_code == status and ANTHROPIC_KEY not in str(info.value)


def test_retry_waits_above_each_other_are_refused_naming_the_file_and_provider(tmp_path: Path) -> None:
    bench = tmp_path / "bench.yaml"
    bench.write_text(
        "agents:\n  openhands:\n    llm_configs:\n"
        f"      - {{name: c, provider: anthropic, model: {CLAUDE}, retry_min_wait: 10, retry_max_wait: 2}}\n"
    )
    with pytest.raises(UserError, match=r"bench\.yaml: agents\.openhands\.llm_configs\.0: .*retry_min_wait"):
        load_bench(bench)
    bench.write_text(bench.read_text().replace("retry_max_wait: 2", "retry_max_wait: 30"))
    (p,) = load_bench(bench).providers
    assert (p.retry_min_wait, p.retry_max_wait) == (10, 30)


# ---------------------------------------------------------------- slow: the real agent, through `isobench run`


def provider(name: str, kind: str, model: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "provider": kind, "model": model, "base_url": url, **extra}


KEYS = {"ANTHROPIC_API_KEY": ANTHROPIC_KEY, "OPENAI_API_KEY": OPENAI_KEY}
QUICK_RETRIES = {"retry_min_wait": 0, "retry_max_wait": 0}
ONE_SECOND_RETRIES = {"retry_min_wait": 1, "retry_max_wait": 1}  # the SDK's default: 8 s at least


@pytest.mark.slow
def test_the_real_agent_runs_through_provider_anthropic_and_provider_openai_with_tokens_and_cost(
    tmp_path: Path,
) -> None:
    from tests.test_hardening import files_containing
    from tests.test_run import Bench

    oracle = Scenario(script="oracle", files_after={"lib/core.py": FAST})
    with ScriptedLLMServer(lambda key: oracle if key in ("claude-k", "gpt-k", "chat-k") else None) as srv:
        providers = [
            provider("claude", "anthropic", CLAUDE, srv.anthropic_base_url("claude-k")),
            provider("gpt", "openai", GPT_RESPONSES, srv.base_url("gpt-k")),
            provider("gpt-chat", "openai", GPT_CHAT, srv.base_url("chat-k")),
        ]
        b = Bench(tmp_path, providers)
        r = b.cli("run", "-j", "2", env=KEYS)
        assert r.returncode == 0, r.stdout + r.stderr
    inst = json.loads((b.state / "plan" / b.iid / "instance.json").read_text())
    for name, key, model, wire, credential in (
        ("claude", "claude-k", CLAUDE, "anthropic", "x-api-key"),
        ("gpt", "gpt-k", GPT_RESPONSES, "responses", "authorization"),
        ("gpt-chat", "chat-k", GPT_CHAT, "openai", "authorization"),
    ):
        rec = b.result(name)
        assert rec and rec["status"] == "success", (name, rec)
        seen = served(srv, key)
        assert seen and all((e.wire, e.credential, e.status) == (wire, credential, 200) for e in seen), seen
        if wire == "anthropic":
            assert {e.anthropic_version for e in seen} == {"2023-06-01"}
        # What the user reads is what the endpoint reported, priced at LiteLLM's prices for the model.
        prompt, completion = sum(e.prompt_tokens for e in seen), sum(e.completion_tokens for e in seen)
        assert rec["iterations"] == len(seen) > 0
        assert (rec["prompt_tokens"], rec["completion_tokens"]) == (prompt, completion) and completion > 0
        p_in, p_out = prices(model)
        assert rec["cost_usd"] > 0 and rec["cost_usd"] == pytest.approx(prompt * p_in + completion * p_out, rel=1e-6)
        # The edit landed, through the agent's file_editor tool calls.
        assert b.attempt_file(name, rec["model_patch"]).read_text() == inst["patch"]
    assert files_containing(b.state, [ANTHROPIC_KEY, OPENAI_KEY]) == []
    assert ANTHROPIC_KEY not in r.stdout + r.stderr and OPENAI_KEY not in r.stdout + r.stderr


@pytest.mark.slow
def test_a_transient_429_or_500_is_retried_within_num_retries_and_the_attempt_succeeds(tmp_path: Path) -> None:
    from tests.test_run import Bench

    def flaky(status: int) -> Scenario:
        return Scenario(script="shell", commands=["echo hi > hello.txt"], params={"fail_first": 2, "status": status})

    scenarios = {"claude-429": flaky(429), "gpt-500": flaky(500), "chat-429": flaky(429)}
    with ScriptedLLMServer(scenarios.get) as srv:
        providers = [
            provider(
                "claude", "anthropic", CLAUDE, srv.anthropic_base_url("claude-429"), num_retries=3, **ONE_SECOND_RETRIES
            ),
            provider("gpt", "openai", GPT_RESPONSES, srv.base_url("gpt-500"), num_retries=3, **ONE_SECOND_RETRIES),
            provider("gpt-chat", "openai", GPT_CHAT, srv.base_url("chat-429"), num_retries=3, **ONE_SECOND_RETRIES),
        ]
        b = Bench(tmp_path, providers)
        r = b.cli("run", "-j", "2", env=KEYS)
        assert r.returncode == 0, r.stdout + r.stderr
    for name, key, status in (("claude", "claude-429", 429), ("gpt", "gpt-500", 500), ("gpt-chat", "chat-429", 429)):
        rec = b.result(name)
        assert rec and rec["status"] == "success", (name, rec)
        seen = served(srv, key)
        assert [e.status for e in seen[:3]] == [status, status, 200] and all(e.status == 200 for e in seen[2:])
        # retry_min_wait / retry_max_wait reached the SDK: each retry came 1 s after the failure, not 8 s or more.
        gaps = [later.at - earlier.at for earlier, later in zip(seen[:2], seen[1:3], strict=True)]
        assert all(1 <= gap < 8 for gap in gaps), gaps
        # The failed calls cost nothing: tokens are the answered calls' only.
        assert rec["prompt_tokens"] == sum(e.prompt_tokens for e in seen) > 0
        assert rec["iterations"] == len(seen) - 2
        assert "hello.txt" in b.attempt_file(name, rec["model_patch"]).read_text()


@pytest.mark.slow
def test_a_persistent_429_or_500_ends_as_api_error_after_num_retries_and_run_exits_1(tmp_path: Path) -> None:
    from tests.test_run import Bench

    def down(status: int) -> Scenario:
        return Scenario(script="shell", commands=["ls"], params={"fail_first": 10**6, "status": status})

    scenarios = {"claude-500": down(500), "gpt-429": down(429)}
    with ScriptedLLMServer(scenarios.get) as srv:
        providers = [
            provider(
                "claude", "anthropic", CLAUDE, srv.anthropic_base_url("claude-500"), num_retries=2, **QUICK_RETRIES
            ),
            provider("gpt", "openai", GPT_RESPONSES, srv.base_url("gpt-429"), num_retries=3, **QUICK_RETRIES),
        ]
        b = Bench(tmp_path, providers)
        r = b.cli("run", "-j", "2", env=KEYS)
    assert r.returncode == 1, r.stdout + r.stderr
    for name, key, status, attempts, error in (
        ("claude", "claude-500", 500, 2, "InternalServerError"),
        ("gpt", "gpt-429", 429, 3, "RateLimitError"),
    ):
        rec = b.result(name)
        assert rec and rec["status"] == "api_error", (name, rec)
        assert error in rec["error"] and ANTHROPIC_KEY not in rec["error"] and OPENAI_KEY not in rec["error"]
        # num_retries is the SDK's: attempts in all, each answered with the status.
        assert [e.status for e in served(srv, key)] == [status] * attempts
        assert (rec["iterations"], rec["prompt_tokens"], rec["cost_usd"]) == (0, 0, 0.0)
