"""The published optimization benchmarks' rows as isobench tasks: `isobench plan --from FILE`.

One module per set turns a row into task keys (importers/<set>.py); `plan_from_file` (importers/planner.py)
writes them as task files under state/imports/ and plans them through the normal path. A file's set is
recognised from its columns (`SETS`), or named with `--set`.
"""

from __future__ import annotations

from pathlib import Path

from isobench.errors import UserError
from isobench.importers.base import Importer
from isobench.importers.formulacode import FormulaCode
from isobench.importers.gso import GSO
from isobench.importers.swefficiency import SWEfficiency
from isobench.importers.sweperf import SWEPerf

SETS: dict[str, Importer] = {i.name: i for i in (GSO(), SWEfficiency(), SWEPerf(), FormulaCode())}
"""Every set isobench reads, by its `--set` name."""


def choose(path: Path, columns: list[str], name: str | None) -> Importer:
    """The set of a file: `name` when given (its required columns must be there), else the one set whose
    signature columns the file has. Raises UserError naming the file (and the column) otherwise."""
    have = set(columns)
    if name is not None:
        if name not in SETS:
            raise UserError(f"--set: unknown set {name!r}; known: {', '.join(SETS)}")
        importer = SETS[name]
    else:
        matches = [i for i in SETS.values() if set(i.signature) <= have]
        if not matches:
            known = "; ".join(f"{i.title}: {', '.join(i.signature)}" for i in SETS.values())
            raise UserError(f"{path}: not a row format isobench knows (columns it looks for: {known}); give --set")
        if len(matches) > 1:
            names = ", ".join(i.name for i in matches)
            raise UserError(f"{path}: its columns fit several sets ({names}): give --set")
        importer = matches[0]
    for column in importer.required:
        if column not in have:
            raise UserError(
                f"{path}: column {column} is missing: a {importer.title} row needs {', '.join(importer.required)}"
            )
    return importer


__all__ = ["SETS", "Importer", "choose"]
