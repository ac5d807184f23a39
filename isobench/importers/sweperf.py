"""SWE-Perf (`SWE-Perf/SWE-Perf`): a human commit (`head_commit` on `base_commit`) and the pytest node ids
whose run time it improves (`efficiency_test`); the same tests must still pass."""

from __future__ import annotations

import shlex
from pathlib import Path

from isobench.importers.base import (
    PYTEST_ONLY,
    PYTEST_ONLY_NOTE,
    Converted,
    Importer,
    Row,
    RowError,
    image_note,
    owner_name,
    strings,
    text,
)


class SWEPerf(Importer):
    name = "sweperf"
    title = "SWE-Perf (SWE-Perf/SWE-Perf)"
    required = ("repo", "base_commit", "head_commit", "efficiency_test")
    commit_column = "head_commit"
    signature = ("head_commit", "efficiency_test")

    def convert(self, row: Row, folder: Path) -> Converted:
        repo = owner_name(text(row, "repo"), "repo")
        head = text(row, "head_commit")
        ids = strings(row, "efficiency_test")
        if not ids:
            raise RowError("column efficiency_test is empty: no test to time")
        # One pytest process over the node ids, timed whole (pytest cannot run twice in one process); no
        # cache written into the variant's copy.
        pytest = "python -m pytest -q -p no:cacheprovider " + " ".join(shlex.quote(i) for i in ids)
        notes = [*image_note(row, self.title), PYTEST_ONLY_NOTE]
        human = row.get("human_performance")
        if isinstance(human, int | float):
            notes.append(f"SWE-Perf reports the human change's gain on these tests as {human:g}")
        return Converted(
            repo=repo,
            base=text(row, "base_commit"),
            head=head,
            task={
                "efficiency_test": [pytest],
                "workload_timing": "whole_process",
                "tests": [pytest],
                "install_commands": PYTEST_ONLY,
            },
            notes=notes,
            created_at=text(row, "created_at", required=False) or None,
        )
