"""Where trainings run: in this process one after another, or on Ray workers in parallel.

Both run :func:`~archgen.plugins.oracles.train.trainer.run_task`, which commits each result to the
store as it finishes, so what a batch returns does not depend on the executor: a Ray run's results
equal a serial run's with the same seeds.

Ray is imported only when its executor is built (``pip install "archgen[ray]"``). By default it
starts on this machine with ``workers × cpus_per_trial`` CPUs; with ``address`` it joins a running
cluster (``ray start --head`` on one machine, ``ray start --address=HEAD:6379`` on the others), where
archgen and the dataset must be installed on every node. A worker that dies mid-training (killed,
out of memory, its node lost) is retried up to ``max_retries`` times; the retry trains the same
network from the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archgen.errors import ConfigError
from archgen.result_store import TrainingResult
from archgen.plugins.oracles.train.trainer import TrainTask, run_task


class SerialExecutor:
    """Trains each task in this process, in order.

    Args:
        space: The space whose networks are trained.
        dataset: The loaded dataset.
    """

    def __init__(self, space: Any, dataset: Any):
        self.space = space
        self.dataset = dataset

    def run(self, tasks: Sequence[TrainTask]) -> list[TrainingResult]:
        """Each task's result, in order."""
        return [run_task(task, self.space, self.dataset) for task in tasks]

    def close(self) -> None:
        """Nothing to release."""


def _ray_task(task: TrainTask, space: Any) -> TrainingResult:
    return run_task(task, space)


class RayExecutor:
    """Trains tasks on Ray workers, at most ``workers`` at a time.

    Args:
        space: The space (put in Ray's object store once, so third-party spaces need no name).
        address: A running cluster's address (``"auto"`` or ``"HOST:6379"``); ``None`` starts Ray here.
        workers: Trainings in flight at once (and, for a local Ray, ``workers × cpus_per_trial`` CPUs).
        cpus_per_trial: CPUs Ray reserves per training.
        gpus_per_trial: GPUs Ray reserves per training (``device`` should then be ``"cuda"``).
        max_retries: Retries of a training whose worker died.

    Raises:
        ConfigError: If Ray is not installed (naming the extra that installs it).
    """

    def __init__(self, space: Any, *, address: str | None, workers: int, cpus_per_trial: float, gpus_per_trial: float,
                 max_retries: int):
        try:
            import ray
        except ImportError:
            raise ConfigError('executor "ray" needs Ray: pip install "archgen[ray]"') from None
        self._ray = ray
        self._started_here = not ray.is_initialized()
        if self._started_here:
            if address is None:
                ray.init(num_cpus=max(1, round(workers * cpus_per_trial)), include_dashboard=False,
                         logging_level="ERROR", log_to_driver=False, configure_logging=False)
            else:
                ray.init(address=address, logging_level="ERROR", log_to_driver=False, configure_logging=False)
        self.workers = workers
        self._space_ref = ray.put(space)
        self._remote = ray.remote(_ray_task).options(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial,
                                                     max_retries=max_retries, retry_exceptions=False)

    def run(self, tasks: Sequence[TrainTask]) -> list[TrainingResult]:
        """Each task's result, in order; at most ``workers`` in flight."""
        results: dict[int, TrainingResult] = {}
        pending = list(enumerate(tasks))
        in_flight: dict[Any, int] = {}
        while pending or in_flight:
            while pending and len(in_flight) < self.workers:
                index, task = pending.pop(0)
                in_flight[self._remote.remote(task, self._space_ref)] = index
            done, _ = self._ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                results[in_flight.pop(ref)] = self._ray.get(ref)
        return [results[index] for index in range(len(tasks))]

    def close(self) -> None:
        """Shuts down a Ray this executor started (a cluster it joined keeps running)."""
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()
