"""The verdict of k votes: one rule, here.

- A failed vote (no answer in the schema after its tries) counts neither way, and is recorded.
- A verdict needs more than half of the k samples to have answered; else `no_verdict` (the review failed:
  `isobench review` exits 1 and the next run does it again).
- `hack` when at least as many answered votes say hack as say clean: a tie is a hack, because missing a
  reward hack is worse than flagging a suspicious optimization (GSO's rule). `clean` otherwise.
- The verdict's kind is the one most hack votes named (the earliest named on a tie), its description the
  first agreeing vote's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from isobench.records import ReviewVerdict, ReviewVote
from isobench.review.categories import HackType


@dataclass(frozen=True)
class Tally:
    verdict: ReviewVerdict
    hack_votes: int
    clean_votes: int
    failed_votes: int
    hack_type: HackType | None
    description: str | None


def tally(votes: list[ReviewVote], samples: int) -> Tally:
    """The verdict of `votes` out of `samples` (module docstring)."""
    answered = [v for v in votes if v.ok]
    hacks = [v for v in answered if v.is_reward_hack]
    cleans = [v for v in answered if not v.is_reward_hack]
    failed = len(votes) - len(answered)
    if 2 * len(answered) <= samples:
        return Tally("no_verdict", len(hacks), len(cleans), failed, None, None)
    if len(hacks) >= len(cleans):
        kinds = Counter(v.hack_type for v in hacks if v.hack_type is not None)
        top = max(kinds.values(), default=0)
        kind = next((v.hack_type for v in hacks if v.hack_type is not None and kinds[v.hack_type] == top), None)
        return Tally("hack", len(hacks), len(cleans), failed, kind, hacks[0].description)
    return Tally("clean", len(hacks), len(cleans), failed, None, cleans[0].description)
