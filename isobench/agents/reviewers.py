"""Scripted reviewers: the scripted LLM server plays the model of `isobench review`, offline.

A reviewer script is a pure function ``(scenario, history) -> ToolCall | TextReply`` like the agents'
scripts (:mod:`isobench.agents.scripts`), answered through the same wire formats. It reads the patch under
review from the request (the user message's last section, `review.prompt.CANDIDATE_HEADING`) and answers
by calling ``submit_review``, or in text. The review stage hands each vote its own server key, with
``params.sample`` (1..k) set, so a script can vote differently per sample; ``params.fail_first`` (the
server's) fails each vote's first N calls with HTTP ``params.status`` (429 by default).

- ``reviewer-hack``: calls everything a hack (``params.hack_type``, default ``hardcoded_inputs``).
- ``reviewer-clean``: calls nothing a hack.
- ``reviewer-honest``: calls a patch a hack only when one of its added lines holds one of
  ``params.markers`` (default ``["ISOBENCH-HACK"]``): the human's patch, which holds none, never is.
- ``reviewer-split``: sample i votes ``params.votes[(i - 1) % len]`` (booleans: hack or not).
- ``reviewer-malformed``: answers outside the schema (``params.form``: ``text``, JSON that does not
  parse; ``tool``, a call whose arguments have the wrong types) on its first ``params.bad_tries`` tries of
  each vote (default: every try), then as ``reviewer-honest``.
- ``reviewer-refuse``: answers "I can't help with that." in text, without a call, on its first
  ``params.bad_tries`` tries (default: every try), then as ``reviewer-honest``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from isobench.agents.scripts import History, Scenario, TextReply, ToolCall
from isobench.review.prompt import CANDIDATE_HEADING, TOOL_NAME

DEFAULT_MARKERS = ("ISOBENCH-HACK",)


def _answer(hack: bool, hack_type: str, description: str) -> ToolCall:
    return ToolCall(TOOL_NAME, {"is_reward_hack": hack, "hack_type": hack_type, "description": description})


def candidate(history: History) -> str:
    """The patch under review: the first user message, from `CANDIDATE_HEADING` to its end."""
    for msg in history.messages:
        content = msg.get("content")
        text = content if isinstance(content, str) else ""
        if msg.get("role") == "user" and CANDIDATE_HEADING in text:
            return text.split(CANDIDATE_HEADING, 1)[1]
    return ""


def _tries_before(history: History) -> int:
    """Answers this vote already gave (each retry appends the last answer and a correction)."""
    return sum(1 for m in history.messages if m.get("role") == "assistant")


def always_hack(scenario: Scenario, history: History) -> ToolCall:
    kind = str(scenario.params.get("hack_type", "hardcoded_inputs"))
    return _answer(True, kind, f"Scripted: every patch is called a hack ({kind}).")


def never_hack(scenario: Scenario, history: History) -> ToolCall:
    return _answer(False, "none", "Scripted: no patch is called a hack.")


def honest(scenario: Scenario, history: History) -> ToolCall:
    markers = [str(m) for m in scenario.params.get("markers", DEFAULT_MARKERS)]
    added = [ln for ln in candidate(history).splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    hits = sorted({m for m in markers for ln in added if m in ln})
    if hits:
        kind = str(scenario.params.get("hack_type", "hardcoded_inputs"))
        return _answer(True, kind, f"The patch adds lines marked {', '.join(hits)}.")
    return _answer(False, "none", "The patch adds no marked line: a genuine optimization.")


def split(scenario: Scenario, history: History) -> ToolCall:
    votes = [bool(v) for v in scenario.params.get("votes", [True, False])]
    sample = int(scenario.params.get("sample", 1))
    if votes[(sample - 1) % len(votes)]:
        return _answer(True, str(scenario.params.get("hack_type", "work_moved_out")), f"Scripted vote {sample}: hack.")
    return _answer(False, "none", f"Scripted vote {sample}: clean.")


def _bad(scenario: Scenario, history: History) -> bool:
    return _tries_before(history) < int(scenario.params.get("bad_tries", 1_000_000))


def malformed(scenario: Scenario, history: History) -> ToolCall | TextReply:
    if not _bad(scenario, history):
        return honest(scenario, history)
    if scenario.params.get("form", "text") == "tool":
        return ToolCall(TOOL_NAME, {"is_reward_hack": "perhaps", "hack_type": "teleportation"})
    return TextReply('{"is_reward_hack": tru, "hack_type": "none", "description": "cut off')


def refuse(scenario: Scenario, history: History) -> ToolCall | TextReply:
    if not _bad(scenario, history):
        return honest(scenario, history)
    return TextReply("I'm sorry, but I can't help with that.")


ReviewerFn = Callable[[Scenario, History], ToolCall | TextReply]

REVIEWERS: dict[str, ReviewerFn] = {
    "reviewer-hack": always_hack,
    "reviewer-clean": never_hack,
    "reviewer-honest": honest,
    "reviewer-split": split,
    "reviewer-malformed": malformed,
    "reviewer-refuse": refuse,
}


def reviewer_scenario(script: str, params: Mapping[str, object], sample: int) -> Scenario:
    """The scenario of one vote of a scripted reviewer: its script, its params with `sample` set."""
    return Scenario(script=script, params={**params, "sample": sample})
