"""GSO (`gso-bench/gso`): a human optimization commit (`opt_commit` on `base_commit`), the performance
script shown to the agent (`prob_script`), the scripts it never sees (`tests`), and a uv install recipe.

Each GSO script is one program: `python SCRIPT OUTPUT_FILE [--reference|--eqcheck] [--file_prefix P]`
times its experiment, appends the time to OUTPUT_FILE, and with `--reference` stores the experiment's
result (`P_result.json`), with `--eqcheck` checks it against the stored one.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from isobench.importers.base import Converted, Importer, Row, image_note, owner_name, strings, text

SHOWN = "workload/prob_script.py"
HELDOUT_DIR = "heldout"
# Recipes' system-level steps (the set's image provides them); a venv build cannot run them.
_SYSTEM = {"sudo", "apt", "apt-get", "yum", "dnf", "apk", "brew", "conda", "mamba"}
_AND = re.compile(r"\s*&&\s*")


class GSO(Importer):
    name = "gso"
    title = "GSO (gso-bench/gso)"
    required = ("repo", "base_commit", "opt_commit", "prob_script")
    commit_column = "opt_commit"
    signature = ("opt_commit", "prob_script")

    def convert(self, row: Row, folder: Path) -> Converted:
        repo = owner_name(text(row, "repo"), "repo")
        base, head = text(row, "base_commit"), text(row, "opt_commit")
        hidden = strings(row, "tests")
        files = {SHOWN: text(row, "prob_script", content=True)}
        files |= {f"{HELDOUT_DIR}/gso_test_{i}.py": script for i, script in enumerate(hidden)}
        shown = shlex.quote(str(folder / SHOWN))
        setup, version, setup_notes = adapt_commands(strings(row, "setup_commands"))
        install, install_version, install_notes = adapt_commands(strings(row, "install_commands"))
        version = install_version or version
        python = find_python(version) if version else None
        # GSO's harness names each row's image itself (GSOInstance.remote_instance_image_key).
        arch = text(row, "arch", required=False) or "x86_64"
        image = image_note(row, self.title) or [
            f"container.image: slimshetty/gso:gso.eval.{arch}.{self.identify(row).lower()} (GSO runs this row in "
            "that image, its repository built; isobench builds each variant in a fresh venv from install_commands)"
        ]
        notes = [*image, *setup_notes, *install_notes]
        if version and python is None:
            notes.append(
                f"GSO builds this row with Python {version}, which is not on this machine (`uv python find "
                f"{version}`): the variants use score.python; install it (`uv python install {version}`) and plan again"
            )
        notes.append(
            "correctness: GSO checks each script's result against the base commit's (--eqcheck against "
            "--reference); isobench runs prob_script in reference mode and then checks that result (a crash or "
            "a failing check fails the variant), and times the held-out scripts on the correct variants"
        )
        task: dict[str, object] = {
            # The output file GSO appends timings to is of no use here: isobench does the timing.
            "efficiency_test": [f"python {shown} /dev/null"],
            "tests": [
                f"python {shown} /dev/null --reference --file_prefix /tmp/isobench_gso && "
                f"python {shown} /dev/null --eqcheck --file_prefix /tmp/isobench_gso"
            ],
            "workload_files": [str(folder / SHOWN)],
            "setup_commands": setup,
            "install_commands": install,
        }
        if python:
            task["python"] = python
        if hidden:
            task["heldout_efficiency_test"] = [
                f"python {shlex.quote(str(folder / HELDOUT_DIR / f'gso_test_{i}.py'))} /dev/null"
                for i in range(len(hidden))
            ]
            task["heldout_workload_files"] = [str(folder / HELDOUT_DIR)]
        return Converted(
            repo=repo,
            base=base,
            head=head,
            task=task,
            files=files,
            notes=notes,
            api=text(row, "api", required=False) or None,
            created_at=text(row, "created_at", required=False) or None,
        )


def adapt_commands(commands: list[str]) -> tuple[list[str], str | None, list[str]]:
    """GSO's uv recipe as isobench install commands: (commands, the Python version `uv venv` asked for, notes).

    isobench makes each variant's venv itself and runs every command in it, each in its own shell, with
    `pip` being uv's pip. So `uv venv` and `source .venv/bin/activate` go (the version `uv venv --python`
    names becomes the task's `python`), `uv pip ...` becomes `pip ...`, `git clean` goes (a variant's copy
    starts clean; GSO's own harness drops it too), an `export` is carried into the commands after it, and
    system steps (apt-get, sudo, conda) go into a note: the set's image provides them.
    """
    out: list[str] = []
    version: str | None = None
    exports: list[str] = []
    system: list[str] = []
    for command in commands:
        kept = []
        for part in _AND.split(command.strip()):
            try:
                argv = shlex.split(part)
            except ValueError:
                kept.append(part)
                continue
            if not argv:
                continue
            if argv[:2] == ["uv", "venv"]:
                version = _python_request(argv) or version
            elif _dropped(argv):
                continue
            elif argv[0] == "export":
                exports.append(part)
            elif argv[0] in _SYSTEM:
                system.append(part)
            elif argv[:2] == ["uv", "pip"]:
                kept.append(part.split("uv", 1)[1].strip())
            else:
                kept.append(part)
        if kept:
            out.append(" && ".join([*exports, *kept]))
    notes = (
        [f"system steps of the set's recipe, not run (its image provides them): {'; '.join(system)}"] if system else []
    )
    return out, version, notes


def _dropped(argv: list[str]) -> bool:
    """A step isobench does itself or must not do: (de)activating the venv, `git clean`."""
    activate = argv[0] in ("source", ".") and argv[-1].endswith("bin/activate")
    return activate or argv == ["deactivate"] or argv[:2] == ["git", "clean"]


def _python_request(argv: list[str]) -> str | None:
    """The interpreter `uv venv --python X` / `-p X` / `--python=X` asks for."""
    for i, arg in enumerate(argv):
        if arg in ("--python", "-p") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--python="):
            return arg.split("=", 1)[1]
    return None


def find_python(request: str) -> str | None:
    """An interpreter on this machine matching `request` (e.g. `3.9`): isobench's own when it matches, else
    one found as uv finds one (system and uv-installed interpreters, never a download); None if none."""
    from isobench.envs import uv_binary

    version = re.fullmatch(r"(?:c?python)?(\d+)\.(\d+)(?:\.(\d+))?", request.strip())
    if version and _is_running(*version.groups()):
        return sys.executable  # isobench's own interpreter, as the variants get by default
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory() as cwd:  # outside any project: its requires-python must not interfere
        proc = subprocess.run(
            [uv_binary(), "python", "find", "--system", "--no-project", request],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
        )
    path = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else ""
    return path or None


def _is_running(major: str, minor: str, micro: str | None) -> bool:
    """Whether the interpreter running isobench is this version."""
    running = sys.version_info
    return (int(major), int(minor)) == running[:2] and (micro is None or int(micro) == running.micro)
