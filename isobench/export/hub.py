"""Pushing an export to the Hugging Face Hub, with the token from the environment (never shown)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from isobench.errors import UserError
from isobench.export.card import dataset_card
from isobench.records import Correlation

if TYPE_CHECKING:
    import datasets

    from isobench.export.schema import ExportRow

TOKEN_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
"""Where `--push-to-hub` finds the Hugging Face token (never written anywhere)."""


def hub_token() -> str | None:
    """The Hugging Face token from the environment (HF_TOKEN, else HUGGING_FACE_HUB_TOKEN)."""
    import os

    for name in TOKEN_VARS:
        if os.environ.get(name):
            return os.environ[name]
    return None


def push(
    ds: datasets.Dataset,
    rows: list[ExportRow],
    out: Path,
    repo_id: str,
    token: str,
    correlation: Correlation | None = None,
) -> None:
    """Push the dataset, then the card, predictions and report, to a Hub dataset repository.

    The token goes only to the Hub client; an error message is scrubbed of it before being shown.
    """
    try:
        from huggingface_hub import HfApi

        ds.push_to_hub(repo_id, token=token)
        api = HfApi(token=token)
        api.upload_file(
            path_or_fileobj=dataset_card(rows, "data/train-*", correlation, for_hub=True).encode(),
            path_in_repo="README.md",
            repo_id=repo_id,
            repo_type="dataset",
        )
        for sub in ("predictions", "report"):
            if (out / sub).is_dir():
                api.upload_folder(folder_path=str(out / sub), path_in_repo=sub, repo_id=repo_id, repo_type="dataset")
    except Exception as exc:
        msg = str(exc).replace(token, "***")
        raise UserError(
            f"--push-to-hub {repo_id}: {type(exc).__name__}: {msg} (the local export in {out} is complete)"
        ) from None
