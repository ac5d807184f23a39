"""The package's shape: its import graph has no cycle (a newcomer can read it from `cli/` down to
`records.py`), and only the CLI chooses an executor (no stage imports Ray)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "isobench"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        if "demo" in p.relative_to(PACKAGE).parts[:1]:  # the demo project's files are data
            continue
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        out[name] = p
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every isobench module `path` imports, at its top, inside a function or for type checking only: a cycle
    through type-only imports is still two modules a reader cannot understand one without the other."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                found.update(subs)
                if len(subs) < len(node.names):
                    found.add(node.module)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_has_no_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    assert len(graph) > 50
    assert _cycles(graph) == []


def _imports_ray(path: Path) -> bool:
    """Whether a module imports Ray, or the Ray executor, anywhere in it."""
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Import) and any(a.name.split(".")[0] == "ray" for a in n.names):
            return True
        if (
            isinstance(n, ast.ImportFrom)
            and n.module
            and (n.module.split(".")[0] == "ray" or n.module == "isobench.executors.ray")
        ):
            return True
    return False


def test_only_the_cli_and_the_ray_executor_import_ray() -> None:
    importers = sorted(name for name, path in _modules().items() if _imports_ray(path))
    assert importers == ["isobench.cli.common", "isobench.executors.ray"]


@pytest.mark.parametrize(
    "module",
    ["isobench.score", "isobench.run", "isobench.executors.local", "isobench.executors.worker", "isobench.cli.common"],
)
def test_each_stage_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """Whatever is imported first, the package's lazy imports resolve (no partially initialised module)."""
    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]


def test_no_test_data_is_hidden_from_git_by_an_ignore_rule() -> None:
    """A fixture an ignore rule hides passes here and is missing from CI's clean clone."""
    root = PACKAGE.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    hidden = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "tests/data"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hidden = [p for p in hidden if "__pycache__" not in p]
    assert hidden == [], f"ignored by .gitignore, so CI will not have them: {hidden[:5]}"


def _functions() -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    out = []
    for name, path in _modules().items():
        if "suites" in name.split(".") or "templates" in name.split("."):  # workload scripts: data
            continue
        out += [
            (name, n)
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
    return out


ANY_ALLOWED = {
    # A pass-through whose other end is typed by someone else: subprocess's keyword arguments, rich's update.
    ("isobench.sandbox", "run"),
    ("isobench.sandbox", "popen"),
    ("isobench.progress", "_update"),
    # JSON whose shape is the caller's to check: a YAML file as read, `status --json`'s summary.
    ("isobench.config.files", "load_yaml"),
    ("isobench.status", "summarize"),
}
"""The only functions whose signatures say `Any` (docs/architecture.md "The records" says why)."""


def test_any_in_a_signature_only_where_the_data_is_not_isobenchs() -> None:
    """Stages hand each other typed records; foreign JSON is `jsontypes.JSON`. A new `Any` in a signature fails
    here: type it, or add it above with the reason."""
    found = set()
    for module, fn in _functions():
        args = fn.args
        anns = [a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a]
        anns.append(fn.returns)
        if any(isinstance(x, ast.Name) and x.id == "Any" for a in anns if a is not None for x in ast.walk(a)):
            found.add((module, fn.name))
    assert found <= ANY_ALLOWED, sorted(found - ANY_ALLOWED)


def test_no_function_is_longer_than_80_lines() -> None:
    lines = {f"{m}.{fn.name}": (fn.end_lineno or fn.lineno) - fn.lineno + 1 for m, fn in _functions()}
    assert not {k: n for k, n in lines.items() if n > 80}
