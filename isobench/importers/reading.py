"""Reading a published set's rows: parquet (as the Hugging Face hub serves it) or JSON lines (as
`datasets.Dataset.to_json` writes it), into plain dicts."""

from __future__ import annotations

import json
from pathlib import Path

from isobench.errors import UserError, one_line
from isobench.importers.base import Row

PARQUET_MAGIC = b"PAR1"


def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """The rows of FILE and its columns (the parquet schema's, or every key some JSON row has).

    Raises UserError naming the file for a missing or unreadable file, an unknown format, or no rows.
    """
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    with path.open("rb") as f:
        head = f.read(4)
    suffix = path.suffix.lower()
    if suffix == ".parquet" or (head == PARQUET_MAGIC and suffix not in (".jsonl", ".json", ".ndjson")):
        rows, columns = _parquet(path)
    elif suffix in (".jsonl", ".json", ".ndjson"):
        rows, columns = _json_lines(path)
    else:
        raise UserError(f"{path}: unknown format: expected a .parquet or a .jsonl file (JSON lines)")
    if not rows:
        raise UserError(f"{path}: no rows")
    return rows, columns


def _parquet(path: Path) -> tuple[list[Row], list[str]]:
    import pyarrow as pa  # only when importing: `isobench --help` stays fast
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise UserError(f"{path}: not a readable parquet file: {one_line(str(exc))}") from None
    return table.to_pylist(), list(table.column_names)


def _json_lines(path: Path) -> tuple[list[Row], list[str]]:
    """JSON lines; a file holding one JSON array of objects is read too (`to_json(lines=False)`)."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
        items = list(enumerate(data, 1))
    else:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise UserError(f"{path}: line {n}: not valid JSON: {exc.msg}") from None
    rows: list[Row] = []
    columns: dict[str, None] = {}
    for n, item in items:
        if not isinstance(item, dict):
            raise UserError(f"{path}: line {n}: expected a JSON object (one row), got {type(item).__name__}")
        rows.append(item)
        columns.update(dict.fromkeys(item))
    return rows, list(columns)
