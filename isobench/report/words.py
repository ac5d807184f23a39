"""The report's words, taken from the code that decides: the report types no definition of its own.

- the outcome definitions are the bullets of `isobench.outcome`'s docstring (`**name**: text`);
- the integrity flags' definitions are `isobench.flags.MEANING`, with each rule from the bullets of
  `isobench.score.integrity`'s docstring (`` `name`: text ``); a flag the code adds later shows with
  whatever definition it documents there;
- the attempt statuses are `records.AttemptStatus`, grouped by `HARNESS_FAILURES` / `AGENT_FAILURES`;
- the match labels are `records.MatchLabel`; the thresholds are bench.yaml's `score` settings, with
  their docstrings from `config.ScoreConfig`, and `outcome.GSO_MIN_SPEEDUP`, `integrity.CROSS_CALL_SHARE`;
- the timing rule is `measure.stats`'s docstring paragraph on decisions.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import TYPE_CHECKING, TypedDict

from isobench import flags, outcome
from isobench.records import AGENT_FAILURES, ATTEMPT_STATUSES, HARNESS_FAILURES, MatchLabel
from isobench.score import integrity

if TYPE_CHECKING:
    from isobench.config import ScoreConfig


class Status(TypedDict):
    """An attempt status and the group it belongs to."""

    name: str
    group: str


class Threshold(TypedDict):
    """A threshold the verdicts use: its name, value and what it is."""

    name: str
    value: float
    doc: str


def _bullets(doc: str, pattern: str) -> dict[str, str]:
    """`- <name>: text` bullets of a docstring (continuation lines joined), name -> text."""
    out: dict[str, str] = {}
    name: str | None = None
    for line in (doc or "").splitlines():
        m = re.match(r"^- " + pattern + r":\s*(.*)$", line.strip())
        if m:
            name = m.group(1)
            out[name] = m.group(2).strip()
        elif name and line.startswith("  ") and line.strip() and not line.strip().startswith("- "):
            out[name] += " " + line.strip()
        else:
            name = None
    return out


@functools.cache
def outcome_definitions() -> dict[str, str]:
    """`isobench.outcome`'s definitions: name -> text, in its order."""
    return _bullets(outcome.__doc__ or "", r"\*\*(.+?)\*\*(?: \([^)]*\))?")


@functools.cache
def flag_definitions() -> dict[str, str]:
    """Every integrity flag: name -> what raises it and what it costs (`isobench.flags.MEANING`), with the
    rule that raises it (the bullets of `isobench.score.integrity`'s docstring)."""
    rules = _bullets(integrity.__doc__ or "", r"`(.+?)`")
    meaning: dict[str, str] = {str(k): v for k, v in flags.MEANING.items()}
    names = list(dict.fromkeys([*meaning, *rules]))
    return {n: "; ".join(t for t in (meaning.get(n), rules.get(n) and "the rule: " + rules[n]) if t) for n in names}


def flag_definition(name: str) -> str | None:
    """A flag's definition: the integrity module's, else the outcome's (`overfit` is decided there)."""
    return flag_definitions().get(name) or outcome_definitions().get(name)


def valid_instance() -> str:
    """When an instance counts (score.judge.validity's docstring)."""
    from isobench.score.judge import validity

    return " ".join((validity.__doc__ or "").replace("; else the reason.", ".").split())


def timing_rule() -> str:
    """How the timing rule decides faster / slower / no difference (measure.stats's docstring)."""
    from isobench.measure import stats

    doc = stats.__doc__ or ""
    m = re.search(r"\* (Decisions are made on the interval.*?)(?:\n\*|\n\n)", doc, re.S)
    text = m.group(1) if m else ""
    return re.sub(r":func:`(\w+)`", r"\1", " ".join(text.split()))


def statuses() -> list[Status]:
    """Every attempt status with the group it belongs to."""

    def group(s: str) -> str:
        if s == "success":
            return "the agent called finish"
        if s in HARNESS_FAILURES:
            return "harness failure (no answer from the endpoint, the environment or isobench)"
        if s in AGENT_FAILURES:
            return "the agent ran to an end without finishing"
        return "stopped"

    return [{"name": s, "group": group(s)} for s in ATTEMPT_STATUSES]


def match_labels() -> list[str]:
    return list(MatchLabel.__args__)  # type: ignore[attr-defined]


def thresholds(score_cfg: ScoreConfig) -> list[Threshold]:
    """The thresholds the verdicts use: (name, value, what it is, from the code's docstrings)."""
    fields = type(score_cfg).model_fields
    out: list[Threshold] = [
        {"name": key, "value": getattr(score_cfg, key), "doc": fields[key].description or _attr_doc(key)}
        for key in ("min_gain", "match_threshold", "admission_min_speedup")
        if key in fields
    ]
    out.append(
        {"name": "GSO_MIN_SPEEDUP", "value": outcome.GSO_MIN_SPEEDUP, "doc": _module_doc(outcome, "GSO_MIN_SPEEDUP")}
    )
    out.append(
        {
            "name": "CROSS_CALL_SHARE",
            "value": integrity.CROSS_CALL_SHARE,
            "doc": _module_doc(integrity, "CROSS_CALL_SHARE"),
        }
    )
    return out


def _attr_doc(key: str) -> str:
    from isobench.config import ScoreConfig

    return _source_doc(ScoreConfig, key)


def _module_doc(module: ModuleType, name: str) -> str:
    return _source_doc(module, name)


@functools.cache
def _source_doc(obj: type | ModuleType, name: str) -> str:
    """The docstring under an assignment `name = ...` / `name: T = ...` in obj's source."""
    import inspect

    try:
        src = inspect.getsource(obj)
    except (OSError, TypeError):
        return ""
    m = re.search(r"^\s*" + re.escape(name) + r"\b[^\n]*\n\s*\"\"\"(.*?)\"\"\"", src, re.S | re.M)
    return " ".join(m.group(1).split()) if m else ""
