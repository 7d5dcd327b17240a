"""The driver's side of training: which networks a batch needs, who trains them, and the memo.

:class:`TrainingEvaluator` turns architectures into results. For each distinct canonical key it
looks, in order, in its memo, in the store, and at the store's claims: a key nobody holds is
claimed and trained by the executor (all of a batch at once); a key another live search holds
is waited for; a key whose holder died is claimed and trained. Every metric oracle of one
``[search] oracle`` shares one evaluator, so reporting the test accuracy of the best network
never trains it again.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import Any

from archgen.architecture import Architecture
from archgen.errors import InvalidArchitectureError
from archgen.oracle import describe
from archgen.plugins.oracles.train.recipe import TrainRecipe, content_hash
from archgen.result_store import ResultKey, ResultStore, TrainingResult
from archgen.plugins.oracles.train.trainer import TrainTask


class TrainingEvaluator:
    """Results of training a space's networks, each trained at most once per store.

    Args:
        space: The space whose networks are trained.
        dataset_choice: ``(name, options)`` of the dataset plugin, as workers load it.
        dataset: The loaded dataset (its ``describe()`` is stored with the recipe).
        recipe: The training recipe.
        store: The result store.
        executor: Runs :class:`TrainTask` batches (serial or Ray).
        device: Where each training runs.
        threads: torch threads per training.
    """

    def __init__(self, space: Any, dataset_choice: tuple[str, dict[str, Any]], dataset: Any, recipe: TrainRecipe,
                 store: ResultStore, executor: Any, *, device: str = "cpu", threads: int = 1):
        self.space = space
        self.dataset = dataset
        self.recipe = recipe
        self.store = store
        self.executor = executor
        self.device = device
        self.threads = threads
        name, options = dataset_choice
        self._dataset_task = (name, json.dumps(options, sort_keys=True))
        self.dataset_id = f"{name}-{content_hash(options)}"
        self.recipe_id = recipe.fingerprint()
        self._memo: dict[Hashable, TrainingResult] = {}
        self.trained = 0  # trainings this evaluator ran (stored results it reused are not counted)
        store.record_recipe(self.recipe_id, {"recipe": recipe.model_dump(mode="json", exclude={"seed"}),
                                             "dataset": dataset.describe()})

    def key(self, arch: Architecture) -> ResultKey:
        """The store key of ``arch``'s network under this evaluator's dataset, recipe and seed.

        Raises:
            InvalidArchitectureError: If ``arch`` is not a member of the space.
        """
        try:
            canonical = self.space.canonical_key(arch)
        except InvalidArchitectureError as error:
            raise InvalidArchitectureError(f"cannot train {describe(self.space, arch)}: {error}") from None
        return ResultKey(self.space.name, repr(canonical), self.dataset_id, self.recipe_id, self.recipe.seed)

    def result(self, arch: Architecture) -> TrainingResult:
        """The result of ``arch``'s network (trained now unless memoised or stored)."""
        return self.results([arch])[0]

    def results(self, archs: Sequence[Architecture]) -> list[TrainingResult]:
        """The result of each of ``archs``, training what is new as one batch.

        Raises:
            InvalidArchitectureError: If one is not a member (nothing is trained then).
        """
        keys = [self.key(arch) for arch in archs]
        wanted: dict[ResultKey, Architecture] = {}
        for key, arch in zip(keys, archs):
            if key not in self._memo and key not in wanted:
                wanted[key] = arch
        while wanted:
            claimed, waiting = self._claim(wanted)
            if claimed:
                tasks = [self._task(key, wanted[key]) for key in claimed]
                for key, result in zip(claimed, self.executor.run(tasks)):
                    self._memo[key] = result
                    wanted.pop(key)
                self.trained += len(claimed)
            for key in waiting:
                result = self.store.wait_for(key)
                if result is not None:  # else its holder died: claimed on the next pass
                    self._memo[key] = result
                    wanted.pop(key)
        return [self._memo[key] for key in keys]

    def _claim(self, wanted: dict[ResultKey, Architecture]) -> tuple[list[ResultKey], list[ResultKey]]:
        """Splits ``wanted`` into keys this process now holds and keys a live process holds; stored ones are memoised."""
        claimed, waiting = [], []
        for key in list(wanted):
            stored = self.store.get(key)
            if stored is not None:
                self._memo[key] = stored
                wanted.pop(key)
            elif self.store.claim(key):
                claimed.append(key)
            else:
                waiting.append(key)
        return claimed, waiting

    def _task(self, key: ResultKey, arch: Architecture) -> TrainTask:
        return TrainTask(key=key, arch=self.space.to_string(arch), dataset=self._dataset_task,
                         recipe=self.recipe.model_dump_json(), store=str(self.store.path), device=self.device,
                         threads=self.threads)
