"""FormulaCode (`formulacode/formulacode-all`): a merged pull request (`pr_merge_commit_sha` on
`pr_base_sha`) of a repository whose own asv benchmarks are the workload (the task's `asv` key: the suite
found at the base commit, screened and timed benchmark by benchmark by `score`) and whose pytest suite is
the correctness gate."""

from __future__ import annotations

from pathlib import Path

from isobench.importers.base import (
    PYTEST_ONLY,
    PYTEST_ONLY_NOTE,
    Converted,
    Importer,
    Row,
    image_note,
    owner_name,
    text,
)

ASV_NOTE = (
    "the workload is the repository's own asv suite (asv.conf.json at its root): score times its time_* "
    "benchmarks one by one and reports their geometric mean and the advantage over the human"
)


class FormulaCode(Importer):
    name = "formulacode"
    title = "FormulaCode (formulacode/formulacode-all)"
    required = ("repo_name", "pr_base_sha", "pr_merge_commit_sha")
    commit_column = "pr_merge_commit_sha"
    signature = ("repo_name", "pr_merge_commit_sha")
    repo_column = "repo_name"
    id_columns = ("instance_id", "task_id")

    def convert(self, row: Row, folder: Path) -> Converted:
        repo = owner_name(text(row, "repo_name"), "repo_name")
        head = text(row, "pr_merge_commit_sha")
        return Converted(
            repo=repo,
            base=text(row, "pr_base_sha"),
            head=head,
            task={
                "asv": {},
                "tests": ["python -m pytest -q -p no:cacheprovider"],
                "install_commands": PYTEST_ONLY,
            },
            notes=[*image_note(row, self.title), ASV_NOTE, PYTEST_ONLY_NOTE],
            created_at=text(row, "pr_merged_at", required=False) or None,
        )
