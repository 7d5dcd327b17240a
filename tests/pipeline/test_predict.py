"""``archgen predict``: rank statistics, splits, the staged run it writes, and its one-line errors."""

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

import archgen
from archgen.cli.main import main
from archgen.config import PredictSection, load_config
from archgen.errors import ConfigError
from archgen.pipeline.predict import override_config, rank_correlations, split_trial
from archgen.testing import require_shared_data


def test_rank_correlations_on_a_toy():
    # One discordant pair of six: τ = (5 - 1) / 6; Spearman ρ = 1 - 6 Σd² / (n(n² - 1)) = 1 - 12/60.
    figures = rank_correlations(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 4.0, 3.0]))
    assert figures["kendall_tau"] == pytest.approx(2 / 3) and figures["spearman"] == pytest.approx(0.8)
    assert rank_correlations(np.array([4.0, 3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0, 4.0]))["kendall_tau"] == pytest.approx(-1.0)
    # A constant prediction ranks nothing: 0, not NaN.
    assert rank_correlations(np.full(4, 0.5), np.array([1.0, 2.0, 3.0, 4.0])) == {"kendall_tau": 0.0, "spearman": 0.0}


def test_splits_are_disjoint_seeded_and_cover_the_rest():
    train, test = split_trial(100, 10, seed=3, test_on="rest", test_size=None)
    assert len(train) == 10 and len(test) == 90 and not set(train) & set(test)
    assert sorted([*train, *test]) == list(range(100))
    again = split_trial(100, 10, seed=3, test_on="rest", test_size=None)
    assert np.array_equal(train, again[0]) and not np.array_equal(train, split_trial(100, 10, 4, "rest", None)[0])
    _, everything = split_trial(100, 10, seed=3, test_on="all", test_size=None)
    assert list(everything) == list(range(100))
    _, capped = split_trial(100, 10, seed=3, test_on="rest", test_size=25)
    assert len(capped) == 25 and not set(capped) & set(train)


@pytest.fixture
def registry(tmp_path):
    """An NB201 registry whose benchmark labels 60 cells with a function of their ops."""
    space = archgen.load("space", "nb201")
    archs = space.sample(60, seed=0)
    lines = ["index,arch_str,cifar10_valid_val_200,cifar10_test_200"]
    for i, arch in enumerate(archs):
        value = 80 + 3 * arch.ops.count("nor_conv_3x3") + arch.ops.count("nor_conv_1x1") + 0.01 * i
        # A test accuracy that ranks the cells otherwise: the 1x1 convolutions count more.
        test = 80 + arch.ops.count("nor_conv_3x3") + 2 * arch.ops.count("nor_conv_1x1") - 0.01 * i
        lines.append(f"{i},{space.to_string(arch)},{value},{test}")
    table = tmp_path / "labels.csv.gz"
    with gzip.open(table, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    path = tmp_path / "registry.toml"
    path.write_text(
        f"""
[run]
name = "pred"
runs_dir = "{tmp_path / 'runs'}"
device = "cpu"

[space]
name = "nb201"
options = {{ benchmark = "{table}" }}

[predictor]
name = "gin"
options = {{ hidden_dims = [16], embedding_dim = 8, head_hidden = 8, epochs = 30, batch_size = 16 }}

[predict]
train_sizes = [10, 30]
trials = 2
"""
    )
    return path


def test_predict_writes_a_staged_run_with_tau_per_size(registry, tmp_path, capsys):
    assert main(["predict", "--config", str(registry)]) == 0
    out = capsys.readouterr().out
    assert "gin τ" in out and "wrote" in out
    run = tmp_path / "runs" / "pred"
    result = json.loads((run / "predict.json").read_text())
    assert result["metric"] == "cifar10-valid/valid@200" and result["pool_size"] == 60
    assert [p["n"] for p in result["points"]] == [10, 30]
    assert [[t["test_size"] for t in p["trials"]] for p in result["points"]] == [[50, 50], [30, 30]]
    assert [t["seed"] for t in result["points"][0]["trials"]] == [0, 1]
    for point in result["points"]:
        taus = [t["kendall_tau"] for t in point["trials"]]
        assert point["kendall_tau"]["mean"] == pytest.approx(np.mean(taus))
        assert all(-1 <= tau <= 1 for tau in taus)
    # The ops determine the label up to 0.01 i: a trained GIN ranks it far better than chance.
    assert result["points"][1]["kendall_tau"]["mean"] > 0.3
    assert (run / "predict.png").stat().st_size > 1000 and "| N | test |" in (run / "predict.md").read_text()
    assert json.loads((run / "config.json").read_text())["predictor"]["name"] == "gin"


def test_seed_flag_moves_every_trial_to_new_splits(registry, tmp_path):
    """``--seed S``: trial k draws its split and seed from S + k, as a re-run on new seeds needs."""
    assert main(["predict", "--config", str(registry), "--train-sizes", "10", "--trials", "2", "--seed", "100", "--name", "s"]) == 0
    trials = json.loads((tmp_path / "runs" / "s" / "predict.json").read_text())["points"][0]["trials"]
    assert [t["seed"] for t in trials] == [100, 101]
    assert json.loads((tmp_path / "runs" / "s" / "config.json").read_text())["run"]["seed"] == 100


def test_also_rank_scores_the_same_fits_as_a_run_under_that_protocol(registry, tmp_path, capsys):
    """PINAT's protocol beside TNASP's from one set of fits equals a run ranked that way alone."""
    text = registry.read_text()
    registry.write_text(text + '[[predict.also_rank]]\nname = "PINAT protocol"\ntest_metric = "cifar10/test@200"\ntest_on = "all"\n')
    assert main(["predict", "--config", str(registry), "--name", "both"]) == 0
    out = capsys.readouterr().out
    assert "PINAT protocol τ" in out and "ranked against cifar10/test@200 on every architecture" in out
    both = json.loads((tmp_path / "runs" / "both" / "predict.json").read_text())
    registry.write_text(text.replace("trials = 2\n", 'trials = 2\ntest_metric = "cifar10/test@200"\ntest_on = "all"\n'))
    assert main(["predict", "--config", str(registry), "--name", "alone"]) == 0
    alone = json.loads((tmp_path / "runs" / "alone" / "predict.json").read_text())
    registry.write_text(text)
    assert main(["predict", "--config", str(registry), "--name", "first"]) == 0
    first = json.loads((tmp_path / "runs" / "first" / "predict.json").read_text())
    for point, single, plain in zip(both["points"], alone["points"], first["points"]):
        for trial, other, own in zip(point["trials"], single["trials"], plain["trials"]):
            protocol = trial["also"]["PINAT protocol"]
            assert protocol["test_size"] == other["test_size"] == 60
            assert (protocol["kendall_tau"], protocol["spearman"]) == (other["kendall_tau"], other["spearman"])
            assert (trial["kendall_tau"], trial["spearman"]) == (own["kendall_tau"], own["spearman"])
            assert protocol["kendall_tau"] != trial["kendall_tau"]  # another truth, another τ
        assert point["also"]["PINAT protocol"]["kendall_tau"] == single["kendall_tau"]
    assert "PINAT protocol τ" in (tmp_path / "runs" / "both" / "predict.md").read_text()


@pytest.mark.parametrize(
    ("protocols", "message"),
    [
        ('[[predict.also_rank]]\nname = "a"\n[[predict.also_rank]]\nname = "a"\n', "also_rank names ['a'] more than once"),
        ('[[predict.also_rank]]\nname = "a"\ntest_metric = "cifar10/tset@200"\n', "unknown metric 'cifar10/tset@200'"),
        ('[[predict.also_rank]]\nname = "a"\ntest_on = "most"\n', "test_on"),
    ],
)
def test_a_bad_also_rank_protocol_is_one_line(registry, tmp_path, capsys, protocols, message):
    registry.write_text(registry.read_text() + protocols)
    assert main(["predict", "--config", str(registry)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "runs" / "pred").exists()


def test_the_nb201_reference_is_printed_only_at_its_sizes(registry, capsys):
    assert main(["predict", "--config", str(registry), "--train-sizes", "10", "--trials", "1", "--name", "ref"]) == 0
    assert "PINAT" not in capsys.readouterr().out  # no published τ at N = 10


def test_the_published_tau_are_the_spaces():
    """PINAT / TNASP τ come from the space's published_results(), at their sizes and for cifar10* labels only."""
    published = archgen.load("space", "nb201").published_results()
    assert published.kendall_tau_at(78, "cifar10-valid/valid@200") == {"PINAT": 0.549, "TNASP": 0.539}
    assert published.kendall_tau_at(1563, "cifar10/test@200") == {"PINAT": 0.784}
    assert published.kendall_tau_at(10, "cifar10/test@200") == {} == published.kendall_tau_at(78, "imagenet16-120/valid@200")
    assert published.rank_correlation_note.startswith("PINAT's released code")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--metric", "cifar10/tset@200"], "unknown metric 'cifar10/tset@200' for space 'nb201'; accepted:"),
        (["--train-sizes", "10,60"], "[predict] train_sizes [60] must be smaller than the 60 labelled architectures"),
        (["--train-sizes", "ten"], "bad --train-sizes 'ten'"),
        (["--test-on", "most"], None),
        (["--trials", "0"], "trials"),
        (["--predictor", "lstmm"], "unknown plugin 'lstmm'"),
    ],
)
def test_bad_input_is_one_line_and_leaves_no_run(registry, tmp_path, capsys, flags, message):
    with pytest.raises(SystemExit) if message is None else _no_raise():
        code = main(["predict", "--config", str(registry), *flags])
        assert code == 2
    err = capsys.readouterr().err
    if message is not None:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "runs" / "pred").exists()


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_no_predictor_is_a_config_error(registry):
    text = registry.read_text()
    start = text.index("[predictor]")
    registry.write_text(text[:start] + text[text.index("[predict]\n"):])
    with pytest.raises(ConfigError, match=r"registry has no \[predictor\]"):
        from archgen.pipeline import commands

        commands.predict(load_config(registry), run_dir=registry.parent / "runs" / "x")


def test_flags_override_the_registry(registry):
    config = override_config(load_config(registry), predictor="tart", train_sizes="5,7", trials=3, test_on="all")
    assert config.predictor.name == "tart" and config.predictor.options == {}
    assert config.predict == PredictSection(train_sizes=[5, 7], trials=3, test_on="all")
    same = override_config(load_config(registry), predictor="gin")
    assert same.predictor.options["epochs"] == 30  # the registry's own predictor keeps its options


def test_the_example_predict_registry_is_valid():
    from archgen.registry import validate_options

    config = load_config("examples/predict/nb201.toml")
    validate_options("predictor", config.predictor.name, config.predictor.options)
    assert config.predict.train_sizes == [78, 156, 469, 781, 1563] and config.predict.metric == "cifar10-valid/valid@200"


PREDICT_EXAMPLES = sorted(Path("examples/predict").glob("*.toml"))


@pytest.mark.parametrize("path", PREDICT_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_predict_registry_is_valid(path):
    from archgen.registry import validate_options

    config = load_config(path)
    validate_options("space", config.space.name, config.space.options)
    validate_options("predictor", config.predictor.name, config.predictor.options)
    # The protocols' 10 trials (TNASP / PINAT); a '-quick' example is the README's cut-down first try.
    assert config.predict.trials == (3 if path.stem.endswith("-quick") else 10)
    # PINAT's released code ranks all cells against the test accuracy; TNASP ranks the untrained rest.
    if path.stem.endswith("-pinat"):
        assert (config.predict.test_on, config.predict.test_metric) == ("all", "cifar10/test@200")
    else:
        assert config.predict.test_on == "rest"


@pytest.mark.data
@pytest.mark.parametrize("path", PREDICT_EXAMPLES, ids=lambda p: p.stem)
def test_every_space_with_labels_runs_archgen_predict(path, tmp_path, capsys):
    """The example of each labelled space runs end to end (tiny gin, one trial, the smallest N)."""
    text = path.read_text()
    folder = re.search(r'"(?:\.\./)+shared/data/([^/"]+)', text).group(1)
    data = require_shared_data(folder).parent
    # The example's paths are relative to its own folder; this copy lives in tmp_path.
    text = re.sub(r'"(?:\.\./)+shared/data', f'"{data}', text)
    text = re.sub(r'runs_dir = "[./]*runs"', f'runs_dir = "{tmp_path}"', text)
    # Keep the space, data and [predict] sections; swap the predictor for a tiny gin.
    text = text[: text.index("[predictor]")] + text[text.index("[predict]\n") :]
    text += '\n[predictor]\nname = "gin"\noptions = { hidden_dims = [8], embedding_dim = 8, head_hidden = 8, epochs = 2 }\n'
    registry = tmp_path / "registry.toml"
    registry.write_text(text)
    smallest = load_config(registry).predict.train_sizes[0]
    code = main(["predict", "--config", str(registry), "--trials", "1", "--train-sizes", str(smallest), "--test-size", "100"])
    assert code == 0, capsys.readouterr().err
    result = json.loads((tmp_path / load_config(registry).run.name / "predict.json").read_text())
    (row,) = result["points"]
    assert row["n"] == smallest and -1.0 <= row["kendall_tau"]["mean"] <= 1.0
    # The labelled pools of the staged data: NB101's 500 rows are 292 distinct cells, AutoFormer
    # labels 200 subnets, MBV3's example samples 5,000 (docs/predictors.md).
    expected = {"nb101": 292, "autoformer": 200, "mbv3": 5000}
    if path.stem in expected:
        assert result["pool_size"] == expected[path.stem]
