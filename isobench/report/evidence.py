"""The evidence behind an attempt's verdict, as the score recorded it: the raw timing samples per round
(`score/<iid>/samples.jsonl`), drawn as inline SVG; and each integrity flag with what triggered it.

Flags are read generically: a flag on a score row is a name (or a record with a name and its own
evidence fields, shown as they are), defined by `words.flag_definition`; beside it the row's and the
instance's recorded fields that bear on it (the workload error, the output check, first-call against
repeated-call speedup, the CPU time outside the timed calls from the samples). A flag the code adds later
shows with its name, its definition and whatever evidence it records, with no change here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TypedDict

from pydantic import BaseModel

from isobench.flags import BACKGROUND_WORK, CROSS_CALL, OUTPUT_DIFFERS
from isobench.jsontypes import JSON, JSONObject, number
from isobench.records import InstanceScore, Outcome, VariantScore
from isobench.report.words import flag_definition
from isobench.score import integrity

SAMPLE_FIELDS = ("value_s", "first_s", "cpu_s", "cpu_outside_s", "wall_s", "ok", "error")
"""What the page keeps of each timed sample (samples.jsonl holds more: pids, cores, start times)."""


class Sample(TypedDict):
    """One timed sample as the page shows it (`SAMPLE_FIELDS` of a samples.jsonl line; seconds)."""

    value_s: float | None
    first_s: float | None
    cpu_s: float | None
    cpu_outside_s: float | None
    wall_s: float | None
    ok: bool
    error: JSON
    """Why the sample failed, as the line has it."""


Samples = dict[str, dict[int, Sample]]
"""variant -> round -> its timed sample (`read_samples`)."""


def _sample(r: JSONObject) -> Sample:
    return {
        "value_s": number(r.get("value_s")),
        "first_s": number(r.get("first_s")),
        "cpu_s": number(r.get("cpu_s")),
        "cpu_outside_s": number(r.get("cpu_outside_s")),
        "wall_s": number(r.get("wall_s")),
        "ok": bool(r.get("ok")),
        "error": r.get("error"),
    }


def read_samples(path: Path, run_id: str | None = None) -> Samples:
    """variant -> round -> its timed sample (successful or not) of one measurement (default: the last)."""
    if not path.is_file():
        return {}
    records: list[JSONObject] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a kill: its round was never used
        if isinstance(rec, dict):
            records.append(rec)
    wanted: JSON = run_id
    if run_id is None:
        headers = [r.get("run_id") for r in records if r.get("type") == "header"]
        wanted = headers[-1] if headers else None
    out: Samples = {}
    for r in records:
        if r.get("type") == "sample" and r.get("phase") == "timed" and r.get("run_id") == wanted:
            out.setdefault(str(r.get("variant")), {})[_round(r.get("round"))] = _sample(r)
    return out


def _round(x: JSON) -> int:
    """`int(x or 0)` of a sample's round as the line holds it."""
    return int(x) if isinstance(x, int | float | str) and x else 0


# --------------------------------------------------------------------------------------------------
# Plots (inline SVG, no script, no external resource)

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 240, 58, 130, 14, 34


def _scale(lo: float, hi: float, a: float, b: float, log: bool) -> Callable[[float], float]:
    if log:
        lo, hi = math.log(lo), math.log(hi)
    span = (hi - lo) or 1.0
    return lambda v: a + ((math.log(v) if log else v) - lo) / span * (b - a)


def _axes(
    title: str,
    y_lo: float,
    y_hi: float,
    rounds: tuple[int, int],
    fy: Callable[[float], float],
    fx: Callable[[float], float],
) -> list[str]:
    parts = [
        f'<text x="{PAD_L}" y="10" class="t">{escape(title)}</text>',
        f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" class="ax"/>',
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" class="ax"/>',
        f'<text x="{(PAD_L + W - PAD_R) / 2}" y="{H - 4}" class="l" text-anchor="middle">round</text>',
    ]
    for v in (y_lo, (y_lo * y_hi) ** 0.5 if y_lo > 0 else (y_lo + y_hi) / 2, y_hi):
        y = fy(v)
        parts.append(f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" class="l" text-anchor="end">{_short(v)}</text>')
        parts.append(f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" class="grid"/>')
    first, last = rounds
    for r in sorted({first, (first + last) // 2, last}):
        parts.append(f'<text x="{fx(r):.1f}" y="{H - PAD_B + 13}" class="l" text-anchor="middle">{r}</text>')
    return parts


def _short(v: float) -> str:
    a = abs(v)
    return f"{v:.3g}" if a >= 0.001 or a == 0 else f"{v:.2e}"


def samples_svg(series: dict[str, list[tuple[int, float | None]]], colours: dict[str, str], title: str) -> str:
    """Seconds per round, one line per variant (log scale), with a legend; '' without samples."""
    values = [v for pts in series.values() for _, v in pts if v and v > 0]
    if not values:
        return ""
    numbers = [r for pts in series.values() for r, _ in pts]
    rounds = (min(numbers), max(numbers))
    lo, hi = min(values) / 1.05, max(values) * 1.05
    fx = _scale(rounds[0], max(rounds[1], rounds[0] + 1), PAD_L + 6, W - PAD_R - 6, False)
    fy = _scale(lo, hi, H - PAD_B, PAD_T + 6, True)
    parts = _axes(title, lo, hi, rounds, fy, fx)
    for k, (name, pts) in enumerate(series.items()):
        colour = colours.get(name, "#555")
        good = [(r, v) for r, v in pts if v and v > 0]
        if good:
            path = " ".join(f"{fx(r):.1f},{fy(v):.1f}" for r, v in good)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.3"/>')
            parts += [
                f'<circle cx="{fx(r):.1f}" cy="{fy(v):.1f}" r="2.4" fill="{colour}"><title>{escape(name)} round {r}: '
                f"{v:.6g} s</title></circle>"
                for r, v in good
            ]
        y = PAD_T + 14 + 16 * k
        parts.append(f'<rect x="{W - PAD_R + 10}" y="{y - 8}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{W - PAD_R + 24}" y="{y + 1}" class="l">{escape(name)}</text>')
    return _svg(parts, f"{title}: seconds per timing round, per variant")


def ratio_svg(
    ratios: list[tuple[int, float]], ci: list[float] | None, margin: float | None, title: str, colour: str
) -> str:
    """Per round, base time / variant time (log scale), with the estimate's 95% CI as a band and the
    decision margin's lines at 1 +- margin; '' without ratios."""
    values = [v for _, v in ratios if v > 0] + [1.0] + [v for v in (ci or []) if v and v > 0]
    if margin is not None:
        values += [1 + margin, 1 / (1 + margin)]
    if not ratios:
        return ""
    rounds = (min(r for r, _ in ratios), max(r for r, _ in ratios))
    lo, hi = min(values) / 1.05, max(values) * 1.05
    fx = _scale(rounds[0], max(rounds[1], rounds[0] + 1), PAD_L + 6, W - PAD_R - 6, False)
    fy = _scale(lo, hi, H - PAD_B, PAD_T + 6, True)
    parts = _axes(title, lo, hi, rounds, fy, fx)
    x0, x1 = PAD_L, W - PAD_R
    if ci and len(ci) == 2 and all(v and v > 0 and math.isfinite(v) for v in ci):
        y_top, y_bot = fy(min(max(ci), hi)), fy(max(min(ci), lo))
        parts.append(
            f'<rect x="{x0}" y="{y_top:.1f}" width="{x1 - x0}" height="{max(1.0, y_bot - y_top):.1f}" class="band"/>'
        )
        parts.append(f'<text x="{x1 + 6}" y="{(y_top + y_bot) / 2 + 4:.1f}" class="l">95% CI</text>')
    parts.append(f'<line x1="{x0}" y1="{fy(1.0):.1f}" x2="{x1}" y2="{fy(1.0):.1f}" class="one"/>')
    if margin is not None:
        for v, label in ((1 + margin, f"1 + margin ({margin:.1%})"), (1 / (1 + margin), "1 / (1 + margin)")):
            parts.append(f'<line x1="{x0}" y1="{fy(v):.1f}" x2="{x1}" y2="{fy(v):.1f}" class="margin"/>')
            parts.append(f'<text x="{x1 + 6}" y="{fy(v) + 4:.1f}" class="l">{escape(label)}</text>')
    parts += [
        f'<circle cx="{fx(r):.1f}" cy="{fy(v):.1f}" r="2.6" fill="{colour}"><title>round {r}: {v:.4g}x</title></circle>'
        for r, v in ratios
        if v > 0
    ]
    return _svg(parts, f"{title}: per-round ratio base / variant, its 95% CI and the decision margin")


def _svg(parts: list[str], label: str) -> str:
    body = "".join(parts)
    return (
        f'<svg class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{escape(label)}">'
        f"{body}</svg>"
    )


def ratios(samples: Samples, ref: str, name: str) -> list[tuple[int, float]]:
    """Per common round with both successful: ref's seconds / name's seconds."""
    a, b = samples.get(ref, {}), samples.get(name, {})
    out = []
    for r in sorted(set(a) & set(b)):
        x, y = a[r]["value_s"], b[r]["value_s"]
        if a[r]["ok"] and b[r]["ok"] and x and y:
            out.append((r, float(x) / float(y)))
    return out


# --------------------------------------------------------------------------------------------------
# Integrity flags


def _flag_item(item: object) -> tuple[str, list[tuple[str, str]]]:
    """A flag as a score row holds it: a name, or a record with a name and its own evidence fields."""
    if isinstance(item, BaseModel):
        item = item.model_dump()
    if isinstance(item, dict):
        name = str(item.get("name") or item.get("flag") or item.get("kind") or "flag")
        rest = [
            (k.replace("_", " "), _plain(v))
            for k, v in item.items()
            if k not in ("name", "flag", "kind") and v not in (None, "", [], {})
        ]
        return name, rest
    return str(item), []


def _plain(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _recorded(
    name: str, row: VariantScore, score: InstanceScore | None, samples: dict[int, Sample], base: dict[int, Sample]
) -> list[tuple[str, str]]:
    """What the score recorded elsewhere that bears on a flag (see the module docstring)."""
    out: list[tuple[str, str]] = []
    for key, value in row.model_dump().items():
        if "evidence" not in key or value in (None, "", [], {}):
            continue
        if isinstance(value, dict):  # per flag, what raised it
            if value.get(name) not in (None, ""):
                out.append(("what raised it", _plain(value[name])))
        else:
            out.append((key.replace("_", " "), _plain(value)))
    if row.workload_error:
        out.append(("workload error", row.workload_error))
    if name == OUTPUT_DIFFERS and score is not None and score.output_check:
        out.append(("output check", score.output_check))
    check = score.result_check if score is not None else None
    if name == OUTPUT_DIFFERS and check is not None:
        out.append(("results compared", _plain(check.model_dump())))
    if name == CROSS_CALL or row.repeated_call_speedup is not None:
        first = f"{row.speedup:.4g}x" if row.speedup is not None else "–"
        ci = row.speedup_ci
        first += f" [{ci[0]:.4g}, {ci[1]:.4g}]" if ci else ""
        rep = row.repeated_call_speedup
        out.append(("first-call speedup (judged on)", first))
        out.append(("repeated-call speedup", f"{rep:.4g}x" if rep is not None else "–"))
        if rep and rep > 0:
            out.append(
                (
                    f"first calls must keep (share {integrity.CROSS_CALL_SHARE:g} of the gain, log scale)",
                    f"at least {rep**integrity.CROSS_CALL_SHARE:.4g}x",
                )
            )
    if name == BACKGROUND_WORK or any((s["cpu_outside_s"] or 0) > 0 for s in samples.values()):
        out.append(("CPU time outside the timed calls, per round", _cpu_outside(samples, base)))
    if name == "overfit" and row.heldout is not None:
        h = row.heldout
        out.append(
            ("held-out workload", f"{_plain(h.speedup)}x {h.speedup_ci or ''} {h.classification or h.error or ''}")
        )
    return out


def _cpu_outside(samples: dict[int, Sample], base: dict[int, Sample]) -> str:
    def fmt(s: dict[int, Sample]) -> str:
        vals = [s[r]["cpu_outside_s"] for r in sorted(s)]
        return ", ".join("–" if v is None else f"{v:.3g}s" for v in vals) or "not recorded"

    return f"this variant: {fmt(samples)}; base: {fmt(base)}"


class Flag(TypedDict):
    """An integrity flag as an attempt page shows it."""

    name: str
    definition: str | None
    evidence: list[tuple[str, str]]
    """(label, text): the flag's own fields, then what the score recorded that bears on it."""


def flags(row: VariantScore, score: InstanceScore | None, samples: Samples, variant: str) -> list[Flag]:
    """Every integrity flag on a score row (plus `overfit`, which the outcome decides), each as
    {name, definition, evidence: [(label, text)]}."""
    items: list[str] = list(row.integrity)
    o = row.outcome
    named = {_flag_item(i)[0] for i in items}
    items += [f for f in (o.flags if o is not None else []) if f not in named and f != "overfit"]
    out: list[Flag] = []
    for item in items:
        name, own = _flag_item(item)
        recorded = _recorded(name, row, score, samples.get(variant, {}), samples.get("base", {}))
        out.append({"name": name, "definition": flag_definition(name), "evidence": own + recorded})
    if o is not None and _overfit(o) and "overfit" not in [f["name"] for f in out]:
        out.append(
            {
                "name": "overfit",
                "definition": flag_definition("overfit"),
                "evidence": _recorded("overfit", row, score, {}, {}),
            }
        )
    return out


def flag_names(row: VariantScore) -> list[str]:
    """The flags' names on a score row (and `overfit`), for filters."""
    names = [_flag_item(i)[0] for i in row.integrity]
    o = row.outcome
    names += [str(f) for f in (o.flags if o is not None else [])]
    if o is not None and _overfit(o):
        names.append("overfit")
    return list(dict.fromkeys(names))


def _overfit(o: Outcome) -> bool:
    return o.match_label == "overfit" or "overfit" in o.flags
