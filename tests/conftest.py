"""Shared fixtures: throwaway git repositories built in tmp_path (as asv's tests do)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENHANDS_SUPPRESS_BANNER", "1")


# Two tiers. `pytest` runs the fast tier (every module and every command, minutes); `pytest --all` runs the
# whole suite, the tests marked `slow` too (real demo chains, the Ray cluster, real agent runs, real timing).
# Which tests are slow was decided by measurement (`--durations=0`): the numbers are in benchmarks/RESULTS.md.
def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        dest="all_tiers",
        help="run the whole suite, the slow tier too (default: the fast tier, -m 'not slow')",
    )


def pytest_configure(config: pytest.Config) -> None:
    # An explicit -m (e.g. `-m slow`: the slow tier alone) wins over the default.
    if not config.getoption("all_tiers") and not config.option.markexpr:
        config.option.markexpr = "not slow"
    # Started as a background job of a non-interactive shell (`cmd &`), this process ignores SIGINT, and so
    # would every isobench it starts: the tests that press Ctrl-C on one would wait for nothing. A handler
    # (not "ignore") is reset to the default in children, which then take Ctrl-C as a user's shell gives it.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    slow = [i for i in terminalreporter.stats.get("deselected", []) if i.get_closest_marker("slow")]
    if slow and not config.getoption("all_tiers"):
        terminalreporter.write_line(
            f"{len(slow)} slow test(s) not run (the fast tier): `pytest --all` runs the whole suite, `-m slow` the rest"
        )


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
    """The whole chain on the embedded demo with the local executor, once per session: the tests of
    tests/test_demo_chain.py read it (the Ray tests compare their cluster's chain with the outcomes the
    demo's design decides, recorded in tests/test_ray.py, not with a second local chain)."""
    from tests.test_demo_chain import demo_project, run_chain

    d = tmp_path_factory.mktemp("chain")
    return {**demo_project(d), **run_chain(d)}
