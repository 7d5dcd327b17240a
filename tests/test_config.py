"""registry.toml validation and environment overrides."""

import pytest

from archgen import ConfigError
from archgen.config import load_config


def test_repository_registry_is_valid_and_defaults_to_nb201_arch_vq():
    config = load_config("registry.toml")
    assert (config.space.name, config.generator.name, config.run.device) == ("nb201", "arch_vq", "auto")
    assert config.generator.options["quantizer"]["options"] == {"codebook_size": 512, "dim": 16, "beta": 0.25, "decay": 0.99}
    assert config.data.holdout == 0.1 and config.evaluate.num_samples == 10_000 and config.evaluate.sampling == {"temperature": 1.0}


def test_misspelled_key_is_named(tiny_registry):
    path = tiny_registry()
    path.write_text(path.read_text().replace("device = ", "devise = "))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "run.devise: unknown key" in str(error.value) and str(path) in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_value_is_named_with_the_choices(tiny_registry):
    path = tiny_registry()
    path.write_text(path.read_text().replace('device = "cpu"', 'device = "tpu"'))
    with pytest.raises(ConfigError, match=r"run.device: Input should be 'auto', 'cpu' or 'cuda' \(got 'tpu'\)"):
        load_config(path)


def test_malformed_toml_and_missing_file(tmp_path):
    bad = tmp_path / "r.toml"
    bad.write_text("[run\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")


def test_environment_overrides_the_file(tiny_registry, monkeypatch):
    path = tiny_registry()
    monkeypatch.setenv("ARCHGEN_RUN__DEVICE", "auto")
    monkeypatch.setenv("ARCHGEN_EVALUATE__NUM_SAMPLES", "25")
    config = load_config(path)
    assert config.run.device == "auto" and config.evaluate.num_samples == 25
    assert config.run.name == "tiny"  # untouched keys still come from the file


# -- issue 8: environment overrides and file encodings fail in one line, naming their source ------

MINIMAL = '[run]\nname = "minimal"\n\n[space]\nname = "nb201"\n'


@pytest.fixture
def minimal_registry(tmp_path):
    path = tmp_path / "registry.toml"
    path.write_text(MINIMAL)
    return path


def _one_line_error(path):
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("variable", "value", "shown"),
    [
        ("ARCHGEN_RUN", "{", "'{'"),
        ("ARCHGEN_GENERATOR__OPTIONS", "notjson", "'notjson'"),
        ("ARCHGEN_DATA", "[1, 2", "'[1, 2'"),
    ],
)
def test_malformed_json_in_an_environment_override_names_the_variable(minimal_registry, monkeypatch, variable, value, shown):
    monkeypatch.setenv(variable, value)
    message = _one_line_error(minimal_registry)
    assert message.startswith(f"environment variable {variable}: not valid JSON")
    assert f"got {shown}" in message
    assert str(minimal_registry) not in message  # the file is not to blame


def test_unknown_section_in_an_environment_variable_is_rejected_with_the_sections(minimal_registry, monkeypatch):
    monkeypatch.setenv("ARCHGEN_EVALUTE__NUM_SAMPLES", "5")
    message = _one_line_error(minimal_registry)
    assert message.startswith("environment variable ARCHGEN_EVALUTE__NUM_SAMPLES: unknown registry section 'evalute'")
    assert "{DATA, EVALUATE, GENERATOR, PREDICT, PREDICTOR, RUN, SEARCH, SEARCHER, SPACE}" in message


def test_single_underscore_typo_is_an_unknown_section_too(minimal_registry, monkeypatch):
    monkeypatch.setenv("ARCHGEN_RUN_DEVICE", "cpu")  # meant ARCHGEN_RUN__DEVICE
    assert "ARCHGEN_RUN_DEVICE: unknown registry section 'run_device'" in _one_line_error(minimal_registry)


@pytest.mark.parametrize("variable", ["ARCHGEN_PROGRESS", "ARCHGEN_SHARED_DATA", "ARCHGEN_DISABLE_PLUGIN_AUTOLOAD", "ARCHGEN_PLUGINS"])
def test_archgens_own_variables_are_not_registry_overrides(minimal_registry, monkeypatch, variable):
    monkeypatch.setenv(variable, "1")
    assert load_config(minimal_registry).run.name == "minimal"


def test_every_archgen_variable_the_code_reads_is_allowed():
    """A new ARCHGEN_* variable read by the product must join the allow-list, or load_config rejects it."""
    import re
    from importlib.resources import files

    from archgen.config import NON_REGISTRY_VARIABLES

    read = set()
    for package in ("archgen", "archgen.plugins", "archgen.spaces"):
        for source in _python_files(files(package)):
            read |= set(re.findall(r"environ(?:\.get)?\(\s*[\"'](ARCHGEN_[A-Z_]+)", source.read_text()))
            read |= set(re.findall(r"environ\[\s*[\"'](ARCHGEN_[A-Z_]+)", source.read_text()))
    assert read and read <= NON_REGISTRY_VARIABLES, sorted(read - NON_REGISTRY_VARIABLES)


def _python_files(folder):
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _python_files(entry)
        elif entry.name.endswith(".py"):
            yield entry


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("ARCHGEN_RUN__SEEDS", "0", "run.seeds: Input should be greater than or equal to 1 (got '0')"),
        ("ARCHGEN_RUN", '{"seeds": 0}', "run.seeds: Input should be greater than or equal to 1 (got 0)"),
        ("ARCHGEN_RUN__DEVISE", "cpu", "run.devise: unknown key"),
    ],
)
def test_a_bad_environment_value_blames_the_variable_not_the_file(minimal_registry, monkeypatch, variable, value, problem):
    monkeypatch.setenv(variable, value)
    message = _one_line_error(minimal_registry)
    assert message.startswith(f"environment variable {variable}: {problem}")
    assert str(minimal_registry) not in message


def test_file_and_environment_errors_are_each_blamed_on_their_source(minimal_registry, monkeypatch):
    minimal_registry.write_text(MINIMAL.replace('name = "minimal"', 'name = "minimal"\nseed = "x"'))
    monkeypatch.setenv("ARCHGEN_RUN__DEVICE", "tpu")
    message = _one_line_error(minimal_registry)
    assert f"{minimal_registry}: run.seed: Input should be a valid integer" in message
    assert "environment variable ARCHGEN_RUN__DEVICE: run.device: Input should be 'auto', 'cpu' or 'cuda' (got 'tpu')" in message


def test_non_utf8_registry_is_a_one_line_error(minimal_registry):
    minimal_registry.write_bytes(MINIMAL.replace("minimal", "caf\xe9").encode("latin-1"))
    message = _one_line_error(minimal_registry)
    assert message == f"{minimal_registry}: not UTF-8 text (byte 0xe9 at offset 17); TOML files must be saved as UTF-8"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("[run]", "[run]\ndevise = 1"), "run.devise: unknown key; accepted keys: {device, name, nproc, precision, runs_dir, seed, seeds, threads}"),
        (("[space]", "[evalute]\n\n[space]"), "evalute: unknown key; accepted keys: {data, evaluate, generator, predict, predictor, run, search, searcher, space}"),
        (('name = "nb201"', 'name = "nb201"\nopts = {}'), "space.opts: unknown key; accepted keys: {name, options}"),
    ],
)
def test_unknown_keys_list_the_accepted_keys(minimal_registry, edit, expected):
    minimal_registry.write_text(MINIMAL.replace(*edit))
    assert _one_line_error(minimal_registry) == f"{minimal_registry}: {expected}"


def test_a_huge_bad_value_is_clipped_in_the_message(minimal_registry):
    minimal_registry.write_text(MINIMAL.replace('name = "minimal"', f'name = "minimal"\nseed = "{"9x" * 50_000}"'))
    message = _one_line_error(minimal_registry)
    assert len(message) < 300 and "got '9x9x" in message
