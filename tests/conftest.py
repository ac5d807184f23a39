"""Shared fixtures: throwaway git repositories built in tmp_path (as asv's tests do)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENHANDS_SUPPRESS_BANNER", "1")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Human Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Human Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    ).stdout.strip()


SLOW = """def dedupe(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out
"""
FAST = """def dedupe(items):
    seen = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out
"""
TEST = """import unittest
from lib.core import dedupe


class T(unittest.TestCase):
    def test_dedupe(self):
        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])
"""
WORKLOAD = """from lib.core import dedupe


def run():
    dedupe(list(range(2000)) * 2)
"""


class TaskRepo:
    """A tiny repository with one human optimization commit, and what a task file needs to know of it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        (path / "lib").mkdir()
        (path / "lib" / "__init__.py").write_text("")
        (path / "lib" / "core.py").write_text(SLOW)
        (path / "tests").mkdir()
        (path / "tests" / "test_core.py").write_text(TEST)
        (path / "benchmarks").mkdir()
        (path / "benchmarks" / "__init__.py").write_text("")
        (path / "benchmarks" / "wl.py").write_text(WORKLOAD)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "Initial version")
        self.base = git(path, "rev-parse", "HEAD")
        (path / "lib" / "core.py").write_text(FAST)
        (path / "tests" / "test_core.py").write_text(
            TEST
            + """

class T2(unittest.TestCase):
    def test_empty(self):
        self.assertEqual(dedupe([]), [])
"""
        )
        git(path, "commit", "-q", "-am", "Speed up dedupe with a set (#7)\n\nSECRET-HUMAN-MESSAGE")
        self.head = git(path, "rev-parse", "HEAD")
        git(path, "tag", "v-opt")
        (path / "README").write_text("later work\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "Later commit")
        self.later = git(path, "rev-parse", "HEAD")

    def task_yaml(self, dest: Path, **overrides: object) -> Path:
        import yaml

        data = {
            "name": "tiny",
            "description": "a tiny library",
            "repo": str(self.path),
            "commits": [{"head": self.head}],
            "efficiency_test": ["python -c 'import benchmarks.wl as w; w.run()'"],
            "workload_callable": "benchmarks.wl:run",
            "tests": ["python -m unittest discover -s tests -q"],
        }
        data.update(overrides)  # type: ignore[arg-type]
        dest.write_text(yaml.safe_dump(data, sort_keys=False))
        return dest


@pytest.fixture
def task_repo(tmp_path: Path) -> TaskRepo:
    return TaskRepo(tmp_path / "tinyrepo")


@pytest.fixture(scope="session")
def demo_chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The whole chain on the embedded demo with the local executor (tests/test_demo_chain.py), once per
    session: its tests read it, and the Ray tests compare their cluster's chain with it."""
    from tests.test_demo_chain import demo_project, run_chain

    d = tmp_path_factory.mktemp("chain")
    return {**demo_project(d), **run_chain(d)}
