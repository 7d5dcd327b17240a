"""Modules renamed for clarity still import under their former names, for code written against them."""

from __future__ import annotations

import importlib

import pytest

#: Former module -> (its new home, the names it still offers).
FORMER_NAMES = {
    "archgen.distinct": ("archgen.distinct_sampling", ["distinct_sample"]),
    "archgen.plugins.encoders.sizing": ("archgen.plugins.encoders.loading", ["load_encoder"]),
    "archgen.spaces.darts.nb301": (
        "archgen.spaces.darts.tables",
        ["LABELLED_FILE", "UNLABELLED_FILE", "genotype_of_row", "load_architectures", "load_genotypes", "read_rows"],
    ),
    "archgen.testing": ("archgen.data_files", ["shared_data_path"]),
    "archgen.testing.search_space": ("archgen.data_files", ["shared_data_path"]),
    "archgen.registry": ("archgen.validation_messages", ["describe_validation_error"]),
    "archgen.pipeline.search": (
        "archgen.pipeline.search_command",
        ["ConstrainedSpace", "LabelledPool", "labelled_pool", "run_trial", "search_table", "with_overrides"],
    ),
}


@pytest.mark.parametrize("former", sorted(FORMER_NAMES))
def test_a_former_name_offers_the_same_objects(former):
    new, names = FORMER_NAMES[former]
    old_module, new_module = importlib.import_module(former), importlib.import_module(new)
    for name in names:
        assert getattr(old_module, name) is getattr(new_module, name), f"{former}.{name} is not {new}.{name}"


def test_nb301_keeps_the_former_name_of_the_table_loader():
    from archgen.spaces.darts import nb301, tables

    assert nb301.load_benchmark_table is tables.load_benchmark
