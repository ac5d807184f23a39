"""The embedded demo repository (isobench/demo/, built by isobench/demo_repo.py): history, determinism,
real tests and the asv suite.

Timings are deliberately not asserted (they depend on the machine and its load); only that every
version is correct, that each optimization keeps the workload's result, and that the demo's unittest
suite catches a broken implementation.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from isobench import demo_repo as builder

ROOT = Path(__file__).resolve().parent.parent
DEMO_YAML = ROOT / "tasks" / "demo.yaml"
DATA = ROOT / "isobench" / "demo"

# tag -> (the one source file it optimizes, its workload's name)
OPTIMIZATIONS = {
    "opt-small": ("textkit/slug.py", "slugify"),
    "opt-medium": ("textkit/wrap.py", "wrap"),
    "opt-large": ("textkit/stopwords.py", "stopwords"),
    "opt-ngrams": ("textkit/ngrams.py", "ngrams"),
}
# Timed in-process through a workload callable; the others as a whole process.
IN_PROCESS = ("opt-small", "opt-medium", "opt-large")
UNITTEST = [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-q"]
# Subprocesses must not write bytecode into the exported trees nor see the caller's Python setup.
CHILD_ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
CHILD_ENV.pop("PYTHONPATH", None)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    ).stdout.strip()


def export(repo: Path, rev: str, dest: Path) -> Path:
    """The tree of `rev` as plain files (no .git), as the harness's variants see it."""
    data = subprocess.run(["git", "archive", "--format=tar", rev], cwd=repo, check=True, capture_output=True).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run_unittests(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(UNITTEST, cwd=tree, capture_output=True, text=True, env=CHILD_ENV, timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    dest = tmp_path_factory.mktemp("demo") / "demo-repo"
    return dest, builder.build(dest)


@pytest.fixture(scope="module")
def trees(demo: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exported trees of every tag and of its base (`<tag>^`)."""
    repo, _ = demo
    root = tmp_path_factory.mktemp("trees")
    out: dict[str, Path] = {}
    for tag in OPTIMIZATIONS:
        out[tag] = export(repo, tag, root / tag)
        out[f"{tag}^"] = export(repo, f"{tag}^", root / f"{tag}-base")
    return out


def test_tags_exist_in_first_parent_history(demo: tuple[Path, dict[str, str]]) -> None:
    repo, tags = demo
    assert set(tags) == set(OPTIMIZATIONS)
    history = git(repo, "rev-list", "--first-parent", "--reverse", "main").split()
    assert len(history) >= 5
    positions = []
    for tag, sha in tags.items():
        assert git(repo, "rev-parse", f"{tag}^{{commit}}") == sha
        assert sha in history, tag
        index = history.index(sha)
        assert index > 0, f"{tag} is the root commit: it has no base"
        # The base is the commit just before it on main, and its only parent.
        assert git(repo, "rev-parse", f"{sha}^") == history[index - 1]
        assert len(git(repo, "rev-list", "--parents", "-n", "1", sha).split()) == 2, "not a merge"
        positions.append(index)
    # Later commits exist after the last optimization: the harness must hide them from agents.
    assert max(positions) < len(history) - 1
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_each_optimization_changes_one_source_file(demo: tuple[Path, dict[str, str]]) -> None:
    repo, _ = demo
    test_patches = 0
    for tag, (source, _) in OPTIMIZATIONS.items():
        changed = git(repo, "diff", "--name-only", f"{tag}^", tag).split()
        assert [p for p in changed if not p.startswith("tests/")] == [source], tag
        test_patches += any(p.startswith("tests/") for p in changed)
        message = git(repo, "log", "-1", "--format=%B", tag)
        assert message.lower().startswith("speed up"), message
    assert test_patches >= 1, "at least one optimization should come with a test patch"


@pytest.mark.parametrize("rev", [r for tag in OPTIMIZATIONS for r in (f"{tag}^", tag)])
def test_unittest_suite_passes(trees: dict[str, Path], rev: str) -> None:
    proc = run_unittests(trees[rev])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stderr


def test_main_passes_and_cli_lists_workloads(demo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = demo
    tree = export(repo, "main", tmp_path / "main")
    assert run_unittests(tree).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--list"],
        cwd=tree,
        capture_output=True,
        text=True,
        env=CHILD_ENV,
        check=True,
    )
    assert set(proc.stdout.split()) == {w for _, w in OPTIMIZATIONS.values()}
    bad = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "nope"], cwd=tree, capture_output=True, text=True, env=CHILD_ENV
    )
    assert bad.returncode == 2


@pytest.mark.parametrize("tag", list(OPTIMIZATIONS))
def test_workload_runs_and_result_is_unchanged(trees: dict[str, Path], tag: str) -> None:
    """The workload runs in-process (as `workload_callable`) and via the CLI, on base and head, and
    the optimization does not change its result."""
    workload = OPTIMIZATIONS[tag][1]
    code = f"import json; from benchmarks.workloads import {workload} as f; print(json.dumps(f()))"
    results = {}
    for rev in (f"{tag}^", tag):
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=trees[rev], capture_output=True, text=True, env=CHILD_ENV, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        results[rev] = proc.stdout.strip()
    assert results[tag] == results[f"{tag}^"]
    # A digest of everything the workload computed, so the results check has something to compare.
    assert len(json.loads(results[tag])) == 64
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", workload],
        cwd=trees[tag],
        capture_output=True,
        text=True,
        env=CHILD_ENV,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{workload}: {json.loads(results[tag])}\n"  # the result on stdout; the time on stderr
    assert proc.stderr.startswith(f"{workload}: ") and proc.stderr.rstrip().endswith(" s")


BREAKAGES = {
    # Appended to the module: the later definition replaces the optimized one.
    "opt-small": [
        "def slugify(title, max_length=0):\n    return ''\n",
        "def slugify(title, max_length=0):\n    return None\n",
    ],
    "opt-medium": ["def wrap(text, width=70):\n    return []\n", "def wrap(text, width=70):\n    return None\n"],
    "opt-ngrams": [
        "def ngrams(words, n=2):\n    return []\n",
        "def ngram_counts(words, n=2):\n    return {}\n",
    ],
    "opt-large": [
        "def remove_stopwords(words):\n    return []\n",
        "def remove_stopwords(words):\n    return None\n",
        "def remove_stopwords(words):\n    return list(words)\n",
    ],
}


@pytest.mark.parametrize(("tag", "broken"), [(t, b) for t, bs in BREAKAGES.items() for b in bs])
def test_broken_optimized_function_fails_the_suite(
    demo: tuple[Path, dict[str, str]], tmp_path: Path, tag: str, broken: str
) -> None:
    repo, _ = demo
    tree = export(repo, tag, tmp_path / "broken")
    source = tree / OPTIMIZATIONS[tag][0]
    source.write_text(source.read_text() + "\n\n" + broken)
    proc = run_unittests(tree)
    assert proc.returncode != 0, f"the suite did not notice:\n{broken}"


def test_builds_are_deterministic_and_idempotent(demo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, tags = demo
    other = tmp_path / "elsewhere" / "demo"
    assert builder.build(other) == tags
    assert git(other, "rev-parse", "main") == git(repo, "rev-parse", "main")

    marker = other / ".git" / builder.MARKER
    before = marker.stat().st_mtime_ns
    assert builder.build(other) == tags  # already built: nothing is done
    assert marker.stat().st_mtime_ns == before
    (other / "stray.txt").write_text("left by a user")
    assert builder.build(other, force=True) == tags  # rebuilt from scratch, same shas
    assert not (other / "stray.txt").exists()


def test_build_ignores_user_git_config(tmp_path: Path, demo: tuple[Path, dict[str, str]]) -> None:
    """A user's identity, signing and hooks settings must not change the shas."""
    _, tags = demo
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Someone Else\n\temail = else@example.com\n"
        "[commit]\n\tgpgsign = true\n[core]\n\tautocrlf = true\n"
    )
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_AUTHOR_NAME": "Intruder",
        "GIT_COMMITTER_DATE": "2001-01-01T00:00:00+0000",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "isobench.demo_repo", str(tmp_path / "d")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert dict(line.split() for line in proc.stdout.splitlines()) == tags


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    dest = tmp_path / "precious"
    dest.mkdir()
    (dest / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        builder.build(dest)
    assert (dest / "notes.txt").read_text() == "keep me"
    assert builder.main([str(dest)]) == 1


def test_demo_task_file_matches_the_build(demo: tuple[Path, dict[str, str]], trees: dict[str, Path]) -> None:
    from isobench.config import load_task

    task = load_task(DEMO_YAML)
    assert task.name == "demo"
    assert (DEMO_YAML.parent / task.repo).resolve() == (ROOT / builder.DEFAULT_DEST).resolve()
    assert sorted(c.head for c in task.commits) == sorted(OPTIMIZATIONS)
    for commit in task.commits:
        workload = OPTIMIZATIONS[commit.head][1]
        in_process = f"benchmarks.workloads:{workload}" if commit.head in IN_PROCESS else None
        assert commit.workload_callable == in_process
        assert commit.efficiency_test == [f"python -m benchmarks.run {workload}"]
        assert commit.base is None  # the first parent
    assert task.tests == ["python -m unittest discover -s tests -q"]


def test_each_commit_holds_exactly_its_data_folder(demo: tuple[Path, dict[str, str]]) -> None:
    """isobench/demo/history.yaml and its folders are the whole content: every folder is one commit, and
    that commit changes exactly the files the folder holds, to exactly their bytes."""
    repo, _ = demo
    history = yaml.safe_load((DATA / "history.yaml").read_text())["commits"]
    shas = git(repo, "rev-list", "--first-parent", "--reverse", "main").split()
    assert len(shas) == len(history)
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == sorted(c["folder"] for c in history)
    for index, (commit, sha) in enumerate(zip(history, shas, strict=True)):
        folder = DATA / commit["folder"]
        files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        assert files, commit["folder"]
        if index:
            assert set(git(repo, "diff", "--name-only", f"{sha}^", sha).split()) == set(files), commit["folder"]
        for rel, path in files.items():
            blob = subprocess.run(["git", "show", f"{sha}:{rel}"], cwd=repo, check=True, capture_output=True).stdout
            assert blob == path.read_bytes(), f"{commit['folder']}/{rel}"
        assert git(repo, "log", "-1", "--format=%B", sha) == commit["message"].strip()
        assert (commit.get("tag") is None) or git(repo, "rev-parse", commit["tag"]) == sha


# Runs one commit's asv suite the way asv_runner discovers it (the module loaded from its file, without
# the repository root on sys.path), each benchmark once per parameter combination, and prints their
# names. `python -I -S`: no site-packages, so the suite may import nothing but textkit and the stdlib.
ASV_DRIVER = """
import importlib.util, inspect, itertools, json
spec = importlib.util.spec_from_file_location("bench_textkit", "benchmarks/bench_textkit.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
names = []
for name, obj in vars(module).items():
    if name.startswith("time_") and inspect.isfunction(obj):
        obj()
        names.append(name)
    elif inspect.isclass(obj) and obj.__module__ == module.__name__:
        assert len(obj.params) == len(obj.param_names), name
        for combo in itertools.product(*obj.params):
            bench = obj()
            bench.setup(*combo)
            for method in [m for m in dir(obj) if m.startswith("time_")]:
                getattr(bench, method)(*combo)
                names.append(f"{name}.{method}{list(combo)}")
print(json.dumps(names))
"""
ASV_BENCHMARKS = {
    "time_tokenize",
    "time_remove_stopwords",
    "time_wrap",
    "Slugify.time_slugify['ascii']",
    "Slugify.time_slugify['accented']",
}


def test_every_commit_has_an_asv_suite_that_runs(demo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, _ = demo
    for index, sha in enumerate(git(repo, "rev-list", "--first-parent", "--reverse", "main").split()):
        tree = export(repo, sha, tmp_path / str(index))
        conf = json.loads((tree / "asv.conf.json").read_text())
        assert conf["version"] == 1 and conf["project"] == "textkit"
        assert (tree / conf["benchmark_dir"] / "bench_textkit.py").is_file()
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", ASV_DRIVER],
            cwd=tree,
            capture_output=True,
            text=True,
            env=CHILD_ENV,
            timeout=120,
        )
        assert proc.returncode == 0, f"commit {index}: {proc.stderr}"
        # The n-gram benchmark arrives with textkit.ngrams (#18); the rest are there from the start.
        expected = ASV_BENCHMARKS | ({"time_ngram_counts"} if (tree / "textkit" / "ngrams.py").exists() else set())
        assert set(json.loads(proc.stdout)) == expected, f"commit {index}"
