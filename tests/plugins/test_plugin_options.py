"""First-party plugin Options refuse values that would only fail later, naming the key (issue 8, item 7).

Before this, ``hidden_dims = [0, 16]`` validated and then raised an IndexError mid-training,
``d_model % heads != 0`` validated and failed at construction, and nan/inf learning rates or
commitment weights trained silently into nan losses.
"""

import math

import pytest

import archgen
from archgen import ConfigError
from archgen.registry import validate_options

NAN, INF = math.nan, math.inf

BAD = [
    # encoder 'gin'
    ("encoder", "gin", {"hidden_dims": [0, 16]}, "hidden_dims.0"),
    ("encoder", "gin", {"hidden_dims": [16, -3]}, "hidden_dims.1"),
    ("encoder", "gin", {"hidden_dims": []}, "hidden_dims"),
    ("encoder", "gin", {"hidden_dims": [16] * 65}, "hidden_dims"),
    ("encoder", "gin", {"out_dim": 0}, "out_dim"),
    ("encoder", "gin", {"mlp_layers": 0}, "mlp_layers"),
    ("encoder", "gin", {"input_dim": -1}, "input_dim"),
    ("encoder", "gin", {"hidden_dims": [10**9]}, "hidden_dims.0"),
    # quantizer 'ema'
    ("quantizer", "ema", {"codebook_size": 1}, "codebook_size"),
    ("quantizer", "ema", {"codebook_size": 10**9}, "codebook_size"),
    ("quantizer", "ema", {"dim": 0}, "dim"),
    ("quantizer", "ema", {"beta": NAN}, "beta"),
    ("quantizer", "ema", {"beta": INF}, "beta"),
    ("quantizer", "ema", {"beta": -0.1}, "beta"),
    ("quantizer", "ema", {"decay": 1.0}, "decay"),
    ("quantizer", "ema", {"decay": NAN}, "decay"),
    ("quantizer", "ema", {"epsilon": 0.0}, "epsilon"),
    ("quantizer", "ema", {"epsilon": INF}, "epsilon"),
    ("quantizer", "ema", {"dead_code_threshold": NAN}, "dead_code_threshold"),
    # prior 'transformer'
    ("prior", "transformer", {"d_model": 30, "heads": 4}, "d_model"),
    ("prior", "transformer", {"d_model": 8, "heads": 16}, "d_model"),
    ("prior", "transformer", {"heads": 0}, "heads"),
    ("prior", "transformer", {"layers": 0}, "layers"),
    ("prior", "transformer", {"dropout": 1.0}, "dropout"),
    ("prior", "transformer", {"dropout": NAN}, "dropout"),
    ("prior", "transformer", {"lr": 0.0}, "lr"),
    ("prior", "transformer", {"lr": NAN}, "lr"),
    ("prior", "transformer", {"lr": INF}, "lr"),
    ("prior", "transformer", {"weight_decay": INF}, "weight_decay"),
    ("prior", "transformer", {"batch_size": 0}, "batch_size"),
    # generator 'arch_vq'
    ("generator", "arch_vq", {"vqvae_lr": NAN}, "vqvae_lr"),
    ("generator", "arch_vq", {"vqvae_lr": INF}, "vqvae_lr"),
    ("generator", "arch_vq", {"vqvae_lr": 0.0}, "vqvae_lr"),
    ("generator", "arch_vq", {"vqvae_batch_size": 0}, "vqvae_batch_size"),
    ("generator", "arch_vq", {"vqvae_epochs": -1}, "vqvae_epochs"),
    ("generator", "arch_vq", {"prior_epochs": -1}, "prior_epochs"),
    ("generator", "arch_vq", {"early_stopping_patience": 0}, "early_stopping_patience"),
]


@pytest.mark.parametrize(
    ("slot", "name", "options", "key"), BAD, ids=[f"{name}-{options}" for _, name, options, _ in BAD]
)
def test_bad_option_fails_at_validation_naming_the_key(slot, name, options, key):
    with pytest.raises(ConfigError) as error:
        validate_options(slot, name, options)
    message = str(error.value)
    assert f"bad options for {slot} {name!r}: {key}: " in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("nested", "options", "key"),
    [
        ("encoder", {"name": "gin", "options": {"hidden_dims": [0, 16]}}, "hidden_dims.0"),
        ("prior", {"name": "transformer", "options": {"d_model": 30, "heads": 4}}, "d_model"),
        ("quantizer", {"name": "ema", "options": {"beta": NAN}}, "beta"),
    ],
)
def test_bad_nested_option_is_caught_before_any_work_naming_the_path(nested, options, key):
    with pytest.raises(ConfigError) as error:
        validate_options("generator", "arch_vq", {nested: options})
    assert f"generator 'arch_vq' > {nested} {options['name']!r}: {key}: " in str(error.value)


def test_zero_width_gin_layer_is_refused_by_load_not_by_training():
    # On the landed code this built a model whose first BatchNorm1d(0) raised IndexError in forward.
    with pytest.raises(ConfigError, match=r"hidden_dims\.0: Input should be greater than or equal to 1 \(got 0\)"):
        archgen.load("encoder", "gin", input_dim=7, hidden_dims=[0, 16])


@pytest.mark.parametrize(
    ("slot", "name", "options"),
    [
        ("encoder", "gin", {}),
        ("encoder", "gin", {"hidden_dims": [256, 256, 256, 256, 16]}),  # arch-vq.md: DARTS encoder
        ("quantizer", "ema", {"codebook_size": 512, "dim": 16, "beta": 0.25, "decay": 0.99}),  # arch-vq.md 4.3
        ("prior", "transformer", {"layers": 4, "heads": 4, "d_model": 64}),
        ("prior", "transformer", {"heads": 3, "d_model": 48}),
        ("generator", "arch_vq", {}),
    ],
)
def test_defaults_and_paper_settings_still_validate(slot, name, options):
    assert validate_options(slot, name, options) is not None
