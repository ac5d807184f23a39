"""An asv (airspeed velocity) suite, found statically: its configuration file and its `time_*` benchmarks
at one commit, read with `ast` from git (nothing is imported, asv need not be installed).

asv's rules, as far as a static reading can follow them: the configuration is the one `asv*.json` at the
repository root, else in one of its folders (`asv.conf.json` among several, unless the task names another;
`//` comments allowed, as asv allows them); its `benchmark_dir` (default `benchmarks`, relative to the
configuration's folder) is a package whose modules (submodules too) hold
benchmarks; a benchmark is a module-level function or a method of a module-level class whose name starts
with `time_`; its `params` (a class attribute, or `func.params = ...` after a function) are one list of
values or a list of such lists (one per parameter), and every combination is one benchmark, named as asv
names it (`module.Class.time_x(1, 'a')`). A class's benchmarks include the ones it inherits from classes of the
suite (of its module, or imported from another module of the suite, relatively or by the folder's name), its
`params` too; a class a module imports from the suite is benchmarked under that module as well, and names
that start with `_` and classes with abstract methods are left out, as asv does. Parameters must be
literals, or names of module-level literals: anything else is listed as skipped, with why. Bases from
outside the suite (a library's class) and functions imported from another module are not followed.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
    parsed: dict[str, _Module] = {}
    skipped: list[str] = []
    for path in modules:
        name = relpath(path[: -len(".py")], folder).replace("/", ".").removesuffix("__init__").rstrip(".")
        try:
            tree = ast.parse(read(path) or "", filename=path)
        except SyntaxError as exc:
            skipped.append(f"{path}: not valid Python ({exc.msg}, line {exc.lineno})")
            continue
        parsed[name] = _Module(name, tree, is_package=path.endswith("/__init__.py"))
    suite = _Suite(parsed, basename(folder))
    found: list[AsvBenchmark] = []
    for name in parsed:
        module_found, module_skipped = module_benchmarks(parsed[name].tree, name, suite)
        found += module_found
        skipped += module_skipped
    if bench is not None:
        pattern = re.compile(bench)
        found = [b for b in found if pattern.search(b.name)]
    if not found:
        which = f" matching asv.bench {bench!r}" if bench is not None else ""
        raise AsvError(f"{conf}: benchmark_dir: {folder!r} has no time_* benchmark{which} at the base commit")
    return AsvSuite(config=conf, benchmark_dir=folder, bench=bench, benchmarks=found, skipped=skipped)


def module_benchmarks(
    tree: ast.Module, module: str, suite: _Suite | None = None
) -> tuple[list[AsvBenchmark], list[str]]:
    """The benchmarks of one module (`module`: its dotted name inside the benchmark folder, "" for the
    folder's `__init__`), and the ones skipped with why. A class's benchmarks include the ones it inherits
    from classes of the `suite` (its own module's, or another module's it imports); a class the module
    imports from the suite is benchmarked here too, under this module's name, as asv does."""
    suite = suite or _Suite({module: _Module(module, tree)}, "")
    literals = _literals(tree.body)
    found: list[AsvBenchmark] = []
    skipped: list[str] = []

    def add(qualname: str, target: str, params: ast.expr | None, scope: dict[str, ast.expr]) -> None:
        name = f"{module}.{qualname}" if module else qualname
        try:
            values = _param_sets(params, scope)
        except ValueError as exc:
            skipped.append(f"{name}: {exc}")
            return
        for combo in itertools.product(*values) if values else [()]:
            reprs = [repr(v) for v in combo]
            label = f"{name}({', '.join(reprs)})" if values else name
            found.append(AsvBenchmark(name=label, target=f"{module}:{target}", params=reprs))

    attrs = _function_attrs(tree.body)
    classes = suite.public_classes(module)
    for node in tree.body:  # in the module's order
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(PREFIX):
            add(node.name, node.name, attrs.get((node.name, "params")), literals)
        names = [node.name] if isinstance(node, ast.ClassDef) else []
        names += [a.asname or a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        for local in names:
            resolved = suite.resolve(module, local) if local in classes else None
            if resolved is None:
                continue
            classes.remove(local)  # once, where it is first bound
            methods, params = suite.members(*resolved)
            if any(_is_abstract(f) for f in methods.values()):
                continue  # asv leaves abstract classes out
            expr, scope = params or (None, literals)
            for method in methods:
                if method.startswith(PREFIX):
                    add(f"{resolved[1].name}.{method}", f"{local}.{method}", expr, scope)
    return found, skipped


@dataclass
class _Module:
    name: str
    tree: ast.Module
    is_package: bool = False


class _Suite:
    """The suite's modules, so a class's benchmarks can be followed through its bases: each module's
    module-level classes, and the names it imports from another module of the suite."""

    def __init__(self, modules: dict[str, _Module], root: str) -> None:
        self.modules = modules
        self.root = root
        """The benchmark folder's name: its modules import each other as `<root>.<module>` too."""
        self._imported = {name: self._scan_imports(name) for name in modules}

    def public_classes(self, module: str) -> list[str]:
        """The module's public names bound to a class of the suite (defined there or imported), in order."""
        names = [n.name for n in self.modules[module].tree.body if isinstance(n, ast.ClassDef)]
        names += list(self._imported[module])
        return [n for n in dict.fromkeys(names) if not n.startswith("_")]

    def resolve(self, module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
        """The class `name` means in `module` (its module and definition), or None (not a class of the suite)."""
        mod = self.modules.get(module)
        if mod is None or depth > 10:
            return None
        for node in reversed(mod.tree.body):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return module, node
        source = self._imported[module].get(name)
        return self.resolve(*source, depth + 1) if source else None

    def members(
        self, module: str, cls: ast.ClassDef
    ) -> tuple[dict[str, ast.FunctionDef | ast.AsyncFunctionDef], tuple[ast.expr, dict[str, ast.expr]] | None]:
        """The class's methods, its own first, then its bases' left to right (what it inherits); and its
        `params` with the module-level literals of the module that sets them (None: no params)."""
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        params: tuple[ast.expr, dict[str, ast.expr]] | None = None
        for where, node in self._lineage(module, cls):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    methods.setdefault(item.name, item)
            own = _literals(node.body).get("params")
            if params is None and own is not None:
                params = (own, _literals(self.modules[where].tree.body))
        return methods, params

    def _lineage(self, module: str, cls: ast.ClassDef) -> list[tuple[str, ast.ClassDef]]:
        """The class and the suite's classes it derives from, depth first, left to right, each once."""
        out: list[tuple[str, ast.ClassDef]] = []
        todo = [(module, cls)]
        while todo and len(out) < 50:
            where, node = todo.pop(0)
            if any(n is node for _, n in out):
                continue
            out.append((where, node))
            bases = [self.resolve(where, b.id) for b in node.bases if isinstance(b, ast.Name)]
            todo = [b for b in bases if b is not None] + todo
        return out

    def _scan_imports(self, module: str) -> dict[str, tuple[str, str]]:
        """`from X import Y [as Z]` at module level, X a module of the suite: local name -> (X, Y)."""
        mod = self.modules[module]
        out: dict[str, tuple[str, str]] = {}
        for node in mod.tree.body:
            if not isinstance(node, ast.ImportFrom):
                continue
            source = self._module_of(mod, node)
            if source is None:
                continue
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = (source, alias.name)
        return out

    def _module_of(self, mod: _Module, node: ast.ImportFrom) -> str | None:
        """The suite's module an import names (relative, `<root>.x`, or `x`), or None."""
        target = node.module or ""
        if node.level:
            package = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([p for p in package if p] + ([target] if target else []))
        elif self.root and (target == self.root or target.startswith(self.root + ".")):
            target = target[len(self.root) + 1 :]
        return target if target in self.modules else None


def _is_abstract(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d).split(".")[-1] == "abstractmethod" for d in func.decorator_list)


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
