"""``registry.toml``: which plugins a run uses and how it runs.

The file is validated by pydantic with ``extra="forbid"`` at every level, so a
misspelled key is an error that names it. ``ARCHGEN_<SECTION>__<KEY>``
environment variables override the file (``ARCHGEN_RUN__DEVICE=cpu``).
Each plugin's own ``options`` table -- nested plugin choices included -- is
validated by that plugin's ``Options`` model by :func:`validate_plugins`, which
every command calls before it does any work.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from archgen.errors import ConfigError, choices_text
from archgen.plain_names import check_run_name
from archgen.registry import PluginChoice
from archgen.validation_messages import describe_validation_error

DEFAULT_REGISTRY = "registry.toml"
#: The folder inside the installed package holding the registry and the example configs archgen
#: ships (in a checkout, links to the top-level ``registry.toml`` and ``examples/``, so one copy exists).
PACKAGED_FOLDER = "defaults"

#: The validation-context key holding the folder of the registry file being read.
CONFIG_DIR = "config_dir"
#: The validation-context key under which input paths record their resolved form.
_INPUTS = "archgen_input_paths"


def shared_data_redirect(path: Path) -> Path | None:
    """Where ``$ARCHGEN_SHARED_DATA`` puts a path written under a ``shared/data`` folder, if it holds it there.

    ``../shared/data/nasbench201/x.csv.gz`` with ``ARCHGEN_SHARED_DATA=/data`` is
    ``/data/nasbench201/x.csv.gz`` -- when that exists; otherwise ``None`` and the path
    keeps its own meaning.

    Args:
        path: A path as written.
    """
    root = os.environ.get("ARCHGEN_SHARED_DATA")
    tail = shared_data_tail(path)
    if not root or tail is None:
        return None
    candidate = Path(root).joinpath(*tail)
    return candidate if candidate.exists() else None


def shared_data_tail(path: Path | str) -> tuple[str, ...] | None:
    """The parts of ``path`` after its first ``shared/data`` folder (``None``: not under one).

    Such a path names third-party data, which archgen never ships.
    """
    parts = Path(path).parts
    for index in range(len(parts) - 1):
        if parts[index : index + 2] == ("shared", "data"):
            return parts[index + 2 :]
    return None


def _against_config(value: Path, info: ValidationInfo) -> Path:
    value = value.expanduser()
    folder = (info.context or {}).get(CONFIG_DIR)
    if folder is None or value.is_absolute():
        return value
    return Path(os.path.normpath(Path(folder) / value))


def _input_against_config(value: Path, info: ValidationInfo) -> Path:
    shared = shared_data_redirect(value)
    resolved = shared if shared is not None else _against_config(value, info)
    inputs = (info.context or {}).get(_INPUTS)
    if inputs is not None:
        inputs.add(str(resolved))
    return resolved


#: A path option that names an input (a data file or folder, a trained run): a relative path
#: written in a registry file means relative to that file's folder (validation context
#: :data:`CONFIG_DIR`; without one, the current directory, as ``archgen.load`` has it), and a
#: path under a ``shared/data`` folder is looked up in ``$ARCHGEN_SHARED_DATA`` first.
#: ``archgen`` commands refuse one that does not exist, naming it as written and as resolved.
RelativeToConfig = Annotated[Path, AfterValidator(_input_against_config)]

#: A path option that names something archgen creates (``runs_dir``, a cache folder):
#: relative to the registry file's folder like :data:`RelativeToConfig`, but it need not exist.
OutputRelativeToConfig = Annotated[Path, AfterValidator(_against_config)]


class RunSection(BaseModel):
    """How a run is named, seeded and placed.

    Attributes:
        name: Run directory name under ``runs_dir``.
        runs_dir: Parent folder of run directories.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        seed: Seed of the first replicate; replicate ``k`` uses ``seed + k``.
        seeds: Number of replicates (independent trainings) to run.
        threads: torch intra-op threads, or ``"auto"`` (one thread; the policy of
            :func:`archgen.runtime.default_threads`, timed by ``benchmarks/threads.py``).
        precision: ``"fp32"``; ``"bf16"``/``"fp16"`` autocast of training steps (the EMA codebook
            and evaluation stay fp32); ``"auto"``: bf16 where the device computes it natively
            (Ampere+ GPUs, AVX512-BF16/AMX CPUs), else fp32.
        nproc: Data-parallel training processes on this machine (``archgen train`` / ``run``
            start them through torchrun; one per GPU, gloo processes on a CPU).
    """

    model_config = ConfigDict(extra="forbid")
    name: str = "default"
    runs_dir: OutputRelativeToConfig = Path("runs")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    seed: int = 0
    seeds: int = Field(1, ge=1, le=1000)
    threads: Literal["auto"] | Annotated[int, Field(ge=1, le=1024)] = "auto"
    precision: Literal["fp32", "bf16", "fp16", "auto"] = "fp32"
    nproc: int = Field(1, ge=1, le=1024)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_run_name(value)


class DataSection(BaseModel):
    """Which architectures are learned, and how they are split.

    Attributes:
        source: ``"enumerate"`` (the whole space) or ``"sample"`` (``num_archs``
            unique architectures from ``space.sample``).
        num_archs: Size of the sampled set when ``source = "sample"``.
        holdout: Held-out share (the paper's 90/10 split is 0.1).
        split_seed: Seed of the split (fixed across replicates, as in the paper).
    """

    model_config = ConfigDict(extra="forbid")
    source: Literal["enumerate", "sample"] = "enumerate"
    num_archs: int | None = Field(None, ge=2)
    holdout: float = Field(0.1, gt=0.0, lt=1.0)
    split_seed: int = 0


class EvaluateSection(BaseModel):
    """How samples are drawn and scored.

    Attributes:
        num_samples: Architectures generated per replicate (the papers use 10,000).
        sampling: The generator's sampling options (e.g. ``temperature``, ``top_k``,
            ``top_p`` for Arch-VQ), validated by its ``SamplingOptions`` before any work.
        baseline: A generator that needs no real training (``"uniform"``: the space's own
            uniform sampler), scored beside the run with the same split, sample count and
            seeds, so every figure has its reference in the same table; ``""`` = off.
    """

    model_config = ConfigDict(extra="forbid")
    num_samples: int = Field(10_000, ge=1, le=10_000_000)
    sampling: dict[str, Any] = Field(default_factory=dict)
    baseline: str = "uniform"


class RankProtocol(BaseModel):
    """Another way to rank the same fits: a second test metric or test set, scored beside the first.

    PINAT's released protocol (the test accuracy over every cell) beside TNASP's (the validation
    accuracy over the untrained rest) from one set of fits: the training sets and the fitted
    predictors are the trial's own, only what is ranked differs.

    Attributes:
        name: The protocol's column heading (e.g. ``"PINAT protocol"``).
        test_metric: The metric the predictions are ranked against (``None``: ``[predict] metric``).
        test_on: ``"rest"`` or ``"all"``, as ``[predict] test_on``.
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=40)
    test_metric: str | None = None
    test_on: Literal["rest", "all"] = "rest"


class PredictSection(BaseModel):
    """How ``archgen predict`` trains and ranks a ``[predictor]`` (issue 9: predictors).

    Attributes:
        metric: The oracle metric the predictor is trained on (``None``: the space's default).
        test_metric: The metric the predictions are ranked against (``None``: ``metric``).
        train_sizes: Labelled architectures the predictor is trained on, one experiment each
            (default: the TNASP / PINAT NB201 sizes, 0.5 % to 10 % of 15,625).
        test_on: ``"rest"`` ranks the architectures not trained on (TNASP / PINAT);
            ``"all"`` ranks the whole labelled pool (Arch-VQ's convention).
        test_size: Cap on the ranked architectures (a random subset); ``None`` = all of them.
        trials: Independent repetitions, each with its own training set and seed (mean ± std).
        also_rank: Further protocols each fit is also scored under (:class:`RankProtocol`), with
            ``test_size`` applied to each; their τ and ρ sit beside the first's.
    """

    model_config = ConfigDict(extra="forbid")
    metric: str | None = None
    test_metric: str | None = None
    train_sizes: list[Annotated[int, Field(ge=2)]] = Field(default_factory=lambda: [78, 156, 469, 781, 1563], min_length=1)
    test_on: Literal["rest", "all"] = "rest"
    test_size: int | None = Field(None, ge=2)
    trials: int = Field(10, ge=1, le=1000)
    also_rank: list[RankProtocol] = Field(default_factory=list, max_length=8)

    @field_validator("also_rank")
    @classmethod
    def _distinct_names(cls, protocols: list[RankProtocol]) -> list[RankProtocol]:
        names = [protocol.name for protocol in protocols]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"also_rank names {repeated} more than once; each protocol needs its own name")
        return protocols


class SearchConstraint(BaseModel):
    """A limit every architecture a search may query must respect (OFA's latency limit).

    Attributes:
        metric: An oracle metric of the space (e.g. ``"note10/latency"``); looked up
            freely (a lookup table, not an evaluation), never charged to the budget.
        max: The largest value allowed (inclusive).
    """

    model_config = ConfigDict(extra="forbid")
    metric: str
    max: float = Field(allow_inf_nan=False)


class SearchSection(BaseModel):
    """How ``archgen search`` runs a ``[searcher]`` against a space's oracle.

    Attributes:
        signal: The oracle metric the searcher sees and maximises, e.g. the
            validation accuracy ``"cifar10-valid/valid@200"`` on NB201 (``None``:
            the ``report`` metric itself, which the output labels as searching
            on the reported figure).
        report: The metric reported for the architecture with the best signal so
            far, e.g. ``"cifar10/test@200"`` (``None``: the space's default metric).
        budget: Distinct architectures (by canonical key) the searcher may query.
        trials: Independent search runs, seeds ``[run] seed + k`` (mean ± std).
        checkpoints: Query counts at which the table reports the best found.
        constraint: An optional limit on another metric (queried for free).
        pool: ``"space"`` (the space's own sampler and mutation) or ``"labelled"``:
            only the architectures the oracle tables have entries for (NB101's 500
            labelled rows, AutoFormer's 200 Auto-Prox subnets), drawn uniformly,
            mutations moved to the nearest labelled architecture; the output
            says it is not the full space.
        oracle: Where the metrics come from: ``None`` for the space's own tables and
            predictors, or an ``archgen.oracles`` plugin, e.g. ``{ name = "train", options =
            { dataset = { name = "digits" }, epochs = 1 } }`` to train every queried network.
    """

    model_config = ConfigDict(extra="forbid")
    oracle: PluginChoice | None = None
    signal: str | None = None
    report: str | None = None
    budget: int = Field(400, ge=1, le=10_000_000)
    trials: int = Field(10, ge=1, le=1000)
    checkpoints: list[Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: [50, 100, 200, 400])
    constraint: SearchConstraint | None = None
    pool: Literal["space", "labelled"] = "space"


class RegistryConfig(BaseSettings):
    """The whole of ``registry.toml``.

    Attributes:
        missing_paths: Input paths written relative in the file whose resolved form does not
            exist, as ``(where, written, resolved)``; :func:`check_paths` refuses them.
        packaged: Whether this is archgen's packaged registry (no ``registry.toml`` was there).
    """

    model_config = SettingsConfigDict(
        extra="forbid", env_prefix="ARCHGEN_", env_nested_delimiter="__", toml_file=DEFAULT_REGISTRY
    )
    run: RunSection = Field(default_factory=RunSection)
    space: PluginChoice
    data: DataSection = Field(default_factory=DataSection)
    generator: PluginChoice | None = None
    evaluate: EvaluateSection = Field(default_factory=EvaluateSection)
    predictor: PluginChoice | None = None
    predict: PredictSection = Field(default_factory=PredictSection)
    searcher: PluginChoice | None = None
    search: SearchSection = Field(default_factory=SearchSection)
    _missing_paths: list[tuple[str, str, str]] = pydantic.PrivateAttr(default_factory=list)
    _source: str | None = pydantic.PrivateAttr(default=None)

    @property
    def missing_paths(self) -> list[tuple[str, str, str]]:
        """``(where, as written, as resolved)`` of each input path of the file that does not exist."""
        return list(self._missing_paths)

    @property
    def packaged(self) -> bool:
        """Whether this is the registry shipped inside archgen, read because no registry file was there."""
        return self._source == PACKAGED_SOURCE

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the file; explicit init values (tests, --config-less use) beat both.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


#: How messages name the packaged registry (:attr:`RegistryConfig.packaged`).
PACKAGED_SOURCE = "archgen's packaged registry.toml"


def packaged_file(*parts: str) -> importlib.resources.abc.Traversable:
    """A file or folder archgen ships: ``registry.toml``, ``examples/...`` (``archgen init`` copies them).

    Args:
        *parts: Path components below the packaged folder, e.g. ``("examples", "predict")``.
    """
    return importlib.resources.files("archgen").joinpath(PACKAGED_FOLDER, *parts)


def load_config(path: str | os.PathLike[str] = DEFAULT_REGISTRY, *, packaged_fallback: bool = False) -> RegistryConfig:
    """Reads and validates a registry file, with environment overrides applied.

    Args:
        path: The TOML file.
        packaged_fallback: When ``path`` is the default name and no such file exists, read
            the registry archgen ships instead (:attr:`RegistryConfig.packaged`), its
            relative paths meaning the current directory, as if it were ``./registry.toml``.

    Relative paths written in the file (``runs_dir``, every :data:`RelativeToConfig`
    option of a plugin) are resolved against the file's folder (:func:`resolve_paths`).

    Raises:
        ConfigError: One line naming the file and the bad key(s) or syntax error;
            a problem that comes from an ``ARCHGEN_*`` variable names the variable
            instead (an unknown section, JSON that does not parse, a bad value).
    """
    file = Path(path)
    if packaged_fallback and os.fspath(path) == DEFAULT_REGISTRY and not file.is_file():
        # as_file: a real path even where the package is not a folder (a zip import).
        with importlib.resources.as_file(packaged_file(DEFAULT_REGISTRY)) as shipped:
            return _read_registry(shipped, Path.cwd() / DEFAULT_REGISTRY, PACKAGED_SOURCE)
    if not file.is_file():
        raise ConfigError(f"registry file {str(file)!r} not found (pass --config PATH)")
    return _read_registry(file, file, str(file))


def _read_registry(file: Path, place: Path, source: str) -> RegistryConfig:
    """Validates the registry ``file`` as if it lived at ``place`` (its relative paths' base), named ``source``."""
    try:
        with file.open("rb") as handle:
            written = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); "
            "TOML files must be saved as UTF-8"
        ) from None
    overrides = environment_overrides()
    # pydantic-settings reads the TOML path from the class config, so bind it in a subclass.
    bound = type("RegistryConfig", (RegistryConfig,), {"model_config": {**RegistryConfig.model_config, "toml_file": file}})
    try:
        config = bound()
    except SettingsError as error:
        raise ConfigError(_describe_settings_error(error, overrides)) from None
    except pydantic.ValidationError as error:
        raise ConfigError(_blame(error, source, overrides)) from None
    resolved = resolve_paths(config, place, written)
    resolved._source = source
    return resolved


#: ``ARCHGEN_*`` variables that archgen reads itself; they are not registry overrides.
NON_REGISTRY_VARIABLES = frozenset(
    {
        "ARCHGEN_PROGRESS",  # archgen.progress: "0" hides progress; "lines" / "bars" force a form
        "ARCHGEN_SHARED_DATA",  # archgen.testing: where third-party benchmark data lives
        "ARCHGEN_LAUNCH_ARGV",  # archgen.cli.launch: the arguments of a process that --nproc started
        "ARCHGEN_DISABLE_PLUGIN_AUTOLOAD",  # archgen.hooks.manager
        "ARCHGEN_PLUGINS",  # archgen.hooks.manager
        "ARCHGEN_DEBUG",  # archgen.cli.main: like --debug, full tracebacks
    }
)

ENV_PREFIX = "ARCHGEN_"
ENV_DELIMITER = "__"


def environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, tuple[str, ...]]:
    """The ``ARCHGEN_<SECTION>__<KEY>`` variables that override the registry, with their key paths.

    Args:
        environ: The environment (default: ``os.environ``).

    Returns:
        ``{variable: ("section", "key", ...)}`` (lower case, as pydantic-settings matches them).

    Raises:
        ConfigError: For an ``ARCHGEN_*`` variable whose section is not a registry
            section -- a typo such as ``ARCHGEN_EVALUTE__NUM_SAMPLES`` would
            otherwise be ignored without a word.
    """
    environ = os.environ if environ is None else environ
    sections = sorted(RegistryConfig.model_fields)
    found = {}
    for variable in sorted(environ):
        if not variable.upper().startswith(ENV_PREFIX) or variable.upper() in NON_REGISTRY_VARIABLES:
            continue
        path = tuple(variable[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER))
        if path[0] not in sections:
            raise ConfigError(
                f"environment variable {variable}: unknown registry section {path[0]!r}; "
                f"expected ARCHGEN_<SECTION>__<KEY> with SECTION one of {choices_text(s.upper() for s in sections)}"
                f" (archgen's own variables: {choices_text(NON_REGISTRY_VARIABLES)})"
            )
        found[variable] = path
    return found


def _describe_settings_error(error: SettingsError, overrides: dict[str, tuple[str, ...]]) -> str:
    """One line for a variable pydantic-settings could not decode (JSON for tables and lists)."""
    cause = error.__cause__
    while cause is not None and not isinstance(cause, json.JSONDecodeError):
        cause = cause.__cause__
    if cause is None:
        return f"environment overrides {sorted(overrides)}: {error}"
    culprits = [variable for variable in overrides if os.environ.get(variable) == cause.doc]
    # The section in pydantic-settings' message narrows the culprits when two variables share a value.
    field = str(error).split('"')[1] if str(error).count('"') >= 2 else None
    culprits = [v for v in culprits if overrides[v][0] == field] or culprits
    where = f"environment variable {culprits[0]}" if culprits else "an ARCHGEN_* environment variable"
    return (
        f"{where}: not valid JSON ({cause.msg} at column {cause.colno}; got {_clip(cause.doc)}); "
        "a table or list override needs JSON, e.g. '{\"device\": \"cpu\"}'"
    )


def _blame(error: pydantic.ValidationError, file: str, overrides: dict[str, tuple[str, ...]]) -> str:
    """One line per source: errors under a variable's key path name the variable, the rest the file."""
    by_source: dict[str, list[Any]] = {}
    for item in error.errors():
        loc = tuple(str(part).lower() for part in item["loc"])
        matching = [v for v, path in overrides.items() if loc[: len(path)] == path or path[: len(loc)] == loc]
        # The most specific variable wins: ARCHGEN_RUN__SEEDS over ARCHGEN_RUN.
        source = f"environment variable {max(matching, key=lambda v: len(overrides[v]))}" if matching else str(file)
        by_source.setdefault(source, []).append(item)
    return "; ".join(
        f"{source}: {describe_validation_error(items, model=RegistryConfig)}" for source, items in by_source.items()
    )


def _clip(text: str, limit: int = 80) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


#: The plugin sections of the registry and the slot each names.
PLUGIN_SECTIONS = {"space": "space", "generator": "generator", "predictor": "predictor", "searcher": "searcher"}


def validate_plugins(config: RegistryConfig) -> dict[str, Any]:
    """Validates every chosen plugin's name and options, nested choices included.

    Returns:
        ``{section: {"name": ..., "options": <validated, defaults filled in>}}`` for
        each section that names a plugin.

    Raises:
        PluginNotFoundError: For an unknown plugin name.
        ConfigError: For a bad option anywhere in the tree, naming its path, or an input
            path of the file that does not exist (:func:`check_paths`) -- except third-party
            data under a ``shared/data`` folder: a command may not read it (``archgen run``
            never reads a space's benchmark tables), so the plugin that does names it then,
            and ``archgen search`` / ``predict``, which do, call :func:`check_paths` first.
    """
    from archgen.registry import validate_options

    check_paths(config, shared_data=False)
    resolved: dict[str, Any] = {}
    for section, slot in PLUGIN_SECTIONS.items():
        choice = getattr(config, section)
        if choice is None:
            continue
        options = validate_options(slot, choice.name, choice.options)
        resolved[section] = {"name": choice.name, "options": options.model_dump(mode="json") if options else {}}
    if config.search.oracle is not None:
        oracle = config.search.oracle
        options = validate_options("oracle", oracle.name, oracle.options, within="[search] ")
        resolved["search_oracle"] = {"name": oracle.name, "options": options.model_dump(mode="json") if options else {}}
    return resolved


def resolve_paths(config: RegistryConfig, file: Path, written: Mapping[str, Any]) -> RegistryConfig:
    """The registry with every relative path the file wrote resolved against the file's folder.

    Only values that come from the file move: a value from an ``ARCHGEN_*`` variable
    (or a flag) keeps meaning the current directory. Plugin options are found by their
    type (:data:`RelativeToConfig`, :data:`OutputRelativeToConfig`) in the plugin's
    ``Options``, nested plugin choices included, so no option needs code of its own.
    A choice that does not validate is left as written, for :func:`validate_plugins`
    to report.

    Args:
        config: The validated registry.
        file: The registry file (its folder is the base).
        written: The file's own TOML table.

    Returns:
        A copy with the resolved paths; its :attr:`RegistryConfig.missing_paths` lists the
        input paths that do not exist.
    """
    folder = file.parent
    update: dict[str, Any] = {}
    run_written = written.get("run", {}).get("runs_dir") if isinstance(written.get("run"), dict) else None
    if run_written is not None and Path(run_written) == config.run.runs_dir:
        context = {CONFIG_DIR: folder}
        update["run"] = config.run.model_copy(
            update={"runs_dir": RunSection.model_validate({"runs_dir": run_written}, context=context).runs_dir}
        )
    missing: list[tuple[str, str, str]] = []
    for section, slot in PLUGIN_SECTIONS.items():
        choice = getattr(config, section)
        if choice is not None and isinstance(written.get(section), dict):
            resolved = _resolve_choice(slot, choice, written[section], folder, f"[{section}", missing)
            if resolved is not choice:
                update[section] = resolved
    search_written = written.get("search")
    oracle = config.search.oracle
    if oracle is not None and isinstance(search_written, dict) and isinstance(search_written.get("oracle"), dict):
        resolved = _resolve_choice("oracle", oracle, search_written["oracle"], folder, "[search.oracle", missing)
        if resolved is not oracle:
            update["search"] = config.search.model_copy(update={"oracle": resolved})
    copy = config.model_copy(update=update) if update else config.model_copy()
    copy._missing_paths = missing
    copy._source = str(file)
    return copy


def _resolve_choice(
    slot: str, choice: PluginChoice, written: Mapping[str, Any], folder: Path, where: str,
    missing: list[tuple[str, str, str]],
) -> PluginChoice:
    """One plugin choice with the relative paths its file table wrote resolved (nested choices too)."""
    from archgen.errors import ArchgenError
    from archgen.registry import Slot, options_model

    table = written.get("options")
    if written.get("name") != choice.name or not isinstance(table, dict) or not choice.options:
        return choice
    try:
        model = options_model(slot, choice.name)
        if model is None:
            return choice
        inputs: set[str] = set()
        resolved = model.model_validate(choice.options, context={CONFIG_DIR: folder, _INPUTS: inputs}).model_dump(mode="json")
        plain = model.model_validate(choice.options).model_dump(mode="json")
    except (ArchgenError, pydantic.ValidationError):
        return choice
    options = dict(choice.options)
    for key, value in choice.options.items():
        if key not in resolved or table.get(key) != value:
            continue  # not an option, or not the file's value (an environment override)
        nested = model.model_fields[key].metadata if key in model.model_fields else []
        slot_mark = next((mark for mark in nested if isinstance(mark, Slot)), None)
        if slot_mark is not None and isinstance(value, dict):
            inner = _resolve_choice(slot_mark.name, PluginChoice.model_validate(value), value, folder,
                                    f"{where}.options.{key}", missing)
            options[key] = inner.model_dump()
        elif resolved[key] != plain[key]:
            options[key] = resolved[key]
            missing += [
                (f"{where}.options] {key}", before, after)
                for before, after in zip(_as_list(plain[key]), _as_list(resolved[key]))
                if after in inputs and before != after and not Path(after).exists()
            ]
    return choice.model_copy(update={"options": options}) if options != choice.options else choice


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def check_paths(config: RegistryConfig, *, shared_data: bool = True) -> None:
    """Refuses input paths of the registry file that do not exist, naming each as written and as resolved.

    Args:
        config: The registry.
        shared_data: Refuse a missing path under a ``shared/data`` folder too (third-party
            data, which archgen does not ship); the message then says how to point
            ``$ARCHGEN_SHARED_DATA`` at it.

    Raises:
        ConfigError: For the first such path.
    """
    missing = [entry for entry in config.missing_paths if shared_data or shared_data_tail(entry[1]) is None]
    if not missing:
        return
    where, written, resolved = missing[0]
    tail = shared_data_tail(written)
    shared = os.environ.get("ARCHGEN_SHARED_DATA")
    also = ""
    if tail is not None:
        also = (f"; ARCHGEN_SHARED_DATA={shared} does not hold it either" if shared
                else f"; or set ARCHGEN_SHARED_DATA to a folder holding {'/'.join(tail)!r}")
    base = "the current folder" if config.packaged else "the file's folder"
    raise ConfigError(
        f"{config._source}: {where} = {written!r} resolves to {resolved!r} (relative to {base}), "
        f"which does not exist{also}"
    )
