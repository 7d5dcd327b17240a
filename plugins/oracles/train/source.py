"""``train``: an oracle that trains every queried network on a dataset (``[search] oracle``).

```toml
[search]
oracle = { name = "train", options = { dataset = { name = "digits" }, epochs = 1, batch_size = 64, lr = 0.05 } }
signal = "valid"   # validation accuracy (%): what the searcher sees
report = "test"    # test accuracy (%) of the best-validation network: what the table reports
```

Each distinct network (by the space's canonical key) is trained once with the recipe and seed, and
its validation and test accuracy, parameters, MACs and training seconds are committed to the result
store at once; the searcher's budget counts trained networks. ``params`` and ``macs`` are counted
without training, so a ``[search] constraint`` on them costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from archgen.config import OutputRelativeToConfig
from archgen.errors import ConfigError
from archgen.oracle import ComputedOracle, MetricSpec
from archgen.plugins.oracles.train.evaluator import TrainingEvaluator
from archgen.plugins.oracles.train.executors import RayExecutor, SerialExecutor
from archgen.plugins.oracles.train.macs import count_forward_macs
from archgen.plugins.oracles.train.recipe import TrainRecipe
from archgen.result_store import ResultStore
from archgen.plugins.oracles.train.trainer import build_for
from archgen.protocols import BuildsModel
from archgen.registry import PluginChoice, Slot, load
from archgen.runtime import Runtime

#: Metric -> (description, spec); the first is the default report, ``valid`` the default signal.
METRICS: dict[str, tuple[str, MetricSpec]] = {
    "test": ("test accuracy (%) after training the recipe", MetricSpec("%")),
    "valid": ("validation accuracy (%) after training the recipe", MetricSpec("%")),
    "params": ("trainable parameters (M) of the network for the dataset (no training)", MetricSpec("M", False)),
    "macs": ("multiply-accumulates (M) of one image of the dataset (no training)", MetricSpec("M", False)),
    "train_seconds": ("wall seconds of training and evaluation", MetricSpec("s", False)),
}


class TrainingOracleOptions(TrainRecipe):
    """Options of the ``train`` oracle: the recipe's fields, the dataset, the store and the executor.

    Attributes:
        dataset: The ``archgen.datasets`` plugin (``archgen plugins`` lists them).
        store: The SQLite result store (relative to the registry file's folder); searches that
            share it share every result.
        executor: ``"serial"`` (this process) or ``"ray"`` (``pip install "archgen[ray]"``).
        workers: Ray: trainings in flight at once (a local Ray gets ``workers × cpus_per_trial`` CPUs).
        cpus_per_trial: Ray: CPUs reserved per training.
        gpus_per_trial: Ray: GPUs reserved per training (set ``device = "cuda"`` with it).
        address: Ray: a running cluster (``"auto"``, ``"HOST:6379"``); unset starts Ray on this machine.
        max_retries: Ray: retries of a training whose worker died.
        device: Where each network trains (``"auto"``: CUDA if this process sees one, else CPU).
        threads: torch threads per training (fixed, so results do not depend on the machine's cores).
    """

    dataset: Annotated[PluginChoice, Slot("dataset")] = Field(default_factory=lambda: PluginChoice(name="digits"))
    store: OutputRelativeToConfig = Path("train-results.sqlite")
    executor: Literal["serial", "ray"] = "serial"
    workers: int = Field(1, ge=1, le=100_000)
    cpus_per_trial: float = Field(1.0, ge=0)
    gpus_per_trial: float = Field(0.0, ge=0)
    address: str | None = None
    max_retries: int = Field(3, ge=0)
    device: str = "cpu"
    threads: int = Field(1, ge=1)


class TrainingOracleSource:
    """Oracles that train the space's networks: ``test``, ``valid``, ``params``, ``macs``, ``train_seconds``."""

    Options: ClassVar[type[TrainingOracleOptions]] = TrainingOracleOptions
    DEFAULT_SIGNAL: ClassVar[str] = "valid"

    def __init__(self, options: TrainingOracleOptions | None = None):
        self.options = options if options is not None else TrainingOracleOptions()
        self._evaluators: dict[int, TrainingEvaluator] = {}

    def oracle_metrics(self, space: Any) -> dict[str, str]:
        """Every metric, for a space that builds networks.

        Raises:
            ConfigError: If ``space`` has no ``build_model``.
        """
        if not isinstance(space, BuildsModel):
            raise ConfigError(f"oracle 'train' needs a space that builds networks (build_model); {space.name!r} does not")
        return {name: description for name, (description, _) in METRICS.items()}

    def oracle(self, space: Any, metric: str, runtime: Runtime | None = None) -> Any:
        """The oracle of ``metric``; every training metric of one space shares one evaluator.

        Raises:
            ConfigError: For an unknown metric (listing them) or a dataset that cannot be loaded.
        """
        metrics = self.oracle_metrics(space)
        if metric not in metrics:
            raise ConfigError(f"oracle 'train' has no metric {metric!r}; accepted: {sorted(metrics)}")
        description, spec = METRICS[metric]
        evaluator = self.evaluator(space, runtime)
        if metric in ("params", "macs"):
            return ComputedOracle(space, metric, MetricSpec(spec.unit, False, 1e-6),
                                  lambda arch: _size(evaluator, arch, metric))
        return TrainingOracle(space, metric, spec, evaluator)

    def evaluator(self, space: Any, runtime: Runtime | None = None) -> TrainingEvaluator:
        """The one evaluator of ``space`` (built on first use: loads the dataset, opens the store, starts Ray)."""
        if id(space) not in self._evaluators:
            options = self.options
            dataset = load("dataset", options.dataset.name, **options.dataset.options)
            device = options.device
            if device == "auto":
                device = str(runtime.device) if runtime is not None else "cpu"
            recipe = TrainRecipe.model_validate(options.model_dump(include=set(TrainRecipe.model_fields)))
            executor = (SerialExecutor(space, dataset) if options.executor == "serial" else
                        RayExecutor(space, address=options.address, workers=options.workers,
                                    cpus_per_trial=options.cpus_per_trial, gpus_per_trial=options.gpus_per_trial,
                                    max_retries=options.max_retries))
            self._evaluators[id(space)] = TrainingEvaluator(
                space, (options.dataset.name, options.dataset.options), dataset, recipe,
                ResultStore(options.store), executor, device=device, threads=options.threads)
        return self._evaluators[id(space)]

    def close(self) -> None:
        """Releases the executors (shuts down a Ray this source started)."""
        for evaluator in self._evaluators.values():
            evaluator.executor.close()
        self._evaluators.clear()


def _size(evaluator: TrainingEvaluator, arch: Any, metric: str) -> int:
    """Parameters or MACs of ``arch``'s network for the evaluator's dataset, from a built (untrained) network."""
    model = build_for(evaluator.space, arch, evaluator.dataset, evaluator.recipe.model)
    if metric == "params":
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    return count_forward_macs(model, tuple(evaluator.dataset.input_shape))


class TrainingOracle:
    """One training metric of a space's networks (``valid``, ``test``, ``train_seconds``).

    Satisfies :class:`archgen.protocols.Oracle` and :class:`archgen.protocols.QueriesBatches`.

    Args:
        space: The space.
        metric: The metric's name.
        spec: Its unit and direction.
        evaluator: Trains (or finds) the networks.
    """

    def __init__(self, space: Any, metric: str, spec: MetricSpec, evaluator: TrainingEvaluator):
        self.space: str = space.name
        self.metric = metric
        self.unit = spec.unit
        self.higher_is_better = spec.higher_is_better
        self.evaluator = evaluator

    def __repr__(self) -> str:
        return f"TrainingOracle(space={self.space!r}, metric={self.metric!r}, store={str(self.evaluator.store.path)!r})"

    def query(self, arch: Any) -> float:
        """The metric of ``arch``'s trained network (trained now unless stored)."""
        return float(getattr(self.evaluator.result(arch), self.metric))

    def query_many(self, archs: Any) -> list[float]:
        """The metric of each of ``archs``, the new ones trained as one batch (in parallel on Ray)."""
        return [float(getattr(result, self.metric)) for result in self.evaluator.results(list(archs))]
