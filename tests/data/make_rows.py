"""Write the published sets' rows of tests/data/ from isobench's demo repository (textkit):

    .venv/bin/python tests/data/make_rows.py

Each file holds rows in its set's own schema (the columns of its dataset card), about the demo's real
optimization commits: gso.jsonl, swefficiency.jsonl (and the same rows as swefficiency.parquet, as the
Hugging Face hub serves a set), sweperf.jsonl, formulacode.jsonl. Their repository is `isobench/textkit`
(tests give `--repo-root` a folder holding the demo as `textkit/`). Commits are named by the demo's tags
(`opt-large`, `opt-large^`: any revision git resolves) rather than shas, so the rows survive changes to
the demo's content; the patches are the demo's own diffs: run this again when its optimization commits
change.

The demo has no packaging metadata: where a set has an install recipe, the rows' recipe puts the
checkout on the venv's path (a .pth file), as an editable install would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = "isobench/textkit"
INSTALL = (
    "python -c \"import os, sysconfig; open(os.path.join(sysconfig.get_paths()['purelib'], 'textkit.pth'), 'w')"
    '.write(os.getcwd())"'
)

# One GSO performance script (its harness: setup, experiment, store/load/check of the result, run_test, main),
# filled in per API and input size.
GSO_SCRIPT = '''import argparse
import json
import random
import timeit

import textkit


def setup():
    rng = random.Random({seed})

    def word():
        return rng.choice(textkit.STOPWORDS) if rng.random() < 0.5 else f"w{{rng.randrange(5000)}}"

    words = [word() for _ in range({size})]
    return {prepare}


def experiment(data):
    return {call}


def store_result(result, filename):
    with open(filename, "w") as f:
        json.dump(result, f)


def load_result(filename):
    with open(filename) as f:
        return json.load(f)


def check_equivalence(reference, current):
    assert reference == json.loads(json.dumps(current)), "the result differs from the reference"


timeit.template = """
def inner(_it, _timer{{init}}):
    {{setup}}
    _t0 = _timer()
    for _i in _it:
        retval = {{stmt}}
    _t1 = _timer()
    return _t1 - _t0, retval
"""


def run_test(eqcheck=False, reference=False, prefix=""):
    data = setup()
    execution_time, result = timeit.timeit(lambda: experiment(data), number=1)
    filename = f"{{prefix}}_result.json"
    if reference:
        store_result(result, filename)
    if eqcheck:
        check_equivalence(load_result(filename), result)
    return execution_time


def main():
    parser = argparse.ArgumentParser(description="Measure performance of API.")
    parser.add_argument("output_file", type=str, help="File to append timing results to.")
    parser.add_argument("--eqcheck", action="store_true", help="Enable equivalence checking")
    parser.add_argument("--reference", action="store_true", help="Store result as reference instead of comparing")
    parser.add_argument("--file_prefix", type=str, help="Prefix for any file where reference results are stored")
    args = parser.parse_args()
    execution_time = run_test(args.eqcheck, args.reference, args.file_prefix)
    with open(args.output_file, "a") as f:
        f.write(f"Execution time: {{execution_time:.6f}}s\\n")


if __name__ == "__main__":
    main()
'''
APIS = {
    "stopwords": {
        "prepare": "[words[i : i + 20] for i in range(0, len(words), 20)]",
        "call": "[textkit.remove_stopwords(sentence) for sentence in data]",
    },
    "wrap": {"prepare": '" ".join(words)', "call": "textkit.wrap(data, 100)"},
    "slugify": {
        "prepare": '[" ".join(words[i : i + 4]).title() + "!" for i in range(0, len(words), 4)]',
        "call": "[textkit.slugify(title) for title in data]",
    },
}
# A SWE-fficiency workload: the set's scripts time themselves with timeit.repeat.
SWEFF_WORKLOAD = """import random
import statistics
import timeit

import textkit

data = None


def setup():
    global data
    rng = random.Random(7)

    def word():
        return rng.choice(textkit.STOPWORDS) if rng.random() < 0.5 else f"w{{rng.randrange(5000)}}"

    words = [word() for _ in range(20_000)]
    data = {prepare}


def workload():
    {call}


runtimes = timeit.repeat(workload, number=1, repeat=3, setup=setup)
print("Mean:", statistics.mean(runtimes))
print("Std Dev:", statistics.stdev(runtimes))
"""


def gso_script(api: str, size: int, seed: int) -> str:
    return GSO_SCRIPT.format(size=size, seed=seed, **APIS[api])


def test_ids(repo: Path, path: str, cls: str) -> list[str]:
    """pytest node ids of the unittest methods in one test file of the demo."""
    lines = git(repo, "show", f"HEAD:{path}").splitlines()
    return [f"{path}::{cls}::{line.split('def ')[1].split('(')[0]}" for line in lines if "def test_" in line]


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


def gso_rows(repo: Path) -> list[dict[str, object]]:
    rows = []
    for tag, api, setup, install in (
        ("opt-large", "stopwords", [], ["uv venv --python 3.12", "source .venv/bin/activate", INSTALL, "uv pip list"]),
        (
            "opt-medium",
            "wrap",
            ["apt-get update", "apt-get install -y locales"],
            [
                "uv venv --python 3.12",
                "source .venv/bin/activate",
                "export TEXTKIT_BUILD=release",
                "which python && python --version",
                INSTALL,
                "uv pip show pip",
            ],
        ),
    ):
        rows.append(
            {
                "instance_id": f"isobench__textkit-{tag}",
                "repo": REPO,
                "base_commit": f"{tag}^",
                "opt_commit": tag,
                "api": f"textkit.{'remove_stopwords' if api == 'stopwords' else api}",
                "prob_script": gso_script(api, 30_000, 1),
                "tests": [gso_script(api, 40_000, 2), gso_script(api, 20_000, 3)],
                "hints_text": git(repo, "log", "-1", "--format=%s", tag).strip(),
                "setup_commands": setup,
                "install_commands": install,
                "created_at": git(repo, "log", "-1", "--format=%cI", tag).strip(),
                "gt_commit_message": git(repo, "log", "-1", "--format=%B", tag).strip(),
                "gt_diff": git(repo, "diff", f"{tag}^", tag),
                "arch": "x86_64",
                "instance_image_tag": "latest",
            }
        )
    return rows


def swefficiency_rows(repo: Path) -> list[dict[str, object]]:
    rows = []
    for number, tag, api, tests, cls in (
        (17, "opt-large", "stopwords", "tests/test_stopwords.py", "StopwordsTest"),
        (12, "opt-small", "slugify", "tests/test_slug.py", "SlugifyTest"),
    ):
        rows.append(
            {
                "repo": REPO,
                "instance_id": f"isobench__textkit-{number}",
                "base_commit": f"{tag}^",
                "patch": git(repo, "diff", f"{tag}^", tag),
                "test_patch": "",
                "problem_statement": "",
                "hints_text": "",
                "created_at": git(repo, "log", "-1", "--format=%cI", tag).strip(),
                "version": "0.1",
                "PASS_TO_PASS": test_ids(repo, tests, cls),
                "FAIL_TO_PASS": [],
                "environment_setup_commit": f"{tag}^",
                "workload": SWEFF_WORKLOAD.format(**APIS[api]),
                "speedup": 1.5 if api == "slugify" else 10.0,
                "covering_tests": [tests],
                "test_cmd": "python -m unittest -q",
                "rebuild_cmd": INSTALL,
                "image_name": f"ghcr.io/swefficiency/swefficiency-images:isobench__textkit-{number}",
                "single_thread_tests": [],
            }
        )
    return rows


def sweperf_rows(repo: Path) -> list[dict[str, object]]:
    rows = []
    for number, tag, tests, cls in (
        (17, "opt-large", "tests/test_stopwords.py", "StopwordsTest"),
        (15, "opt-medium", "tests/test_wrap.py", "WrapTest"),
    ):
        rows.append(
            {
                "repo": REPO,
                "instance_id": f"isobench__textkit-{number}",
                "created_at": git(repo, "log", "-1", "--format=%cI", tag).strip(),
                "base_commit": f"{tag}^",
                "head_commit": tag,
                "patch": git(repo, "diff", f"{tag}^", tag, "--", "textkit"),
                "test_patch": "",
                "efficiency_test": test_ids(repo, tests, cls)[:3],
                "duration_changes": [{"base": [0.12, 0.11], "head": [0.02, 0.02], "main": [0.02, 0.02]}],
                "human_performance": 0.83,
                "version": "0.1",
            }
        )
    return rows


def formulacode_rows(repo: Path) -> list[dict[str, object]]:
    tag = "opt-ngrams"
    return [
        {
            "task_id": "isobench_textkit_19",
            "repo_name": REPO,
            "pr_base_sha": f"{tag}^",
            "pr_merge_commit_sha": tag,
            "pr_merged_at": git(repo, "log", "-1", "--format=%cI", tag).strip(),
            "patch": git(repo, "diff", f"{tag}^", tag),
            "container_name": "formulacode/textkit:isobench_textkit_19",
        }
    ]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def main() -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from isobench import demo_repo

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "textkit"
        demo_repo.build(repo)
        write_jsonl(HERE / "gso.jsonl", gso_rows(repo))
        sweff = swefficiency_rows(repo)
        write_jsonl(HERE / "swefficiency.jsonl", sweff)
        pq.write_table(pa.Table.from_pylist(sweff), HERE / "swefficiency.parquet")
        write_jsonl(HERE / "sweperf.jsonl", sweperf_rows(repo))
        write_jsonl(HERE / "formulacode.jsonl", formulacode_rows(repo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
