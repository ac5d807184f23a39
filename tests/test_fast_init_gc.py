"""`isobench init` and `isobench gc` as a user types them (the fast tier's share of the two commands that
only the slow tier's whole chains ran before): real folders, the real example repository, a real `run`.

`init` then the whole chain with the real OpenHands agent is tests/test_real_repos.py (slow tier).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_real_repos import isobench, ok_json
from tests.test_run import Bench

# A "different agent" plugged in as a command template: edits the target file and reports.
AGENT = (
    "test -s {prompt_file} && cd {workspace} && sed -i '1i # tuned by {model}' lib/core.py && "
    'printf \'{{"status": "success", "iterations": 1, "cost_usd": 0.0}}\' > {out_dir}/runner_result.json'
)


def test_init_writes_a_starter_project_that_plans_and_never_overwrites_it(tmp_path: Path) -> None:
    folder = tmp_path / "new-benchmark"
    r = isobench(tmp_path, "init", str(folder))
    assert r.returncode == 0, r.stderr
    assert f"wrote {folder / 'bench.yaml'}" in r.stdout and f"wrote {folder / 'tasks' / 'example.yaml'}" in r.stdout
    assert f"next: cd {folder} && isobench plan && isobench prepare" in r.stdout
    [inst] = ok_json(folder, "plan")  # the example task plans as it is: its repository and commit exist
    assert inst["target_files"] == ["textkit/stopwords.py"] and inst["workload_callable"]
    before = (folder / "bench.yaml").read_text()
    again = isobench(tmp_path, "init", str(folder))
    assert again.returncode == 2 and again.stderr.strip() == (
        f"isobench: error: {folder / 'bench.yaml'}: already exists; isobench init writes only new files "
        "(--force replaces them)"
    )
    assert (folder / "bench.yaml").read_text() == before


def test_gc_says_what_it_would_free_then_frees_kept_workspaces_and_keeps_every_result(tmp_path: Path) -> None:
    b = Bench(tmp_path, [{"name": "mine", "provider": "command", "model": "my-agent-1", "command": AGENT}])
    assert b.cli("run", "--keep-work").returncode == 0
    workspace = b.attempt_file("mine", "workspace")
    assert (workspace / "lib" / "core.py").read_text().startswith("# tuned by my-agent-1")
    key = f"runs/{b.iid}/mine/1/workspace"

    dry = json.loads(b.cli("gc", "--dry-run", "--json").stdout)
    assert dry["dry_run"] and dry["freed"][key] > 0 and workspace.is_dir()
    r = b.cli("gc")
    assert r.returncode == 0, r.stderr
    assert f"freed {dry['freed'][key] / 1e6:8.1f} MB  {key}" in r.stdout
    assert not workspace.exists()
    assert b.result("mine") is not None and b.attempt_file("mine", "model_patch.diff").stat().st_size > 0
    assert json.loads(b.cli("gc", "--json").stdout)["freed"] == {}  # nothing left to free
