"""SWE-fficiency (`swefficiency/swefficiency`, and its `_lite` subset): the expert's change as a patch on
`base_commit` (no commit of its own), a Python workload script timing itself with `timeit.repeat`, and
the covering test files run with the row's `test_cmd` (the set grades their PASS_TO_PASS tests)."""

from __future__ import annotations

import shlex
from pathlib import Path

from isobench.importers.base import Converted, Importer, Row, RowError, image_note, owner_name, strings, text

WORKLOAD = "workload/workload.py"


class SWEfficiency(Importer):
    name = "swefficiency"
    title = "SWE-fficiency (swefficiency/swefficiency)"
    required = ("repo", "base_commit", "patch", "workload", "test_cmd", "covering_tests")
    commit_column = "base_commit"
    signature = ("workload", "covering_tests")

    def convert(self, row: Row, folder: Path) -> Converted:
        repo = owner_name(text(row, "repo"), "repo")
        base = text(row, "base_commit")
        test_cmd = text(row, "test_cmd")
        covering = strings(row, "covering_tests")
        if not covering:
            raise RowError("column covering_tests is empty: no correctness test to run")
        notes = image_note(row, self.title)
        # The set's image has the repository's dependencies and rebuilds the package after each patch with
        # `rebuild_cmd`: in a fresh venv that command is the install (the dependencies are not there).
        rebuild = text(row, "rebuild_cmd", required=False)
        notes.append(
            f"install_commands: the set's rebuild_cmd ({rebuild}); its image has the repository's dependencies "
            "preinstalled, a variant's venv does not"
            if rebuild
            else "no install recipe: the set runs this row in its image, with the repository built and installed"
        )
        notes.append(
            "correctness: one test command per covering test file (a file failing on the human commit too is not "
            f"counted); the set grades the {len(strings(row, 'PASS_TO_PASS'))} PASS_TO_PASS tests among them"
        )
        notes.append("the workload script repeats its own timeit loop inside each timed run")
        return Converted(
            repo=repo,
            base=base,
            head=None,
            patch=text(row, "patch", content=True),
            task={
                "efficiency_test": [f"python {shlex.quote(str(folder / WORKLOAD))}"],
                "tests": [f"{test_cmd} {shlex.quote(path)}" for path in covering],
                "workload_files": [str(folder / WORKLOAD)],
                "install_commands": [rebuild] if rebuild else [],
            },
            files={WORKLOAD: text(row, "workload", content=True)},
            notes=notes,
            created_at=text(row, "created_at", required=False) or None,
        )
