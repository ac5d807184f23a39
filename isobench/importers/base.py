"""What every set's importer shares: the row it reads, what it turns the row into, and the helpers that
read a row's values the way the sets store them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from isobench.gitutil import is_url

_OWNER_NAME = re.compile(r"^[\w.-]+/[\w.-]+$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
type Row = dict[str, object]
"""One row of a set, column -> value, as its file holds it: JSON values, or parquet's (which may be dates or
bytes too), read with `text` and `strings`."""
# Columns the sets use to name a row's container image (the environment their own harness runs it in).
IMAGE_COLUMNS = ("image_name", "docker_image", "container_name", "image", "instance_image")


class RowError(Exception):
    """This row cannot be planned (a value missing or unusable, its repository or commit not found): it is
    reported with the reason and counted, the other rows go on."""


@dataclass
class Converted:
    """One row as isobench task keys, before its repository is resolved.

    `task` holds TaskFile keys other than name, repo and commits; `files` the scripts to write beside the
    task file (name -> content, the name relative to the row's folder); `head` None means the set gives no
    human commit, only `patch`: a commit applying it to `base` is made (`repos.synthesize_head`).
    """

    repo: str
    base: str
    head: str | None
    task: dict[str, object]
    files: dict[str, str] = field(default_factory=dict)
    patch: str | None = None
    notes: list[str] = field(default_factory=list)
    api: str | None = None
    created_at: str | None = None
    has_workload: bool = True
    """False where the set's workload is something isobench cannot time (the instance is planned without one)."""


class Importer:
    """One published set's row format. Subclasses set the class attributes and `convert`."""

    name: ClassVar[str]
    """The `--set` name."""
    title: ClassVar[str]
    """How the set calls itself, and its dataset on the Hugging Face hub."""
    required: ClassVar[tuple[str, ...]]
    """Columns without which its rows mean nothing (missing from the file: exit 2)."""
    signature: ClassVar[tuple[str, ...]]
    """Columns only this set has together: how a file's set is recognised."""
    repo_column: ClassVar[str] = "repo"
    commit_column: ClassVar[str]
    """The commit naming a row that has no id column (its human commit, else its base)."""
    id_columns: ClassVar[tuple[str, ...]] = ("instance_id",)

    def identify(self, row: Row) -> str:
        """The row's id in its set (its id column, else `owner__name-<commit>`). Raises RowError."""
        for column in self.id_columns:
            value = text(row, column, required=False)
            if value:
                return value
        return default_id(owner_name(text(row, self.repo_column), self.repo_column), text(row, self.commit_column))

    def convert(self, row: Row, folder: Path) -> Converted:
        """The row as task keys; its scripts' paths are under `folder`. Raises RowError."""
        raise NotImplementedError


def text(row: Row, column: str, *, required: bool = True, content: bool = False) -> str:
    """A string column's value, stripped (a script's or a patch's `content` is kept byte for byte); RowError
    when required and empty."""
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"column {column} is empty")
        return ""
    if not isinstance(value, str):
        raise RowError(f"column {column}: expected a string, got {type(value).__name__}")
    return value if content else value.strip()


def strings(row: Row, column: str) -> list[str]:
    """A list-of-strings column's value: a list (parquet, JSON lines), or a JSON list kept as a string (as
    SWE-bench-style sets store PASS_TO_PASS); missing or null is empty."""
    value = row.get(column)
    if value is None:
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return []
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                raise RowError(f"column {column}: not a JSON list: {stripped[:60]}") from None
        else:
            return [stripped]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RowError(f"column {column}: expected a list of strings")
    return [v for v in value if v.strip()]


def owner_name(value: str, column: str) -> str:
    """`owner/name` (or a clone URL, kept as given)."""
    if _OWNER_NAME.match(value) or is_url(value):
        return value
    raise RowError(f"column {column}: expected owner/name, got {value!r}")


def safe_id(value: str) -> str:
    """A row's id as a file and instance name."""
    return _UNSAFE.sub("-", value).strip("-.") or "row"


def default_id(repo: str, commit: str) -> str:
    """SWE-bench's style of id (`owner__name-<sha>`) for a row that has none."""
    return f"{repo.rstrip('/').removesuffix('.git').split(':')[-1].replace('/', '__')}-{commit[:10]}"


PYTEST_ONLY = ["pip install pytest"]
"""The install recipe of a set that names none (its container image has the project's dependencies): pytest,
which its tests need, in the variant's venv; the project itself is imported from the repository root, as
`python -m pytest` puts it first on sys.path. Enough for a pure-Python project; others need the task's own
install_commands (edit the task file under state/imports/)."""
PYTEST_ONLY_NOTE = (
    "install_commands: only pytest (the set names no recipe: its image holds the project's dependencies); "
    "a project that must be built or needs more packages needs its own install_commands"
)


def image_note(row: Row, title: str) -> list[str]:
    """The row's container image as a note: where the set's own harness runs it."""
    for column in IMAGE_COLUMNS:
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            return [
                f"container.image: {value.strip()} ({title} runs this row in that image, its dependencies "
                "preinstalled; isobench builds each variant in a fresh venv from install_commands instead)"
            ]
    return []
