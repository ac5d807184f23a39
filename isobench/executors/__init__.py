"""Where `run` and `score` execute their units: one seam, chosen by the caller (the CLI) and handed to both.

`LocalExecutor` (executors/local.py, the default) runs them on this machine. `--executor ray` (or
`executor: {kind: ray}` in bench.yaml) gives a `RayExecutor` (executors/ray.py), which sends them to a Ray
cluster: the state directory stays on this machine (the driver) and is written only here; each worker gets
what its unit needs (`bundle`), runs it in a throwaway state of its own with the same code and sandbox as
locally (`worker`), and sends back its records, patch and logs. The CLI chooses (`cli.common.executor_for`);
no stage imports Ray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from isobench.progress import ScoreReporter
    from isobench.records import Instance, InstanceScore
    from isobench.run.attempt import Runner
    from isobench.run.schedule import AttemptExecutor

KINDS = ("local", "ray")


class InstanceScorer(Protocol):
    """What an executor scores with: `isobench.score.Scorer`, seen through the one method every executor
    calls (a protocol, so that this seam does not import the stage that imports it)."""

    def score_instance(self, inst: Instance, providers: list[str] | None, force: bool) -> InstanceScore:
        """Build, test and time one instance; write and return its score.json."""
        ...


class Executor(Protocol):
    """Runs a stage's units somewhere; `run` and `score` schedule and record them the same way whatever it is."""

    kind: str
    keys_here: bool
    """Whether the providers' API keys must be in this process's environment (a cluster's nodes have their own)."""

    def connect(self) -> None:
        """Refuse now, with one line, if the executor cannot work (before anything is shown or written)."""
        ...

    def attempts(self, runner: Runner, max_parallel: int) -> AttemptExecutor:
        """What runs `run`'s attempts."""
        ...

    def score(
        self,
        scorer: InstanceScorer,
        instances: list[Instance],
        providers: list[str] | None,
        force: bool,
        reporter: ScoreReporter,
        keep_work: bool,
    ) -> list[InstanceScore]:
        """Score every instance and write its score.json in the driver's state."""
        ...


__all__ = ["KINDS", "Executor", "InstanceScorer"]
