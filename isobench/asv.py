"""An asv (airspeed velocity) suite, found statically: its configuration file and its `time_*` benchmarks
at one commit, read with `ast` from git (nothing is imported, asv need not be installed).

asv's rules, as far as a static reading can follow them: the configuration is the one `asv*.json` at the
repository root, else in one of its folders (`asv.conf.json` among several, unless the task names another;
`//` comments allowed, as asv allows them); its `benchmark_dir` (default `benchmarks`, relative to the
configuration's folder) is a package whose modules (submodules too) hold
benchmarks; a benchmark is a module-level function or a method of a module-level class whose name starts
with `time_`; its `params` (a class attribute, or `func.params = ...` after a function) are one list of
values or a list of such lists (one per parameter), and every combination is one benchmark, named as asv
names it (`module.Class.time_x(1, 'a')`). Parameters must be literals, or names of module-level literals:
anything else is listed as skipped, with why. Methods inherited from another class are not seen.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Callable, Iterable
from posixpath import basename, dirname, relpath

from isobench.records import AsvBenchmark, AsvSuite

DEFAULT_BENCHMARK_DIR = "benchmarks"
PREFIX = "time_"
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


class AsvError(ValueError):
    """The suite cannot be read: the message names the file and the field."""


def find_config(files: Iterable[str], config: str | None) -> str:
    """The asv configuration file: `config` when given (it must exist), else the one `asv*.json` at the root
    (`asv.conf.json` when there are several), else the one in a folder of the root (pandas keeps its suite in
    `asv_bench/asv.conf.json`)."""
    files = set(files)
    if config is not None:
        if config not in files:
            raise AsvError(f"asv.config: {config} is not in the repository at the base commit")
        return config
    for depth, where in ((0, "the repository root"), (1, "the root's folders")):
        found = sorted(f for f in files if f.count("/") == depth and re.fullmatch(r"asv[^/]*\.json", basename(f)))
        preferred = [f for f in found if basename(f) == "asv.conf.json"]
        if len(found) == 1 or len(preferred) == 1:
            return (preferred or found)[0]
        if found:
            raise AsvError(f"asv.config: several asv*.json in {where} ({', '.join(found)}); name one")
    raise AsvError("asv.config: no asv*.json at the repository root (nor in its folders) at the base commit")


def benchmark_dir(config: str, text: str) -> str:
    """The suite's `benchmark_dir`, relative to the repository root (asv reads it relative to the config)."""
    try:
        data = json.loads(_COMMENT.sub("", text))
    except ValueError as exc:
        raise AsvError(f"{config}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise AsvError(f"{config}: expected a JSON object, got {type(data).__name__}")
    value = data.get("benchmark_dir", DEFAULT_BENCHMARK_DIR)
    if not isinstance(value, str) or not value.strip() or value.startswith("/"):
        raise AsvError(f"{config}: benchmark_dir: expected a relative folder name, got {value!r}")
    path = relpath(f"{dirname(config) or '.'}/{value.strip().rstrip('/')}", ".")
    if path.startswith(".."):
        raise AsvError(f"{config}: benchmark_dir: {value!r} is outside the repository")
    return path


def discover(
    files: Iterable[str], read: Callable[[str], str | None], config: str | None = None, bench: str | None = None
) -> AsvSuite:
    """The suite at one commit: `files` are its paths, `read` a file's text. Raises AsvError."""
    files = set(files)
    conf = find_config(files, config)
    text = read(conf)
    if text is None:
        raise AsvError(f"asv.config: {conf} cannot be read at the base commit")
    folder = benchmark_dir(conf, text)
    modules = sorted(f for f in files if f.startswith(folder + "/") and f.endswith(".py"))
    if not modules:
        raise AsvError(f"{conf}: benchmark_dir: {folder!r} holds no Python file at the base commit")
    found: list[AsvBenchmark] = []
    skipped: list[str] = []
    for path in modules:
        source = read(path)
        module = relpath(path[: -len(".py")], folder).replace("/", ".").removesuffix("__init__").rstrip(".")
        try:
            tree = ast.parse(source or "", filename=path)
        except SyntaxError as exc:
            skipped.append(f"{path}: not valid Python ({exc.msg}, line {exc.lineno})")
            continue
        module_found, module_skipped = module_benchmarks(tree, module)
        found += module_found
        skipped += module_skipped
    if bench is not None:
        pattern = re.compile(bench)
        found = [b for b in found if pattern.search(b.name)]
    if not found:
        which = f" matching asv.bench {bench!r}" if bench is not None else ""
        raise AsvError(f"{conf}: benchmark_dir: {folder!r} has no time_* benchmark{which} at the base commit")
    return AsvSuite(config=conf, benchmark_dir=folder, bench=bench, benchmarks=found, skipped=skipped)


def module_benchmarks(tree: ast.Module, module: str) -> tuple[list[AsvBenchmark], list[str]]:
    """The benchmarks of one module (`module`: its dotted name inside the benchmark folder, "" for the
    folder's `__init__`), and the ones skipped with why."""
    literals = _literals(tree.body)
    found: list[AsvBenchmark] = []
    skipped: list[str] = []

    def add(qualname: str, params: ast.expr | None) -> None:
        name = f"{module}.{qualname}" if module else qualname
        try:
            values = _param_sets(params, literals)
        except ValueError as exc:
            skipped.append(f"{name}: {exc}")
            return
        target = f"{module}:{qualname}"
        for combo in itertools.product(*values) if values else [()]:
            reprs = [repr(v) for v in combo]
            label = f"{name}({', '.join(reprs)})" if values else name
            found.append(AsvBenchmark(name=label, target=target, params=reprs))

    attrs = _function_attrs(tree.body)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(PREFIX):
            add(node.name, attrs.get((node.name, "params")))
        elif isinstance(node, ast.ClassDef):
            params = _literals(node.body).get("params")
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith(PREFIX):
                    add(f"{node.name}.{item.name}", params)
    return found, skipped


def _literals(body: list[ast.stmt]) -> dict[str, ast.expr]:
    """Simple `NAME = value` assignments of a module or class body (the last one wins)."""
    out: dict[str, ast.expr] = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            out[node.target.id] = node.value
    return out


def _function_attrs(body: list[ast.stmt]) -> dict[tuple[str, str], ast.expr]:
    """`func.attr = value` assignments at module level (how a function gets its `params`)."""
    out: dict[tuple[str, str], ast.expr] = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            t = node.targets[0]
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                out[(t.value.id, t.attr)] = node.value
    return out


def _value(node: ast.expr, literals: dict[str, ast.expr], depth: int = 0) -> object:
    """A literal, or the name of a module-level literal (followed a few steps)."""
    if isinstance(node, ast.Name) and node.id in literals and depth < 5:
        return _value(literals[node.id], literals, depth + 1)
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(e, literals, depth) for e in node.elts]
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        text = ast.unparse(node)[:80]
        raise ValueError(f"params are not literals ({text}): they cannot be read without importing") from None


def _param_sets(node: ast.expr | None, literals: dict[str, ast.expr]) -> list[list[object]]:
    """asv's `params`: [] (none), one list of values, or a list of lists (one per parameter)."""
    if node is None:
        return []
    value = _value(node, literals)
    if not isinstance(value, list | tuple):
        raise ValueError(f"params must be a list, got {type(value).__name__}")
    if value and all(isinstance(v, list | tuple) for v in value):
        return [list(v) for v in value]
    return [list(value)]
