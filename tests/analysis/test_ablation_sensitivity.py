"""Arch-VQ's Table 7 ablation and Figure 5 sensitivity: registry-driven variants, run at one epoch."""

import json

import pytest

import archgen
from archgen.analysis.ablation import VARIANTS, variant_spec
from archgen.cli.main import main
from archgen.errors import ConfigError
from archgen.testing import check_generator


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_ablation_variant_is_a_registry_generator_that_passes_the_generator_kit(variant):
    base = {"name": "arch_vq", "options": archgen.registry.plugin_class("generator", "arch_vq").TEST_OPTIONS}
    spec = variant_spec(base, variant, epochs=None)
    expected = {"vae_transformer": ("gaussian", "transformer"), "vqvae_independent": ("ema", "independent")}[variant]
    assert (spec["options"]["quantizer"]["name"], spec["options"]["prior"]["name"]) == expected
    if variant == "vqvae_independent":
        # The kit's tiny VQ-VAE puts every cell on one code per position; a pseudo-count keeps draws random.
        spec["options"]["prior"]["options"] = {"smoothing": 1.0}
    space = archgen.load("space", "nb201")
    train = space.sample(120, seed=0)
    check_generator(lambda: archgen.load("generator", spec["name"], **spec["options"]), space, train, validation=train[:20])


def test_unknown_variants_are_refused():
    with pytest.raises(ConfigError, match="unknown ablation variant 'vq'"):
        variant_spec({"name": "arch_vq", "options": {"quantizer": {}, "prior": {}}}, "vq", None)


def test_archgen_analyze_ablation_scores_every_row(run_copy):
    assert main(["analyze", str(run_copy), "ablation", "--n", "60", "--option", "epochs=1",
                 "--option", "temperatures=[1.0, 2.0]"]) == 0
    result = json.loads((run_copy / "analysis" / "ablation.json").read_text())
    assert list(result["rows"]) == ["VAE + Transformer", "VQ-VAE + Standard Prior", "Arch-VQ (t=1)", "Arch-VQ (t=2)"]
    assert result["variants"]["VQ-VAE + Standard Prior"]["config"]["options"]["prior"]["name"] == "independent"
    assert result["variants"]["VAE + Transformer"]["config"]["options"]["quantizer"]["name"] == "gaussian"
    # The independent prior never draws a malformed sequence.
    assert result["rows"]["VQ-VAE + Standard Prior"]["per_seed"][0]["well_formed"] == 100.0
    table = (run_copy / "analysis" / "ablation.md").read_text()
    assert "| VQ-VAE + Standard Prior | published | - | 100.00 | 74.84 | 74.84 | 13.76 | 13.76 |" in table


def test_archgen_analyze_sensitivity_trains_one_point_per_value(run_copy):
    assert main(["analyze", str(run_copy), "sensitivity", "--option", "epochs=1", "--option", "codebook_size=[8, 16]",
                 "--option", "beta=[0.25]", "--option", "decay=[0.5]"]) == 0
    result = json.loads((run_copy / "analysis" / "sensitivity.json").read_text())
    assert [(p["parameter"], p["value"]) for p in result["points"]] == [
        ("codebook_size", 8), ("codebook_size", 16), ("beta", 0.25), ("decay", 0.5)]
    assert all(0.0 <= p["reconstruction_accuracy"] <= 100.0 for p in result["points"])
    assert all(p["codebook_used"] <= (p["value"] if p["parameter"] == "codebook_size" else 64) for p in result["points"])
    assert (run_copy / "analysis" / "sensitivity.png").is_file()
