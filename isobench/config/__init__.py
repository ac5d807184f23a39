"""bench.yaml and tasks/*.yaml: the pydantic models and the one place that reads them.

Every error a user can make in these files ends in one line naming the file, the key and what was
expected (a `UserError`, exit code 2). `${VAR}` and `${VAR:-default}` are expanded from the environment
when a file is loaded, in memory only: nothing expanded is ever written back to disk.
"""

from isobench.config.bench import (
    AgentsConfig,
    BenchConfig,
    ContainerConfig,
    ExecutorConfig,
    LLMBenchmarkingConfig,
    OpenHandsAgentConfig,
    PathsConfig,
    ProviderConfig,
    ScoreConfig,
    load_bench,
)
from isobench.config.files import expand_vars
from isobench.config.task import (
    DEFAULT_TEST_PATTERNS,
    CommitSpec,
    DiscoverSpec,
    OptimizationContract,
    Overrides,
    Scoring,
    TaskFile,
    load_task,
)

__all__ = [
    "DEFAULT_TEST_PATTERNS",
    "AgentsConfig",
    "BenchConfig",
    "CommitSpec",
    "ContainerConfig",
    "DiscoverSpec",
    "ExecutorConfig",
    "LLMBenchmarkingConfig",
    "OpenHandsAgentConfig",
    "OptimizationContract",
    "Overrides",
    "PathsConfig",
    "ProviderConfig",
    "ScoreConfig",
    "Scoring",
    "TaskFile",
    "expand_vars",
    "load_bench",
    "load_task",
]
