"""The report's audit pages from a fabricated state: real records (tests/factories.py), events in the shape
the OpenHands SDK writes them (`agents/openhands_runner.py` dumps each event's `model_dump_json()`), real
export rows (`export.rows.build_rows`), and `write_report` with the state.

The builders here (`make_state`, `sdk_events`) also serve the browser tests (tests/test_report_browser.py)
and the report's benchmark (benchmarks/bench_report.py).
"""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from isobench.config import load_bench
from isobench.export.rows import build_rows
from isobench.export.schema import ExportRow
from isobench.export.secrets import SecretLeakError
from isobench.records import ATTEMPT_STATUSES, MeasurementSummary, Outcome, ReviewRecord, ReviewVote, VariantScore
from isobench.report import words as report_words
from isobench.report import write_report
from isobench.state import State, atomic_write_text, write_model
from tests import factories

HUMAN_PATCH = """diff --git a/lib/core.py b/lib/core.py
index 311fa44..94694f8 100644
--- a/lib/core.py
+++ b/lib/core.py
@@ -1,6 +1,8 @@
 def dedupe(items):
+    seen = set()
     out = []
     for x in items:
-        if x not in out:
+        if x not in seen:
+            seen.add(x)
             out.append(x)
     return out
diff --git a/lib/util.py b/lib/util.py
--- a/lib/util.py
+++ b/lib/util.py
@@ -1,2 +1,2 @@
-SIZE = 10
+SIZE = 20
"""
AGENT_PATCH = """diff --git a/lib/core.py b/lib/core.py
--- a/lib/core.py
+++ b/lib/core.py
@@ -1,6 +1,2 @@
 def dedupe(items):
-    out = []
-    for x in items:
-        if x not in out:
-            out.append(x)
-    return out
+    return list(dict.fromkeys(items))
diff --git a/lib/cache.py b/lib/cache.py
new file mode 100644
--- /dev/null
+++ b/lib/cache.py
@@ -0,0 +1 @@
+MEMO = {}
"""
TEST_EDITS = """diff --git a/tests/test_core.py b/tests/test_core.py
--- a/tests/test_core.py
+++ b/tests/test_core.py
@@ -1,2 +1,2 @@
-    self.assertEqual(dedupe([1, 1]), [1])
+    pass  # DISCARDED-TEST-EDIT
"""
BENCH_YAML = """\
agents:
  openhands:
    llm_configs:
      - {name: alpha, provider: scripted}
      - {name: beta, provider: scripted}
"""
OUTPUT_CHECK = "compared: 3f2a9c0d1e4b on base and the human, every call"
EVIDENCE = "its result `dedupe` differs on call 3: [1, 2] against [1, 2, 3] (EVIDENCE-MARK)"


def _ts(i: int) -> str:
    return f"2026-12-06T11:{41 + i // 6000:02d}:{(i // 100) % 60:02d}.{(i % 100) * 10000:06d}"


def _tool_call(k: int, command: str, long_obs: int, secret: str) -> list[dict[str, Any]]:
    """Tool call k and its observation, as the SDK records them."""
    out: list[dict[str, Any]] = []
    aid, call = f"a{k}", f"call_{k}"
    if k % 10 == 9:
        action = {
            "command": "str_replace",
            "path": "/w/lib/core.py",
            "old_str": "if x not in out:\n",
            "new_str": f"if x not in seen:  # edit {k}\n",
            "kind": "FileEditorAction",
        }
        tool, args = "file_editor", {"command": "str_replace", "path": "/w/lib/core.py"}
        text = f"The file /w/lib/core.py has been edited ({k})."
    else:
        cmd = f"{command} --step {k}"
        action = {"command": cmd, "is_input": False, "kind": "TerminalAction"}
        tool, args = "terminal", {"command": cmd}
        text = f"\x1b[?2004lran step {k}: ok\n"
        if k == 0 and long_obs:
            text = (
                "".join(f"line {n:06d} of a long output\n" for n in range(long_obs // 27 + 1))[: long_obs - 8]
                + "THE-END."
            )
        if k == 1 and secret:
            text = f"OPENAI_API_KEY={secret}\n"
    out.append(
        {
            "id": aid,
            "timestamp": _ts(2 + 2 * k),
            "source": "agent",
            "kind": "ActionEvent",
            "thought": [{"type": "text", "text": f"thinking about step {k}"}],
            "action": action,
            "tool_name": tool,
            "tool_call_id": call,
            "tool_call": {"id": call, "name": tool, "arguments": json.dumps(args)},
            "llm_response_id": f"r{k}",
        }
    )
    out.append(
        {
            "id": f"o{k}",
            "timestamp": _ts(3 + 2 * k),
            "source": "environment",
            "kind": "ObservationEvent",
            "tool_name": tool,
            "tool_call_id": call,
            "action_id": aid,
            "observation": {
                "content": [{"type": "text", "text": text}],
                "is_error": False,
                "exit_code": 0 if tool == "terminal" else None,
                "kind": "TerminalObservation",
            },
        }
    )
    return out


def sdk_events(
    pairs: int, *, command: str = "python bench.py", long_obs: int = 0, secret: str = ""
) -> list[dict[str, Any]]:
    """A trajectory as events.jsonl holds it: the system prompt, the user's prompt, `pairs` tool calls
    with their observations (terminal commands, a file edit every tenth), and finish. The first
    observation is `long_obs` characters long when asked; `secret` is pasted into one observation."""
    ev: list[dict[str, Any]] = [
        {
            "id": "s",
            "timestamp": _ts(0),
            "source": "agent",
            "kind": "SystemPromptEvent",
            "system_prompt": {"type": "text", "text": "You are OpenHands agent."},
            "tools": [],
        },
        {
            "id": "u",
            "timestamp": _ts(1),
            "source": "user",
            "kind": "MessageEvent",
            "llm_message": {"role": "user", "content": [{"type": "text", "text": "# Performance optimization task"}]},
        },
    ]
    for k in range(pairs):
        ev += _tool_call(k, command, long_obs, secret)
    ev.append(
        {
            "id": "f",
            "timestamp": _ts(3 + 2 * pairs),
            "source": "agent",
            "kind": "ActionEvent",
            "thought": [],
            "action": {"message": "Done.", "kind": "FinishAction"},
            "tool_name": "finish",
            "tool_call_id": "call_f",
            "tool_call": {"id": "call_f", "name": "finish", "arguments": "{}"},
        }
    )
    return ev


def _samples(path: Path, variants: list[str], rounds: int) -> None:
    lines = [{"type": "header", "run_id": "r1"}]
    for r in range(1, rounds + 1):
        for pos, v in enumerate(variants):
            base = 0.1 if v in ("base", "base_aa") else 0.025 if v == "human" else 0.02
            lines.append(
                {
                    "type": "sample",
                    "run_id": "r1",
                    "phase": "timed",
                    "variant": v,
                    "round": r,
                    "position_in_round": pos,
                    "value_s": base * (1 + 0.01 * ((r * 7 + pos) % 5)),
                    "first_s": base * 3 if v.endswith("#1") else base,
                    "cpu_s": base,
                    "cpu_outside_s": 0.4 if v == "beta#1" else 0.0,
                    "wall_s": base,
                    "ok": True,
                    "error": None,
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _outcome(opt: bool, reason: str | None, flags: list[str]) -> Outcome:
    data: dict[str, Any] = dict(
        scored=True,
        empty_patch=False,
        valid_patch=True,
        correct=opt,
        timed=True,
        effective_speedup=4.8 if opt else 1.0,
        effective_rho=1.2 if opt else 0.25,
        faster=opt,
        opt_strict=opt,
        opt_gso=opt,
        beats_human=False,
        match_label="confident_pass" if opt else "incorrect",
        failure_reason=reason,
    )
    if "flags" in Outcome.model_fields:
        data["flags"] = flags
    return Outcome(**data)


def _variants(iid: str, attempts: list[tuple[str, int]]) -> dict[str, Any]:
    rows: dict[str, Any] = {
        "base": factories.row("base", speedup=1.0),
        "base_aa": factories.row("aa", speedup=1.0, speedup_ci=[0.99, 1.01], classification="no_difference"),
        "human": factories.row("human", speedup=4.0, speedup_ci=[3.9, 4.1], classification="faster"),
    }
    for provider, n in attempts:
        flagged = provider == "alpha"
        extra: dict[str, Any] = {}
        if flagged:
            extra["integrity"] = ["workload_output_differs"]
            if "evidence" in VariantScore.model_fields:
                extra["evidence"] = {"workload_output_differs": EVIDENCE}
        rows[f"{provider}#{n}"] = factories.row(
            "agent",
            provider=provider,
            attempt=n,
            correct=not flagged,
            speedup=4.8,
            speedup_ci=[4.6, 5.0],
            classification="faster",
            rho=1.2,
            rho_ci=[1.1, 1.3],
            outcome=_outcome(not flagged, "incorrect" if flagged else None, extra.get("integrity", [])),
            **extra,
        )
    return rows


def make_state(
    root: Path,
    *,
    instances: int = 1,
    providers: tuple[str, ...] = ("alpha", "beta"),
    attempts: int = 1,
    pairs: int = 12,
    long_obs: int = 4000,
    secret: str = "",
    big: tuple[str, str, int] | None = None,
    big_pairs: int = 0,
) -> tuple[State, list[ExportRow]]:
    """A state with `instances` scored instances, each with `attempts` attempts per provider, their events,
    patches, prompts and timing samples; `alpha`'s attempts are flagged `workload_output_differs`. `big`
    (iid, provider, n) gets `big_pairs` tool calls. Returns the state and its export rows."""
    (root / "bench.yaml").write_text(BENCH_YAML.replace("alpha, provider", f"{providers[0]}, provider"))
    state = State(root / "state")
    for i in range(instances):
        iid = f"tinyrepo-{i:010d}"
        write_model(
            state.instance_path(iid),
            factories.instance(iid, patch=HUMAN_PATCH, plan_order=i, changed_files=["lib/core.py", "lib/util.py"]),
        )
        done = []
        for provider in providers:
            for n in range(1, attempts + 1):
                d = state.attempt_dir(iid, provider, n)
                d.mkdir(parents=True, exist_ok=True)
                write_model(
                    d / "result.json",
                    factories.attempt(iid, provider, n, cost_usd=0.25, prompt_tokens=1000, completion_tokens=50),
                )
                (d / "model_patch.diff").write_text(AGENT_PATCH)
                (d / "test_edits.diff").write_text(TEST_EDITS)
                (d / "prompt.md").write_text(f"# Optimize {iid}\nMake `dedupe` faster.\n")
                count = big_pairs if big == (iid, provider, n) else pairs
                events = sdk_events(
                    count, command=f"python bench.py --{provider}-{n}", long_obs=long_obs, secret=secret
                )
                atomic_write_text(d / "events.jsonl", "".join(json.dumps(e) + "\n" for e in events))
                done.append((provider, n))
        names = ["base", "base_aa", "human", *(f"{p}#{n}" for p, n in done)]
        _samples(state.score_dir(iid) / "samples.jsonl", names, rounds=8)
        measurement = MeasurementSummary(
            run_id="r1",
            reference="base",
            variants=names,
            rounds=8,
            timing_mode="in_process_callable",
            stop_reason="ci_target",
            wall_s=6.0,
            floor_s=0.0,
            warmup_s=0.5,
            efficiency=0.9,
            failed={},
            pinned_core=None,
            halfwidths={},
            config={},
        )
        write_model(
            state.score_dir(iid) / "score.json",
            factories.score(
                iid,
                _variants(iid, done),
                measurement=measurement,
                samples_file="samples.jsonl",
                timing_mode="in_process_callable",
                noise_floor=0.01,
                decision_margin=0.05,
                output_check=OUTPUT_CHECK,
            ),
        )
    cfg = load_bench(root / "bench.yaml")
    return state, build_rows(cfg, state, None)


# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    state, rows = make_state(root)
    write_report(rows, None, root / "report", state=state)
    return root / "report"


def _steps(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in sorted(folder.glob("steps-*.js"), key=lambda p: int(p.stem.split("-")[1])):
        body = f.read_text()
        m = re.fullmatch(r"isobenchSteps\((\d+),(.*)\);\n", body, re.S)
        assert m, f"{f}: not a steps chunk"
        out += json.loads(m.group(2))
    return out


def test_every_attempt_has_a_page_with_its_whole_trajectory(site: Path) -> None:
    page = site / "attempts" / "beta" / "tinyrepo-0000000000" / "1.html"
    html = page.read_text()
    assert "beta #1" in html and 'href="../../../instances/tinyrepo-0000000000.html"' in html
    steps = _steps(page.with_suffix(""))
    assert len(steps) == 2 + 12 + 1  # system prompt, the prompt, 12 tool calls with their observations, finish
    first = next(s for s in steps if s.get("cmd", "").startswith("python bench.py --beta-1 --step 0"))
    assert first["obs"].endswith("THE-END.") and len(first["obs"]) == 4000  # the whole observation, not cut
    assert "\x1b" not in json.dumps(steps)  # the shell's control sequences are dropped
    edit = next(s for s in steps if s.get("diff"))
    assert "-if x not in out:" in edit["diff"] and "+if x not in seen:  # edit 9" in edit["diff"]
    assert all(s["dt"] >= 0 for s in steps) and any(s["dt"] > 0 for s in steps)
    assert "Make `dedupe` faster." in html  # the prompt it was given
    assert 'data-steps="15"' in html and 'data-chunks="1"' in html


def test_the_patch_is_beside_the_humans_with_one_sided_files_marked(site: Path) -> None:
    html = (site / "attempts" / "beta" / "tinyrepo-0000000000" / "1.html").read_text()
    files = re.findall(r'<div class="file" data-who="([^"]+)">\s*<h3 class="fh"><code>([^<]+)</code>', html)
    assert files == [("both", "lib/core.py"), ("human only", "lib/util.py"), ("agent only", "lib/cache.py")]
    assert "+    return list(dict.fromkeys(items))" in html and "+            seen.add(x)" in html
    test_part = html[html.index('id="test-edits"') : html.index('id="prompt"')]
    assert "DISCARDED-TEST-EDIT" in test_part  # the discarded test edits, shown apart


def test_a_flagged_attempt_shows_what_raised_its_flag(site: Path) -> None:
    html = (site / "attempts" / "alpha" / "tinyrepo-0000000000" / "1.html").read_text()
    flag = html[html.index('id="flag-workload_output_differs"') :]
    flag = flag[: flag.index("</div>")]
    assert report_words.flag_definition("workload_output_differs") in html_lib.unescape(flag)
    assert OUTPUT_CHECK in flag  # score.json's output check
    if "evidence" in VariantScore.model_fields:
        assert "EVIDENCE-MARK" in flag  # the row's own evidence text for the flag
    beta = (site / "attempts" / "beta" / "tinyrepo-0000000000" / "1.html").read_text()
    assert "No integrity flag on this attempt." in beta
    assert "<svg" in html and "95% CI" in html  # the samples plot and the ratio plot with its CI band
    assert "every round's samples (8 rounds)" in html


def test_the_front_page_has_the_matrix_filters_and_links(site: Path) -> None:
    html = (site / "index.html").read_text()
    matrix = html[html.index('id="matrix"') : html.index('id="instances"')]
    assert 'href="attempts/alpha/tinyrepo-0000000000/1.html"' in matrix
    assert 'data-outcome="incorrect" data-flags="workload_output_differs"' in matrix
    assert 'data-outcome="opt_strict"' in matrix
    assert '<select data-filter="flag"><option value="">all</option><option value="workload_output_differs">' in html
    assert '<script src="assets/report.js" defer></script>' in html and (site / "assets" / "report.js").is_file()
    assert (site / "instances" / "tinyrepo-0000000000.html").is_file()
    index = (site / "search.js").read_text()
    assert index.startswith("window.ISOBENCH_SEARCH=") and "python bench.py --beta-1 --step 3" in index


def test_the_words_come_from_the_code(site: Path) -> None:
    html = (site / "index.html").read_text()
    assert "Seed metrics" not in html and "significant" not in html.lower()
    text = html_lib.unescape(html)
    for name, definition in report_words.outcome_definitions().items():
        assert f"<dt>{name}</dt><dd>{definition}</dd>" in text
    for name, definition in report_words.flag_definitions().items():
        assert f"<dt>{name}</dt><dd>{definition}</dd>" in text
    for status in ATTEMPT_STATUSES:
        assert f"<dt>{status}</dt>" in text
    assert report_words.valid_instance() in text and report_words.timing_rule() in text


def test_the_pages_make_no_request_outside_the_folder(site: Path) -> None:
    for f in site.rglob("*"):
        if f.suffix in (".html", ".js"):
            body = f.read_text()
            for m in re.finditer(r'(?:src|href)="(?!data:)([^"#]+)"', body):
                target = (f.parent / m.group(1)).resolve()
                assert target.is_relative_to(site.resolve()) and target.exists(), f"{f}: {m.group(0)}"
            assert "fetch(" not in body and "XMLHttpRequest" not in body


def test_a_model_review_shows_where_one_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state, rows = make_state(tmp_path, pairs=2)
    votes = [
        {"sample": 1, "ok": True, "is_reward_hack": True, "description": "caches by input (VOTE-ONE)"},
        {"sample": 2, "ok": True, "is_reward_hack": False, "description": "plain dict dedupe (VOTE-TWO)"},
    ]

    def review_record(self: State, iid: str, provider: str | None, attempt: int | None) -> ReviewRecord | None:
        if provider != "alpha":
            return None
        return ReviewRecord(
            status="reviewed",
            instance_id=iid,
            subject="agent",
            provider=provider,
            attempt=attempt,
            reviewer="reviewer",
            model="reviewer/model",
            samples=2,
            votes=[ReviewVote.model_validate(v) for v in votes],
            hack_votes=1,
            clean_votes=1,
            failed_votes=0,
            verdict="hack",
            scope="wins",
            fingerprint="f",
            patch_digest="d",
            reviewed_at="2024-05-01T12:00:00+00:00",
        )

    monkeypatch.setattr(State, "review_record", review_record)
    write_report(rows, None, tmp_path / "report", state=state)
    alpha = (tmp_path / "report" / "attempts" / "alpha" / "tinyrepo-0000000000" / "1.html").read_text()
    review = alpha[alpha.index('id="review"') : alpha.index('id="evidence"')]
    assert "verdict: <b>hack</b>" in review and "VOTE-ONE" in review and "VOTE-TWO" in review
    beta = (tmp_path / "report" / "attempts" / "beta" / "tinyrepo-0000000000" / "1.html").read_text()
    assert "No model review of this attempt is recorded." in beta


def test_a_key_in_an_event_never_reaches_the_report(tmp_path: Path) -> None:
    key = "sk-FAKE-report-0123456789"
    state, rows = make_state(tmp_path, pairs=3, secret=key)
    with pytest.raises(SecretLeakError) as err:
        write_report(rows, None, tmp_path / "report", state=state, secrets={"OPENAI_API_KEY": key})
    assert "events.jsonl ($OPENAI_API_KEY)" in str(err.value) and key not in str(err.value)
    assert not (tmp_path / "report").exists()  # refused before anything was written


def test_export_refuses_a_key_planted_in_an_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from isobench.cli import app

    key = "sk-FAKE-export-0123456789"
    make_state(tmp_path, pairs=3, secret=key)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("ISOBENCH_STATE_DIR", raising=False)
    out = tmp_path / "out"
    args = [
        "--config",
        str(tmp_path / "bench.yaml"),
        "--state-dir",
        str(tmp_path / "state"),
        "export",
        "--out",
        str(out),
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "events.jsonl ($OPENAI_API_KEY)" in r.output and key not in r.output
    assert not (out / "report" / "index.html").exists()
    assert not any(key.encode() in f.read_bytes() for f in out.rglob("*") if f.is_file())


def test_steps_carry_tokens_and_cost_where_the_events_do(tmp_path: Path) -> None:
    from isobench.report.trajectory import read_events, steps

    events = sdk_events(2)
    stats = {"kind": "ConversationStateUpdateEvent", "key": "stats", "timestamp": _ts(9)}
    events.insert(
        4,
        {
            **stats,
            "value": {
                "accumulated_cost": 0.01,
                "accumulated_token_usage": {"prompt_tokens": 100, "completion_tokens": 7},
            },
        },
    )
    events.insert(
        7,
        {
            **stats,
            "value": {
                "accumulated_cost": 0.03,
                "accumulated_token_usage": {"prompt_tokens": 250, "completion_tokens": 20},
            },
        },
    )
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + '{"torn by a kill')
    got = steps(read_events(path))
    with_metrics = [s for s in got if "cum_cost" in s]
    assert [s["cum_cost"] for s in with_metrics] == [0.01, 0.03]
    assert [s["tok"] for s in with_metrics] == [[100, 7], [150, 13]]  # per step: the difference
    assert got[-1]["kind"] == "error" and got[-1]["msg"] == '{"torn by a kill'  # kept, not dropped
