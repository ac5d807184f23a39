"""Real typed records for tests (the same models the stages write), with sensible defaults."""

from __future__ import annotations

from typing import Any

from isobench.records import Attempt, Environment, Instance, InstanceScore, VariantScore


def instance(iid: str = "tinyrepo-aaaaaaaaaa", **kw: Any) -> Instance:
    data: dict[str, Any] = {
        "instance_id": iid,
        "repo": "tinyrepo",
        "repo_path": "/nonexistent/tinyrepo",
        "task": "tiny",
        "task_file": "/nonexistent/tiny.yaml",
        "description": "a tiny library",
        "created_at": "2024-03-11T15:40:00+00:00",
        "base_commit": "0" * 40,
        "head_commit": iid[-1] * 40,
        "patch": "",
        "test_patch": "",
        "changed_files": ["lib/core.py"],
        "test_files": [],
        "lines_changed": 4,
        "patch_functions": ["dedupe"],
        "test_functions": [],
        "efficiency_test": ["python bench.py"],
        "tests": ["python -m unittest discover -s tests -q"],
        "target_files": ["lib/core.py"],
        "test_patterns": ["tests/**"],
        "gt_commit_message": "Speed up dedupe",
        "setup_commands": [],
        "install_commands": [],
        "constraints": [],
        "setting": "oracle",
    }
    data.update(kw)
    return Instance(**data)


def attempt(iid: str, provider: str, n: int = 1, **kw: Any) -> Attempt:
    data: dict[str, Any] = {
        "status": "success",
        "instance_id": iid,
        "provider": provider,
        "attempt": n,
        "model": "openai/scripted",
        "agent": "openhands",
        "exit_code": 0,
        "wall_s": 20.0,
        "iterations": 6,
        "isobench_version": "0.1.0",
        "patch_empty": False,
        "changed_files": ["lib/core.py"],
        "sandbox": "bwrap",
        "setting": "oracle",
        "limits": {"max_iterations": 30, "time_limit_s": 600.0, "max_budget_usd": 10.0},
        "started_at": "2026-11-25T13:23:06+00:00",
        "finished_at": "2026-11-25T13:23:31+00:00",
    }
    data.update(kw)
    return Attempt(**data)


def row(kind: str = "agent", **kw: Any) -> VariantScore:
    """A measured score row before its outcome is decided."""
    data: dict[str, Any] = {
        "kind": kind,
        "build": "ok",
        "correct": True,
        "patch_empty": False,
        "fingerprint": "f" * 16,
    }
    data.update(kw)
    return VariantScore(**data)


def score(iid: str, variants: dict[str, VariantScore], **kw: Any) -> InstanceScore:
    data: dict[str, Any] = {
        "status": "scored",
        "instance_id": iid,
        "fingerprint": "c" * 16,
        "environment": Environment(cpu="AMD EPYC", cores=2, sandbox="bwrap"),
        "scored_at": "2026-11-25T13:25:01+00:00",
        "valid": True,
        "variants": variants,
    }
    data.update(kw)
    return InstanceScore(**data)
