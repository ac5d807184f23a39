"""Which of an agent's edits change how the tests run: they are the harness's, not the agent's.

A patch that sets `addopts = "--collect-only"` or a `testpaths` that finds nothing switches its own
correctness gate off. So, besides the task's test files, an agent's edits to test configuration are
discarded before scoring, like its edits to tests, and listed in its record:
- whole files: `pytest.ini`, `tox.ini`, `noxfile.py`, `.coveragerc`, `conftest.py` (anywhere);
- `pyproject.toml` / `setup.cfg` when the patch changes their test sections (`[tool.pytest...]`,
  `[tool.coverage...]`, `[tool.tox]`, `[tool.nox]`; `[tool:pytest]`, `[pytest]`, `[coverage:...]`, `[tox...]`):
  then the whole file's edits are discarded (a file is applied or not, never in part).
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import PurePosixPath

TEST_CONFIG_FILES = frozenset({"pytest.ini", ".pytest.ini", "tox.ini", "noxfile.py", ".coveragerc", "conftest.py"})
TOML_TEST_TABLES = ("pytest", "coverage", "tox", "nox")
CFG_TEST_SECTIONS = ("tool:pytest", "pytest", "coverage:", "tox", "testenv")


def _toml_sections(text: bytes) -> object:
    try:
        tool = tomllib.loads(text.decode("utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return ("unparseable", text)  # cannot tell: any change counts
    return {k: tool.get(k) for k in TOML_TEST_TABLES}


def _cfg_sections(text: bytes) -> object:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text.decode("utf-8"))
    except (configparser.Error, UnicodeDecodeError):
        return ("unparseable", text)
    return {
        s: dict(parser.items(s)) for s in parser.sections() if any(s == p or s.startswith(p) for p in CFG_TEST_SECTIONS)
    }


def changes_test_config(path: str, before: bytes | None, after: bytes | None) -> bool:
    """Does changing `path` from `before` to `after` (None: absent) change how the tests run?"""
    name = PurePosixPath(path).name
    if name in TEST_CONFIG_FILES:
        return True
    read = {"pyproject.toml": _toml_sections, "setup.cfg": _cfg_sections}.get(name)
    if read is None:
        return False
    return bool(read(before or b"") != read(after or b""))
