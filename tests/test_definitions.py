"""One rule, one place: every flag, label, status and failure reason the code can write is defined where people
read about it (the README, the dataset card, the export's column docs, the report's glossary), so a new one
cannot be missing from any of them."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from isobench import flags
from isobench.export.card import flag_docs
from isobench.export.schema import column_docs
from isobench.records import AttemptStatus, Build, FailureReason, MatchLabel, ScoreStatus

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
NAMES = {
    "integrity flag": get_args(flags.IntegrityFlag),
    "match label": get_args(MatchLabel),
    "failure reason": get_args(FailureReason),
    "attempt status": get_args(AttemptStatus),
    "build result": get_args(Build),
    "score status": get_args(ScoreStatus),
}


def test_every_flag_has_its_meaning_written_once() -> None:
    assert set(flags.MEANING) == set(flags.FLAGS) and len(flags.FLAGS) == len(set(flags.FLAGS))
    assert all(len(text) > 40 for text in flags.MEANING.values())


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_the_readme_names_every_one(kind: str) -> None:
    missing = [n for n in NAMES[kind] if f"`{n}`" not in README]
    assert not missing, f"README.md does not define these {kind}s: {missing}"


def test_the_dataset_card_defines_every_flag_in_the_words_of_the_code() -> None:
    text = flag_docs()
    for name in flags.FLAGS:
        assert f"`{name}`: {flags.MEANING[name]}" in text


def test_the_export_columns_list_every_failure_reason_and_match_label() -> None:
    docs = {name: doc for name, _, doc in column_docs()}
    for kind, column in (("failure reason", "failure_reason"), ("match label", "match_label")):
        missing = [n for n in NAMES[kind] if n not in docs[column]]
        assert not missing, f"the {column} column's description lacks {missing}"
