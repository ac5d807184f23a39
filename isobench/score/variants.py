"""The variants of an instance: base, human, the A/A twin, and one per recorded agent attempt."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from isobench.gitutil import patch_text
from isobench.records import Instance
from isobench.state import State

BASE, HUMAN, AA = "base", "human", "base_aa"

VariantKind = Literal["base", "human", "aa", "agent"]


@dataclass
class VariantSpec:
    """What one variant is made of: a code patch on the base (none for base and its A/A twin)."""

    name: str  # base | human | base_aa | <provider>#<attempt>
    kind: VariantKind
    patch: str  # as gitutil.patch_text
    provider: str | None = None
    attempt: int | None = None
    outside_targets: list[str] = field(default_factory=list)  # files an agent changed outside its targets

    @property
    def dirname(self) -> str:
        return dirname(self.name)


def dirname(name: str) -> str:
    """A variant's folder name: `v` and 8 hex digits of its name's hash, the same length for every variant, so
    that no variant's paths (its sys.path, its environment's size) are longer than another's: identical code
    in folders of different name lengths was measured to differ by a few percent, round after round."""
    return "v" + hashlib.sha256(name.encode()).hexdigest()[:8]


def agent_patch(state: State, iid: str, provider: str, attempt: int) -> str:
    """An attempt's code patch (as `patch_text`: its exact bytes, CRLF included), "" when it has none."""
    path = state.attempt_dir(iid, provider, attempt) / "model_patch.diff"
    return patch_text(path.read_bytes()) if path.is_file() else ""


def variant_specs(state: State, inst: Instance) -> list[VariantSpec]:
    """base, human, the A/A twin (a second copy of base, built separately, exactly as an agent's variant is),
    and one variant per recorded agent attempt of every provider."""
    specs = [VariantSpec(BASE, "base", ""), VariantSpec(HUMAN, "human", inst.patch), VariantSpec(AA, "aa", "")]
    for prov in state.providers_run(inst.instance_id):
        for rec in state.attempts(inst.instance_id, prov):
            patch = agent_patch(state, inst.instance_id, prov, rec.attempt)
            outside = list(rec.files_outside_targets) if inst.strict_targets else []
            specs.append(VariantSpec(f"{prov}#{rec.attempt}", "agent", patch, prov, rec.attempt, outside))
    return specs


def check_attempts_current(state: State, instances: list[Instance], providers: list[str] | None) -> None:
    """Refuse (one line, nothing scored) attempts made from an earlier preparation of their unit."""
    state.refuse_stale_attempts(
        (i.instance_id, p)
        for i in instances
        for p in state.providers_run(i.instance_id)
        if not providers or p in providers
    )
