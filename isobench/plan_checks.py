"""Mistakes `plan` can see before anything is built, in the commands and interpreters a task names.

Each check looks at one thing a later stage would trip over after minutes of building: a workload script
outside the repository that the sandbox would not show (declared automatically), an absolute path that
does not exist, an interpreter that does not run, a workload callable whose module is not in the base
commit, a test program no install command provides (a warning: isobench cannot be sure), and the files
the test commands run, which are tests whatever their names (they go into the test patch, not the
agent's targets), and a held-out workload file the agent would see.

Commands are read as `/bin/sh` would split them (shlex with shell punctuation): good enough for the
one-line commands task files hold; a construct it cannot read is skipped, never an error.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from isobench.errors import UserError, one_line
from isobench.gitutil import GitError, is_source_file, run_git
from isobench.sandbox import SANE_PATH, system_visible
from isobench.workload import is_python

# Each command gets a private, empty /tmp: a path there that does not exist yet is an output it creates.
_SCRATCH = ("/tmp",)
_WRAPPERS = {"env", "time", "nice", "timeout", "exec", "command", "nohup", "stdbuf"}
_BUILTINS = {
    "cd", "echo", "true", "false", "test", "[", "export", "set", "unset", "exit", "printf", ":", "source",
    ".", "pushd", "popd", "read", "wait", "trap", "eval", "shift", "type", "ulimit", "umask", "sh", "bash",
    "pip", "pip3",
}  # fmt: skip
# Options of test runners whose value is a configuration file or folder, not a test.
_CONFIG_OPTIONS = {
    "-c", "--rootdir", "--confcutdir", "--cov", "--cov-config", "--cov-report", "--basetemp", "-p", "-o",
    "--override-ini", "--junitxml", "--junit-xml", "--log-file",
}  # fmt: skip
# Entry points that run tests among other things (`python setup.py test`): build scripts, not tests.
_NOT_TESTS = {"setup.py", "manage.py"}
# Programs and modules whose distribution has another name.
_DISTRIBUTION = {"py.test": "pytest", "nosetests": "nose", "trial": "twisted", "yaml": "pyyaml", "PIL": "pillow"}
_INDEX_OPTIONS = {"-f", "--find-links", "-i", "--index-url", "--extra-index-url", "--default-index", "--index"}
_PYTHON_TIMEOUT_S = 15.0


@dataclass
class Simple:
    """One simple command of a shell line: its words (assignments, wrappers and redirections removed)."""

    words: list[str]
    assignments: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    cwd: str = "."
    """The folder it runs in, relative to the repository root (`cd` earlier in the line), or absolute."""


def simple_commands(command: str) -> list[Simple]:
    """The simple commands of a shell line, in order; [] when the line cannot be read."""
    lex = shlex.shlex(command, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        tokens = list(lex)
    except ValueError:
        return []
    out: list[Simple] = []
    cur = Simple([])
    cwd = "."
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok and set(tok) <= set("();<>|&"):
            if "<" in tok or ">" in tok:  # a redirection: `2>` comes as "2" then ">"
                if cur.words and cur.words[-1].isdigit():
                    cur.words.pop()
                if i + 1 < len(tokens) and tok == "<":
                    cur.inputs.append(tokens[i + 1])
                i += 2
                continue
            cwd = _finish(cur, out, cwd)
            cur = Simple([], cwd=cwd)
        elif not cur.words and re.match(r"^[A-Za-z_]\w*=", tok):
            cur.assignments.append(tok)
        else:
            cur.words.append(tok)
        i += 1
    _finish(cur, out, cwd)
    return out


def _finish(cur: Simple, out: list[Simple], cwd: str) -> str:
    """Close a simple command: drop wrappers (`env X=1 timeout 5 cmd`), track `cd`; the next cwd."""
    words = cur.words
    while words and words[0] in _WRAPPERS:
        wrapper, words = words[0], words[1:]
        while words and (words[0].startswith("-") or re.match(r"^[A-Za-z_]\w*=", words[0])):
            if "=" in words[0] and not words[0].startswith("-"):
                cur.assignments.append(words[0])
            words = words[1:]
        if wrapper == "timeout" and words:
            words = words[1:]  # the duration
    cur.words = words
    if words or cur.inputs:
        out.append(cur)
    if words[:1] == ["cd"]:
        target = words[1] if len(words) > 1 else "."
        return target if target.startswith("/") else os.path.normpath(os.path.join(cwd, target))
    return cwd


# --- the repository at the base and head commits ------------------------------------------------------


class RepoTree:
    """The files of the repository at the base and head commits (git, no checkout)."""

    def __init__(self, repo_dir: Path, base: str, head: str) -> None:
        self.repo_dir = repo_dir
        self.base = base
        self.base_files = self._files(base)
        self.files = self.base_files | self._files(head)

    def _files(self, commit: str) -> frozenset[str]:
        return frozenset(run_git(["ls-tree", "-r", "-z", "--name-only", commit], cwd=self.repo_dir).split("\0"))

    def show(self, path: str) -> str | None:
        """A file's text at the base commit, or None."""
        if path not in self.base_files:
            return None
        try:
            return run_git(["show", f"{self.base}:{path}"], cwd=self.repo_dir)
        except GitError:
            return None


def _in_repo(cwd: str, word: str) -> str | None:
    """A word as a path relative to the repository root, if it stays inside it."""
    if cwd.startswith("/") or word.startswith("/"):
        return None
    path = os.path.normpath(os.path.join(cwd, word))
    return None if path == ".." or path.startswith("../") else path


# --- test files named by the test commands ------------------------------------------------------------


def named_test_files(commands: Iterable[str], tree: RepoTree) -> list[str]:
    """Repository files the test commands run (`python src/unitTests.py`, `pytest t/a.py::T`,
    `python -m unittest tests.test_core`): tests, whatever their names."""
    found: list[str] = []
    for command in commands:
        if "--doctest-modules" in command or "--doctest-glob" in command or re.search(r"-m\s+doctest\b", command):
            continue  # a doctest run names the code under test, not tests
        for cmd in simple_commands(command):
            skip_next = False
            for word in cmd.words:
                if skip_next or word.startswith("-"):
                    skip_next = word in _CONFIG_OPTIONS
                    continue
                path = _repo_file(cmd.cwd, word.split("::", 1)[0], tree)
                if path and path not in _NOT_TESTS and path not in found:
                    found.append(path)
    return found


def _repo_file(cwd: str, word: str, tree: RepoTree) -> str | None:
    """The repository file a word names: a path, or a dotted module (`tests.test_core.T.test_x`)."""
    path = _in_repo(cwd, word)
    if path in tree.files:
        return path
    if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", word):
        parts = word.split(".")
        for n in range(len(parts), 0, -1):
            candidate = _in_repo(cwd, "/".join(parts[:n]) + ".py")
            if candidate in tree.files:
                return candidate
    return None


def test_patterns_for(files: list[str]) -> list[str]:
    """Glob patterns matching exactly these files (added to a task's test_patterns)."""
    return [glob.escape(f) for f in files]


# --- files outside the repository ---------------------------------------------------------------------


@dataclass
class Outside:
    """What the commands name outside the repository."""

    declare: list[tuple[str, str]] = field(default_factory=list)
    """(label, path): files and folders to add to workload_files."""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """(label, warning)."""


def outside_files(
    commands: list[tuple[str, str]], repo_dir: Path, declared: list[str], where: Callable[[str], str]
) -> Outside:
    """Existing files and folders outside the repository the commands read and `declared` (the task's
    workload_files) does not cover, to declare too. `commands` are (label, command) pairs; `where(label)`
    starts an error message.

    Raises UserError for a named path the commands cannot use as written: one that does not exist, one
    inside the repository by its absolute path, `~/...`, or `../...` out of the repository (commands run
    in a copy of the repository elsewhere, with a private HOME).
    """
    repo = os.path.realpath(repo_dir)
    covered = [os.path.realpath(p) for p in declared]
    out = Outside()
    for label, command in commands:
        for cmd in simple_commands(command):
            for word, read in _path_words(cmd):
                path = _outside_path(cmd.cwd, word, where(label))
                # What the sandbox shows read-only as it is needs no declaring (and cannot be written there).
                if path is None or system_visible(path) and os.path.exists(path):
                    continue
                real = os.path.realpath(path)
                if real == "/" or _under(repo, (real,)) and real != repo:
                    continue  # a folder holding the repository: never something to show read-only
                if _under(real, (repo,)):
                    raise UserError(
                        f"{where(label)}: names {word} inside the repository by its absolute path; commands run in "
                        "a copy of the repository elsewhere: write it relative to the repository root"
                    )
                scratch = _under(path, _SCRATCH) and not read
                if not os.path.exists(path):
                    if word[:1] != "/" and cmd.cwd.startswith("/") or scratch:
                        continue  # a plain word after `cd /elsewhere`, or an output into the private /tmp
                    raise UserError(f"{where(label)}: names {word}, which does not exist")
                if _under(real, covered):
                    continue
                if scratch:
                    # Maybe an output left by an earlier run: shown read-only, the command could not write it.
                    out.warnings.append(
                        (
                            label,
                            f"names {path}, which exists now, but each command gets a private, empty /tmp: "
                            "if it reads that path, add it to workload_files",
                        )
                    )
                else:
                    _not_too_big(path, word, where(label))
                    out.declare.append((label, path))
                covered.append(real)
    return out


_MAX_FILES = 10_000


def _not_too_big(path: str, word: str, where: str) -> None:
    """A declared folder is hashed into the instance: refuse one that is a whole disk's worth."""
    if not os.path.isdir(path):
        return
    n = 0
    for _, _, files in os.walk(path):
        n += len(files)
        if n > _MAX_FILES:
            raise UserError(
                f"{where}: names the folder {word}, outside the repository, with more than {_MAX_FILES} files; "
                "list what the commands need in workload_files"
            )


def _path_words(cmd: Simple) -> list[tuple[str, bool]]:
    """Words of a command that may be paths, with whether it surely reads each: the program, the script it
    runs, a source file, an input redirection (others may be outputs)."""
    out: list[tuple[str, bool]] = []
    for a in cmd.assignments:
        out += [(v, False) for v in a.split("=", 1)[1].split(":") if v]
    words = cmd.words
    runs_script = bool(words) and (is_python(words[0]) or Path(words[0]).name in ("sh", "bash"))
    script_seen = False
    skip_next = False
    for n, w in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        if w.startswith("-"):
            # `python -c CODE` is code, `-m MODULE` a module; an index or wheel folder is the build's
            # (score.find_links).
            skip_next = w in _INDEX_OPTIONS or (runs_script and w in ("-c", "-m"))
            script_seen = script_seen or (runs_script and w in ("-c", "-m"))
            if "=" in w and w.split("=", 1)[0] not in _INDEX_OPTIONS:
                out.append((w.split("=", 1)[1], False))
            continue
        first_arg = runs_script and n > 0 and not script_seen
        script_seen = script_seen or first_arg
        out.append((w, n == 0 or first_arg or is_source_file(w)))
    return out + [(w, True) for w in cmd.inputs]


def _outside_path(cwd: str, word: str, where: str) -> str | None:
    """The absolute path a word names outside the repository, else None (a plain word or a repo path)."""
    if any(c in word for c in "$`*?[{^()|\\'\"<>!; ") or "://" in word:  # a pattern, an expansion, a URL
        return None
    if word.startswith("~"):
        raise UserError(
            f"{where}: names {word}; commands run with a private HOME, where ~ is not yours: write the absolute path"
        )
    if word.startswith("/"):
        return os.path.normpath(word)
    if cwd.startswith("/"):
        return os.path.normpath(os.path.join(cwd, word))
    if ".." in Path(word).parts and _in_repo(cwd, word) is None:
        raise UserError(
            f"{where}: names {word}, outside the repository; commands run in a copy of the repository "
            "elsewhere: write the absolute path"
        )
    return None


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def heldout_shown(heldout: list[str], shown: list[str]) -> list[tuple[str, str]]:
    """(held-out file, the workload file or folder holding it) for each held-out workload file the agent
    would see: inside (or equal to) one of the files shown to it."""
    roots = {os.path.realpath(p): p for p in shown}
    out = []
    for h in heldout:
        real = os.path.realpath(h)
        holder = next((p for r, p in roots.items() if _under(real, (r,))), None)
        if holder is not None:
            out.append((h, holder))
    return out


# --- interpreters -------------------------------------------------------------------------------------

_RAN: dict[str, tuple[str | None, str | None]] = {}


def resolve_python(python: str, relative_to: Path) -> Path | None:
    """An interpreter setting as a path: a bare name is looked up on PATH, a relative path is relative to
    `relative_to`; None when there is nothing there."""
    found = shutil.which(python) if "/" not in python else python
    if not found:
        return None
    path = Path(found).expanduser()
    path = path if path.is_absolute() else relative_to / path
    return path.absolute() if path.is_file() else None


def run_python(python: str) -> tuple[str | None, str | None]:
    """(version, None) when the interpreter runs, else (None, why not), once per interpreter and process."""
    if python not in _RAN:
        argv = [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=_PYTHON_TIMEOUT_S, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            _RAN[python] = (None, f"did not answer within {_PYTHON_TIMEOUT_S:.0f} s")
        except OSError as exc:
            _RAN[python] = (None, one_line(exc.strerror or str(exc)))
        else:
            lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
            if proc.returncode == 0 and proc.stdout.strip():
                _RAN[python] = (proc.stdout.strip(), None)
            else:
                _RAN[python] = (None, one_line(lines[-1] if lines else f"exit status {proc.returncode}"))
    return _RAN[python]


def check_python(python: str, where: str) -> None:
    """Raise UserError when the interpreter cannot run a one-line script."""
    _, error = run_python(python)
    if error:
        raise UserError(f"{where}: {python} cannot run: {error}")


# --- the workload callable ----------------------------------------------------------------------------


def check_callable(workload_callable: str, tree: RepoTree, test_files: list[str], where: str) -> None:
    """The callable's module must be in the base commit (or come with the human's test patch)."""
    module = workload_callable.split(":", 1)[0].replace(".", "/")
    candidates = [f"{root}{module}{suffix}" for root in ("", "src/") for suffix in (".py", "/__init__.py", ".pyx")]
    if any(c in tree.base_files or c in test_files for c in candidates):
        return
    raise UserError(
        f"{where}: no {module}.py or {module}/__init__.py (nor under src/) at the base commit "
        f"{tree.base[:12]}: the workload callable's module must be in the repository"
    )


def _bound(stmt: ast.stmt) -> list[str]:
    """Names a module-level statement binds (loops and with-blocks included, nested ones too)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return []
    return [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]


def result_warning(script_path: str | None, tree: RepoTree) -> str | None:
    """A warning when a workload script keeps no result at module level: then only what it prints is compared,
    and a workload that prints a count lets a fast wrong answer through."""
    source = tree.show(script_path) if script_path else None
    if source is None:
        return None
    top = [n for stmt in ast.parse(source).body for n in _bound(stmt)] if _parses(source) else []
    if top:
        return None
    return (
        f"{script_path} keeps no result in a module-level name: only what it prints is compared across variants; "
        "keep or print what it computes (README: Task files, the workload's results)"
    )


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


# --- programs the test commands need ------------------------------------------------------------------


def program_warnings(
    commands: list[tuple[str, str]], install_commands: list[str], tree: RepoTree, *, system_site_packages: bool
) -> list[tuple[str, str]]:
    """(label, warning) per command whose program (or `python -m` module) will probably not be in the
    variant's environment: neither a shell or Python builtin, nor on the system PATH, nor in the
    repository, nor named by the install commands or what they install."""
    corpus = install_corpus(install_commands, tree)
    out: list[tuple[str, str]] = []
    for label, command in commands:
        for cmd in simple_commands(command):
            if not cmd.words:
                continue
            program = cmd.words[0]
            if is_python(program):
                module = _python_module(cmd.words)
                top = module.split(".")[0] if module else None
                if top and not system_site_packages and not _module_available(top, tree, corpus):
                    dist = _DISTRIBUTION.get(top, top)
                    out.append(
                        (
                            label,
                            f"`python -m {module}` needs {dist}, which neither install_commands nor a requirements "
                            f"file they install names: add `pip install {dist}` to install_commands",
                        )
                    )
            elif program in _BUILTINS or program.startswith("/"):
                continue
            elif "/" in program:
                path = _in_repo(cmd.cwd, program)
                if path not in tree.files:
                    out.append((label, f"runs {program}, which is not in the repository"))
            elif not shutil.which(program, path=SANE_PATH) and not _named(_DISTRIBUTION.get(program, program), corpus):
                dist = _DISTRIBUTION.get(program, program)
                out.append(
                    (
                        label,
                        f"`{program}` is neither on the system PATH nor named by install_commands: "
                        f"add `pip install {dist}` (or what provides it) to install_commands",
                    )
                )
    return out


def _python_module(words: list[str]) -> str | None:
    """`python [-X opt] -m MODULE ...` -> MODULE."""
    for n, w in enumerate(words[1:], 1):
        if w == "-m" and n + 1 < len(words):
            return words[n + 1]
        if w.startswith("-m") and len(w) > 2:
            return w[2:]
        if not w.startswith("-") or w == "-c":
            return None
    return None


def _module_available(top: str, tree: RepoTree, corpus: str) -> bool:
    if top in sys.stdlib_module_names or top == "pip":
        return True
    for root in ("", "src/"):
        if f"{root}{top}.py" in tree.files or any(f.startswith(f"{root}{top}/") for f in tree.files):
            return True
    return _named(_DISTRIBUTION.get(top, top), corpus)


def _normalize(name: str) -> str:
    """PEP 503 name normalization (pytest_cov, Pytest.Cov -> pytest-cov)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _named(name: str, corpus: str) -> bool:
    """Whether a distribution's name occurs in the install corpus (`pytest` also in `pytest-cov`: a plugin
    brings its runner)."""
    return re.search(rf"(?<![\w-]){re.escape(_normalize(name))}(?!\w)", corpus) is not None


def install_corpus(install_commands: list[str], tree: RepoTree) -> str:
    """The normalized text of what the install commands install: the commands, the requirements files
    they name (`-r`, nested), and the dependencies, extras and scripts of the project (`pip install -e .`)."""
    parts = list(install_commands)
    for command in install_commands:
        for cmd in simple_commands(command):
            words = cmd.words
            for n, w in enumerate(words):
                if w in ("-r", "--requirement", "-c", "--constraint") and n + 1 < len(words):
                    parts.append(_requirements(_in_repo(cmd.cwd, words[n + 1]) or words[n + 1], tree, 0))
                elif w.startswith("--requirement="):
                    parts.append(_requirements(_in_repo(cmd.cwd, w.split("=", 1)[1]) or "", tree, 0))
                elif "install" in words and re.match(r"^\.(/|\[|$)", w):  # the project: `pip install -e .[test]`
                    folder, _, extras = w.partition("[")
                    wanted = {_normalize(e) for e in extras.rstrip("]").split(",") if e.strip()}
                    parts.append(_project(_in_repo(cmd.cwd, folder) or ".", wanted, tree))
    return _normalize("\n".join(parts))


def _requirements(path: str, tree: RepoTree, depth: int) -> str:
    text = tree.show(path) or ""
    if path.startswith("/") and os.path.isfile(path):
        text = Path(path).read_text(errors="replace")
    if depth < 3:
        for m in re.finditer(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)", text, re.M):
            nested = os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
            text += "\n" + _requirements(nested, tree, depth + 1)
    return text


def _project(folder: str, extras: set[str], tree: RepoTree) -> str:
    """A project's declared dependencies, the extras asked for, its dependency groups and console scripts,
    as text."""
    prefix = "" if folder == "." else folder.rstrip("/") + "/"
    out: list[str] = []
    pyproject = tree.show(prefix + "pyproject.toml")
    if pyproject:
        try:
            data = tomllib.loads(pyproject)
        except tomllib.TOMLDecodeError:
            data = {}
        project = data.get("project", {})
        out += [str(d) for d in project.get("dependencies", [])]
        optional = project.get("optional-dependencies", {})
        out += [str(d) for name, deps in optional.items() if _normalize(name) in extras for d in deps]
        out += [str(d) for deps in data.get("dependency-groups", {}).values() for d in deps]
        out += list(project.get("scripts", {}))
    setup_cfg = tree.show(prefix + "setup.cfg")
    if setup_cfg:
        cp = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(configparser.Error):
            cp.read_string(setup_cfg)
        for section, key in (("options", "install_requires"), ("options", "tests_require")):
            out.append(cp.get(section, key, fallback=""))
        if cp.has_section("options.extras_require"):
            out += [v for k, v in cp.items("options.extras_require") if _normalize(k) in extras]
        if cp.has_section("options.entry_points"):
            out += [v for _, v in cp.items("options.entry_points")]
    out.append(tree.show(prefix + "setup.py") or "")  # not parseable without running it: its text
    return "\n".join(out)
