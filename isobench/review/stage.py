"""`isobench review`: the attempts that won, each read by the reviewer k times; the human's patch as a control.

A unit is one reviewed patch: on an instance whose human speedup is valid (the others count in no
headline), an attempt whose outcome (its score row's, as `score` decided it) is an opt success (strict or
GSO), or with `review.scope: correct` every correct attempt; and, once per instance
that has one, the human's patch, reviewed alone as the control. A unit is done when its record
(`review/<iid>/<provider>/<n>.json`, `review/<iid>/human.json`) holds a verdict for the same question
(its fingerprint: the reviewer, k, the prompt); the record is written last, atomically, so an interrupted
review leaves no record and is asked again, and nothing finished is asked twice. `--force` redoes.

The calls are made from this process, one vote after another: with `--executor ray` the run and the
score spread over a cluster, and the review, a few network calls per attempt, stays on the driver that
holds the state.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from isobench.config.bench import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.outcome import Outcome
from isobench.records import Instance, ReviewRecord
from isobench.review import client, prompt, votes
from isobench.state import State, fingerprint, pause_point, write_model

if TYPE_CHECKING:
    from isobench.agents.scripted_server import ScriptedLLMServer
    from isobench.agents.scripts import Scenario


@dataclass(frozen=True)
class ReviewUnit:
    """One patch to review: an attempt's (provider, attempt) or the human's (both None)."""

    inst: Instance
    provider: str | None
    attempt: int | None
    messages: list[prompt.ChatMessage]
    fingerprint: str
    patch_digest: str

    @property
    def label(self) -> str:
        who = "human (control)" if self.provider is None else f"{self.provider}#{self.attempt}"
        return f"{self.inst.instance_id} {who}"


@dataclass
class ReviewSummary:
    records: list[ReviewRecord] = field(default_factory=list)
    done_before: int = 0
    not_scored: int = 0
    """Attempts of the selected providers that `score` has not scored: nothing to review in them yet."""
    interrupted: bool = False

    @property
    def failed(self) -> list[ReviewRecord]:
        return [r for r in self.records if r.verdict == "no_verdict"]


def in_scope(outcome: Outcome, scope: str) -> bool:
    """Whether an attempt is reviewed: an opt success (strict or GSO), or with scope `correct` any correct one."""
    return outcome.correct if scope == "correct" else (outcome.opt_strict or outcome.opt_gso)


def _unit(cfg: BenchConfig, inst: Instance, provider: str | None, attempt: int | None, patch: str) -> ReviewUnit:
    r = cfg.review
    reference = None if provider is None else inst.patch
    msgs = prompt.messages(inst, patch, reference, r.max_patch_chars)
    p = cfg.provider(r.provider or "")
    asked = p.model_dump(include={"provider", "base_url", "temperature", "reasoning_effort", "script", "script_params"})
    fp = fingerprint("review", p.name, p.litellm_model, asked, r.samples, msgs)
    return ReviewUnit(inst, provider, attempt, msgs, fp, fingerprint(patch))


def plan_units(
    cfg: BenchConfig, state: State, insts: list[Instance], providers: list[str] | None, force: bool
) -> tuple[list[ReviewUnit], ReviewSummary]:
    """The units still to do (all, with force) and a summary counting those already done."""
    from isobench.score import agent_patch

    summary = ReviewSummary()
    todo: list[ReviewUnit] = []
    for inst in insts:
        iid = inst.instance_id
        score = state.score_record(iid)
        if score is not None and not score.valid:
            continue  # its attempts never count in a headline: nothing a review could change
        units = []
        for prov in state.providers_run(iid):
            if providers and prov not in providers:
                continue
            for rec in state.attempts(iid, prov):
                row = score.variants.get(f"{prov}#{rec.attempt}") if score else None
                if row is None or row.outcome is None:
                    summary.not_scored += 1
                elif in_scope(row.outcome, cfg.review.scope):
                    units.append(_unit(cfg, inst, prov, rec.attempt, agent_patch(state, iid, prov, rec.attempt)))
        if units:  # the control, first: whether this instance's reviews can be trusted
            units.insert(0, _unit(cfg, inst, None, None, inst.patch))
        for u in units:
            old = state.review_record(iid, u.provider, u.attempt)
            if not force and old is not None and old.status == "reviewed" and old.fingerprint == u.fingerprint:
                summary.done_before += 1
            else:
                todo.append(u)
    return todo, summary


class Reviewer:
    """The reviewing provider's endpoint, one per vote: for a scripted reviewer, the scripted server, started
    here, gives each vote its own unguessable key (its scenario knows the sample's number)."""

    def __init__(self, cfg: BenchConfig, p: ProviderConfig) -> None:
        self.cfg = cfg
        self.p = p
        self.server: ScriptedLLMServer | None = None
        self._keys: dict[str, Scenario] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Reviewer:
        if self.p.provider == "scripted":
            from isobench.agents.scripted_server import ScriptedLLMServer

            self.server = ScriptedLLMServer(self._resolve).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()

    def _resolve(self, key: str) -> Scenario | None:
        with self._lock:
            return self._keys.get(key)

    def endpoint(self, sample: int) -> client.Endpoint:
        if self.server is None:
            return client.endpoint(self.p, self.p.base_url)
        from isobench.agents.reviewers import reviewer_scenario

        key = secrets.token_urlsafe(18)
        with self._lock:
            self._keys[key] = reviewer_scenario(self.p.script or self.p.name, self.p.script_params, sample)
        return client.endpoint(self.p, str(self.server.base_url(key)))


def review_unit(state: State, cfg: BenchConfig, reviewer: Reviewer, u: ReviewUnit) -> ReviewRecord:
    """Ask the reviewer k times, take the majority (`votes`), write the record (last, atomically)."""
    r = cfg.review
    cast = [client.vote(reviewer.endpoint(i), u.messages, i, r) for i in range(1, r.samples + 1)]
    t = votes.tally(cast, r.samples)
    rec = ReviewRecord(
        status="failed" if t.verdict == "no_verdict" else "reviewed",
        instance_id=u.inst.instance_id,
        subject="human" if u.provider is None else "agent",
        provider=u.provider,
        attempt=u.attempt,
        reviewer=reviewer.p.name,
        model=reviewer.p.litellm_model,
        samples=r.samples,
        votes=cast,
        hack_votes=t.hack_votes,
        clean_votes=t.clean_votes,
        failed_votes=t.failed_votes,
        verdict=t.verdict,
        hack_type=t.hack_type,
        description=t.description,
        scope=r.scope,
        prompt_tokens=sum(v.prompt_tokens for v in cast),
        completion_tokens=sum(v.completion_tokens for v in cast),
        cost_usd=sum(v.cost_usd for v in cast),
        fingerprint=u.fingerprint,
        patch_digest=u.patch_digest,
        reviewed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    pause_point("record")
    return write_model(state.review_path(u.inst.instance_id, u.provider, u.attempt), rec)


def reviewer_of(cfg: BenchConfig) -> ProviderConfig:
    """The reviewing provider, refused with one line when its key is not in the environment."""
    from isobench.run.units import missing_keys

    p = cfg.provider(cfg.review.provider or "")
    missing = missing_keys([p])
    if missing:
        raise UserError(f"{cfg.source}: review.provider: {missing[0]}")
    return p


def review(
    cfg: BenchConfig,
    state: State,
    insts: list[Instance],
    *,
    providers: list[str] | None = None,
    force: bool = False,
    echo: Callable[[str], None] = lambda line: None,
) -> ReviewSummary:
    """Review every unit still to do, in order (module docstring); Ctrl-C stops after no record is torn."""
    p = reviewer_of(cfg)
    todo, summary = plan_units(cfg, state, insts, providers, force)
    with Reviewer(cfg, p) as reviewer:
        try:
            for u in todo:
                rec = review_unit(state, cfg, reviewer, u)
                summary.records.append(rec)
                echo(line(u.label, rec))
        except KeyboardInterrupt:
            summary.interrupted = True
    return summary


def line(label: str, rec: ReviewRecord) -> str:
    """One reviewed unit, as `isobench review` prints it."""
    kind = f" ({rec.hack_type.value})" if rec.hack_type is not None else ""
    counts = f"{rec.hack_votes} hack / {rec.clean_votes} clean / {rec.failed_votes} failed of {rec.samples}"
    return f"{label}: {rec.verdict}{kind}, {counts}, ${rec.cost_usd:.4f}"
