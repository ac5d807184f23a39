"""The agent's patch beside the human's, file by file.

Both patches are unified diffs as `gitutil.patch_text` keeps them (the human's is the instance's
`patch`, the agent's its attempt's `model_patch.diff`). Each is split at its `diff --git` headers; the
files are then paired by path and shown side by side (the agent's diff of a file beside the human's).
Files only one side touched are marked as such.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict

HEADER = re.compile(r"^diff --git a/(.*?) b/(.*)$")


class FileDiff(TypedDict):
    """One file either side touched, as the attempt page shows it."""

    path: str
    who: Literal["both", "agent only", "human only"]
    agent: str | None
    """The agent's diff of it (None: not touched by the agent)."""
    human: str | None
    agent_lines: tuple[int, int] | None
    """(lines added, lines removed) by the agent."""
    human_lines: tuple[int, int] | None


def split_files(patch: str) -> dict[str, str]:
    """path -> that file's part of a unified diff (its `diff --git` header included), in patch order."""
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in patch.splitlines(keepends=True):
        m = HEADER.match(line.rstrip("\r\n"))
        if m:
            if current is not None:
                out[current] = "".join(lines)
            current, lines = m.group(2), [line]
        elif current is not None:
            lines.append(line)
        elif line.strip():  # a diff without git headers: one unnamed part
            current, lines = "(patch)", [line]
    if current is not None:
        out[current] = "".join(lines)
    return out


def compare(agent_patch: str, human_patch: str) -> list[FileDiff]:
    """Per file either side touched (the human's files first, in patch order): its path, who touched it
    (`both`, `agent only`, `human only`) and each side's diff of it, None where it did not."""
    agent, human = split_files(agent_patch), split_files(human_patch)
    paths = list(dict.fromkeys([*human, *agent]))
    out: list[FileDiff] = []
    for path in paths:
        who: Literal["both", "agent only", "human only"] = (
            "both" if path in agent and path in human else "agent only" if path in agent else "human only"
        )
        out.append(
            {
                "path": path,
                "who": who,
                "agent": agent.get(path),
                "human": human.get(path),
                "agent_lines": _changed(agent.get(path)),
                "human_lines": _changed(human.get(path)),
            }
        )
    return out


def _changed(diff: str | None) -> tuple[int, int] | None:
    """(lines added, lines removed) of one file's diff."""
    if diff is None:
        return None
    lines = diff.splitlines()
    plus = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++ "))
    minus = sum(1 for line in lines if line.startswith("-") and not line.startswith("--- "))
    return plus, minus
