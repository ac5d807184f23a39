"""The local executor: attempts and scoring on this machine (`executors.Executor`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isobench.state import State, remove_tree

if TYPE_CHECKING:
    from isobench.executors import InstanceScorer
    from isobench.progress import ScoreReporter
    from isobench.records import Instance, InstanceScore
    from isobench.run.attempt import Runner
    from isobench.run.schedule import LocalAttempts


class LocalExecutor:
    """This machine: attempts in parallel threads (each agent a sandboxed process), instances scored one at a
    time (timing must not compete with itself)."""

    kind = "local"
    keys_here = True

    def __init__(self, state: State) -> None:
        self.state = state

    def connect(self) -> None:
        return None

    def attempts(self, runner: Runner, max_parallel: int) -> LocalAttempts:
        from isobench.run.schedule import LocalAttempts  # here: `run` imports this module

        return LocalAttempts(runner)

    def score(
        self,
        scorer: InstanceScorer,
        instances: list[Instance],
        providers: list[str] | None,
        force: bool,
        reporter: ScoreReporter,
        keep_work: bool,
    ) -> list[InstanceScore]:
        out = []
        for inst in instances:
            out.append(scorer.score_instance(inst, providers, force))
            if not keep_work:  # copies and venvs are rebuilt, from uv's cache, when scored again
                remove_tree(self.state.score_dir(inst.instance_id) / "envs")
        return out
