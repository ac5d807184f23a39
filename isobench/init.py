"""`isobench init [DIR]`: a starter project (as `asv quickstart` makes one) that runs as it is.

Writes a commented bench.yaml, tasks/example.yaml and the example repository it points at (the demo
library, built from the package data in isobench/demo/ with its real optimization commits and its asv
suite), so a newcomer starts from something that works and changes it into their own benchmark.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from isobench import demo_repo
from isobench.errors import UserError

FILES = {"bench.yaml": "bench.yaml", "tasks/example.yaml": "example.yaml"}
EXAMPLE_REPO = Path("tasks") / "example-repo"


def init(folder: Path, *, force: bool = False) -> list[Path]:
    """Write the starter files into `folder` (created if missing); refuse to overwrite unless `force`."""
    folder = folder.absolute()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: exists and is not a folder")
    targets = [folder / rel for rel in FILES]
    if not force:
        for t in [*targets, folder / EXAMPLE_REPO]:
            if t.exists():
                raise UserError(f"{t}: already exists; isobench init writes only new files (--force replaces them)")
    written = []
    for rel, template in FILES.items():
        text = resources.files("isobench").joinpath("templates", "init", template).read_text(encoding="utf-8")
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    demo_repo.build(folder / EXAMPLE_REPO, force=force)
    written.append(folder / EXAMPLE_REPO)
    return written
