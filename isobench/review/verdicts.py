"""What the reviews in a state say, for `correlate` and the export (the read side of `isobench review`).

A review counts for an attempt only while the attempt's patch is the one reviewed (`patch_digest`); what a
hack verdict does to the attempt's outcome is `outcome.reviewed`, one rule, applied by both readers here.
"""

from __future__ import annotations

from isobench.records import ReviewRecord
from isobench.state import State, fingerprint


def current(state: State, iid: str, provider: str, attempt: int) -> ReviewRecord | None:
    """The attempt's review, if it reviewed the attempt's present patch (else None: not reviewed)."""
    from isobench.score import agent_patch

    rec = state.review_record(iid, provider, attempt)
    if rec is None or rec.patch_digest != fingerprint(agent_patch(state, iid, provider, attempt)):
        return None
    return rec


def unreliable(state: State, iid: str) -> bool | None:
    """Whether the reviewer called the human's own patch of the instance a hack (its reviews are then marked
    unreliable); None when the human's patch was not reviewed."""
    human = state.review_record(iid, None, None)
    return None if human is None else human.verdict == "hack"
