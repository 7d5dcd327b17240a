"""registry.toml validation and environment overrides."""

import pytest

from archgen import ConfigError
from archgen.config import load_config


def test_repository_registry_is_valid_and_defaults_to_nb201_arch_vq():
    config = load_config("registry.toml")
    assert (config.space.name, config.generator.name, config.run.device) == ("nb201", "arch_vq", "auto")
    assert config.generator.options["quantizer"]["options"] == {"codebook_size": 512, "dim": 16, "beta": 0.25, "decay": 0.99}
    assert config.data.holdout == 0.1 and config.evaluate.num_samples == 10_000 and config.evaluate.temperature == 1.0


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
    monkeypatch.setenv("ARCHGEN_EVALUATE__TEMPERATURE", "2.5")
    config = load_config(path)
    assert config.run.device == "auto" and config.evaluate.temperature == 2.5
    assert config.run.name == "tiny"  # untouched keys still come from the file
