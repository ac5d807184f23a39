"""bench.yaml and task files: what loads, and the one-line errors for what does not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.config import load_bench, load_task
from isobench.errors import UserError

SEED_BENCH = """
container:
  engine: "docker"
  cpus: 2
  memory: "4g"
  network_policy: "off"
  gpus: "none"
paths:
  work_root: "./.work"
  state_root: "./state"
  reports_root: "./reports"
agents:
  default: "openhands"
  openhands:
    cli: "python -m openhands.core.main"
    time_budget_minutes: 60
    max_iterations: 30
    max_budget_per_task: 10.0
    config_file: "config/agent_config.toml"
    llm_configs:
      - provider: "anthropic"
        model: "claude-sonnet-4-20250514"
        config_file: "config/llm_anthropic.toml"
      - provider: "openai"
        model: "gpt-4-turbo"
        config_file: "config/llm_openai.toml"
llm_benchmarking:
  enabled: true
  providers: ["anthropic", "openai"]
  max_parallel_runs: 2
  cost_tracking: true
  result_correlation: true
  comparative_analysis: true
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_the_seeds_bench_yaml_loads_with_its_providers_and_limits(tmp_path: Path) -> None:
    write(
        tmp_path / "config" / "llm_anthropic.toml",
        '[llm]\nmodel = "anthropic/claude-sonnet-4-20250514"\n'
        'api_key = "${ANTHROPIC_API_KEY}"\nbase_url = "https://api.anthropic.com"\n',
    )
    cfg = load_bench(write(tmp_path / "bench.yaml", SEED_BENCH))
    assert [p.name for p in cfg.providers] == ["anthropic", "openai"]
    claude, gpt = cfg.providers
    assert claude.litellm_model == "anthropic/claude-sonnet-4-20250514"
    assert claude.api_key_env == "ANTHROPIC_API_KEY" and gpt.api_key_env == "OPENAI_API_KEY"
    assert gpt.litellm_model == "openai/gpt-4-turbo"
    assert cfg.agents.openhands.max_budget_per_task == 10.0
    assert cfg.llm_benchmarking.max_parallel_runs == 2
    assert cfg.sandbox_kind == "docker"


def test_a_literal_api_key_in_an_llm_toml_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "config" / "llm_anthropic.toml", '[llm]\napi_key = "sk-ant-literal"\n')
    with pytest.raises(UserError, match=r"llm_anthropic.toml: llm.api_key: a literal API key"):
        load_bench(write(tmp_path / "bench.yaml", SEED_BENCH))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agents:\n  openhands:\n    max_iteratons: 3\n", "bench.yaml: agents.openhands.max_iteratons: unknown key"),
        ("llm_benchmarking:\n  max_parallel_runs: zero\n", "bench.yaml: llm_benchmarking.max_parallel_runs: "),
        ("setting: lenient\n", "bench.yaml: setting: Input should be 'oracle' or 'realistic'"),
        ("score:\n  interleave: sometimes\n", "bench.yaml: score.interleave: Input should be 'calls' or 'processes'"),
        ("agents: [1, 2\n", "bench.yaml: not valid YAML (line 2"),
        ("llm_benchmarking:\n  providers: [ghost]\n", "'ghost', which is not in agents.openhands.llm_configs"),
        (
            "agents:\n  openhands:\n    llm_configs:\n      - {name: x, provider: openai_compatible}\n",
            "needs a `base_url`",
        ),
    ],
)
def test_bench_yaml_errors_are_one_line_naming_file_and_key_with_exit_2(
    tmp_path: Path, text: str, expected: str
) -> None:
    cfg = write(tmp_path / "bench.yaml", text)
    result = CliRunner().invoke(app, ["--config", str(cfg), "--state-dir", str(tmp_path / "st"), "status"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert expected in lines[0]
    assert str(tmp_path / "bench.yaml") in lines[0]


def test_task_variables_expand_from_the_environment_with_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_REPO", "/some/where")
    monkeypatch.delenv("UNSET_THING", raising=False)
    t = load_task(
        write(
            tmp_path / "t.yaml",
            """
        name: t
        repo: ${DEMO_REPO}
        commits: [{head: abc}]
        efficiency_test: ["run ${UNSET_THING:-fast}"]
        tests: [pytest]
    """,
        )
    )
    assert t.repo == "/some/where"
    assert t.efficiency_test == ["run fast"]


def test_an_iso_bench_task_file_is_read_and_its_unused_keys_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = load_task(
        write(
            tmp_path / "vllm_core.yaml",
            """
        id: vllm_core
        name: vLLM core
        description: d
        repo:
          url: ${REPO_URL:-https://github.com/vllm-project/vllm.git}
          human_commit: 015069b01741e9ecb9e604c7fe87fbdfc306ebe5
          pre_commit: fbefc8a78d22b20eac042c586805c7dcbfc66b1c
          pairs:
            - {human: 2deb029d115dadd012ce5ea70487a207cb025493, pre: 029c71de11bc3bcf84a1b3cf9d91e79ab6949799}
            - {human: 0ec82edda59aaf5cf3b07aadf4ecce1aa1131add}
        optimization_contract:
          target_files: []
          strict_targets: true
          constraints: ["No public API breakage"]
        scoring: {primary: ttft_ms, tie_breaker: throughput}
        runner: {type: python}
        testpack: {x: 1}
        efficiency_test: ["python bench.py"]
        tests: ["pytest -q"]
    """,
        )
    )
    assert t.repo == "https://github.com/vllm-project/vllm.git"
    assert [(c.head[:7], c.base and c.base[:7]) for c in t.commits] == [
        ("015069b", "fbefc8a"),
        ("2deb029", "029c71d"),
        ("0ec82ed", None),
    ]
    assert t.optimization_contract is not None and t.optimization_contract.strict_targets
    assert t.scoring is not None and t.scoring.primary == "ttft_ms"
    err = capsys.readouterr().err
    assert "vllm_core.yaml: ISO-Bench key(s) runner, testpack are not used by isobench" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: t\nrepo: r\nefficiency_test: [x]\ntests: [y]\n", "(top level): Value error, no commits"),
        ("name: t\nrepo: r\ncommits: [{base: abc}]\ntests: [y]\n", "commits.0.head: required key is missing"),
        (
            "name: t\nrepo: r\ncommits: [{head: a}]\nworkload_callable: 'not a callable'\n",
            "workload_callable: Value error, expected 'module:function'",
        ),
        ("name: t\nrepo: r\ndiscover: {message_regex: '(('}\n", "discover.message_regex: Value error, not a valid"),
        ("name: t\nrepo: r\ncommits: [{head: a}]\ncomits: []\n", "comits: unknown key"),
    ],
)
def test_task_file_errors_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(UserError) as exc:
        load_task(write(tmp_path / "bad.yaml", text))
    msg = exc.value.format_message()
    assert "\n" not in msg
    assert msg.startswith(f"{tmp_path / 'bad.yaml'}: ")
    assert expected in msg


ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_bench_yaml_and_task_files_load() -> None:
    cfg = load_bench(ROOT / "bench.yaml")
    assert [p.name for p in cfg.agents.openhands.llm_configs][:3] == ["oracle", "noop", "saboteur"]
    assert cfg.llm_benchmarking.providers == ["oracle", "noop", "saboteur"]
    assert cfg.score.time_budget_s == 6 and cfg.score.target_halfwidth == 0.02
    full = load_bench(ROOT / "bench-full.yaml")
    assert full.score.time_budget_s == 60 and full.score.target_halfwidth == 0.01
    assert full.llm_benchmarking.providers == cfg.llm_benchmarking.providers
    demo = load_task(ROOT / "tasks" / "demo.yaml")
    assert [c.head for c in demo.commits] == ["opt-large", "opt-medium", "opt-small", "opt-ngrams"]
    # Both timing modes: three workload callables (in-process), one whole-process command.
    assert [bool(c.workload_callable) for c in demo.commits] == [True, True, True, False]
    vllm = load_task(ROOT / "tasks" / "vllm.yaml")
    assert vllm.commits[0].head == "f092153fbe349a9a1742940e3703bfcff6aa0a6d"
    assert vllm.efficiency_test and vllm.tests and vllm.install_commands
